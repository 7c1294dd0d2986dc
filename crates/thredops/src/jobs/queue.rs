//! The queue: enqueueing (also inside a business transaction) and the life-cycle writes.
//!
//! Every write about a claimed job matches on the full [`Lease`] (owner and attempt) and on
//! `state = 'running'`, so a worker whose lease lapsed, was reclaimed or was cancelled changes
//! nothing.

use std::sync::{Arc, Weak};
use std::time::Duration;

use sqlx::Row;
use tokio::sync::Notify;

use super::{Backoff, FailOutcome, JobError, JobId, Lease, NewJob};
use crate::clock::now_ms;
use crate::store::{Store, StoreError, StoreResult, Tx, with_pool, with_tx};

/// Marks a leased run succeeded, on a pool or a transaction's connection: rows changed.
macro_rules! complete_statement {
    ($executor:expr, $lease:expr) => {
        sqlx::query(
            "UPDATE jobs SET state = 'succeeded', lease_expires_at = NULL, finished_at = $4, updated_at = $4 \
             WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND state = 'running'",
        )
        .bind(&$lease.job_id)
        .bind(&$lease.owner)
        .bind($lease.attempt)
        .bind(now_ms())
        .execute($executor)
        .await
        .map(|r| r.rows_affected())
    };
}

/// Longest `last_error` kept; handler messages are for humans, not logs of record.
const MAX_ERROR_CHARS: usize = 2_000;

/// The durable job queue over the application's store. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Queue {
    pub(super) store: Store,
    pub(super) backoff: Backoff,
    lanes: Arc<Lanes>,
}

/// The wake-up signals of this process's runners (weak: a dropped runner's signal goes away).
/// Each runner's dispatcher waits on its own lane, so an enqueue wakes every runner rather than
/// one that may not run the job's kind.
#[derive(Debug, Default)]
struct Lanes(std::sync::Mutex<Vec<Weak<Notify>>>);

impl Lanes {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Weak<Notify>>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Enqueues `job` inside the caller's transaction, so it exists only if the business change
/// commits. Returns the new job's id, or the live job's id when its dedup key is taken.
///
/// Call [`Queue::notify`] after committing to wake this process's runners at once.
pub async fn enqueue(tx: &mut Tx, job: &NewJob) -> StoreResult<JobId> {
    let payload = job.payload.to_string();
    let now = now_ms();
    // Another transaction may finish the key's holder between our insert and select; a few
    // rounds settle it.
    for _ in 0..3 {
        let id = JobId::new(uuid::Uuid::new_v4().to_string());
        let inserted = with_tx!(tx, |c| {
            sqlx::query(
            "INSERT INTO jobs (id, kind, payload, state, run_at, attempts, max_attempts, dedup_key, user_id, subject, created_at, updated_at) \
             VALUES ($1, $2, $3, 'queued', $4, 0, $5, $6, $7, $8, $9, $9) ON CONFLICT DO NOTHING"
        )
        .bind(&id)
        .bind(&job.kind)
        .bind(&payload)
        .bind(job.run_at)
        .bind(job.max_attempts.max(1))
        .bind(job.dedup_key.as_deref())
        .bind(job.user_id.as_deref())
        .bind(job.subject.as_deref())
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
        })?;
        if inserted == 1 {
            return Ok(id);
        }
        let Some(key) = job.dedup_key.as_deref() else {
            return Err(StoreError::Conflict);
        };
        let live = with_tx!(tx, |c| sqlx::query(
            "SELECT id FROM jobs WHERE dedup_key = $1 AND state IN ('queued', 'running')"
        )
        .bind(key)
        .fetch_optional(c)
        .await
        .and_then(|row| row.map(|r| r.try_get::<JobId, _>(0)).transpose()))?;
        if let Some(existing) = live {
            return Ok(existing);
        }
    }
    Err(StoreError::Conflict)
}

impl Queue {
    /// A queue over `store` with the default backoff.
    pub fn new(store: Store) -> Self {
        Self {
            store,
            backoff: Backoff::default(),
            lanes: Arc::default(),
        }
    }

