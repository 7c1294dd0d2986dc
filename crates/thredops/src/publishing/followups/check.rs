//! The auto-plug checker: a recurring job that looks at each watched post every
//! [`CHECK_EVERY`] while its window is open, within the profile's daily call budget.
//!
//! A check reuses the metrics sync stored for the post when they are newer than
//! [`CHECK_EVERY`]; otherwise it makes one insights call, counted against the profile's budget
//! like sync's calls. Passing the threshold moves the row from `watching` to `sent` and stores
//! the reply post (due now) in one transaction, so a post is plugged once however many checkers
//! run; a window that closes below the threshold is marked `missed` with the last count.

use std::time::Duration;

use anyhow::Context;

use serde_json::json;
use threads_api::MediaId;

use super::store::FollowupRecord;
use super::{Metric, reply_post};
use crate::app::AppState;
use crate::clock::now_unix;
use crate::jobs::{JobContext, JobError, Runner, handler_fn};
use crate::publishing::PURPOSE;
use crate::sync::DAILY_CALL_BUDGET;

/// Job kind of the checker.
pub const CHECK: &str = "auto_plug_check";
/// How often one post is looked at while its window is open.
pub const CHECK_EVERY: Duration = Duration::from_secs(15 * 60);
/// How long a claimed check holds its post: a checker killed mid-check leaves it to the next
/// checker after this, not after a whole [`CHECK_EVERY`] (a plug due then would go out late).
const CLAIM_FOR: Duration = Duration::from_secs(120);
/// How often the checker wakes up to find posts due for a look.
const TICK: Duration = Duration::from_secs(60);
/// Posts looked at per wake-up (the rest wait for the next).
const BATCH: i64 = 200;

pub(super) fn register(runner: Runner, state: &AppState) -> Runner {
    let state = state.clone();
    runner
        .recurring(CHECK, Duration::from_secs(5))
        .register(CHECK, handler_fn(move |ctx| check_job(state.clone(), ctx)))
}

async fn check_job(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    let checked = check_due(&state)
        .await
        .map_err(|e| JobError::retry(format!("{e:#}")))?;
    if let Err(e) = ctx.report_progress(&json!({"checked": checked})).await {
        tracing::debug!(error = %e, "auto-plug progress not recorded");
    }
    ctx.schedule_next(crate::clock::now_ms() + TICK.as_millis() as i64);
    Ok(())
}

/// Looks at every auto-plug due for a check; returns how many were looked at.
pub async fn check_due(state: &AppState) -> anyhow::Result<usize> {
    let now = state.threads.now().timestamp();
    let due = state
        .store
        .claim_due_autoplugs(now, now + CLAIM_FOR.as_secs() as i64, BATCH)
        .await?;
    let count = due.len();
    for f in due {
        if let Err(e) = check_one(state, &f, now).await {
            tracing::warn!(error = %format!("{e:#}"), post_id = %f.parent_post_id, "auto-plug check failed; trying again at the next check");
        }
    }
    Ok(count)
}

async fn check_one(state: &AppState, f: &FollowupRecord, now: i64) -> anyhow::Result<()> {
    let metric = f.metric.unwrap_or_default();
    let threshold = f.threshold.unwrap_or(i64::MAX);
    let closed = f.window_ends_at.is_some_and(|end| now >= end);
    let value = current_value(state, f, metric, now).await?;
    match value {
        Some(v) if v >= threshold => send(state, f, v, now).await,
        _ => {
            state
                .store
                .record_autoplug_check(
                    &f.parent_post_id,
                    value,
                    now,
                    now + CHECK_EVERY.as_secs() as i64,
                    closed,
                )
                .await?;
            Ok(())
        }
    }
}

/// The count now: sync's stored metrics when fresh, else one insights call within the budget.
/// None when it cannot be known now (no access, budget spent, Threads did not answer).
async fn current_value(
    state: &AppState,
    f: &FollowupRecord,
    metric: Metric,
    now: i64,
) -> anyhow::Result<Option<i64>> {
    let fresh_after = now - CHECK_EVERY.as_secs() as i64;
    if let Some(v) = state
        .store
        .stored_metric(
            &f.profile_id,
            &f.parent_media_id,
            metric.as_str(),
            fresh_after,
        )
        .await?
    {
        return Ok(Some(v));
    }
    let Some(profile) = state
        .store
        .profile(&crate::domain::ProfileId::from(f.profile_id.as_str()))
        .await?
    else {
        return Ok(None);
    };
    if profile.status != crate::store::profiles::ProfileStatus::Active {
        return Ok(None);
    }
    let used = state
        .store
        .api_calls_since(
            &crate::domain::ProfileId::from(f.profile_id.as_str()),
            now - 24 * 3600,
        )
        .await?;
    if used >= DAILY_CALL_BUDGET {
        return Ok(None);
    }
    let Some(token) = crate::services::profiles::access_token(state, &profile)
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?
    else {
        return Ok(None);
    };
    let session = state.threads.client.session(token);
    let answer = session
        .media_insights(&MediaId::new(f.parent_media_id.as_str()))
        .await;
    state
        .store
        .add_api_calls(
            &crate::domain::ProfileId::from(f.profile_id.as_str()),
            now,
            1,
        )
        .await
        .context("counting the insights call")?;
    let Ok(m) = answer else {
        return Ok(None);
    };
    let v = match metric {
        Metric::Likes => m.likes,
        Metric::Views => m.views,
    };
    Ok(v.map(|v| i64::try_from(v).unwrap_or(i64::MAX)))
}

/// Creates the auto-plug's reply, due now, once.
async fn send(state: &AppState, f: &FollowupRecord, value: i64, now: i64) -> anyhow::Result<()> {
    let Some(key) = state.vault.existing_key(&f.user_id).await? else {
        return Ok(());
    };
    let text = key.open_string(
        PURPOSE,
        &super::store::text_subject(&f.parent_post_id, f.kind),
        &f.text_enc,
    )?;
    let Some(parent) = state.store.planned_post(&f.parent_post_id).await? else {
        return Ok(());
    };
    let timezone = state
        .store
        .user_by_id(&f.user_id.owner())
        .await?
        .and_then(|u| u.timezone);
    let child = reply_post(
        state,
        &parent,
        &text,
        &f.parent_media_id,
        now_unix(),
        timezone.as_deref(),
    )
    .await?;
    if state
        .store
        .send_autoplug(&f.parent_post_id, value, now, &child)
        .await
        .context("storing the auto-plug's reply")?
    {
        let message = format!(
            "Auto-plug: the post passed {} {}; this reply goes out now.",
            crate::domain::format::integer(value),
            metric_name(f)
        );
        super::note_created(state, &child, &message).await;
        if let Err(e) = crate::publishing::plan::enqueue_if_scheduled(state, &child).await {
            tracing::warn!(error = %e, post_id = %child.id, "could not enqueue an auto-plug; the sweep will");
        }
    }
    Ok(())
}

fn metric_name(f: &FollowupRecord) -> &'static str {
    f.metric.unwrap_or_default().as_str()
}
