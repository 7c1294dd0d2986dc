//! Proposals: the profile's best performers of the last year that are not bound to their
//! moment, with the evidence ("2.4x the profile's median views").

use serde::Serialize;

use super::rules;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::sync::engine::POST_PURPOSE;

/// Posts younger than this have unsettled metrics and are never proposed.
const SETTLED_SECONDS: i64 = 2 * 86_400;
/// Fewer settled posts than this give no meaningful median.
const MIN_POSTS: usize = 5;
/// A post must have at least this many times the profile's median views.
const MIN_RATIO: f64 = 1.5;
/// Proposals per profile.
const MAX_PROPOSALS: usize = 5;

/// A post ThredOps proposes to make evergreen.
#[derive(Debug, Clone, Serialize)]
pub struct Proposal {
    /// Its profile.
    pub profile_id: String,
    /// Its Threads media id (send it with the profile to mark it).
    pub media_id: String,
    /// Its text.
    pub text: String,
    /// Published (UTC seconds).
    pub posted_at: i64,
    /// Its views.
    pub views: i64,
    /// Its likes, replies, reposts and quotes.
    pub engagement: i64,
    /// The profile's median views over the same posts.
    pub median_views: i64,
    /// The profile's median engagement.
    pub median_engagement: i64,
    /// Views over the median.
    pub views_ratio: f64,
    /// Engagement over the median (0 when the median is 0).
    pub engagement_ratio: f64,
    /// The evidence in words.
    pub evidence: String,
}

/// The text of a synced post, opened with the owner's key.
pub(super) async fn synced_text(
    state: &AppState,
    user_id: &str,
    profile_id: &str,
    media_id: &str,
    sealed: &[u8],
) -> AppResult<String> {
    let key = state
        .vault
        .existing_key(&crate::domain::WorkspaceId::from(user_id))
        .await
        .map_err(|e| anyhow::anyhow!("vault: {e}"))?
        .ok_or(AppError::NotFound)?;
    let json = key
        .open_string(POST_PURPOSE, &format!("{profile_id}/{media_id}"), sealed)
        .ok()
        .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok());
    Ok(json
        .and_then(|j| j["text"].as_str().map(str::to_owned))
        .unwrap_or_default())
}

fn median(mut v: Vec<i64>) -> i64 {
    v.sort_unstable();
    match v.len() {
        0 => 0,
        n if n % 2 == 1 => v[n / 2],
        n => (v[n / 2 - 1] + v[n / 2]) / 2,
    }
}

/// The user's proposals (for one profile, or all of them), best first within each profile.
pub async fn proposals(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: Option<&str>,
) -> AppResult<Vec<Proposal>> {
    let now = crate::clock::now_unix();
    let taken: Vec<(String, String)> = state
        .store
        .evergreen_items(Some(auth.workspace_id()))
        .await?
        .into_iter()
        .map(|i| (i.profile_id, i.source_media_id))
        .collect();
    let mut out = Vec::new();
    for p in state.store.profiles_of(auth.workspace_id()).await? {
        if profile_id.is_some_and(|id| id != p.id) {
            continue;
        }
        let posts = state
            .store
            .settled_posts(&p.id, now - SETTLED_SECONDS)
            .await?;
        if posts.len() < MIN_POSTS {
            continue;
        }
        let median_views = median(posts.iter().map(|x| x.views).collect());
        let median_engagement = median(posts.iter().map(|x| x.engagement).collect());
        if median_views <= 0 {
            continue;
        }
        let mut found = Vec::new();
        for post in &posts {
            let views_ratio = post.views as f64 / median_views as f64;
            if views_ratio < MIN_RATIO
                || taken
                    .iter()
                    .any(|(pid, m)| *pid == p.id && *m == post.media_id)
            {
                continue;
            }
            let text = synced_text(
                state,
                auth.workspace_id(),
                &p.id,
                &post.media_id,
                &post.content_enc,
            )
            .await?;
            if text.trim().is_empty() || rules::time_bound(&text) {
                continue;
            }
            let engagement_ratio = if median_engagement > 0 {
                post.engagement as f64 / median_engagement as f64
            } else {
                0.0
            };
            found.push(Proposal {
                profile_id: p.id.clone().into(),
                media_id: post.media_id.clone(),
                text,
                posted_at: post.posted_at,
                views: post.views,
                engagement: post.engagement,
                median_views,
                median_engagement,
                views_ratio,
                engagement_ratio,
                evidence: evidence(
                    views_ratio,
                    engagement_ratio,
                    post.views,
                    median_views,
                    posts.len(),
                ),
            });
        }
        found.sort_by(|a, b| b.views_ratio.total_cmp(&a.views_ratio));
        found.truncate(MAX_PROPOSALS);
        out.extend(found);
    }
    Ok(out)
}

fn evidence(
    views_ratio: f64,
    engagement_ratio: f64,
    views: i64,
    median: i64,
    posts: usize,
) -> String {
    use crate::domain::format::{integer, number};
    let engagement = if engagement_ratio > 0.0 {
        format!(
            " and {}x its median engagement",
            number(engagement_ratio, 1)
        )
    } else {
        String::new()
    };
    format!(
        "{}x the profile's median views ({} vs {}){engagement}, among its {} settled posts of the last year.",
        number(views_ratio, 1),
        integer(views),
        integer(median),
        posts
    )
}
