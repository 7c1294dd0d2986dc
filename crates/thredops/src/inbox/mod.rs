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

pub mod actions;
pub mod poll;
pub mod reply;
pub mod saved;
mod store;
pub mod webhook;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use threads_api::Scope;

pub use store::{InboxProfile, ItemFilter, ItemRecord, NewItem};

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::crypto::DataKey;
use crate::error::{AppError, AppResult};
use crate::store::now_unix;
use crate::threads::INBOX_SCOPES;

/// Vault purpose of an item's content.
pub const ITEM_PURPOSE: &str = "inbox-item";
/// Most items one list answers.
pub const MAX_LIST: i64 = 200;
/// Items a list answers unless asked otherwise.
pub const DEFAULT_LIST: i64 = 50;

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
pub async fn scopes_to_keep(state: &AppState, user_id: &str) -> AppResult<Vec<Scope>> {
    let rows = state.store.inbox_profiles_of(user_id).await?;
    Ok(if rows.iter().any(|r| r.state == ProfileState::On) {
        INBOX_SCOPES.iter().map(|(s, _)| *s).collect()
    } else {
        Vec::new()
    })
}

/// Asks to turn the inbox on for one of the user's profiles: records the request and returns
/// the consent URL asking for the inbox's scopes. Threads then shows its own consent page.
pub async fn request(state: &AppState, auth: &CurrentUser, profile_id: &str) -> AppResult<String> {
    let p = state
        .store
        .profile_of(&auth.user.id, profile_id)
        .await?
        .ok_or_else(|| AppError::field("profile_id", "Choose one of your connected profiles."))?;
    let current = state.store.inbox_profile(&p.id).await?;
    if current.is_none_or(|c| c.state != ProfileState::On) {
        state
            .store
            .set_inbox_state(&p.id, &auth.user.id, ProfileState::Requested, now_unix())
            .await?;
    }
    let scopes: Vec<Scope> = INBOX_SCOPES.iter().map(|(s, _)| *s).collect();
    crate::services::profiles::start_connect_with(state, auth, &scopes).await
}

