//! Times and runs: resolving a requested time or queue slot, the publisher run of a post, and
//! its ledger.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::PostState;
use super::service::user_zone;
use super::store::PostRecord;
use super::{EventKind, publisher, when};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::now_unix;
use crate::domain::{PostId, ProfileId, WorkspaceId};
use crate::error::{AppError, AppResult};
use crate::jobs::NewJob;

/// Resolves the requested time: (state, local_time, timezone, scheduled_at).
pub(super) async fn resolve_time(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: &ProfileId,
    action: Option<&str>,
    local_time: Option<&str>,
) -> AppResult<(PostState, Option<String>, Option<String>, Option<i64>)> {
    let tz = user_zone(auth);
    let now = crate::clock::now();
    let local = match action.unwrap_or("draft") {
        "draft" => return Ok((PostState::Draft, None, None, None)),
        "schedule" => {
            let raw = local_time.filter(|v| !v.trim().is_empty()).ok_or_else(|| {
                AppError::field("local_time", "Choose a date and time to publish.")
            })?;
            when::parse_local(raw).ok_or_else(|| {
                AppError::field("local_time", "Use a date and time like 2026-03-29T09:00.")
            })?
        }
        "queue" => next_free_slot(state, profile_id, tz, now).await?,
        _ => {
            return Err(AppError::field(
                "action",
                "Choose draft, schedule or queue.",
            ));
        }
    };
    let at = when::to_utc(local, tz);
    if at < now - chrono::Duration::minutes(1) {
        return Err(AppError::field(
            "local_time",
            format!(
                "{} is in the past. Choose a later time.",
                when::show(at, tz)
            ),
        ));
    }
    Ok((
        PostState::Scheduled,
        Some(local.format("%Y-%m-%dT%H:%M").to_string()),
        Some(tz.name().to_owned()),
        Some(at.timestamp()),
    ))
}

/// The first posting slot of the profile after `now` not already taken by a scheduled post.
pub async fn next_free_slot(
    state: &AppState,
    profile_id: &ProfileId,
    tz: chrono_tz::Tz,
    now: DateTime<Utc>,
) -> AppResult<chrono::NaiveDateTime> {
    let slots = super::slots(state, profile_id).await?;
    if slots.is_empty() {
        return Err(AppError::field(
            "action",
            "This profile has no posting slots yet. Add some (e.g. weekdays 09:00) or pick a time.",
        ));
    }
    let taken = state.store.taken_times(profile_id, now.timestamp()).await?;
    when::upcoming(&slots, tz, now, 8)
        .into_iter()
        .find(|l| !taken.contains(&when::to_utc(*l, tz).timestamp()))
        .ok_or_else(|| {
            AppError::field("action", "Every posting slot of the next 8 weeks is taken.")
        })
}

pub(super) async fn enqueue_if_scheduled(state: &AppState, p: &PostRecord) -> AppResult<()> {
    if p.state != PostState::Scheduled {
        return Ok(());
    }
    let at = p.scheduled_at.unwrap_or_else(now_unix);
    state.jobs.enqueue(publish_job(p, at)).await?;
    Ok(())
}

/// The publisher job of a post due at `at`, runnable [`publisher::LEAD`] before it; the key
/// carries the time so a rescheduled post gets its own run, and a stale run finds nothing to do.
pub fn publish_job(p: &PostRecord, at: i64) -> NewJob {
    NewJob::new(publisher::KIND, json!({"post_id": p.id}))
        .run_at(at * 1000 - publisher::LEAD.as_millis() as i64)
        .dedup_key(format!("publish:{}:{at}", p.id))
        .user(&p.user_id)
        .subject(p.profile_id.clone())
        .max_attempts(8)
}

