//! The engagement inbox: replies to the creator's posts and mentions of the creator, per profile
//! and across profiles.
//!
//! Items arrive two ways. With a webhook subscription configured
//! (`THREDOPS_THREADS_WEBHOOK_VERIFY_TOKEN`), Meta posts each reply and mention to
//! `/hooks/threads/webhook` ([`webhook`]); the poll then runs once a day as a safety net.
//! Without one, a poll job per profile ([`poll`]) runs after each hourly sync: it reads the
//! conversations of recent posts and of posts whose replies count grew, newest first, stopping
//! at the newest reply already read, and the mentions published since the newest one read, all
//! within the profile's daily call budget.
//!
//! The text, author and link of an item are other people's content: sealed with the owner's
//! data key. Only what the filters need is plain: kind, has-a-question, read, hidden, answered.
//!
//! The inbox needs `threads_manage_replies` and `threads_manage_mentions` besides the scopes
//! every profile grants; they are asked for only when the user turns the inbox on for a profile
//! ([`crate::threads::INBOX_SCOPES`] says what each is for).

pub(crate) mod actions;
mod items;
pub mod poll;
pub(crate) mod reply;
pub(crate) mod saved;
mod store;
pub(crate) mod webhook;

use serde::{Deserialize, Serialize};
use threads_api::Scope;

pub use items::{
    Assignable, DEFAULT_LIST, ItemView, ListQuery, MAX_LIST, ReplyView, assign, assignable, export,
    get, list, owned, set_read,
};
pub use store::{InboxProfile, ItemFilter, ItemRecord, NewItem};

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::now_unix;
use crate::domain::{ProfileId, WorkspaceId};
use crate::error::{AppError, AppResult};
use crate::threads::INBOX_SCOPES;

crate::domain::id_type!(
    /// A reply or mention in the inbox.
    InboxItemId
);
crate::domain::id_type!(
    /// One of a workspace's saved replies.
    SavedReplyId
);

/// Vault purpose of an item's content.
pub const ITEM_PURPOSE: &str = "inbox-item";

/// A reply under one of the profile's posts, or a post mentioning the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    /// A reply in the conversation under one of the profile's posts.
    Reply,
    /// A public post by someone else that mentions the profile.
    Mention,
}

impl ItemKind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemKind::Reply => "reply",
            ItemKind::Mention => "mention",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "reply" => Some(ItemKind::Reply),
            "mention" => Some(ItemKind::Mention),
            _ => None,
        }
    }
}

/// How an item reached ThredOps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    /// Read by the poll.
    Poll,
    /// Delivered by Meta's webhook.
    Webhook,
}

impl Source {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Poll => "poll",
            Source::Webhook => "webhook",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "poll" => Some(Source::Poll),
            "webhook" => Some(Source::Webhook),
            _ => None,
        }
    }
}

/// Whether a profile's inbox is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProfileState {
    /// The user asked to turn it on and went to Threads to grant the scopes.
    Requested,
    /// On: items are collected.
    On,
    /// Turned off: nothing is collected.
    Off,
}

impl ProfileState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProfileState::Requested => "requested",
            ProfileState::On => "on",
            ProfileState::Off => "off",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "requested" => Some(ProfileState::Requested),
            "on" => Some(ProfileState::On),
            "off" => Some(ProfileState::Off),
            _ => None,
        }
    }
}

/// The sealed part of an item.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Content {
    /// The author's username, when Threads shows it.
    pub username: Option<String>,
    /// The text.
    pub text: String,
    /// Link to it on Threads.
    pub permalink: Option<String>,
    /// TEXT_POST, IMAGE, ...
    pub media_type: Option<String>,
}

/// Registers the inbox's jobs.
pub fn register_jobs(runner: crate::jobs::Runner, state: &AppState) -> crate::jobs::Runner {
    poll::register(runner, state)
}

/// Whether a text asks something: it has a question mark (Latin, full-width or Spanish opening).
pub fn has_question(text: &str) -> bool {
    text.contains(['?', '？', '¿'])
}

/// Whether a comma-separated scope list holds every scope the inbox needs.
pub fn scopes_granted(scopes: &str) -> bool {
    INBOX_SCOPES
        .iter()
        .all(|(s, _)| scopes.split(',').any(|g| g.trim() == s.as_str()))
}

/// The scopes a new connection must keep asking for: the inbox's while any of the user's
/// profiles has it on.
pub async fn scopes_to_keep(state: &AppState, user_id: &WorkspaceId) -> AppResult<Vec<Scope>> {
    let rows = state.store.inbox_profiles_of(user_id).await?;
    Ok(if rows.iter().any(|r| r.state == ProfileState::On) {
        INBOX_SCOPES.iter().map(|(s, _)| *s).collect()
    } else {
        Vec::new()
    })
}

/// Asks to turn the inbox on for one of the user's profiles: records the request and returns
/// the consent URL asking for the inbox's scopes. Threads then shows its own consent page.
pub async fn request(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: &ProfileId,
) -> AppResult<String> {
    let p = state
        .store
        .profile_of(auth.workspace_id(), profile_id)
        .await?
        .ok_or_else(|| AppError::field("profile_id", "Choose one of your connected profiles."))?;
    let profile_id = p.id.clone();
    let current = state.store.inbox_profile(&profile_id).await?;
    if current.is_none_or(|c| c.state != ProfileState::On) {
        state
            .store
            .set_inbox_state(
                &profile_id,
                auth.workspace_id(),
                ProfileState::Requested,
                now_unix(),
            )
            .await?;
    }
    let scopes: Vec<Scope> = INBOX_SCOPES.iter().map(|(s, _)| *s).collect();
    crate::services::profiles::start_connect_with(state, auth, &scopes).await
}

