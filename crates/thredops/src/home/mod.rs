//! The home of the command centre: per connected profile, the week's numbers against the week
//! before, what is planned next, what needs attention, the access and sync state, and the
//! strategist's top finding, each with a link into its area.
//!
//! Everything is read from what the areas already keep: the analytics overview (cached per data
//! version), the planned posts, the profile's token and sync state, and the strategist's report
//! (cached per data version, so it is computed once per change of the data, not per visit).

mod store;

use chrono::DateTime;
use serde::Serialize;

use crate::analytics::Scope;
use crate::analytics::overview;
use crate::analytics::period::PeriodQuery;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::domain::{PostId, ProfileId};
use crate::error::AppResult;
use crate::publishing::{PostState, when};
use crate::services::profiles::SyncState;
use crate::services::profiles::{self, TokenState};
use crate::store::profiles::{ProfileRecord, ProfileStatus};

/// Next posts shown per profile.
const NEXT_POSTS: i64 = 3;
/// Posts needing attention shown per profile.
const ATTENTION_POSTS: i64 = 5;
/// Longest excerpt of a post's text.
const EXCERPT_CHARS: usize = 80;

/// The home page.
#[derive(Debug, Serialize)]
pub struct Home {
    /// One entry per connected profile, in connection order.
    pub profiles: Vec<ProfileHome>,
}

/// One profile on the home page.
#[derive(Debug, Serialize)]
pub struct ProfileHome {
    /// ThredOps id.
    pub id: ProfileId,
    /// Handle.
    pub username: String,
    /// Where the connection stands.
    pub status: ProfileStatus,
    /// Where the access stands.
    pub token_state: TokenState,
    /// The sentence saying so, with what to do.
    pub token_summary: String,
    /// Where its sync stands.
    pub sync_state: SyncState,
    /// Last successful sync (Unix seconds).
    pub last_sync_at: Option<i64>,
    /// The week's numbers (the last 7 local days against the 7 before).
    pub week: Vec<Figure>,
    /// Next posts due.
    pub next_posts: Vec<PostLine>,
    /// Failed posts and posts waiting on something.
    pub attention: Vec<PostLine>,
    /// The strategist's strongest finding.
    pub finding: Option<Finding>,
    /// Why there is no finding: `not_in_plan`, `not_enough_data` or `nothing_stands_out`.
    pub finding_missing: Option<&'static str>,
}

/// A number of the week and the week before, formatted for people.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// Machine name (the analytics overview's metric key).
    pub key: &'static str,
    /// What it is.
    pub label: &'static str,
    /// This week (null without data).
    pub current: Option<f64>,
    /// The week before (null without data).
    pub previous: Option<f64>,
    /// `current`, formatted.
    pub current_text: String,
    /// `previous`, formatted.
    pub previous_text: String,
    /// The change, signed and formatted ("+1,204"); empty when there is nothing to compare.
    pub change_text: String,
    /// "up", "down" or "flat" (null when there is nothing to compare).
    pub direction: Option<&'static str>,
}

/// A planned post in a list.
#[derive(Debug, Clone, Serialize)]
pub struct PostLine {
    /// Id.
    pub id: PostId,
    /// Where it is in its life.
    pub state: PostState,
    /// When it is due, in the user's zone.
    pub when: Option<String>,
    /// The start of its text.
    pub excerpt: String,
    /// Why it failed or waits, or what will happen to it.
    pub problem: Option<String>,
}

/// The strategist's finding shown on the home page.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    /// The advice in one line.
    pub title: String,
    /// Why, with the numbers.
    pub detail: String,
    /// How sure the strategist is.
    pub confidence: Option<&'static str>,
}

/// Formats a number for people: thousands separated by commas, at most `decimals` decimals
/// (trailing zeros dropped). The one place numbers on the home page are formatted.
pub fn format_number(value: f64, decimals: usize) -> String {
    let fixed = format!("{:.*}", decimals, value.abs());
    let (int, frac) = fixed.split_once('.').unwrap_or((&fixed, ""));
    let mut grouped = String::with_capacity(int.len() + int.len() / 3);
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    let frac = frac.trim_end_matches('0');
    let sign = if value < 0.0 && (int != "0" || !frac.is_empty()) {
        "-"
    } else {
        ""
    };
    if frac.is_empty() {
        format!("{sign}{grouped}")
    } else {
        format!("{sign}{grouped}.{frac}")
    }
}

fn signed(value: f64, decimals: usize) -> String {
    let text = format_number(value, decimals);
    if value > 0.0 && text != "0" {
        format!("+{text}")
    } else {
        text
    }
}

/// The overview lines the home page shows: (key, label, decimals, compare with last week).
const WEEK_LINES: &[(&str, &str, usize, bool)] = &[
    ("followers", "Followers", 0, false),
    ("views", "Profile views", 0, true),
    ("post_views", "Views of posts published", 0, true),
    ("engagement_rate", "Engagement rate (%)", 2, true),
];

