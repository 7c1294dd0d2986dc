//! How evergreen items and their re-shares are shown to the API and the pages.

use chrono::DateTime;
use serde::Serialize;

use super::{ItemId, ItemRecord, ItemState, ReshareRecord, rules, variations};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::domain::{MediaId, PostId, ProfileId};
use crate::error::AppResult;
use crate::publishing::{PostState, Standing, service, when};

/// One re-share as shown.
#[derive(Debug, Clone, Serialize)]
pub struct ReshareView {
    /// Its number (1-based).
    pub number: i64,
    /// The variation it used (1-based).
    pub variation: i64,
    /// Its post, while it exists.
    pub post_id: Option<PostId>,
    /// Its post's state, or `removed`.
    pub state: Standing,
    /// When it publishes or published (UTC seconds).
    pub at: Option<i64>,
    /// For people, in the user's zone.
    pub at_display: Option<String>,
    /// Why it waits (quota, reconnecting), from its post.
    pub note: Option<String>,
    /// Why it failed.
    pub failure: Option<String>,
    /// Its views when judged.
    pub views: Option<i64>,
    /// Its engagement (likes, replies, reposts, quotes) when judged.
    pub engagement: Option<i64>,
    /// The original's views at the same age.
    pub original_views: Option<i64>,
    /// The original's engagement at the same age.
    pub original_engagement: Option<i64>,
    /// `held` or `dropped`, once judged.
    pub verdict: Option<super::Verdict>,
    /// The results in words.
    pub summary: Option<String>,
}

/// An item as the API and pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    /// Id.
    pub id: ItemId,
    /// Profile.
    pub profile_id: ProfileId,
    /// Active, paused or retired.
    pub state: ItemState,
    /// The original's Threads media id.
    pub source_media_id: MediaId,
    /// The ThredOps post that published it, if one did.
    pub source_post_id: Option<PostId>,
    /// When the original was published.
    pub source_posted_at: i64,
    /// Its texts, the original's first.
    pub variations: Vec<String>,
    /// Days between re-shares.
    pub every_days: i64,
    /// `HH:MM`, or `null` for the posting slots.
    pub time: Option<String>,
    /// Never twice within this many days.
    pub min_interval_days: i64,
    /// Retirement threshold in percent.
    pub threshold_percent: i64,
    /// Hours of results before judging.
    pub results_hours: i64,
    /// The schedule in words.
    pub description: String,
    /// The zone times are in (the user's).
    pub timezone: String,
    /// The re-share waiting to publish, if any.
    pub next: Option<ReshareView>,
    /// The last judged re-share.
    pub last_results: Option<ReshareView>,
    /// Every re-share, newest first.
    pub reshares: Vec<ReshareView>,
    /// Why it retired.
    pub retired_reason: Option<String>,
    /// Why re-sharing is held up (a preflight or quota refusal, a failed re-share), in words.
    pub problem: Option<String>,
}

/// The schedule in words.
pub fn describe(item: &ItemRecord) -> String {
    let every = match item.every_days {
        1 => "Every day".to_owned(),
        d if d % 7 == 0 && d > 7 => format!("Every {} weeks", d / 7),
        7 => "Every week".to_owned(),
        d => format!("Every {d} days"),
    };
    let at = match &item.at_time {
        Some(t) => format!("at {t}"),
        None => "at the next free posting slot".to_owned(),
    };
    let effective = if item.every_days < item.min_interval_days {
        format!(" (so every {} days in effect)", item.min_interval_days)
    } else {
        String::new()
    };
    format!(
        "{every} {at}, never twice within {} days{effective}; retires when a re-share gets less than {}% of the original's views or engagement after {} hours.",
        item.min_interval_days, item.threshold_percent, item.results_hours
    )
}

fn shown(t: i64, tz: chrono_tz::Tz) -> String {
    when::show(DateTime::from_timestamp(t, 0).unwrap_or_default(), tz)
}

async fn reshare_view(
    state: &AppState,
    r: &ReshareRecord,
    tz: chrono_tz::Tz,
    hours: i64,
) -> AppResult<ReshareView> {
    let post = match &r.post_id {
        Some(id) => state.store.planned_post(id).await?,
        None => None,
    };
    let at = post
        .as_ref()
        .and_then(|p| p.published_at.or(p.scheduled_at));
    let summary = r.views.zip(r.baseline_views).map(|(v, b)| {
        let f = crate::domain::format::integer;
        format!(
            "{} views and {} engagements in {hours} hours: {}% of the original's {} views and {}% of its {} engagements at the same age.",
            f(v),
            f(r.engagement.unwrap_or(0)),
            rules::percent(v, b),
            f(b),
            rules::percent(r.engagement.unwrap_or(0), r.baseline_engagement.unwrap_or(0)),
            f(r.baseline_engagement.unwrap_or(0)),
        )
    });
    Ok(ReshareView {
        number: r.seq,
        variation: r.variation + 1,
        post_id: post.as_ref().map(|p| p.id.clone()),
        state: post
            .as_ref()
            .map_or(Standing::Removed, |p| Standing::Post(p.state)),
        at,
        at_display: at.map(|t| shown(t, tz)),
        note: post.as_ref().and_then(|p| p.note.clone()),
        failure: post.as_ref().and_then(|p| p.failure.clone()),
        views: r.views,
        engagement: r.engagement,
        original_views: r.baseline_views,
        original_engagement: r.baseline_engagement,
        verdict: r.verdict,
        summary,
    })
}

/// Shapes an item for the API and pages, with its re-shares.
pub async fn view(state: &AppState, auth: &CurrentUser, item: &ItemRecord) -> AppResult<ItemView> {
    let tz = service::user_zone(auth);
    let mut reshares = Vec::new();
    for r in state.store.evergreen_reshares(&item.id).await?.iter().rev() {
        reshares.push(reshare_view(state, r, tz, item.results_hours).await?);
    }
    let waiting = |r: &&ReshareView| matches!(r.state, Standing::Post(s) if s.is_underway());
    let next = reshares.iter().find(waiting).cloned();
    let last_results = reshares.iter().find(|r| r.verdict.is_some()).cloned();
    let failed = reshares.iter().find(|r| r.state == Standing::Post(PostState::Failed)).map(|r| {
        format!(
            "Re-share {} failed: {} Retry it from its page, or delete it, and the next re-share is planned.",
            r.number,
            r.failure.as_deref().unwrap_or("no reason was given.")
        )
    });
    let problem = item
        .problem
        .clone()
        .or(failed)
        .or_else(|| next.as_ref().and_then(|n| n.note.clone()));
    Ok(ItemView {
        id: item.id.clone(),
        profile_id: item.profile_id.clone(),
        state: item.state,
        source_media_id: item.source_media_id.clone(),
        source_post_id: item.source_post_id.clone(),
        source_posted_at: item.source_posted_at,
        variations: variations(state, item).await?,
        every_days: item.every_days,
        time: item.at_time.clone(),
        min_interval_days: item.min_interval_days,
        threshold_percent: item.threshold_percent,
        results_hours: item.results_hours,
        description: describe(item),
        timezone: tz.name().to_owned(),
        next,
        last_results,
        reshares,
        retired_reason: item.retired_reason.clone(),
        problem,
    })
}

/// The user's items.
pub async fn list(state: &AppState, auth: &CurrentUser) -> AppResult<Vec<ItemView>> {
    let mut out = Vec::new();
    for item in state
        .store
        .evergreen_items(Some(auth.workspace_id()))
        .await?
    {
        out.push(view(state, auth, &item).await?);
    }
    Ok(out)
}
