//! The sync area's reads and writes of its jobs (the rows themselves belong to `jobs`).

use crate::store::{Store, StoreResult, with_pool};

/// A backfill job that is queued or running.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BackfillRow {
    /// `queued` or `running`.
    pub state: String,
    /// The job's progress JSON, once it reported some.
    pub progress: Option<String>,
    /// The error its last attempt ended with, if it is being retried.
    pub last_error: Option<String>,
}

impl Store {
    /// Moves a queued job's run time forward to `now_ms` if it was scheduled later.
    pub(crate) async fn pull_job_forward(
        &self,
        job_id: &crate::jobs::JobId,
        now_ms: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE jobs SET run_at = $1 WHERE id = $2 AND state = 'queued' AND run_at > $1"
        )
        .bind(now_ms)
        .bind(job_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The newest queued or running job with this dedup key.
    pub(crate) async fn backfill_job(&self, dedup_key: &str) -> StoreResult<Option<BackfillRow>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT state, progress, last_error FROM jobs WHERE dedup_key = $1 AND state IN ('queued', 'running') ORDER BY created_at DESC LIMIT 1"
        )
        .bind(dedup_key)
        .fetch_optional(p)
        .await
        })?)
    }
}
