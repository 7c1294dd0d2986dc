//! The evergreen job: judges the results of re-shares whose window has passed (retiring an item
//! whose results dropped) and plans each active item's next re-share as an ordinary post.

use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::rules::{self, Results};
use super::{ItemRecord, ItemState, Verdict, text_post};
use crate::app::AppState;
use crate::clock::now_unix;
use crate::error::AppResult;
use crate::jobs::{JobContext, JobError, Runner, handler_fn};
use crate::publishing::recurring::{announce, over_quota, rule, scheduled_record};
use crate::publishing::{PostState, compose, when};

/// Job kind of the evergreen run.
pub const KIND: &str = "evergreen_tick";
/// How often it runs.
const EVERY: Duration = Duration::from_secs(3600);
/// A re-share is never planned sooner than this from now.
const LEAD_SECONDS: i64 = 600;

/// Registers the evergreen job and makes sure it is pending.
pub fn register(runner: Runner, state: &AppState) -> Runner {
    let state = state.clone();
    runner
        .recurring(KIND, Duration::from_secs(3))
        .register(KIND, handler_fn(move |ctx| job(state.clone(), ctx)))
}

async fn job(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    tick_all(&state, crate::clock::now())
        .await
        .map_err(|e| JobError::retry(e.to_string()))?;
    ctx.schedule_next(crate::clock::now_ms() + EVERY.as_millis() as i64);
    Ok(())
}

/// Judges and plans every active item as of `now`. Returns how many re-shares were planned.
pub async fn tick_all(state: &AppState, now: DateTime<Utc>) -> AppResult<usize> {
    let mut planned = 0;
    for item in state.store.evergreen_items(None).await? {
        match tick(state, &item, now).await {
            Ok(n) => planned += n,
            Err(e) => {
                tracing::warn!(item = %item.id.0, error = %e, "could not plan an evergreen post")
            }
        }
    }
    Ok(planned)
}

/// Judges the item's re-shares whose results window has passed, then plans its next re-share
/// if none is waiting. Returns how many were planned (0 or 1).
pub async fn tick(state: &AppState, item: &ItemRecord, now: DateTime<Utc>) -> AppResult<usize> {
    if item.state != ItemState::Active {
        return Ok(0);
    }
    if judge(state, item, now).await? {
        return Ok(0);
    }
    match plan_next(state, item, now).await? {
        Ok(planned) => {
            // Whatever held it up is over: a re-share is planned or waiting.
            if item.problem.is_some() {
                state.store.set_evergreen_problem(&item.id.0, None).await?;
            }
            Ok(usize::from(planned))
        }
        Err(problem) => {
            if item.problem.as_deref() != Some(problem.as_str()) {
                state
                    .store
                    .set_evergreen_problem(&item.id.0, Some(&problem))
                    .await?;
            }
            Ok(0)
        }
    }
}

/// Judges re-shares whose window has passed; retires the item when one dropped. True when it
/// retired.
async fn judge(state: &AppState, item: &ItemRecord, now: DateTime<Utc>) -> AppResult<bool> {
    let window = item.results_hours * 3600;
    for r in state.store.evergreen_reshares(&item.id.0).await? {
        let Some(post_id) = r.post_id.as_deref().filter(|_| r.verdict.is_none()) else {
            continue;
        };
        let Some(post) = state.store.planned_post(post_id).await? else {
            continue;
        };
        let (Some(media_id), Some(published)) = (&post.media_id, post.published_at) else {
            continue;
        };
        if post.state != PostState::Published || now.timestamp() < published + window {
            continue;
        }
        let Some((got, _)) = state
            .store
            .synced_result(&item.profile_id, media_id)
            .await?
        else {
            continue;
        };
        // Its results count once the synced metrics cover the window.
        let Some(read_at) = got.metrics_at.filter(|t| *t >= published + window) else {
            continue;
        };
        let age = read_at - published;
        let original = match state
            .store
            .metrics_near_age(&item.profile_id, &item.source_media_id, age)
            .await?
        {
            Some(m) => Some(m),
            None => state
                .store
                .synced_result(&item.profile_id, &item.source_media_id)
                .await?
                .filter(|(o, _)| o.metrics_at.is_some())
                .map(|(o, _)| Results {
                    views: o.views,
                    engagement: o.engagement,
                }),
        };
        let Some(original) = original else { continue };
        let result = Results {
            views: got.views,
            engagement: got.engagement,
        };
        let dropped = rules::dropped(result, original, item.threshold_percent);
        let verdict = if dropped {
            Verdict::Dropped
        } else {
            Verdict::Held
        };
        let recorded = state
            .store
            .record_reshare_results(
                &item.id.0,
                r.seq,
                now.timestamp(),
                result,
                original,
                verdict,
            )
            .await?;
        if recorded && dropped {
            retire(state, item, r.seq, result, original, now).await?;
            return Ok(true);
        }
    }
    Ok(false)
}

