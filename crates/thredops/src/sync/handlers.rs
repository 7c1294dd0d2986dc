//! Job handlers of the sync engine.

use std::time::Duration;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use serde::Deserialize;
use serde_json::json;

use super::engine::{AsyncPageHook, SyncRun};
use super::kind;
use crate::app::AppState;
use crate::jobs::{self, JobContext, JobError, Runner, handler_fn};
use crate::services::profiles::purpose;

/// Calls a profile may use in 24 h. Meta allows at least 48,000; the rest is headroom for the
/// creator's other apps and for publishing.
pub const DAILY_CALL_BUDGET: i64 = 40_000;
/// Metric refreshes per hourly run (bounds one run's length; the rest waits for the next run).
const REFRESH_BATCH: i64 = 2_000;
/// Refresh a token when it has less than this left (and is at least a day old).
const REFRESH_WHEN_LEFT: i64 = 30 * 24 * 3600;

#[derive(Deserialize)]
struct ProfilePayload {
    profile_id: crate::domain::ProfileId,
}

/// Registers every sync handler on a runner.
pub fn register(runner: Runner, state: &AppState) -> Runner {
    let handler = |f: fn(AppState, JobContext) -> jobs::HandlerFuture<'static>| {
        let state = state.clone();
        handler_fn(move |ctx| f(state.clone(), ctx))
    };
    runner
        .register(kind::BACKFILL, handler(|s, c| Box::pin(backfill(s, c))))
        .register(kind::SYNC, handler(|s, c| Box::pin(incremental(s, c))))
        .register(kind::SNAPSHOT, handler(|s, c| Box::pin(snapshot(s, c))))
        .register(kind::TOKEN, handler(|s, c| Box::pin(refresh_token(s, c))))
}

async fn open(state: &AppState, ctx: &JobContext) -> Result<Option<SyncRun>, JobError> {
    let payload: ProfilePayload = ctx.payload_as()?;
    SyncRun::open(state, &payload.profile_id).await
}

async fn within_budget(run: &SyncRun) -> Result<(), JobError> {
    let since = run.now().timestamp() - 24 * 3600;
    let used = run
        .state
        .store
        .api_calls_since(&run.profile.id, since)
        .await?;
    if used >= DAILY_CALL_BUDGET {
        return Err(JobError::retry_after(
            format!(
                "this profile used {used} API calls in 24 hours; waiting for the budget to recover"
            ),
            Duration::from_secs(3600),
        ));
    }
    Ok(())
}

struct BackfillProgress<'a> {
    ctx: &'a JobContext,
    run: &'a SyncRun,
    pages: u64,
    started: std::time::Instant,
}

impl AsyncPageHook for BackfillProgress<'_> {
    async fn page_done(
        &mut self,
        after: Option<String>,
        stored: usize,
        reached: Option<DateTime<Utc>>,
    ) -> Result<(), JobError> {
        self.pages += 1;
        self.run
            .state
            .store
            .set_backfill_cursor(&self.run.profile.id, after.as_deref())
            .await?;
        let elapsed = self.started.elapsed().as_secs_f64();
        self.ctx
            .report_progress(&json!({
                "phase": "posts",
                "pages_fetched": self.pages,
                "posts_stored": stored,
                "reached": reached.map(|t| t.to_rfc3339()),
                "posts_per_second": if elapsed > 0.0 { (stored as f64 / elapsed * 10.0).round() / 10.0 } else { 0.0 },
                "api_calls": self.run.calls(),
            }))
            .await
    }
}

/// Full history: every post (resuming from the saved cursor), its metrics, the views series and
/// the first account snapshot.
async fn backfill(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    let Some(run) = open(&state, &ctx).await? else {
        return Ok(());
    };
    within_budget(&run).await?;
    let cursor = run.profile.backfill_cursor.clone();
    let hook = BackfillProgress {
        ctx: &ctx,
        run: &run,
        pages: 0,
        started: std::time::Instant::now(),
    };
    let result = run.walk_posts(cursor, 100, false, hook).await;
    let walked = match result {
        Ok(w) => w,
        Err(e) => {
            run.record_usage().await;
            return Err(e);
        }
    };
    ctx.report_progress(
        &json!({"phase": "account", "posts_stored": walked.0, "api_calls": run.calls()}),
    )
    .await?;
    let since = DateTime::from_timestamp(run.profile.connected_at, 0).unwrap_or_default()
        - ChronoDuration::days(730);
    let account = async {
        run.sync_views(since).await?;
        run.snapshot_account().await
    }
    .await;
    run.record_usage().await;
    let followers = account?;
    let newest = state.store.newest_post_at(&run.profile.id).await?;
    state
        .store
        .mark_synced(
            &run.profile.id,
            run.now().timestamp(),
            newest,
            Some(followers),
            true,
        )
        .await?;
    state
        .store
        .set_backfill_cursor(&run.profile.id, None)
        .await?;
    tracing::info!(profile_id = %run.profile.id, posts = walked.0, calls = run.calls(), "backfill finished");
    crate::webhooks::emit_or_log(
        &state,
        &run.profile.user_id,
        crate::webhooks::sync_completed(
            ctx.job_id(),
            &crate::domain::ProfileId::new(run.profile.id.as_str()),
            "backfill",
            run.now().timestamp(),
            walked.0,
        ),
    )
    .await;
    Ok(())
}