fn figures(report: &overview::OverviewReport) -> Vec<Figure> {
    let line = |key: &str| report.overview.metrics.iter().find(|m| m.key == key);
    WEEK_LINES
        .iter()
        .map(|&(key, label, decimals, compare)| {
            let m = line(key);
            let current = m.and_then(|m| m.current.as_f64());
            let (previous, change, direction) = if key == "followers" {
                // Followers compare with seven days ago: the week's net change.
                let net = line("net_followers").and_then(|n| n.current.as_f64());
                let dir = net.map(|n| {
                    if n > 0.0 {
                        "up"
                    } else if n < 0.0 {
                        "down"
                    } else {
                        "flat"
                    }
                });
                (current.zip(net).map(|(c, n)| c - n), net, dir)
            } else if compare {
                let previous = m.and_then(|m| m.previous.as_f64());
                (
                    previous,
                    current.zip(previous).map(|(c, p)| c - p),
                    m.and_then(|m| m.direction),
                )
            } else {
                (None, None, None)
            };
            let text = |v: Option<f64>| {
                v.map_or_else(|| "no data yet".to_owned(), |v| format_number(v, decimals))
            };
            Figure {
                key,
                label,
                current,
                previous,
                current_text: text(current),
                previous_text: text(previous),
                change_text: change
                    .map(|c| match signed(c, decimals) {
                        zero if zero == "0" => "no change".to_owned(),
                        text => text,
                    })
                    .unwrap_or_default(),
                direction,
            }
        })
        .collect()
}

fn excerpt(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if text.chars().count() <= EXCERPT_CHARS {
        return text;
    }
    let cut: String = text.chars().take(EXCERPT_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

async fn post_line(
    state: &AppState,
    auth: &CurrentUser,
    id: &PostId,
    profile_can_publish: bool,
) -> AppResult<Option<PostLine>> {
    let Some(p) = state.store.planned_post(id).await? else {
        return Ok(None);
    };
    if p.user_id != auth.workspace_id() {
        return Ok(None);
    }
    let tz = crate::publishing::service::user_zone(auth);
    let text = crate::publishing::service::open(state, &p)
        .await
        .ok()
        .and_then(|c| c.parts.first().map(|part| part.text.clone()))
        .unwrap_or_default();
    let problem = match p.state {
        PostState::Failed => p.failure.clone(),
        s if s.is_underway() && !profile_can_publish => Some(
            "This profile needs reconnecting before the post's time, or the post will fail.".into(),
        ),
        _ => p.note.clone(),
    };
    Ok(Some(PostLine {
        id: id.clone(),
        state: p.state,
        when: p
            .scheduled_at
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .map(|t| when::show(t, tz)),
        excerpt: if text.trim().is_empty() {
            "(no text)".into()
        } else {
            excerpt(&text)
        },
        problem,
    }))
}

async fn profile_home(
    state: &AppState,
    auth: &CurrentUser,
    p: ProfileRecord,
    key: Option<&crate::crypto::DataKey>,
) -> AppResult<ProfileHome> {
    let now = state.threads.now().timestamp();
    let view = profiles::view(key, &p, None, 0, now);
    let can_publish = p.status == ProfileStatus::Active;
    let mut next_posts = Vec::new();
    for id in state
        .store
        .next_planned_post_ids(&p.id, crate::clock::now_unix(), NEXT_POSTS)
        .await?
    {
        next_posts.extend(post_line(state, auth, &id, can_publish).await?);
    }
    let mut attention = Vec::new();
    for id in state
        .store
        .attention_post_ids(&p.id, ATTENTION_POSTS)
        .await?
    {
        attention.extend(post_line(state, auth, &id, can_publish).await?);
    }
    if !can_publish {
        // Posts still planned on a profile that cannot publish will fail: they need attention.
        for line in &next_posts {
            if !attention.iter().any(|a| a.id == line.id) {
                attention.push(line.clone());
            }
        }
    }
    let report = crate::strategy::service::cached_report(state, auth, &p).await?;
    let (finding, finding_missing) = match report.as_deref() {
        None => (None, Some("not_in_plan")),
        Some(r) if !r.enough_data => (None, Some("not_enough_data")),
        Some(r) => match r.recommendations.iter().find(|x| x.status == "advice") {
            Some(top) => (
                Some(Finding {
                    title: top.title.clone(),
                    detail: top.detail.clone(),
                    confidence: top.confidence,
                }),
                None,
            ),
            None => (None, Some("nothing_stands_out")),
        },
    };
    let scope = Scope::own_for_numbers(state, auth, p).await?;
    let week = overview::report(
        &scope,
        &PeriodQuery {
            period: Some("7d".into()),
            ..PeriodQuery::default()
        },
    )
    .await?;
    Ok(ProfileHome {
        id: view.id,
        username: view.username,
        status: view.status,
        token_state: view.token.state,
        token_summary: view.token.summary,
        sync_state: view.sync.state,
        last_sync_at: view.sync.last_sync_at,
        week: figures(&week),
        next_posts,
        attention,
        finding,
        finding_missing,
    })
}

/// The home page of `auth`: one entry per profile (none: the page invites a first connection).
pub async fn home(state: &AppState, auth: &CurrentUser) -> AppResult<Home> {
    let records = state.store.profiles_of(auth.workspace_id()).await?;
    let key = if records.is_empty() {
        None
    } else {
        state.vault.existing_key(auth.workspace_id()).await?
    };
    let mut profiles = Vec::with_capacity(records.len());
    for p in records {
        profiles.push(profile_home(state, auth, p, key.as_ref()).await?);
    }
    Ok(Home { profiles })
}

#[cfg(test)]
mod tests {
    use super::format_number;

    #[test]
    fn numbers_get_thousands_separators_and_no_trailing_zeros() {
        assert_eq!(format_number(0.0, 0), "0");
        assert_eq!(format_number(999.0, 0), "999");
        assert_eq!(format_number(1000.0, 0), "1,000");
        assert_eq!(format_number(1_598_672.0, 0), "1,598,672");
        assert_eq!(format_number(-12_345.0, 0), "-12,345");
        assert_eq!(format_number(22_413.13, 2), "22,413.13");
        assert_eq!(format_number(4.5, 2), "4.5");
        assert_eq!(format_number(-0.001, 2), "0");
    }
}