async fn retire(
    state: &AppState,
    item: &ItemRecord,
    seq: i64,
    got: Results,
    original: Results,
    now: DateTime<Utc>,
) -> AppResult<()> {
    let tz = zone_of(state, &item.user_id).await?;
    let f = crate::domain::format::integer;
    let reason = format!(
        "Retired on {}: re-share {seq} got {} views and {} engagements in its first {} hours, {}% of the original's {} views and {}% of its {} engagements at the same age (the limit is {}%). Resume it to keep re-sharing.",
        crate::domain::format::date(now.timestamp(), tz),
        f(got.views),
        f(got.engagement),
        item.results_hours,
        rules::percent(got.views, original.views),
        f(original.views),
        rules::percent(got.engagement, original.engagement),
        f(original.engagement),
        item.threshold_percent,
    );
    // The verdict is recorded once, so the retirement must land: an edit that raced it is
    // read again and retired on top.
    for _ in 0..5 {
        let Some(mut fresh) = state.store.evergreen_item(&item.id.0).await? else {
            return Ok(());
        };
        fresh.state = ItemState::Retired;
        fresh.retired_reason = Some(reason.clone());
        if state.store.update_evergreen(&fresh, now_unix()).await? {
            withdraw_waiting(state, &fresh, true).await?;
            return Ok(());
        }
    }
    Err(anyhow::anyhow!(
        "evergreen item {} kept changing while it retired",
        item.id.0
    )
    .into())
}

async fn zone_of(state: &AppState, user_id: &str) -> AppResult<chrono_tz::Tz> {
    let user = state
        .store
        .user_by_id(&crate::domain::UserId::from(user_id))
        .await?;
    Ok(when::zone(
        user.as_ref().and_then(|u| u.timezone.as_deref()),
    ))
}

