//! Scheduling and publishing: the composer's preflight, hosted media, drafts and the queue, and
//! the exactly-once publisher job.

pub mod approvals;
pub(crate) mod bulk;
pub(crate) mod calendar;
pub(crate) mod compose;
pub mod evergreen;
pub mod feeds;
pub mod followups;
pub(crate) mod media;
mod plan;
pub(crate) mod progress;
pub mod publisher;
pub(crate) mod quota;
mod reconnect;
mod recover;
pub mod recurring;
pub(crate) mod service;
mod start;
pub(crate) mod state;
mod steps;
pub(crate) mod store;
pub(crate) mod suggest;
pub(crate) mod when;

pub use plan::retime_all;
pub use state::{PostKind, PostMedia, PostState, Standing};

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::app::AppState;
use crate::clock::now_unix;
use crate::error::AppResult;
use crate::jobs::{JobContext, JobError, Runner, handler_fn};

/// Vault purpose of sealed post content.
pub const PURPOSE: &str = "planned-post";
/// Job kind of the safety sweep.
pub const SWEEP: &str = "publishing_sweep";
/// How often the sweep runs.
const SWEEP_EVERY: Duration = Duration::from_secs(60);

/// Registers the publisher and the sweep, and makes sure the sweep is pending.
pub fn register_jobs(runner: Runner, state: &AppState) -> Runner {
    let publish_state = state.clone();
    let gate = Arc::new(quota::Gate::default());
    let sweep_state = state.clone();
    let runner = recurring::register(runner, state);
    let runner = feeds::register(runner, state);
    let runner = evergreen::register(runner, state);
    let runner = followups::register(runner, state);
    runner
        .recurring(SWEEP, std::time::Duration::from_secs(1))
        .register(
            publisher::KIND,
            handler_fn(move |ctx| {
                let (state, gate) = (publish_state.clone(), gate.clone());
                async move { publisher::handle(state, &gate, ctx).await }
            }),
        )
        .register(
            SWEEP,
            handler_fn(move |ctx| sweep(sweep_state.clone(), ctx)),
        )
}

/// A profile's posting slots.
pub async fn slots(state: &AppState, profile_id: &str) -> AppResult<Vec<when::Slot>> {
    Ok(state
        .store
        .posting_slots(profile_id)
        .await?
        .into_iter()
        .map(|(w, m)| when::Slot {
            weekday: w as u8,
            minute: m as u16,
        })
        .collect())
}

/// Replaces a profile's posting slots, given as (weekday, minute).
pub async fn set_slots(state: &AppState, profile_id: &str, slots: &[(i64, i64)]) -> AppResult<()> {
    Ok(state.store.set_posting_slots(profile_id, slots).await?)
}

/// One of the workspace's profiles.
pub async fn profile_of(
    state: &AppState,
    workspace_id: &crate::domain::WorkspaceId,
    profile_id: &str,
) -> AppResult<Option<crate::store::profiles::ProfileRecord>> {
    Ok(state
        .store
        .profile_of(workspace_id, &crate::domain::ProfileId::from(profile_id))
        .await?)
}

/// The workspace's profiles, for a choice of profile.
pub async fn profiles_for(
    state: &AppState,
    workspace_id: &crate::domain::WorkspaceId,
) -> AppResult<Vec<crate::store::profiles::ProfileRecord>> {
    Ok(state.store.profiles_of(workspace_id).await?)
}

/// Safety net: every post due within the next minute has a publisher run (a run lost to a
/// failed enqueue is recreated; the dedup key makes this a no-op otherwise), and files of
/// deleted accounts are removed.
async fn sweep(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    let due = state
        .store
        .due_planned_posts(now_unix() + SWEEP_EVERY.as_secs() as i64)
        .await
        .map_err(|e| JobError::retry(e.to_string()))?;
    for post in due {
        let at = post.scheduled_at.unwrap_or_else(now_unix);
        let job = service::publish_job(&post, at);
        let key = job.dedup_key.clone().unwrap_or_default();
        let died = state
            .jobs
            .died_under(&key)
            .await
            .map_err(|e| JobError::retry(e.to_string()))?;
        if let Some(error) = died {
            // Its run used up its attempts: the user is told, never left with "scheduled".
            let reason = format!(
                "ThredOps could not publish this post after several tries ({}). Press Retry to try again; anything already on Threads is checked first, never posted twice.",
                error.trim_end_matches('.')
            );
            publisher::fail(&state, &post, &reason).await?;
            continue;
        }
        state
            .jobs
            .enqueue(job)
            .await
            .map_err(|e| JobError::retry(e.to_string()))?;
    }
    if let Err(e) = reconnect::warn_due_soon(&state).await {
        tracing::warn!(error = %format!("{e:#}"), "could not warn about posts on profiles that need reconnecting");
    }
    if let Err(e) = media::sweep_orphans(&state).await {
        tracing::warn!(error = %e, "could not sweep media of deleted accounts");
    }
    if let Err(e) = ctx.report_progress(&json!({"at": now_unix()})).await {
        tracing::debug!(error = %e, "sweep progress not recorded");
    }
    ctx.schedule_next(crate::clock::now_ms() + SWEEP_EVERY.as_millis() as i64);
    Ok(())
}

/// The profile's remaining 24-hour quota as Threads reports it.
pub async fn quota(
    state: &AppState,
    profile: &crate::store::profiles::ProfileRecord,
) -> AppResult<serde_json::Value> {
    let token = crate::services::profiles::access_token(state, profile).await?;
    let Some(token) =
        token.filter(|_| profile.status == crate::store::profiles::ProfileStatus::Active)
    else {
        return Err(crate::error::AppError::Conflict(
            "This profile needs reconnecting before its quota can be read.".into(),
        ));
    };
    let session = state.threads.client.session(token);
    let all = ["quota_usage", "config", "reply_quota_usage", "reply_config"];
    let limit = match session.publishing_limit_fields(&all).await {
        Ok(l) => l,
        // Reply usage may need a scope the profile did not grant; the post quota alone is enough.
        Err(_) => session
            .publishing_limit_fields(&["quota_usage", "config"])
            .await
            .map_err(|e| anyhow::anyhow!("reading the publishing quota: {e}"))?,
    };
    Ok(json!({
        "posts_remaining": limit.posts_remaining(),
        "posts_total": limit.config.map(|c| c.quota_total),
        "replies_remaining": limit.replies_remaining(),
    }))
}
