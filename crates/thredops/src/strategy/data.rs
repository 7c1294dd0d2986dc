//! Everything the strategist and the audit read about one profile, loaded once and opened with the
//! owner's data key. The analyses are pure functions of this [`Dataset`], which keeps them
//! deterministic and testable without a database.

use std::collections::BTreeSet;

use chrono_tz::Tz;

use crate::app::AppState;
use crate::domain::{MediaId, ProfileId, WorkspaceId};
use crate::error::{AppError, AppResult};
use crate::services::profiles::purpose;
use crate::store::profiles::ProfileRecord;
use crate::sync::engine::{DEMOGRAPHICS_PURPOSE, POST_PURPOSE};

/// Words shorter than this are not treated as keywords.
const MIN_KEYWORD_LEN: usize = 4;
/// Characters of text kept for examples shown to the owner.
const SNIPPET_CHARS: usize = 90;

/// One post's plain features, latest metrics and opened tag/keywords.
#[derive(Debug, Clone, Default)]
pub struct PostFacts {
    /// Meta media id.
    pub media_id: MediaId,
    /// TEXT_POST, IMAGE, VIDEO, CAROUSEL_ALBUM, REPOST_FACADE, ...
    pub media_type: String,
    /// Publication time (Unix seconds).
    pub posted_at: i64,
    /// Characters of text.
    pub text_len: i64,
    /// Links in the post.
    pub link_count: i64,
    /// Whether the text asks a question.
    pub has_question: bool,
    /// Quote post.
    pub is_quote: bool,
    /// Repost of someone else's post.
    pub is_repost: bool,
    /// Latest metrics, when read: views, likes, replies, reposts, quotes, shares.
    pub metrics: Option<[i64; 6]>,
    /// When the metrics were read.
    pub metrics_at: Option<i64>,
    /// Topic tag, if any.
    pub topic: Option<String>,
    /// Distinct lower-case words of the text (keyword analysis).
    pub words: Vec<String>,
    /// The start of the text, for examples the owner sees.
    pub snippet: String,
    /// Link to the post on Threads.
    pub permalink: Option<String>,
}

impl PostFacts {
    /// The format label used in advice (quotes are told apart from plain text).
    pub fn format(&self) -> &'static str {
        match self.media_type.as_str() {
            _ if self.is_repost => "REPOST",
            "VIDEO" => "VIDEO",
            "IMAGE" => "IMAGE",
            "CAROUSEL_ALBUM" => "CAROUSEL",
            _ if self.is_quote => "QUOTE",
            _ => "TEXT",
        }
    }

    /// Likes + replies + reposts + quotes + shares.
    pub fn engagements(&self) -> Option<i64> {
        self.metrics.map(|m| m[1..].iter().sum())
    }

    /// Views.
    pub fn views(&self) -> Option<i64> {
        self.metrics.map(|m| m[0])
    }

    /// Replies.
    pub fn replies(&self) -> Option<i64> {
        self.metrics.map(|m| m[2])
    }
}

/// Facts about the profile itself (completeness, sync health).
#[derive(Debug, Clone, Default)]
pub struct ProfileFacts {
    /// Whether a display name is set.
    pub has_name: bool,
    /// Whether a biography is set.
    pub has_bio: bool,
    /// Whether a profile picture is set.
    pub has_picture: bool,
    /// Verified badge.
    pub is_verified: bool,
    /// active | needs_reconnect | disconnected | paused.
    pub status: String,
    /// Whether the last sync ended in an error.
    pub has_error: bool,
    /// Follower count at the last sync.
    pub followers: Option<i64>,
}

/// Everything analysed for one profile.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// ThredOps profile id.
    pub profile_id: ProfileId,
    /// The moment the data describes: the newest post or snapshot (not the wall clock, so the
    /// same data always gives the same answer).
    pub as_of: i64,
    /// Posts, oldest first.
    pub posts: Vec<PostFacts>,
    /// Daily follower counts: (day, taken_at, followers), oldest first.
    pub followers: Vec<(String, i64, i64)>,
    /// Latest audience countries: (ISO code, followers), largest first. They cover every
    /// follower, so their sum is the audience the shares below are of.
    pub countries: Vec<(String, i64)>,
    /// Latest audience cities: (name, followers), largest first. Meta lists only the larger
    /// cities, so they cover part of the audience.
    pub cities: Vec<(String, i64)>,
    /// The profile.
    pub profile: ProfileFacts,
    /// The owner's timezone (UTC when unset or unknown).
    pub user_tz: Tz,
}

/// The owner's timezone, parsed; UTC when unset or not an IANA name.
pub fn user_tz(name: Option<&str>) -> Tz {
    name.and_then(|n| n.parse().ok()).unwrap_or(Tz::UTC)
}