/// Plans the item's next re-share unless one is waiting: `Ok(true)` when planned, `Err` with the
/// reason in words when something holds it up.
async fn plan_next(
    state: &AppState,
    item: &ItemRecord,
    now: DateTime<Utc>,
) -> AppResult<Result<bool, String>> {
    let profile = state
        .store
        .profile(&crate::domain::ProfileId::from(item.profile_id.as_str()))
        .await?;
    if profile
        .as_ref()
        .is_none_or(|p| p.status != crate::store::profiles::ProfileStatus::Active)
    {
        return Ok(Err(
            "The profile needs reconnecting before anything can be re-shared on it.".into(),
        ));
    }
    let tz = zone_of(state, &item.user_id).await?;
    let local_date = |t: i64| {
        DateTime::from_timestamp(t, 0)
            .unwrap_or_default()
            .with_timezone(&tz)
            .date_naive()
    };
    let mut shown = vec![local_date(item.source_posted_at)];
    let mut published = 0;
    for r in state.store.evergreen_reshares(&item.id.0).await? {
        let Some(post) = (match &r.post_id {
            Some(id) => state.store.planned_post(id).await?,
            None => None,
        }) else {
            continue;
        };
        match post.state {
            PostState::Scheduled | PostState::ContainerCreated | PostState::Ready => {
                return Ok(Ok(false));
            }
            PostState::Failed => {
                return Ok(Err(format!(
                    "Re-share {} failed: {} Retry it from its page, or delete it, and the next re-share is planned.",
                    r.seq,
                    post.failure.as_deref().unwrap_or("no reason was given.")
                )));
            }
            PostState::Published => {
                published += 1;
                shown.extend(post.published_at.or(post.scheduled_at).map(local_date));
            }
            PostState::Draft | PostState::Cancelled => {}
        }
    }
    let Some(earliest) = rules::earliest_date(&shown, item.every_days, item.min_interval_days)
    else {
        return Ok(Ok(false));
    };
    let not_before = now + chrono::Duration::seconds(LEAD_SECONDS);
    let chosen = match &item.at_time {
        Some(t) => at_time(t, earliest, tz, not_before),
        None => {
            let from = when::to_utc(earliest.and_time(NaiveTime::MIN), tz).max(not_before);
            match crate::publishing::service::next_free_slot(state, &item.profile_id, tz, from)
                .await
            {
                Ok(local) => Some(rule::resolve(local, tz)),
                Err(e) => return Ok(Err(format!("No re-share could be planned: {e}"))),
            }
        }
    };
    let Some((local, at)) = chosen else {
        return Ok(Err("No valid time was found for the next re-share.".into()));
    };
    // The guarantee, checked on the final date whatever chose it.
    if !rules::respects_interval(&shown, local.date(), item.min_interval_days) {
        return Ok(Err(format!(
            "The next free time ({}) is within {} days of an earlier appearance; nothing was planned.",
            when::show(at, tz),
            item.min_interval_days
        )));
    }
    let texts = super::variations(state, item).await?;
    let variation = rules::variation_for(published + 1, texts.len());
    let content = text_post(&texts[variation]);
    let check = compose::preflight(&content, &|_| None);
    if let Some(problem) = check.problems.values().next() {
        return Ok(Err(format!(
            "Variation {} cannot be published: {problem} Edit it to keep re-sharing.",
            variation + 1
        )));
    }
    let kind = compose::kind_of(&content, &|_| None);
    let mut post = scheduled_record(
        state,
        &item.user_id,
        &item.profile_id,
        kind,
        &content,
        local,
        tz,
        at,
    )
    .await?;
    let mut notes = Vec::new();
    if over_quota(state, &item.profile_id, at.timestamp(), false).await? {
        notes.push(format!(
            "Over the daily quota: this profile already has {q} or more posts planned in the 24 hours up to this re-share, and Threads allows {q} posts per 24 hours. It stays planned and will be deferred until the quota has room.",
            q = crate::publishing::recurring::DAILY_QUOTA
        ));
    }
    notes.extend(post.note.take());
    post.note = (!notes.is_empty()).then(|| notes.join(" "));
    if !state
        .store
        .plan_reshare(item, variation as i64, &post)
        .await?
    {
        return Ok(Ok(false));
    }
    let message = format!(
        "Scheduled for {}: re-share {} of an evergreen post (variation {} of {}).",
        when::show(at, tz),
        item.reshares + 1,
        variation + 1,
        texts.len()
    );
    announce(state, &post, &message).await?;
    Ok(Ok(true))
}

/// The first day from `earliest` whose `time` (DST-resolved) is after `not_before`.
fn at_time(
    time: &str,
    earliest: NaiveDate,
    tz: chrono_tz::Tz,
    not_before: DateTime<Utc>,
) -> Option<(chrono::NaiveDateTime, DateTime<Utc>)> {
    let t = NaiveTime::parse_from_str(time, "%H:%M").ok()?;
    let today = not_before.with_timezone(&tz).date_naive();
    let mut date = earliest.max(today);
    for _ in 0..3 {
        let (local, at) = rule::resolve(date.and_time(t), tz);
        if at > not_before {
            return Some((local, at));
        }
        date = date.succ_opt()?;
    }
    None
}

/// Removes the item's re-shares still waiting to publish (only those nobody edited by hand,
/// unless `all`). A re-share the publisher has begun is never pulled from under it.
pub(super) async fn withdraw_waiting(
    state: &AppState,
    item: &ItemRecord,
    all: bool,
) -> AppResult<()> {
    let now = now_unix();
    for r in state.store.evergreen_reshares(&item.id.0).await? {
        let Some(post_id) = &r.post_id else { continue };
        let Some(post) = state.store.planned_post(post_id).await? else {
            continue;
        };
        let untouched = r.post_version == post.version;
        if post.state != PostState::Scheduled
            || post.scheduled_at.is_none_or(|t| t <= now)
            || !(all || untouched)
        {
            continue;
        }
        state
            .store
            .withdraw_waiting_post(&post.id, post.version)
            .await?;
    }
    Ok(())
}
