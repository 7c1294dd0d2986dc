//! The daily snapshot of each competitor: one job per competitor under a dedup key, which
//! schedules its next run a day later whatever happened, so a spent budget or a busy Threads
//! only moves the work to the next day.

use std::time::Duration;

use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use threads_api::{ListQuery, PublicProfile};

use super::access::{self, PublicAccess, RunStatus};
use super::compare::day_of;
use super::store::{CompetitorRecord, SealedPost, SnapshotRow};
use super::{CompetitorId, PURPOSE, SCOPE};
use crate::app::AppState;
use crate::domain::{MediaId, ProfileId};
use crate::error::AppResult;
use crate::jobs::{JobContext, JobError, NewJob, Runner, handler_fn};

/// Job kind of the daily snapshot.
pub const SNAPSHOT: &str = "competitors.snapshot";
const DAY_MS: i64 = 86_400_000;
/// How far back the first run reads a competitor's posts.
const FIRST_LOOK_BACK_DAYS: i64 = 28;
/// Posts read per run at most (one page; a competitor posting more than this a day is rare).
const POSTS_PER_RUN: u32 = 100;

#[derive(Deserialize)]
struct Payload {
    competitor_id: CompetitorId,
}

/// Registers the snapshot handler.
pub fn register_jobs(runner: Runner, state: &AppState) -> Runner {
    let state = state.clone();
    runner.register(
        SNAPSHOT,
        handler_fn(move |ctx| snapshot_job(state.clone(), ctx)),
    )
}

fn dedup_key(competitor_id: &CompetitorId) -> String {
    format!("{SNAPSHOT}:{competitor_id}")
}

fn job(c: &CompetitorRecord, run_at_ms: i64) -> NewJob {
    NewJob::new(SNAPSHOT, json!({"competitor_id": c.id}))
        .run_at(run_at_ms)
        .dedup_key(dedup_key(&c.id))
        .max_attempts(5)
        .user(&c.user_id)
        // Disconnecting the profile cancels its runs with the profile's other jobs.
        .subject(&c.profile_id)
}

/// Starts a new competitor's daily chain with a run now.
pub(super) async fn schedule_first(state: &AppState, c: &CompetitorRecord) -> AppResult<()> {
    state.jobs.enqueue(job(c, crate::clock::now_ms())).await?;
    Ok(())
}

/// Restarts the daily runs of a profile's competitors (after it is connected again, which
/// had cancelled them); a run already pending is kept.
pub async fn resume_jobs(state: &AppState, profile_id: &ProfileId) -> AppResult<()> {
    let Some(profile) = state.store.profile(profile_id).await? else {
        return Ok(());
    };
    let workspace = profile.user_id.clone();
    for c in state.store.competitors_of(&workspace).await? {
        if c.profile_id == *profile_id {
            state.jobs.enqueue(job(&c, crate::clock::now_ms())).await?;
        }
    }
    Ok(())
}

async fn snapshot_job(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    let payload: Payload = ctx.payload_as()?;
    if state
        .store
        .competitor(&payload.competitor_id)
        .await?
        .is_none()
    {
        return Ok(());
    }
    ctx.schedule_next(crate::clock::now_ms() + DAY_MS);
    run_snapshot(&state, &payload.competitor_id)
        .await
        .map_err(|e| JobError::retry_after(e.to_string(), Duration::from_secs(600)))?;
    Ok(())
}

