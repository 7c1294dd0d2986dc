//! Claiming: one atomic statement per backend hands a runnable job to exactly one worker.
//!
//! Runnable means queued and due, or running with a lapsed lease and attempts left (its worker
//! died or hung). Either way the claim starts a new attempt under a new lease.

use std::time::Duration;

use super::queue::millis;
use super::{Job, Queue, WorkerId};
use crate::store::{Pool, StoreResult};

/// PostgreSQL: `SKIP LOCKED` lets concurrent claimers (on any instance) pass over a row another
/// claimer has locked instead of queueing behind it; the scalar subquery is evaluated once.
const CLAIM_POSTGRES: &str = concat!(
    "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $1, \
         lease_expires_at = $2, updated_at = $3 \
     WHERE id = ( \
         SELECT id FROM jobs \
         WHERE ((state = 'queued' AND run_at <= $3) \
             OR (state = 'running' AND lease_expires_at < $3 AND attempts < max_attempts)) \
           AND kind = ANY($4) \
         ORDER BY run_at, id LIMIT 1 \
         FOR UPDATE SKIP LOCKED) \
     RETURNING ",
    job_columns!()
);

/// SQLite: a write statement holds the database's single write lock from start to end, so the
/// subquery's pick and the update are one step no other connection can interleave with. Kinds
/// arrive as a JSON array because SQLite has no array parameters.
const CLAIM_SQLITE: &str = concat!(
    "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $1, \
         lease_expires_at = $2, updated_at = $3 \
     WHERE id = ( \
         SELECT id FROM jobs \
         WHERE ((state = 'queued' AND run_at <= $3) \
             OR (state = 'running' AND lease_expires_at < $3 AND attempts < max_attempts)) \
           AND kind IN (SELECT value FROM json_each($4)) \
         ORDER BY run_at, id LIMIT 1) \
     RETURNING ",
    job_columns!()
);

impl Queue {
    /// Claims the most overdue runnable job of one of `kinds` for `worker_id`, leased until
    /// `now_ms + lease`. The returned job's [`lease`](Job::lease) authorises the writes that
    /// follow. `None` when nothing is runnable.
    #[tracing::instrument(level = "debug", skip_all, fields(worker = worker_id.as_str()))]
    pub async fn claim<S: AsRef<str>>(
        &self,
        worker_id: &WorkerId,
        kinds: &[S],
        lease: Duration,
        now_ms: i64,
    ) -> StoreResult<Option<Job>> {
        let kinds: Vec<String> = kinds.iter().map(|k| k.as_ref().to_owned()).collect();
        if kinds.is_empty() {
            return Ok(None);
        }
        let expires = now_ms.saturating_add(millis(lease));
        let job = match self.store.pool() {
            Pool::Postgres(p) => {
                let row = sqlx::query(CLAIM_POSTGRES)
                    .bind(worker_id)
                    .bind(expires)
                    .bind(now_ms)
                    .bind(kinds)
                    .fetch_optional(p)
                    .await?;
                match row {
                    Some(row) => Some(decode(&row)?),
                    None => None,
                }
            }
            Pool::Sqlite(p) => {
                let kinds = serde_json::Value::from(kinds).to_string();
                let row = sqlx::query(CLAIM_SQLITE)
                    .bind(worker_id)
                    .bind(expires)
                    .bind(now_ms)
                    .bind(kinds)
                    .fetch_optional(p)
                    .await?;
                match row {
                    Some(row) => Some(decode_sqlite(&row)?),
                    None => None,
                }
            }
        };
        Ok(job)
    }
}

fn decode(row: &sqlx::postgres::PgRow) -> Result<Job, sqlx::Error> {
    Ok(job_from_row!(row))
}

fn decode_sqlite(row: &sqlx::sqlite::SqliteRow) -> Result<Job, sqlx::Error> {
    Ok(job_from_row!(row))
}