/// After a connection: a profile whose inbox was asked for (or is on) and that granted the
/// inbox's scopes has it on, and is polled at once.
pub async fn after_connect(
    state: &AppState,
    profile_id: &ProfileId,
    scopes: &str,
) -> AppResult<()> {
    let Some(row) = state.store.inbox_profile(profile_id).await? else {
        return Ok(());
    };
    if row.state == ProfileState::Off || !scopes_granted(scopes) {
        return Ok(());
    }
    state
        .store
        .set_inbox_state(profile_id, &row.user_id, ProfileState::On, now_unix())
        .await?;
    poll::schedule(state, &row.user_id, profile_id, 0).await?;
    Ok(())
}

/// Turns a profile's inbox off: nothing more is collected and its items leave the inbox (they
/// stay stored until the profile is disconnected, and come back if it is turned on again).
pub async fn turn_off(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: &ProfileId,
) -> AppResult<()> {
    let p = state
        .store
        .profile_of(auth.workspace_id(), profile_id)
        .await?
        .ok_or(AppError::NotFound)?;
    state
        .store
        .set_inbox_state(
            &p.id.clone(),
            auth.workspace_id(),
            ProfileState::Off,
            now_unix(),
        )
        .await?;
    Ok(())
}

/// Deletes everything the inbox holds for a profile (disconnect, deauthorization).
pub async fn forget_profile(state: &AppState, profile_id: &ProfileId) -> AppResult<()> {
    state.store.forget_inbox_profile(profile_id).await?;
    Ok(())
}

/// Unread items of the user's profiles whose inbox is on.
pub async fn unread(state: &AppState, user_id: &WorkspaceId) -> AppResult<i64> {
    Ok(state.store.unread_inbox_items(user_id).await?)
}

/// A profile as the inbox shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileStatus {
    /// Profile id.
    pub profile_id: ProfileId,
    /// Handle.
    pub username: String,
    /// Whether the inbox is on, asked for, or off.
    pub state: ProfileState,
    /// The profile granted the inbox's scopes.
    pub scopes_granted: bool,
    /// Scopes still missing, with what each is for.
    pub missing_scopes: Vec<ScopeNeed>,
    /// How items arrive: `webhook` or `poll`.
    pub delivery: &'static str,
    /// When it was last polled (UTC seconds).
    pub last_poll_at: Option<i64>,
    /// The same, in the user's zone.
    pub last_poll_display: Option<String>,
    /// Items the last poll stored.
    pub last_new_items: i64,
    /// API calls the last poll made.
    pub last_calls: i64,
    /// Why the last poll failed.
    pub last_error: Option<String>,
}

/// A scope and why the inbox needs it.
#[derive(Debug, Clone, Serialize)]
pub struct ScopeNeed {
    /// Meta's name.
    pub name: &'static str,
    /// What it is for.
    pub why: &'static str,
}

/// Every scope the inbox needs, with what it is for.
pub fn scope_needs() -> Vec<ScopeNeed> {
    INBOX_SCOPES
        .iter()
        .map(|(s, why)| ScopeNeed {
            name: s.as_str(),
            why,
        })
        .collect()
}

/// Whether webhooks deliver items in this deployment.
pub fn webhooks_configured(state: &AppState) -> bool {
    state.settings.threads_webhook_verify_token.is_some()
}

/// The inbox state of each of the user's active profiles.
pub async fn status(state: &AppState, auth: &CurrentUser) -> AppResult<Vec<ProfileStatus>> {
    let rows = state.store.inbox_profiles_of(auth.workspace_id()).await?;
    let tz = crate::publishing::service::user_zone(auth);
    let delivery = if webhooks_configured(state) {
        "webhook"
    } else {
        "poll"
    };
    let mut out = Vec::new();
    for p in crate::services::profiles::list(state, auth).await? {
        if p.status == crate::store::profiles::ProfileStatus::Disconnected {
            continue;
        }
        let row = rows.iter().find(|r| r.profile_id == p.id);
        let granted = scopes_granted(&p.scopes.join(","));
        let missing = INBOX_SCOPES
            .iter()
            .filter(|(s, _)| !p.scopes.iter().any(|g| g == s.as_str()))
            .map(|(s, why)| ScopeNeed {
                name: s.as_str(),
                why,
            })
            .collect();
        out.push(ProfileStatus {
            profile_id: p.id.clone(),
            username: p.username.clone(),
            state: row.map_or(ProfileState::Off, |r| r.state),
            scopes_granted: granted,
            missing_scopes: missing,
            delivery,
            last_poll_at: row.and_then(|r| r.last_poll_at),
            last_poll_display: row
                .and_then(|r| r.last_poll_at)
                .map(|t| crate::domain::format::datetime(t, tz)),
            last_new_items: row.map_or(0, |r| r.last_new_items),
            last_calls: row.map_or(0, |r| r.last_calls),
            last_error: row.and_then(|r| r.last_error.clone()),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_question_mark_of_any_script_makes_a_question() {
        assert!(has_question("When is the next drop?"));
        assert!(has_question("¿Cuándo sale"));
        assert!(has_question("次はいつ？"));
        assert!(!has_question("Love this."));
    }

    #[test]
    fn the_inbox_scopes_are_granted_only_when_all_are_there() {
        assert!(scopes_granted(
            "threads_basic,threads_read_replies,threads_manage_replies,threads_manage_mentions"
        ));
        assert!(!scopes_granted("threads_basic,threads_read_replies"));
    }
}