/// One snapshot run: the profile's counts, then its posts since the newest one stored. The
/// outcome is recorded on the competitor in words; `Ok` unless storage failed.
pub async fn run_snapshot(state: &AppState, competitor_id: &CompetitorId) -> AppResult<RunStatus> {
    let Some(c) = state.store.competitor(competitor_id).await? else {
        return Ok(RunStatus::Error);
    };
    let at = state.threads.now().timestamp();
    let run = match PublicAccess::open(state, &c.profile_id, SCOPE).await? {
        Ok(run) => run,
        Err(why) => {
            state
                .store
                .finish_competitor_run(&c.id, at, RunStatus::Error, Some(&why), 0)
                .await?;
            return Ok(RunStatus::Error);
        }
    };
    // Two calls at most: stop before starting when they would not fit.
    if run.budget_left().await? < 2 {
        state
            .store
            .finish_competitor_run(&c.id, at, RunStatus::Waiting, Some(access::BUDGET_SPENT), 0)
            .await?;
        return Ok(RunStatus::Waiting);
    }
    let outcome = collect(state, &run, &c).await;
    run.record_usage().await;
    let (status, error) = match outcome? {
        Ok(()) => (RunStatus::Ok, None),
        Err((status, words)) => (status, Some(words)),
    };
    state
        .store
        .finish_competitor_run(&c.id, at, status, error.as_deref(), run.calls())
        .await?;
    Ok(status)
}

type Collected = Result<(), (RunStatus, String)>;

async fn collect(
    state: &AppState,
    run: &PublicAccess,
    c: &CompetitorRecord,
) -> AppResult<Collected> {
    let found = match run.session.profile_lookup(&c.username).await {
        Ok(p) => p,
        Err(e) if access::is_unknown_object(&e) => {
            return Ok(Err((
                RunStatus::Error,
                format!(
                    "Threads no longer shows @{} (renamed, made private, or under 1,000 followers).",
                    c.username
                ),
            )));
        }
        Err(e) => return Ok(Err(access::api_failure(&e, "looking the profile up"))),
    };
    store_lookup(state, run, c, &found).await?;
    let now = run.now();
    let since = c
        .newest_post_at
        .map(|t| t + 1)
        .unwrap_or(now.timestamp() - FIRST_LOOK_BACK_DAYS * 86_400);
    let mut query = ListQuery::new().limit(POSTS_PER_RUN);
    if let Some(t) = access::since_param(since) {
        query = query.since(t);
    }
    let mut pages = run.session.profile_posts_pages(&c.username, &query);
    let page = match pages.next().await {
        None => return Ok(Ok(())),
        Some(Ok(page)) => page,
        Some(Err(e)) => return Ok(Err(access::api_failure(&e, "reading its public posts"))),
    };
    let seen = now.timestamp();
    for media in &page.data {
        let posted_at = media.timestamp.map_or(seen, |t| t.timestamp());
        let media_id = MediaId::from(media.id.as_str());
        let content =
            json!({"text": media.text, "permalink": media.permalink, "topic_tag": media.topic_tag});
        let sealed = run.key.seal(
            PURPOSE,
            &format!("{}:{media_id}", c.id),
            content.to_string().as_bytes(),
        );
        let post = SealedPost {
            media_type: media
                .media_type
                .as_ref()
                .map_or("TEXT_POST", |t| t.as_str())
                .to_owned(),
            posted_at,
            content_enc: sealed,
            media_id,
        };
        state
            .store
            .insert_competitor_post(&c.id, &c.user_id, &post, seen)
            .await?;
    }
    Ok(Ok(()))
}

/// Stores a lookup as the day's snapshot and the competitor's details.
pub(super) async fn store_lookup(
    state: &AppState,
    run: &PublicAccess,
    c: &CompetitorRecord,
    found: &PublicProfile,
) -> AppResult<()> {
    let now = run.now().timestamp();
    let n = |v: Option<u64>| v.map_or(0, |v| i64::try_from(v).unwrap_or(i64::MAX));
    let snapshot = SnapshotRow {
        day: day_of(now),
        followers: n(found.follower_count),
        likes_7d: n(found.likes_count),
        replies_7d: n(found.replies_count),
        reposts_7d: n(found.reposts_count),
        quotes_7d: n(found.quotes_count),
        views_7d: n(found.views_count),
        taken_at: now,
    };
    state
        .store
        .upsert_competitor_snapshot(&c.id, &c.user_id, &snapshot)
        .await?;
    let details = json!({
        "name": found.name, "is_verified": found.is_verified,
        "picture_url": found.profile_picture_url, "biography": found.biography,
    });
    let sealed = run.key.seal(PURPOSE, &c.id, details.to_string().as_bytes());
    state.store.set_competitor_details(&c.id, &sealed).await?;
    Ok(())
}