/// A profile of this workspace, or 404 (also for other workspaces' profiles).
pub async fn owned_profile(
    state: &AppState,
    workspace_id: &WorkspaceId,
    profile_id: &ProfileId,
) -> AppResult<ProfileRecord> {
    state
        .store
        .profile_of(workspace_id, profile_id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Loads and opens everything about `profile`; `progress` is told how many posts were read.
pub async fn load(state: &AppState, profile: &ProfileRecord, tz: Tz) -> AppResult<Dataset> {
    let key = state
        .vault
        .existing_key(&profile.user_id)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("data key: {e}")))?;
    let rows = state.store.strategy_posts(&profile.id).await?;
    let mut posts = Vec::with_capacity(rows.len());
    for r in rows {
        let content: serde_json::Value = key
            .as_ref()
            .and_then(|k| {
                k.open_string(
                    POST_PURPOSE,
                    &format!("{}/{}", profile.id, r.media_id),
                    &r.content_enc,
                )
                .ok()
            })
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default();
        let text = content["text"].as_str().unwrap_or("");
        let metrics = r.metrics();
        posts.push(PostFacts {
            media_type: r.media_type,
            posted_at: r.posted_at,
            text_len: r.text_len,
            link_count: r.link_count,
            has_question: r.has_question,
            is_quote: r.is_quote,
            is_repost: r.is_repost,
            metrics,
            metrics_at: r.metrics_at,
            topic: content["topic_tag"]
                .as_str()
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
            words: keywords(text),
            snippet: text.chars().take(SNIPPET_CHARS).collect(),
            permalink: content["permalink"].as_str().map(str::to_owned),
            media_id: r.media_id,
        });
    }
    let followers = follower_days(state, &profile.id).await?;
    let countries = latest_breakdown(state, profile, key.as_ref(), "country").await?;
    let cities = latest_breakdown(state, profile, key.as_ref(), "city").await?;
    let details: serde_json::Value = match (&key, &profile.profile_enc) {
        (Some(k), Some(sealed)) => k
            .open_string(purpose::PROFILE, &profile.threads_user_id, sealed)
            .ok()
            .and_then(|s| serde_json::from_str(&s).ok())
            .unwrap_or_default(),
        _ => serde_json::Value::Null,
    };
    let filled = |k: &str| details[k].as_str().is_some_and(|s| !s.trim().is_empty());
    let as_of = posts
        .iter()
        .map(|p| p.posted_at)
        .chain(followers.iter().map(|f| f.1))
        .max()
        .unwrap_or(profile.connected_at);
    Ok(Dataset {
        profile_id: profile.id.clone(),
        as_of,
        posts,
        followers,
        countries,
        cities,
        profile: ProfileFacts {
            has_name: filled("name"),
            has_bio: filled("biography"),
            has_picture: filled("picture_url"),
            is_verified: details["is_verified"].as_bool().unwrap_or(false),
            status: profile.status.as_str().into(),
            has_error: profile.last_error.is_some(),
            followers: profile.followers_count,
        },
        user_tz: tz,
    })
}

/// Distinct lower-case words of at least [`MIN_KEYWORD_LEN`] letters; links and mentions skipped.
pub fn keywords(text: &str) -> Vec<String> {
    let words: BTreeSet<String> = text
        .split_whitespace()
        .filter(|w| !w.contains("://") && !w.starts_with('@') && !w.starts_with("www."))
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| w.chars().count() >= MIN_KEYWORD_LEN && w.chars().all(char::is_alphabetic))
        .collect();
    words.into_iter().collect()
}

async fn follower_days(
    state: &AppState,
    profile_id: &ProfileId,
) -> AppResult<Vec<(String, i64, i64)>> {
    Ok(state.store.follower_days(profile_id).await?)
}

/// The audience of `profile` for an owner in `tz` at `at`, from its latest follower countries
/// (what suggested times fall back to when no time of its own stands out).
pub async fn audience(
    state: &AppState,
    profile: &ProfileRecord,
    tz: Tz,
    at: i64,
) -> AppResult<super::audience::Audience> {
    let key = state
        .vault
        .existing_key(&profile.user_id)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("data key: {e}")))?;
    let countries = latest_breakdown(state, profile, key.as_ref(), "country").await?;
    Ok(super::audience::from_countries(&countries, tz, at))
}

/// The latest demographic `breakdown` ("country" or "city"): (value, followers), largest first.
async fn latest_breakdown(
    state: &AppState,
    profile: &ProfileRecord,
    key: Option<&crate::crypto::DataKey>,
    breakdown: &str,
) -> AppResult<Vec<(String, i64)>> {
    let row = state.store.latest_breakdown(&profile.id, breakdown).await?;
    let (Some((day, sealed)), Some(key)) = (row, key) else {
        return Ok(Vec::new());
    };
    let subject = format!("{}/{day}/{breakdown}", profile.id);
    let payload: serde_json::Value = key
        .open_string(DEMOGRAPHICS_PURPOSE, &subject, &sealed)
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        .unwrap_or_default();
    let mut out: Vec<(String, i64)> = payload
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|b| Some((b["value"].as_str()?.to_owned(), b["followers"].as_i64()?)))
                .collect()
        })
        .unwrap_or_default();
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_skip_links_mentions_short_words_and_repeat_once() {
        let w = keywords("Coffee coffee, @friend at https://x.example today! Écrire 2024");
        assert_eq!(w, vec!["coffee", "today", "écrire"]);
    }
}
