//! The customer's Threads data beside a conversation: hidden until an agent asks for it, and
//! every opening recorded in the customer's staff access log.
//!
//! The rule: an agent opens Threads data only *through a conversation*, and only of the
//! account that conversation belongs to, once that customer has written in it. Routes take a
//! conversation id, never a user id, so there is no way to name an account that has not asked
//! the desk for help.

use serde::Serialize;

use crate::app::AppState;
use crate::domain::{ConversationId, WorkspaceId};
use crate::error::{AppError, AppResult};
use crate::privacy::staff::record_access;
use crate::store::users::UserRecord;

use super::desk::is_agent;
use super::store::Conversation;

/// What the access log says was looked at.
pub const ACTION: &str =
    "opened your Threads profiles (username, status, last sync, followers, posts) in support";

/// One of the customer's Threads profiles as an agent sees it: facts for troubleshooting, no
/// posts, replies or demographics.
#[derive(Debug, Serialize)]
pub struct ProfileFacts {
    /// The Threads handle.
    pub username: String,
    /// active | needs_reconnect | disconnected | paused.
    pub status: crate::store::profiles::ProfileStatus,
    /// Last successful sync (Unix seconds).
    pub last_sync_at: Option<i64>,
    /// Follower count at the last sync.
    pub followers_count: Option<i64>,
    /// How many posts ThredOps holds for the profile.
    pub posts: i64,
}

/// What an agent opened.
#[derive(Debug, Serialize)]
pub struct ThreadsData {
    /// The conversation it was opened from (the reason in the access log).
    pub conversation_id: ConversationId,
    /// The customer's profiles, connected or not.
    pub profiles: Vec<ProfileFacts>,
}

/// The reason recorded in the customer's access log: the conversation that asked for help.
pub fn reason(c: &Conversation) -> String {
    format!("Support {} {}", c.kind.as_str(), c.id)
}

/// Opens the Threads data of the customer of `conversation_id` for `agent`, recording it in the
/// customer's access log first.
pub async fn open(
    state: &AppState,
    agent: &UserRecord,
    conversation_id: &ConversationId,
) -> AppResult<ThreadsData> {
    if !is_agent(agent) {
        return Err(AppError::Forbidden(
            "The support console is for support agents.",
        ));
    }
    let c = state
        .store
        .support_conversation(conversation_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let Some(user_id) = c.user_id.as_ref() else {
        return Err(AppError::Forbidden(
            "This customer is a visitor without an account, so there is no Threads data.",
        ));
    };
    if !state.store.support_customer_wrote(&c.id).await? {
        return Err(AppError::Forbidden(
            "Threads data opens only from a conversation the customer has written in.",
        ));
    }
    record_access(state, agent, user_id, ACTION, &reason(&c)).await?;
    let mut profiles = Vec::new();
    // The customer's own workspace: the profiles they connected themselves.
    let workspace = WorkspaceId::owned_by(user_id);
    for p in crate::services::profiles::list_of(state, &workspace).await? {
        profiles.push(ProfileFacts {
            posts: state.store.post_count(&p.id).await?,
            username: p.username,
            status: p.status,
            last_sync_at: p.sync.last_sync_at,
            followers_count: p.followers_count,
        });
    }
    Ok(ThreadsData {
        conversation_id: c.id,
        profiles,
    })
}
