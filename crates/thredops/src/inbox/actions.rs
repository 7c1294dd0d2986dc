//! What the user does to an item on Threads: hide or unhide a reply.

use threads_api::{ErrorClass, MediaId, Scope};

use super::InboxItemId;
use super::{ItemKind, ItemView, get, owned};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::domain::ProfileId;
use crate::error::{AppError, AppResult};
use crate::sync::engine::SyncRun;

/// Opens the profile's API session for an action the user asked for.
pub(super) async fn open(state: &AppState, profile_id: &ProfileId) -> AppResult<SyncRun> {
    SyncRun::open(state, profile_id)
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("opening the profile: {e}")))?
        .ok_or_else(|| {
            AppError::Conflict(
                "This profile needs reconnecting before ThredOps can act on Threads for it.".into(),
            )
        })
}

/// Whether the profile granted `scope`.
pub(super) fn granted(run: &SyncRun, scope: Scope) -> bool {
    run.profile()
        .scopes
        .split(',')
        .any(|s| s.trim() == scope.as_str())
}

/// An API failure of an action, in words.
pub(super) fn refused(what: &str, e: &threads_api::Error) -> AppError {
    match e.class() {
        ErrorClass::RetryLater { .. } => AppError::Conflict(format!(
            "Threads is busy or unreachable right now, so the reply was not {what}. Try again in a minute."
        )),
        ErrorClass::Reauth => AppError::Conflict(format!(
            "Threads no longer accepts ThredOps' access for this profile, so the reply was not {what}. Reconnect the profile."
        )),
        _ => AppError::Conflict(format!("Threads refused: the reply was not {what} ({e}).")),
    }
}

/// Hides (`true`) or shows again (`false`) a reply under one of the profile's posts.
pub async fn set_hidden(
    state: &AppState,
    auth: &CurrentUser,
    id: &InboxItemId,
    hide: bool,
) -> AppResult<ItemView> {
    let item = owned(state, auth, id).await?;
    if item.kind != ItemKind::Reply || !item.top_level {
        return Err(AppError::field(
            "hidden",
            "Threads lets you hide only replies directly under your posts; the replies below them are hidden with them.",
        ));
    }
    let run = open(state, &item.profile_id).await?;
    if !granted(&run, Scope::ManageReplies) {
        return Err(AppError::Conflict(
            "Hiding replies needs the threads_manage_replies permission: turn the inbox on again for this profile to grant it.".into(),
        ));
    }
    let done = run
        .session()
        .hide_reply(&MediaId::new(item.threads_id.clone()), hide)
        .await;
    run.record_usage().await;
    let what = if hide { "hidden" } else { "shown again" };
    done.map_err(|e| refused(what, &e))?;
    state.store.set_inbox_hidden(&item.id, hide).await?;
    tracing::info!(item_id = %item.id, hide, "inbox reply moderated");
    get(state, auth, id).await
}