pub(super) async fn ledger(state: &AppState, p: &PostRecord, event: EventKind) {
    let message = match (
        event,
        p.scheduled_at.and_then(|t| DateTime::from_timestamp(t, 0)),
    ) {
        (EventKind::Scheduled | EventKind::Created | EventKind::Edited, Some(t))
            if p.state == PostState::Scheduled =>
        {
            let tz = when::zone(p.timezone.as_deref());
            format!("Scheduled for {}.", when::show(t, tz))
        }
        (EventKind::Created, _) => "Saved as a draft.".into(),
        (EventKind::Cancelled, _) => "Cancelled; it will not be published.".into(),
        (EventKind::Unscheduled, _) => "Moved back to drafts.".into(),
        _ => "Edited.".into(),
    };
    let _ = state
        .store
        .add_publish_event(&p.id, crate::clock::now_ms(), event, &message)
        .await;
}

/// The ledger of a post for the API.
pub async fn timeline(state: &AppState, auth: &CurrentUser, id: &PostId) -> AppResult<Vec<Value>> {
    let tz = user_zone(auth);
    let mut events: Vec<(i64, Value)> = state
        .store
        .publish_events(id)
        .await?
        .into_iter()
        .map(|(at, kind, message)| {
            let t = DateTime::from_timestamp_millis(at).unwrap_or_default();
            (at / 1000, json!({"at": at / 1000, "at_display": when::show(t, tz), "kind": kind, "message": message}))
        })
        .collect();
    // Approval decisions, with the comments the writer needs to read.
    if let Some(post) = state.store.planned_post(id).await? {
        for r in super::approvals::reviews_of(state, &post).await? {
            let t = DateTime::from_timestamp(r.at, 0).unwrap_or_default();
            let verb = if r.decision == super::approvals::Approval::Approved {
                "approved it"
            } else {
                "asked for changes"
            };
            let message = match &r.comment {
                Some(c) => format!("{} {verb}: \u{201c}{c}\u{201d}", r.reviewer),
                None => format!("{} {verb}.", r.reviewer),
            };
            events.push((r.at, json!({"at": r.at, "at_display": when::show(t, tz), "kind": "review", "message": message})));
        }
    }
    events.sort_by_key(|(at, _)| *at);
    Ok(events.into_iter().map(|(_, e)| e).collect())
}

/// Keeps a scheduled post's wall-clock time in `zone` (09:00 stays 09:00 local) when its zone
/// is another: moves the instant, records the move in its ledger and gives it a run at the new
/// time (the old run finds the time changed and does nothing). The new instant, or `None` when
/// nothing moved (same zone, no local time, or the post changed meanwhile).
pub(super) async fn retime(
    state: &AppState,
    post: &PostRecord,
    zone: chrono_tz::Tz,
) -> crate::store::StoreResult<Option<i64>> {
    let (Some(local), Some(old_zone)) = (&post.local_time, &post.timezone) else {
        return Ok(None);
    };
    if post.state != PostState::Scheduled || zone.name() == old_zone {
        return Ok(None);
    }
    let Some(naive) = when::parse_local(local) else {
        return Ok(None);
    };
    let at = when::to_utc(naive, zone).timestamp();
    if !state
        .store
        .retime_planned_post(&post.id, post.version, zone.name(), at)
        .await?
    {
        return Ok(None);
    }
    let message = format!(
        "Your time zone changed from {old_zone} to {}; still publishing at {local} local time, now {}.",
        zone.name(),
        when::show(DateTime::from_timestamp(at, 0).unwrap_or_default(), zone)
    );
    let _ = state
        .store
        .add_publish_event(
            &post.id,
            crate::clock::now_ms(),
            EventKind::Retimed,
            &message,
        )
        .await;
    let mut moved = post.clone();
    moved.scheduled_at = Some(at);
    state.jobs.enqueue(publish_job(&moved, at)).await?;
    Ok(Some(at))
}

/// Re-times every scheduled post of the user to `zone` at once (see [`retime`]), so a post is
/// neither early nor late after the zone changes. Returns how many moved.
pub async fn retime_all(
    state: &AppState,
    user_id: &WorkspaceId,
    zone: chrono_tz::Tz,
) -> crate::store::StoreResult<usize> {
    let mut moved = 0;
    for post in state.store.planned_posts_of(user_id, None).await? {
        if retime(state, &post, zone).await?.is_some() {
            moved += 1;
        }
    }
    Ok(moved)
}