/// After a connection: a profile whose inbox was asked for (or is on) and that granted the
/// inbox's scopes has it on, and is polled at once.
pub async fn after_connect(state: &AppState, profile_id: &str, scopes: &str) -> AppResult<()> {
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
pub async fn turn_off(state: &AppState, auth: &CurrentUser, profile_id: &str) -> AppResult<()> {
    let p = state
        .store
        .profile_of(&auth.user.id, profile_id)
        .await?
        .ok_or(AppError::NotFound)?;
    state
        .store
        .set_inbox_state(&p.id, &auth.user.id, ProfileState::Off, now_unix())
        .await?;
    Ok(())
}

/// Deletes everything the inbox holds for a profile (disconnect, deauthorization).
pub async fn forget_profile(state: &AppState, profile_id: &str) -> AppResult<()> {
    state.store.forget_inbox_profile(profile_id).await?;
    Ok(())
}

/// Unread items of the user's profiles whose inbox is on.
pub async fn unread(state: &AppState, user_id: &str) -> AppResult<i64> {
    Ok(state.store.unread_inbox_items(user_id).await?)
}

/// A profile as the inbox shows it.
#[derive(Debug, Clone, Serialize)]
pub struct ProfileStatus {
    /// Profile id.
    pub profile_id: String,
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
    let rows = state.store.inbox_profiles_of(&auth.user.id).await?;
    let tz = crate::publishing::service::user_zone(auth);
    let delivery = if webhooks_configured(state) {
        "webhook"
    } else {
        "poll"
    };
    let mut out = Vec::new();
    for p in crate::services::profiles::list(state, auth).await? {
        if p.status == "disconnected" {
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

/// Filters of a list, as the API and page send them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ListQuery {
    /// One profile's items only.
    pub profile: Option<String>,
    /// `reply` or `mention`.
    pub kind: Option<String>,
    /// Unread only.
    pub unread: Option<bool>,
    /// Only items the profile has not answered.
    pub unanswered: Option<bool>,
    /// Only items that ask something.
    pub questions: Option<bool>,
    /// The `cursor` of the last item of the previous page: the next page starts after it.
    pub after: Option<String>,
    /// How many, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

impl ListQuery {
    fn filter(&self) -> AppResult<ItemFilter> {
        let kind = match self.kind.as_deref().filter(|k| !k.is_empty()) {
            None => None,
            Some(k) => Some(ItemKind::parse(k).ok_or_else(|| {
                AppError::field(
                    "kind",
                    "Choose reply or mention (or leave it empty for both).",
                )
            })?),
        };
        let limit = self.limit.unwrap_or(DEFAULT_LIST);
        if !(1..=MAX_LIST).contains(&limit) {
            return Err(AppError::field(
                "limit",
                format!("Ask for 1 to {MAX_LIST} items."),
            ));
        }
        Ok(ItemFilter {
            profile_id: self.profile.clone().filter(|p| !p.is_empty()),
            kind,
            unread: self.unread.unwrap_or(false),
            unanswered: self.unanswered.unwrap_or(false),
            questions: self.questions.unwrap_or(false),
            after: match self.after.as_deref().filter(|a| !a.is_empty()) {
                None => None,
                Some(a) => Some(parse_cursor(a).ok_or_else(|| {
                    AppError::field("after", "Use the cursor of an item from the previous page.")
                })?),
            },
            limit,
            include_off: false,
        })
    }
}

/// An item's place in the list, for paging: `<posted_at>_<id>`.
fn cursor(r: &ItemRecord) -> String {
    format!("{}_{}", r.posted_at, r.id)
}

fn parse_cursor(s: &str) -> Option<(i64, String)> {
    let (at, id) = s.split_once('_')?;
    Some((at.parse().ok()?, id.to_owned()))
}

/// The answer ThredOps planned for an item.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyView {
    /// The planned post (/api/v1/publishing/posts/{id}).
    pub post_id: String,
    /// Its state: scheduled while it is on its way, published once on Threads.
    pub state: String,
    /// Its link on Threads once published.
    pub permalink: Option<String>,
}

/// An item as the API and page show it.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    /// Id.
    pub id: String,
    /// Profile it is for.
    pub profile_id: String,
    /// That profile's handle.
    pub profile_username: String,
    /// Reply or mention.
    pub kind: ItemKind,
    /// Threads media id.
    pub threads_id: String,
    /// The author's handle, when Threads shows it.
    pub author: Option<String>,
    /// The text.
    pub text: String,
    /// Link on Threads.
    pub permalink: Option<String>,
    /// Published (UTC seconds).
    pub posted_at: i64,
    /// The same in the user's zone.
    pub posted_display: String,
    /// The text asks something.
    pub has_question: bool,
    /// Read by the user.
    pub read: bool,
    /// Hidden on Threads.
    pub hidden: bool,
    /// Threads allows hiding it (top-level replies only).
    pub can_hide: bool,
    /// The profile answered it (on Threads, or planned in ThredOps).
    pub answered: bool,
    /// The answer planned from ThredOps.
    pub reply: Option<ReplyView>,
    /// Who handles it (a user id; today only the account's own user).
    pub assignee: Option<String>,
    /// The assignee is the user asking.
    pub assigned_to_me: bool,
    /// How it arrived.
    pub source: Source,
    /// Its place in the list: pass it as `after` for the next page.
    pub cursor: String,
}

fn view(
    key: Option<&DataKey>,
    r: &ItemRecord,
    usernames: &std::collections::HashMap<String, String>,
    auth: &CurrentUser,
    tz: chrono_tz::Tz,
) -> ItemView {
    let content: Content = key
        .and_then(|k| k.open_string(ITEM_PURPOSE, &r.id, &r.content_enc).ok())
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    let reply = r.reply_post_id.as_ref().map(|id| ReplyView {
        post_id: id.clone(),
        state: r.reply_state.clone().unwrap_or_default(),
        permalink: r.reply_permalink.clone(),
    });
    let planned = reply
        .as_ref()
        .is_some_and(|p| !matches!(p.state.as_str(), "failed" | "cancelled"));
    ItemView {
        id: r.id.clone(),
        profile_id: r.profile_id.clone(),
        profile_username: usernames.get(&r.profile_id).cloned().unwrap_or_default(),
        kind: r.kind,
        threads_id: r.threads_id.clone(),
        author: content.username,
        text: content.text,
        permalink: content.permalink,
        posted_at: r.posted_at,
        posted_display: crate::domain::format::datetime(r.posted_at, tz),
        has_question: r.has_question,
        read: r.read_at.is_some(),
        hidden: r.hidden,
        can_hide: r.kind == ItemKind::Reply && r.top_level,
        answered: r.answered_at.is_some() || planned,
        reply,
        assigned_to_me: r.assignee_user_id.as_deref() == Some(auth.user.id.as_str()),
        assignee: r.assignee_user_id.clone(),
        source: r.source,
        cursor: cursor(r),
    }
}

async fn usernames(
    state: &AppState,
    auth: &CurrentUser,
) -> AppResult<std::collections::HashMap<String, String>> {
    Ok(crate::services::profiles::list(state, auth)
        .await?
        .into_iter()
        .map(|p| (p.id, p.username))
        .collect())
}

/// The user's items, newest first, as `q` filters them.
pub async fn list(state: &AppState, auth: &CurrentUser, q: &ListQuery) -> AppResult<Vec<ItemView>> {
    let filter = q.filter()?;
    if let Some(p) = &filter.profile_id
        && state.store.profile_of(&auth.user.id, p).await?.is_none()
    {
        return Err(AppError::field(
            "profile",
            "Choose one of your connected profiles.",
        ));
    }
    let rows = state.store.inbox_items(&auth.user.id, &filter).await?;
    let key = state.vault.existing_key(&auth.user.id).await?;
    let names = usernames(state, auth).await?;
    let tz = crate::publishing::service::user_zone(auth);
    Ok(rows
        .iter()
        .map(|r| view(key.as_ref(), r, &names, auth, tz))
        .collect())
}

/// One of the user's items (404 for anyone else's).
pub async fn owned(state: &AppState, auth: &CurrentUser, id: &str) -> AppResult<ItemRecord> {
    state
        .store
        .inbox_item(&auth.user.id, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// One item as shown.
pub async fn get(state: &AppState, auth: &CurrentUser, id: &str) -> AppResult<ItemView> {
    let r = owned(state, auth, id).await?;
    let key = state.vault.existing_key(&auth.user.id).await?;
    let names = usernames(state, auth).await?;
    let tz = crate::publishing::service::user_zone(auth);
    Ok(view(key.as_ref(), &r, &names, auth, tz))
}

/// Marks an item read or unread.
pub async fn set_read(
    state: &AppState,
    auth: &CurrentUser,
    id: &str,
    read: bool,
) -> AppResult<ItemView> {
    let r = owned(state, auth, id).await?;
    state
        .store
        .set_inbox_read(&r.id, read.then(now_unix))
        .await?;
    get(state, auth, id).await
}

/// Assigns an item to a user of the account, or clears it. Until workspaces exist the account
/// has one user, so only that user can be assigned.
pub async fn assign(
    state: &AppState,
    auth: &CurrentUser,
    id: &str,
    assignee: Option<&str>,
) -> AppResult<ItemView> {
    let r = owned(state, auth, id).await?;
    let assignee = assignee.map(str::trim).filter(|a| !a.is_empty());
    let assignee = match assignee {
        None => None,
        Some("me") => Some(auth.user.id.as_str()),
        Some(a) if a == auth.user.id => Some(a),
        Some(_) => {
            return Err(AppError::field(
                "assignee",
                "Only you can be assigned for now: team members arrive with workspaces.",
            ));
        }
    };
    state.store.set_inbox_assignee(&r.id, assignee).await?;
    get(state, auth, id).await
}

/// The readable inbox of a user for the export: items of every profile and saved replies.
pub async fn export(
    state: &AppState,
    user_id: &str,
    key: Option<&DataKey>,
) -> anyhow::Result<Value> {
    let filter = ItemFilter {
        limit: i64::MAX,
        include_off: true,
        ..ItemFilter::default()
    };
    let mut items = Vec::new();
    for p in state.store.profiles_of(user_id).await? {
        let filter = ItemFilter {
            profile_id: Some(p.id.clone()),
            ..filter.clone()
        };
        for r in state.store.inbox_items(user_id, &filter).await? {
            let content: Value = key
                .and_then(|k| k.open_string(ITEM_PURPOSE, &r.id, &r.content_enc).ok())
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or(Value::Null);
            items.push(json!({
                "id": r.id, "profile_id": r.profile_id, "kind": r.kind, "threads_id": r.threads_id,
                "posted_at": r.posted_at, "content": content, "read_at": r.read_at,
                "hidden": r.hidden, "answered_at": r.answered_at, "reply_post_id": r.reply_post_id,
                "assignee_user_id": r.assignee_user_id,
            }));
        }
    }
    let saved = saved::export(state, user_id, key).await?;
    Ok(json!({"items": items, "saved_replies": saved}))
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

    #[test]
    fn a_cursor_reads_back_as_time_and_id() {
        assert_eq!(
            parse_cursor("1700000000_ab-c_d"),
            Some((1_700_000_000, "ab-c_d".to_owned()))
        );
        assert_eq!(parse_cursor("x_1"), None);
        assert_eq!(parse_cursor("17"), None);
    }
}
