//! Housekeeping and admin operations: cancelling and purging work, the dead-letter list, depth
//! counts and single-job lookups.

use sqlx::Row;

use super::{Job, JobId, KindCount, Queue};
use crate::clock::now_ms;
use crate::domain::WorkspaceId;
use crate::store::{StoreResult, with_pool};

impl Queue {
    /// Cancels one live job. False if it was not queued or running.
    pub async fn cancel(&self, id: &JobId) -> StoreResult<bool> {
        Ok(self.cancel_where(CancelBy::Id, id).await? == 1)
    }

    /// Cancels every queued or running job of an account. A running handler notices at its next
    /// heartbeat and is stopped; its late writes are refused. Returns how many.
    pub async fn cancel_for_user(&self, workspace_id: &WorkspaceId) -> StoreResult<u64> {
        self.cancel_where(CancelBy::User, workspace_id).await
    }

    /// Cancels every queued or running job about `subject` (e.g. a disconnected profile).
    pub async fn cancel_for_subject(&self, subject: &str) -> StoreResult<u64> {
        self.cancel_where(CancelBy::Subject, subject).await
    }

    async fn cancel_where(&self, by: CancelBy, value: &str) -> StoreResult<u64> {
        // One literal per column rather than a formatted statement: values are always bound.
        let sql = match by {
            CancelBy::Id => {
                "UPDATE jobs SET state = 'cancelled', lease_expires_at = NULL, finished_at = $2, updated_at = $2 WHERE id = $1 AND state IN ('queued', 'running')"
            }
            CancelBy::User => {
                "UPDATE jobs SET state = 'cancelled', lease_expires_at = NULL, finished_at = $2, updated_at = $2 WHERE user_id = $1 AND state IN ('queued', 'running')"
            }
            CancelBy::Subject => {
                "UPDATE jobs SET state = 'cancelled', lease_expires_at = NULL, finished_at = $2, updated_at = $2 WHERE subject = $1 AND state IN ('queued', 'running')"
            }
        };
        Ok(with_pool!(self.store, |p| sqlx::query(sql)
            .bind(value)
            .bind(now_ms())
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?)
    }

    /// Deletes every job of an account, whatever its state (account deletion). Cancel first if
    /// workers may be running them. Returns how many.
    pub async fn purge_for_user(&self, workspace_id: &WorkspaceId) -> StoreResult<u64> {
        Ok(with_pool!(self.store, |p| sqlx::query(
            "DELETE FROM jobs WHERE user_id = $1"
        )
        .bind(workspace_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
    }

    /// Deletes succeeded and cancelled jobs that finished before `before_ms` (dead ones stay for
    /// the admin to inspect). Returns how many.
    pub async fn purge_finished(&self, before_ms: i64) -> StoreResult<u64> {
        Ok(with_pool!(self.store, |p| sqlx::query(
            "DELETE FROM jobs WHERE state IN ('succeeded', 'cancelled') AND finished_at < $1"
        )
        .bind(before_ms)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
    }

    /// When the newest job under `dedup_key` is dead (its attempts used up), its last error.
    pub async fn died_under(&self, dedup_key: &str) -> StoreResult<Option<String>> {
        let newest: Option<(String, Option<String>)> = with_pool!(self.store, |p| {
            sqlx::query_as(
                "SELECT state, last_error FROM jobs WHERE dedup_key = $1 \
                 ORDER BY created_at DESC, id DESC LIMIT 1",
            )
            .bind(dedup_key)
            .fetch_optional(p)
            .await
        })?;
        Ok(newest
            .filter(|(state, _)| state == "dead")
            .map(|(_, error)| error.unwrap_or_default()))
    }

    /// The dead-letter list, most recent first, with `last_error`, for an admin view.
    pub async fn dead_jobs(&self, limit: i64) -> StoreResult<Vec<Job>> {
        let sql = concat!(
            "SELECT ",
            job_columns!(),
            " FROM jobs WHERE state = 'dead' ORDER BY finished_at DESC, id LIMIT $1"
        );
        Ok(with_pool!(self.store, |p| async {
            let rows = sqlx::query(sql).bind(limit).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(job_from_row!(row));
            }
            Ok::<_, sqlx::Error>(out)
        }
        .await)?)
    }

    /// Gives a dead job a fresh attempt budget, runnable now. False if it is not dead;
    /// `Conflict` if a live job already holds its dedup key.
    pub async fn retry_dead(&self, id: &JobId) -> StoreResult<bool> {
        let n = with_pool!(self.store, |p| sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = 0, run_at = $2, lease_owner = NULL, \
                 lease_expires_at = NULL, finished_at = NULL, updated_at = $2 \
             WHERE id = $1 AND state = 'dead'"
        )
        .bind(id)
        .bind(now_ms())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        if n == 1 {
            self.notify();
        }
        Ok(n == 1)
    }

    /// Number of jobs per (kind, state), for dashboards and the depth gauge.
    pub async fn counts(&self) -> StoreResult<Vec<KindCount>> {
        Ok(with_pool!(self.store, |p| {
            async {
            let rows = sqlx::query(
                "SELECT kind, state, COUNT(*) AS n FROM jobs GROUP BY kind, state ORDER BY kind, state",
            )
            .fetch_all(p)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                let state: String = row.try_get("state")?;
                out.push(KindCount {
                    kind: row.try_get("kind")?,
                    state: state.parse().map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
                    count: row.try_get("n")?,
                });
            }
            Ok::<_, sqlx::Error>(out)
        }
        .await
        })?)
    }

    /// One job, e.g. to show its progress.
    pub async fn get(&self, id: &JobId) -> StoreResult<Option<Job>> {
        let sql = concat!("SELECT ", job_columns!(), " FROM jobs WHERE id = $1");
        Ok(with_pool!(self.store, |p| async {
            match sqlx::query(sql).bind(id).fetch_optional(p).await? {
                Some(row) => Ok::<_, sqlx::Error>(Some(job_from_row!(&row))),
                None => Ok(None),
            }
        }
        .await)?)
    }
}

/// Which column a cancellation matches.
#[derive(Clone, Copy)]
enum CancelBy {
    Id,
    User,
    Subject,
}
