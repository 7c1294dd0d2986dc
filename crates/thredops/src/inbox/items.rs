//! The inbox's items as people see them: lists with filters and paging, one item, read and
//! unread, assignment, and the export.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::store::{ItemFilter, ItemRecord};
use super::{Content, ITEM_PURPOSE, InboxItemId, ItemKind, Source, saved};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::now_unix;
use crate::crypto::DataKey;
use crate::domain::{MediaId, Need, PostId, ProfileId, UserId, WorkspaceId};
use crate::error::{AppError, AppResult};

/// Most items one list answers.
pub const MAX_LIST: i64 = 200;
/// Items a list answers unless asked otherwise.
pub const DEFAULT_LIST: i64 = 50;

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
    /// Only items assigned to the user asking.
    pub assigned_to_me: Option<bool>,
    /// The `cursor` of the last item of the previous page: the next page starts after it.
    pub after: Option<String>,
    /// How many, 1 to 200 (default 50).
    pub limit: Option<i64>,
}

impl ListQuery {
    fn filter(&self, me: &UserId) -> AppResult<ItemFilter> {
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
            profile_id: self
                .profile
                .as_deref()
                .filter(|p| !p.is_empty())
                .map(ProfileId::from),
            kind,
            unread: self.unread.unwrap_or(false),
            unanswered: self.unanswered.unwrap_or(false),
            questions: self.questions.unwrap_or(false),
            assignee: self.assigned_to_me.unwrap_or(false).then(|| me.clone()),
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

fn parse_cursor(s: &str) -> Option<(i64, InboxItemId)> {
    let (at, id) = s.split_once('_')?;
    Some((at.parse().ok()?, InboxItemId::from(id)))
}

/// The answer ThredOps planned for an item.
#[derive(Debug, Clone, Serialize)]
pub struct ReplyView {
    /// The planned post (/api/v1/publishing/posts/{id}).
    pub post_id: PostId,
    /// Its state: scheduled while it is on its way, published once on Threads.
    pub state: String,
    /// Its link on Threads once published.
    pub permalink: Option<String>,
}

/// An item as the API and page show it.
#[derive(Debug, Clone, Serialize)]
pub struct ItemView {
    /// Id.
    pub id: InboxItemId,
    /// Profile it is for.
    pub profile_id: ProfileId,
    /// That profile's handle.
    pub profile_username: String,
    /// Reply or mention.
    pub kind: ItemKind,
    /// Threads media id.
    pub threads_id: MediaId,
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
    /// Who handles it: the user id of the workspace's owner or of one of its members.
    pub assignee: Option<UserId>,
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
    usernames: &std::collections::HashMap<ProfileId, String>,
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
        assigned_to_me: r.assignee_user_id.as_ref() == Some(&auth.user.id),
        assignee: r.assignee_user_id.clone(),
        source: r.source,
        cursor: cursor(r),
    }
}

async fn usernames(
    state: &AppState,
    auth: &CurrentUser,
) -> AppResult<std::collections::HashMap<ProfileId, String>> {
    Ok(crate::services::profiles::list(state, auth)
        .await?
        .into_iter()
        .map(|p| (p.id, p.username))
        .collect())
}

/// The user's items, newest first, as `q` filters them.
pub async fn list(state: &AppState, auth: &CurrentUser, q: &ListQuery) -> AppResult<Vec<ItemView>> {
    let filter = q.filter(&auth.user.id)?;
    if let Some(p) = &filter.profile_id
        && state
            .store
            .profile_of(auth.workspace_id(), p)
            .await?
            .is_none()
    {
        return Err(AppError::field(
            "profile",
            "Choose one of your connected profiles.",
        ));
    }
    let rows = state
        .store
        .inbox_items(auth.workspace_id(), &filter)
        .await?;
    let key = state.vault.existing_key(auth.workspace_id()).await?;
    let names = usernames(state, auth).await?;
    let tz = crate::publishing::service::user_zone(auth);
    Ok(rows
        .iter()
        .map(|r| view(key.as_ref(), r, &names, auth, tz))
        .collect())
}

/// One of the user's items (404 for anyone else's).
pub async fn owned(
    state: &AppState,
    auth: &CurrentUser,
    id: &InboxItemId,
) -> AppResult<ItemRecord> {
    state
        .store
        .inbox_item(auth.workspace_id(), id)
        .await?
        .ok_or(AppError::NotFound)
}

/// One item as shown.
pub async fn get(state: &AppState, auth: &CurrentUser, id: &InboxItemId) -> AppResult<ItemView> {
    let r = owned(state, auth, id).await?;
    let key = state.vault.existing_key(auth.workspace_id()).await?;
    let names = usernames(state, auth).await?;
    let tz = crate::publishing::service::user_zone(auth);
    Ok(view(key.as_ref(), &r, &names, auth, tz))
}

/// Marks an item read or unread.
pub async fn set_read(
    state: &AppState,
    auth: &CurrentUser,
    id: &InboxItemId,
    read: bool,
) -> AppResult<ItemView> {
    let r = owned(state, auth, id).await?;
    state
        .store
        .set_inbox_read(&r.id, read.then(now_unix))
        .await?;
    get(state, auth, id).await
}

/// A person an item can be assigned to.
#[derive(Debug, Clone, Serialize)]
pub struct Assignable {
    /// Their account id.
    pub user_id: UserId,
    /// Their address.
    pub email: String,
}

/// The people of the current workspace who read its inbox: the owner first, then the members
/// by address (client reviewers see only the review queue, so they are not among them).
pub async fn assignable(state: &AppState, auth: &CurrentUser) -> AppResult<Vec<Assignable>> {
    let owner = state
        .store
        .user_by_id(&auth.workspace_id().owner())
        .await?
        .ok_or(AppError::NotFound)?;
    let mut people = vec![Assignable {
        user_id: owner.id.clone(),
        email: owner.email,
    }];
    for m in state.store.members_of(auth.workspace_id()).await? {
        let reads = m.role.may(Need::View);
        if reads {
            people.push(Assignable {
                user_id: m.user_id,
                email: m.email,
            });
        }
    }
    Ok(people)
}

/// Assigns an item to a person of its workspace (`"me"`, or the user id of the owner or of a
/// member who reads the inbox), or clears it with `None`; anyone else is refused.
pub async fn assign(
    state: &AppState,
    auth: &CurrentUser,
    id: &InboxItemId,
    assignee: Option<&str>,
) -> AppResult<ItemView> {
    let r = owned(state, auth, id).await?;
    let assignee = match assignee.map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some("me") => Some(auth.user.id.clone()),
        Some(a) => {
            let people = assignable(state, auth).await?;
            if !people.iter().any(|p| p.user_id == a) {
                return Err(AppError::field(
                    "assignee",
                    "Choose a person of this workspace: its owner or a member who reads the inbox.",
                ));
            }
            Some(UserId::from(a))
        }
    };
    state
        .store
        .set_inbox_assignee(&r.id, assignee.as_ref())
        .await?;
    get(state, auth, id).await
}

/// The readable inbox of a user for the export: items of every profile and saved replies.
pub async fn export(
    state: &AppState,
    user_id: &WorkspaceId,
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
    fn a_cursor_reads_back_as_time_and_id() {
        assert_eq!(
            parse_cursor("1700000000_ab-c_d"),
            Some((1_700_000_000, InboxItemId::from("ab-c_d")))
        );
        assert_eq!(parse_cursor("x_1"), None);
        assert_eq!(parse_cursor("17"), None);
    }
}
