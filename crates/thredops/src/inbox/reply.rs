//! Replying from the inbox: a planned post replying to the item, published by the exactly-once
//! publisher from the item's profile, within Threads' reply quota (1,000 per profile per 24 h).
//!
//! An item gets one reply: the planned post is linked to the item with a conditional update, so
//! a repeated or concurrent request answers the reply already planned instead of planning a
//! second one (a failed or cancelled reply may be replaced).

use serde::{Deserialize, Serialize};
use threads_api::Scope;

use super::actions::{granted, open};
use super::{InboxItemId, ItemView, SavedReplyId, get, owned};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::domain::{PostId, ProfileId};
use crate::error::{AppError, AppResult};
use crate::publishing::compose::{Composition, Part};
use crate::publishing::service::{self, PostInput};

/// Replies Threads allows per profile in a rolling 24 hours (§6.2).
pub const REPLY_QUOTA: u64 = 1_000;

/// What the API and page send to reply.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReplyInput {
    /// The reply; when empty, the saved reply's text.
    pub text: String,
    /// A saved reply to use when `text` is empty.
    pub saved_reply_id: Option<SavedReplyId>,
}

/// A profile's reply quota as the inbox shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyQuota {
    /// Replies still allowed, less those planned and not yet published; `None` when Threads did
    /// not say.
    pub replies_remaining: Option<u64>,
    /// Threads' limit.
    pub replies_total: u64,
    /// Replies planned from the inbox, not yet on Threads.
    pub pending: i64,
}

async fn read_quota(state: &AppState, profile_id: &ProfileId) -> AppResult<ReplyQuota> {
    let run = open(state, profile_id).await?;
    let pending = state.store.pending_inbox_replies(profile_id).await?;
    if !granted(&run, Scope::ManageReplies) {
        return Ok(ReplyQuota {
            replies_remaining: None,
            replies_total: REPLY_QUOTA,
            pending,
        });
    }
    let limit = run
        .session()
        .publishing_limit_fields(&["reply_quota_usage", "reply_config"])
        .await;
    run.record_usage().await;
    let remaining = match limit {
        Ok(l) => l.replies_remaining(),
        Err(e) => {
            tracing::warn!(error = %e, "could not read the reply quota");
            None
        }
    };
    Ok(ReplyQuota {
        replies_remaining: remaining.map(|r| r.saturating_sub(pending.max(0) as u64)),
        replies_total: REPLY_QUOTA,
        pending,
    })
}

/// The reply quota of one of the user's profiles.
pub async fn quota(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: &ProfileId,
) -> AppResult<ReplyQuota> {
    state
        .store
        .profile_of(auth.workspace_id(), profile_id)
        .await?
        .ok_or(AppError::NotFound)?;
    read_quota(state, profile_id).await
}

/// Plans the reply to an item, to publish now. Returns whether a reply was planned by this
/// call (false: one was already planned or published) and the item.
pub async fn reply(
    state: &AppState,
    auth: &CurrentUser,
    id: &InboxItemId,
    input: ReplyInput,
) -> AppResult<(bool, ItemView)> {
    let item = owned(state, auth, id).await?;
    let current = get(state, auth, id).await?;
    if current
        .reply
        .as_ref()
        .is_some_and(|r| !matches!(r.state.as_str(), "failed" | "cancelled"))
    {
        return Ok((false, current));
    }
    let mut text = input.text.trim().to_owned();
    if text.is_empty()
        && let Some(saved) = input.saved_reply_id.as_ref().filter(|s| !s.is_empty())
    {
        text = super::saved::get(state, auth, saved).await?.text;
    }
    if text.is_empty() {
        return Err(AppError::field(
            "text",
            "Write a reply, or choose a saved one.",
        ));
    }
    let quota = read_quota(state, &item.profile_id).await?;
    if quota.replies_remaining == Some(0) {
        return Err(AppError::field(
            "text",
            format!(
                "This profile has used the {} replies Threads allows in 24 hours (replies from other apps count too). Try again later; nothing was planned.",
                crate::domain::format::integer(REPLY_QUOTA as i64)
            ),
        ));
    }
    let tz = service::user_zone(auth);
    // Planned posts live on the real clock, like every scheduled post.
    let local = crate::publishing::when::local_value(crate::clock::now(), tz);
    let input = PostInput {
        profile_id: item.profile_id.clone(),
        content: Composition {
            parts: vec![Part {
                text,
                ..Part::default()
            }],
            reply_to_id: Some(item.threads_id.clone()),
            ..Composition::default()
        },
        action: Some("schedule".into()),
        local_time: Some(local),
    };
    let post = service::create(state, auth, input).await?;
    if !state
        .store
        .link_inbox_reply(&item.id, &PostId::new(post.id.as_str()))
        .await?
    {
        // Another request planned the reply first: this one is withdrawn before it publishes.
        service::cancel(state, auth, &post.id).await?;
        return Ok((false, get(state, auth, id).await?));
    }
    tracing::info!(item_id = %item.id, post_id = %post.id, "inbox reply planned");
    Ok((true, get(state, auth, id).await?))
}