    /// Sets the retry backoff.
    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    /// The underlying store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Wakes each runner of this process that is waiting for work (other instances find the
    /// job on their next poll).
    pub fn notify(&self) {
        for lane in self.lanes.lock().iter().filter_map(Weak::upgrade) {
            lane.notify_one();
        }
    }

    /// A new lane: the signal a runner waits on for work. The runner owns it.
    pub(super) fn add_lane(&self) -> Arc<Notify> {
        let lane = Arc::new(Notify::new());
        let mut lanes = self.lanes.lock();
        lanes.retain(|l| l.strong_count() > 0);
        lanes.push(Arc::downgrade(&lane));
        lane
    }

    /// Enqueues `job` in its own transaction; see [`enqueue`] for the dedup rule.
    pub async fn enqueue(&self, job: NewJob) -> StoreResult<JobId> {
        let mut tx = self.store.begin().await?;
        let id = enqueue(&mut tx, &job).await?;
        tx.commit().await?;
        self.notify();
        Ok(id)
    }

    /// Makes sure one run of a recurring `kind` is pending under `dedup_key`, first at `run_at_ms`.
    /// Safe to call from every instance at start-up; handlers keep the chain going with
    /// [`JobContext::schedule_next`](super::JobContext::schedule_next).
    pub async fn ensure_recurring(
        &self,
        kind: &str,
        dedup_key: &str,
        run_at_ms: i64,
    ) -> StoreResult<JobId> {
        self.enqueue(
            NewJob::new(kind, serde_json::json!({}))
                .dedup_key(dedup_key)
                .run_at(run_at_ms),
        )
        .await
    }

    /// Marks the leased run succeeded. False when the lease is no longer ours.
    pub async fn complete(&self, lease: &Lease) -> StoreResult<bool> {
        // One statement: no transaction (its BEGIN and COMMIT would cost two round trips).
        let n = with_pool!(self.store, |p| complete_statement!(p, lease))?;
        Ok(n == 1)
    }

    /// Marks the leased run succeeded and enqueues `next` in the same transaction, so a recurring
    /// job's dedup key is free for its successor and the chain cannot break between the two.
    /// `None` when the lease is no longer ours (nothing is written).
    pub async fn complete_and_enqueue(
        &self,
        lease: &Lease,
        next: &NewJob,
    ) -> StoreResult<Option<JobId>> {
        let mut tx = self.store.begin().await?;
        if !complete_in(&mut tx, lease).await? {
            tx.rollback().await?;
            return Ok(None);
        }
        let id = enqueue(&mut tx, next).await?;
        tx.commit().await?;
        self.notify();
        Ok(Some(id))
    }

    /// Records a failed attempt: requeued after backoff (no sooner than the error's hint), or dead
    /// when the error is permanent or the attempts are spent.
    pub async fn fail(&self, lease: &Lease, error: &JobError) -> StoreResult<FailOutcome> {
        let (reason, hint) = match error {
            JobError::Retry { reason, after } => (reason.as_str(), *after),
            JobError::Permanent(reason) => (reason.as_str(), None),
        };
        let now = now_ms();
        let delay = self.backoff.delay(lease.attempt, hint);
        let run_at = now.saturating_add(i64::try_from(delay.as_millis()).unwrap_or(i64::MAX));
        let reason = truncate(reason);
        let state: Option<String> = with_pool!(self.store, |p| {
            sqlx::query(
            "UPDATE jobs SET \
                 state = CASE WHEN $4 OR attempts >= max_attempts THEN 'dead' ELSE 'queued' END, \
                 run_at = CASE WHEN $4 OR attempts >= max_attempts THEN run_at ELSE $5 END, \
                 finished_at = CASE WHEN $4 OR attempts >= max_attempts THEN $6 ELSE NULL END, \
                 lease_owner = CASE WHEN $4 OR attempts >= max_attempts THEN lease_owner ELSE NULL END, \
                 lease_expires_at = NULL, last_error = $7, updated_at = $6 \
             WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND state = 'running' \
             RETURNING state"
        )
        .bind(&lease.job_id)
        .bind(&lease.owner)
        .bind(lease.attempt)
        .bind(error.is_permanent())
        .bind(run_at)
        .bind(now)
        .bind(reason)
        .fetch_optional(p)
        .await
        .and_then(|row| row.map(|r| r.try_get::<String, _>(0)).transpose())
        })?;
        Ok(match state.as_deref() {
            None => FailOutcome::LeaseLost,
            Some("dead") => FailOutcome::Dead,
            Some(_) => FailOutcome::Retrying { run_at },
        })
    }

