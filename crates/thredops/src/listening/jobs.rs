//! The hourly run of each saved search: one job per search under a dedup key, one RECENT
//! search call per run for posts newer than the newest seen, and the next run an hour later
//! whatever happened.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;
use threads_api::{KeywordSearchQuery, SearchMode as ApiMode, SearchType};

use super::store::{MatchRecord, SearchRecord};
use super::{PURPOSE, SCOPE, SearchId, SearchMode};
use crate::app::AppState;
use crate::competitors::access::{self, PublicAccess, RunStatus};
use crate::domain::{MediaId, ProfileId};
use crate::error::AppResult;
use crate::jobs::{JobContext, JobError, NewJob, Runner, handler_fn};

/// Job kind of the hourly search.
pub const SEARCH: &str = "listening.search";
const HOUR_MS: i64 = 3_600_000;
/// How far back a new search looks on its first run.
const FIRST_LOOK_BACK_DAYS: i64 = 7;
/// Results per call (Meta's maximum).
const PER_CALL: u32 = 100;

#[derive(Deserialize)]
struct Payload {
    search_id: SearchId,
}

/// Registers the search handler.
pub fn register_jobs(runner: Runner, state: &AppState) -> Runner {
    let state = state.clone();
    runner.register(
        SEARCH,
        handler_fn(move |ctx| search_job(state.clone(), ctx)),
    )
}

fn job(s: &SearchRecord, run_at_ms: i64) -> NewJob {
    NewJob::new(SEARCH, json!({"search_id": s.id}))
        .run_at(run_at_ms)
        .dedup_key(format!("{SEARCH}:{}", s.id))
        .max_attempts(5)
        .user(&s.user_id)
        // Disconnecting the profile cancels its runs with the profile's other jobs.
        .subject(&s.profile_id)
}

/// Starts a new search's hourly chain with a run now.
pub(super) async fn schedule_first(state: &AppState, s: &SearchRecord) -> AppResult<()> {
    state.jobs.enqueue(job(s, crate::clock::now_ms())).await?;
    Ok(())
}

/// Restarts the runs of a profile's searches (after it is connected again); a run already
/// pending is kept.
pub async fn resume_jobs(state: &AppState, profile_id: &ProfileId) -> AppResult<()> {
    let Some(profile) = state.store.profile(profile_id).await? else {
        return Ok(());
    };
    let workspace = profile.user_id.clone();
    for s in state.store.searches_of(&workspace).await? {
        if s.profile_id == *profile_id {
            state.jobs.enqueue(job(&s, crate::clock::now_ms())).await?;
        }
    }
    Ok(())
}

async fn search_job(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    let payload: Payload = ctx.payload_as()?;
    if state.store.search(&payload.search_id).await?.is_none() {
        return Ok(());
    }
    ctx.schedule_next(crate::clock::now_ms() + HOUR_MS);
    run_search(&state, &payload.search_id)
        .await
        .map_err(|e| JobError::retry_after(e.to_string(), Duration::from_secs(600)))?;
    Ok(())
}

/// One run of a saved search; the outcome is recorded on it in words. `Ok` unless storage
/// failed.
pub async fn run_search(state: &AppState, search_id: &SearchId) -> AppResult<RunStatus> {
    let Some(s) = state.store.search(search_id).await? else {
        return Ok(RunStatus::Error);
    };
    let at = state.threads.now().timestamp();
    let run = match PublicAccess::open(state, &s.profile_id, SCOPE).await? {
        Ok(run) => run,
        Err(why) => {
            state
                .store
                .finish_search_run(&s.id, at, RunStatus::Error, Some(&why), 0)
                .await?;
            return Ok(RunStatus::Error);
        }
    };
    if run.budget_left().await? < 1 {
        state
            .store
            .finish_search_run(&s.id, at, RunStatus::Waiting, Some(access::BUDGET_SPENT), 0)
            .await?;
        return Ok(RunStatus::Waiting);
    }
    let since = s
        .newest_match_at
        .map(|t| t + 1)
        .unwrap_or(at - FIRST_LOOK_BACK_DAYS * 86_400);
    let mut query = KeywordSearchQuery::new(&s.query)
        .search_type(SearchType::Recent)
        .mode(match s.mode {
            SearchMode::Keyword => ApiMode::Keyword,
            SearchMode::Tag => ApiMode::Tag,
        })
        .limit(PER_CALL);
    if let Some(t) = access::since_param(since) {
        query = query.since(t);
    }
    let found = run.session.keyword_search(&query).await;
    run.record_usage().await;
    let found = match found {
        Ok(found) => found,
        Err(e) => {
            let (status, words) = access::api_failure(&e, "searching");
            state
                .store
                .finish_search_run(&s.id, at, status, Some(&words), 0)
                .await?;
            return Ok(status);
        }
    };
    let mut new = 0;
    for media in found {
        let media_id = MediaId::from(media.id.as_str());
        let content = json!({
            "username": media.username, "text": media.text,
            "permalink": media.permalink, "topic_tag": media.topic_tag,
        });
        let record = MatchRecord {
            content_enc: run.key.seal(
                PURPOSE,
                &format!("{}:{media_id}", s.id),
                content.to_string().as_bytes(),
            ),
            media_type: media
                .media_type
                .as_ref()
                .map_or("TEXT_POST", |t| t.as_str())
                .to_owned(),
            posted_at: media.timestamp.map_or(at, |t| t.timestamp()),
            media_id,
        };
        if state
            .store
            .insert_match(&s.id, &s.user_id, &record, at)
            .await?
        {
            new += 1;
        }
    }
    state
        .store
        .finish_search_run(&s.id, at, RunStatus::Ok, None, new)
        .await?;
    Ok(RunStatus::Ok)
}