struct NoProgress;

impl AsyncPageHook for NoProgress {
    async fn page_done(
        &mut self,
        _: Option<String>,
        _: usize,
        _: Option<DateTime<Utc>>,
    ) -> Result<(), JobError> {
        Ok(())
    }
}

/// Hourly: posts published since the last run, then metrics that are due.
async fn incremental(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    let Some(run) = open(&state, &ctx).await? else {
        return Ok(());
    };
    ctx.schedule_next(crate::clock::now_ms() + 3_600_000);
    within_budget(&run).await?;
    let work = async {
        let (new_posts, _) = run.walk_posts(None, 25, true, NoProgress).await?;
        let refreshed = run.refresh_due(REFRESH_BATCH).await?;
        Ok::<_, JobError>((new_posts, refreshed))
    }
    .await;
    run.record_usage().await;
    let (new_posts, refreshed) = work?;
    let newest = state.store.newest_post_at(&run.profile.id).await?;
    let synced_at = run.now().timestamp();
    state
        .store
        .mark_synced(&run.profile.id, synced_at, newest, None, false)
        .await?;
    tracing::info!(profile_id = %run.profile.id, new_posts, refreshed, calls = run.calls(), "incremental sync finished");
    crate::webhooks::emit_or_log(
        &state,
        &run.profile.user_id,
        crate::webhooks::sync_completed(
            ctx.job_id(),
            &crate::domain::ProfileId::new(run.profile.id.as_str()),
            "incremental",
            synced_at,
            new_posts,
        ),
    )
    .await;
    // The inbox reads replies after the sync, which has just refreshed the replies counts.
    crate::inbox::poll::after_sync(&state, &run.profile).await?;
    Ok(())
}

/// Daily account snapshot.
async fn snapshot(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    let Some(run) = open(&state, &ctx).await? else {
        return Ok(());
    };
    ctx.schedule_next(crate::clock::now_ms() + 24 * 3_600_000);
    within_budget(&run).await?;
    let work = async {
        run.sync_views(run.now() - ChronoDuration::days(3)).await?;
        run.snapshot_account().await
    }
    .await;
    run.record_usage().await;
    let followers = work?;
    state
        .store
        .mark_synced(
            &run.profile.id,
            run.now().timestamp(),
            None,
            Some(followers),
            false,
        )
        .await?;
    Ok(())
}

/// Refreshes the long-lived token once it is a day old and within 30 days of expiry. A
/// transient failure retries (the profile stays connected); a refused token asks for reconnect.
async fn refresh_token(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    let Some(run) = open(&state, &ctx).await? else {
        return Ok(());
    };
    ctx.schedule_next(crate::clock::now_ms() + 12 * 3_600_000);
    let now = run.now().timestamp();
    let issued = run.profile.token_issued_at.unwrap_or(now);
    let expires = run.profile.token_expires_at.unwrap_or(now);
    if now - issued < 24 * 3600 || expires - now > REFRESH_WHEN_LEFT {
        return Ok(());
    }
    let token = crate::services::profiles::access_token(&state, &run.profile)
        .await
        .map_err(|e| JobError::retry(e.to_string()))?
        .ok_or_else(|| JobError::permanent("no token"))?;
    let refreshed = state
        .threads
        .fresh_client()
        .refresh_long_lived(&token, run.now())
        .await;
    run.record_usage().await;
    let refreshed = match refreshed {
        Ok(t) => t,
        Err(e) => return Err(run.api_error(e).await),
    };
    let key = state
        .vault
        .existing_key(&run.profile.user_id)
        .await
        .map_err(|e| JobError::retry(e.to_string()))?
        .ok_or_else(|| JobError::permanent("the owner's data key is gone"))?;
    let sealed = key.seal(
        purpose::TOKEN,
        &run.profile.threads_user_id,
        refreshed.access_token.expose().as_bytes(),
    );
    state
        .store
        .save_refreshed_token(
            &run.profile.id,
            &sealed,
            now,
            refreshed.expires_at.timestamp(),
        )
        .await?;
    tracing::info!(profile_id = %run.profile.id, "access token refreshed");
    Ok(())
}
