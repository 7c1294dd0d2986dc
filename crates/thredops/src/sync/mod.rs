//! The sync engine: backfill, incremental sync, daily snapshots and token refresh, each a durable
//! job per profile so the work survives restarts and is shared across instances.

pub mod decay;
pub mod engine;
pub(crate) mod features;
mod handlers;
mod store;

use serde_json::Value;

use crate::app::AppState;
use crate::domain::{ProfileId, WorkspaceId};
use crate::error::AppResult;
use crate::jobs::{self, NewJob};
use crate::store::{StoreResult, Tx};

pub use handlers::{DAILY_CALL_BUDGET, register};

/// Job kinds.
pub mod kind {
    /// Full history after connecting.
    pub const BACKFILL: &str = "threads.backfill";
    /// Hourly: new posts and metrics that are due.
    pub const SYNC: &str = "threads.sync";
    /// Daily: followers, totals and demographics.
    pub const SNAPSHOT: &str = "threads.snapshot";
    /// Twice a day: refresh the long-lived token well before it expires.
    pub const TOKEN: &str = "threads.token";
}

/// The dedup key of a profile's job of `kind`: one of each per profile at a time.
pub fn dedup_key(kind: &str, profile_id: &ProfileId) -> String {
    format!("{kind}:{profile_id}")
}

const HOUR_MS: i64 = 3_600_000;

/// Enqueues, inside the connection's transaction, the backfill and the recurring jobs.
pub async fn schedule_after_connect(
    tx: &mut Tx,
    workspace_id: &WorkspaceId,
    profile_id: &ProfileId,
    _now: i64,
) -> StoreResult<()> {
    let now_ms = crate::clock::now_ms();
    let payload = serde_json::json!({"profile_id": profile_id});
    for (kind, delay_ms, attempts) in [
        (kind::BACKFILL, 0, 25),
        (kind::SYNC, HOUR_MS, 10),
        (kind::SNAPSHOT, 24 * HOUR_MS, 10),
        (kind::TOKEN, 12 * HOUR_MS, 10),
    ] {
        let job = NewJob::new(kind, payload.clone())
            .run_at(now_ms + delay_ms)
            .dedup_key(dedup_key(kind, profile_id))
            .max_attempts(attempts)
            .user(workspace_id)
            .subject(profile_id);
        jobs::enqueue(tx, &job).await?;
    }
    Ok(())
}

/// Asks for an immediate incremental sync ("Sync now"); a pending one is reused.
pub async fn sync_now(
    state: &AppState,
    workspace_id: &WorkspaceId,
    profile_id: &ProfileId,
) -> StoreResult<crate::jobs::JobId> {
    let payload = serde_json::json!({"profile_id": profile_id});
    let job = NewJob::new(kind::SYNC, payload)
        .dedup_key(dedup_key(kind::SYNC, profile_id))
        .max_attempts(10)
        .user(workspace_id)
        .subject(profile_id);
    let id = state.jobs.enqueue(job).await?;
    // A pending hourly run may be scheduled later: pull it forward.
    state
        .store
        .pull_job_forward(&id, crate::clock::now_ms())
        .await?;
    state.jobs.notify();
    Ok(id)
}

/// Progress of a backfill that is queued or running, for the profile page and the API.
pub async fn progress(state: &AppState, profile_id: &ProfileId) -> AppResult<Option<Value>> {
    let key = dedup_key(kind::BACKFILL, profile_id);
    let row = state.store.backfill_job(&key).await?;
    Ok(row.map(|job| {
        let mut v = job
            .progress
            .and_then(|p| serde_json::from_str::<Value>(&p).ok())
            .unwrap_or_else(|| serde_json::json!({}));
        v["job_state"] = Value::from(job.state);
        if let Some(e) = job.last_error {
            v["retrying_after_error"] = Value::from(e);
        }
        v
    }))
}

/// Cancels every queued job of a profile (disconnect, deletion).
pub async fn cancel_for_profile(state: &AppState, profile_id: &ProfileId) -> StoreResult<u64> {
    state.jobs.cancel_for_subject(profile_id).await
}
