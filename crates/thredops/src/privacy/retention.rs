//! Inactivity retention: a daily job warns users whose account has gone unused for the configured
//! period minus the warning window, then purges the Meta API data of those past the limit.

use chrono::{TimeZone, Utc};

use super::purge::{self, Source};
use crate::app::AppState;
use crate::domain::UserId;
use crate::jobs::{JobContext, JobError};
use crate::mail::Email;

/// Job kind of the daily sweep.
pub const KIND: &str = "privacy.retention";

const DAY_MS: i64 = 86_400_000;

/// What one sweep did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Sweep {
    /// Users warned.
    pub warned: usize,
    /// Users whose Meta data was purged.
    pub purged: usize,
}

/// How long after start-up the first sweep runs.
pub const FIRST_RUN_AFTER: std::time::Duration = std::time::Duration::from_secs(60);

/// Makes sure the daily sweep is scheduled (idempotent across instances; the job runner does
/// this at start).
pub async fn ensure_scheduled(state: &AppState) -> crate::store::StoreResult<crate::jobs::JobId> {
    let first = crate::clock::now_ms() + FIRST_RUN_AFTER.as_millis() as i64;
    state.jobs.ensure_recurring(KIND, KIND, first).await
}

/// The job handler: one sweep at the current time, then the next run a day later.
pub async fn run_job(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    sweep(&state, crate::clock::now_unix())
        .await
        .map_err(|e| JobError::retry(format!("{e:#}")))?;
    ctx.schedule_next(crate::clock::now_ms() + DAY_MS);
    Ok(())
}

fn day(ts: i64) -> String {
    Utc.timestamp_opt(ts, 0)
        .single()
        .map(|t| t.format("%-d %B %Y").to_string())
        .unwrap_or_default()
}

/// Warns and purges as of `now` (Unix seconds; injected so tests can move time).
pub async fn sweep(state: &AppState, now: i64) -> anyhow::Result<Sweep> {
    let limit = state.settings.privacy.inactive_after.as_secs() as i64;
    let warn = state.settings.privacy.warn_before.as_secs() as i64;
    let mut done = Sweep::default();
    for user in state
        .store
        .inactive_users_with_meta_data(now - (limit - warn))
        .await?
    {
        let purge_at = user.last_active_at + limit;
        if now >= purge_at {
            if purge::purge_meta_data(state, &user.id, Source::Retention)
                .await?
                .is_some()
            {
                let message = format!(
                    "Your account was not used since {}, so the Threads data it held was deleted, as our privacy policy promises. Your ThredOps account remains; connect your profile again to start over.",
                    day(user.last_active_at)
                );
                notify(
                    state,
                    &user.id,
                    &user.email,
                    "inactivity_purge",
                    &format!(
                        "Your Threads data was deleted after {} days without use",
                        limit / 86_400
                    ),
                    &message,
                    now,
                )
                .await?;
                done.purged += 1;
            }
        } else if user.warned_for != Some(user.last_active_at) {
            let message = format!(
                "Your account has not been used since {}. Unless you sign in before {}, the Threads data ThredOps holds for you will be deleted.",
                day(user.last_active_at),
                day(purge_at)
            );
            notify(
                state,
                &user.id,
                &user.email,
                "inactivity_warning",
                "Your Threads data will be deleted unless you sign in",
                &message,
                now,
            )
            .await?;
            state
                .store
                .record_inactivity_warning(&user.id, user.last_active_at, now, purge_at)
                .await?;
            done.warned += 1;
        }
    }
    if done != Sweep::default() {
        tracing::info!(
            warned = done.warned,
            purged = done.purged,
            "retention sweep"
        );
    }
    Ok(done)
}

async fn notify(
    state: &AppState,
    user_id: &UserId,
    email: &str,
    kind: &str,
    subject: &str,
    message: &str,
    now: i64,
) -> anyhow::Result<()> {
    state.store.add_notice(user_id, kind, message, now).await?;
    let sent = state
        .mailer
        .send(&Email {
            to: email.to_owned(),
            subject: subject.to_owned(),
            body: format!("{message}\n\n{}", state.settings.privacy.operator_name),
        })
        .await;
    // The in-app notice is already stored; a mail outage must not stop the purge schedule.
    if let Err(e) = sent {
        tracing::warn!(error = %format!("{e:#}"), "retention mail could not be sent");
    }
    Ok(())
}