    /// Heartbeat: the lease now ends `duration` from now. False when it is no longer ours.
    pub async fn extend_lease(&self, lease: &Lease, duration: Duration) -> StoreResult<bool> {
        let now = now_ms();
        let until = now.saturating_add(millis(duration));
        let n = with_pool!(self.store, |p| sqlx::query(
            "UPDATE jobs SET lease_expires_at = $4, updated_at = $5 \
             WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND state = 'running'"
        )
        .bind(&lease.job_id)
        .bind(&lease.owner)
        .bind(lease.attempt)
        .bind(until)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Stores the handler's progress for status displays. False when the lease is no longer ours.
    pub async fn report_progress(
        &self,
        lease: &Lease,
        progress: &serde_json::Value,
    ) -> StoreResult<bool> {
        let n = with_pool!(self.store, |p| sqlx::query(
            "UPDATE jobs SET progress = $4, updated_at = $5 \
             WHERE id = $1 AND lease_owner = $2 AND attempts = $3 AND state = 'running'"
        )
        .bind(&lease.job_id)
        .bind(&lease.owner)
        .bind(lease.attempt)
        .bind(progress.to_string())
        .bind(now_ms())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Graceful shutdown: hands `owner`'s running jobs back to the queue, runnable at once, without
    /// counting the interrupted attempt. Returns how many were released.
    pub async fn release(&self, owner: &str) -> StoreResult<u64> {
        Ok(with_pool!(self.store, |p| {
            sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, \
                 lease_owner = NULL, lease_expires_at = NULL, updated_at = $2 \
             WHERE lease_owner = $1 AND state = 'running'"
        )
        .bind(owner)
        .bind(now_ms())
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?)
    }

    /// [`release`](Self::release) for every claim of runner `instance` (claims are made as
    /// `<instance>/<claim number>`) in one statement.
    pub async fn release_instance(&self, instance: &str) -> StoreResult<u64> {
        let pattern = format!("{instance}/%");
        Ok(with_pool!(self.store, |p| {
            sqlx::query(
            "UPDATE jobs SET state = 'queued', attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END, \
                 lease_owner = NULL, lease_expires_at = NULL, updated_at = $2 \
             WHERE lease_owner LIKE $1 AND state = 'running'"
        )
        .bind(&pattern)
        .bind(now_ms())
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?)
    }

    /// Moves running jobs whose lease lapsed on their last allowed attempt to the dead-letter list
    /// (a job that kills its worker every time must not loop forever). Returns how many.
    pub async fn reap_expired(&self, now_ms: i64) -> StoreResult<u64> {
        Ok(with_pool!(self.store, |p| {
            sqlx::query(
            "UPDATE jobs SET state = 'dead', last_error = 'lease expired on the last attempt (worker stopped or hung)', \
                 lease_expires_at = NULL, finished_at = $1, updated_at = $1 \
             WHERE state = 'running' AND lease_expires_at < $1 AND attempts >= max_attempts"
        )
        .bind(now_ms)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?)
    }
}

async fn complete_in(tx: &mut Tx, lease: &Lease) -> StoreResult<bool> {
    let n = with_tx!(tx, |c| complete_statement!(c, lease))?;
    Ok(n == 1)
}

fn truncate(s: &str) -> &str {
    match s.char_indices().nth(MAX_ERROR_CHARS) {
        Some((at, _)) => &s[..at],
        None => s,
    }
}

pub(super) fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
