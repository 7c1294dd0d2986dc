//! Saved replies: the user's own snippets for the reply box, sealed like other content.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::SavedReplyId;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::now_unix;
use crate::crypto::DataKey;
use crate::domain::WorkspaceId;
use crate::error::{AppError, AppResult};

/// Vault purpose of a saved reply.
pub const PURPOSE: &str = "saved-reply";
/// Most saved replies per user.
pub const MAX_SAVED: usize = 100;
/// Longest title.
pub const MAX_TITLE: usize = 80;

/// What the API and page send to save a reply.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SavedInput {
    /// A short name to find it by.
    pub title: String,
    /// The reply text.
    pub text: String,
}

/// A saved reply as shown.
#[derive(Debug, Clone, Serialize)]
pub struct SavedReply {
    /// Id.
    pub id: SavedReplyId,
    /// Its name.
    pub title: String,
    /// The text.
    pub text: String,
    /// Saved (UTC seconds).
    pub created_at: i64,
}

fn open(key: Option<&DataKey>, id: &SavedReplyId, sealed: &[u8], created_at: i64) -> SavedReply {
    let input: SavedInput = key
        .and_then(|k| k.open_string(PURPOSE, id, sealed).ok())
        .and_then(|s| serde_json::from_str(&s).ok())
        .unwrap_or_default();
    SavedReply {
        id: id.clone(),
        title: input.title,
        text: input.text,
        created_at,
    }
}

/// The user's saved replies, oldest first.
pub async fn list(state: &AppState, auth: &CurrentUser) -> AppResult<Vec<SavedReply>> {
    let key = state.vault.existing_key(auth.workspace_id()).await?;
    Ok(state
        .store
        .saved_replies(auth.workspace_id())
        .await?
        .iter()
        .map(|(id, sealed, at)| open(key.as_ref(), id, sealed, *at))
        .collect())
}

/// One of the user's saved replies.
pub async fn get(state: &AppState, auth: &CurrentUser, id: &SavedReplyId) -> AppResult<SavedReply> {
    list(state, auth)
        .await?
        .into_iter()
        .find(|s| s.id == *id)
        .ok_or(AppError::NotFound)
}

/// Saves a reply after checking it.
pub async fn add(state: &AppState, auth: &CurrentUser, input: SavedInput) -> AppResult<SavedReply> {
    let title = input.title.trim().to_owned();
    let text = input.text.trim().to_owned();
    let mut fields = std::collections::BTreeMap::new();
    if title.is_empty() {
        fields.insert("title".to_owned(), "Give it a short name.".to_owned());
    } else if title.chars().count() > MAX_TITLE {
        fields.insert(
            "title".to_owned(),
            format!("Keep the name within {MAX_TITLE} characters."),
        );
    }
    if text.is_empty() {
        fields.insert("text".to_owned(), "Write the reply to save.".to_owned());
    } else if threads_api::validation::threads_len(&text) > threads_api::validation::MAX_TEXT_LEN {
        fields.insert(
            "text".to_owned(),
            format!(
                "Threads allows {} characters in a reply.",
                threads_api::validation::MAX_TEXT_LEN
            ),
        );
    }
    if !fields.is_empty() {
        return Err(AppError::Validation {
            message: "The saved reply was not saved. Fix what is marked.".into(),
            fields,
        });
    }
    if state.store.saved_replies(auth.workspace_id()).await?.len() >= MAX_SAVED {
        return Err(AppError::field(
            "title",
            format!("You can keep {MAX_SAVED} saved replies; delete one first."),
        ));
    }
    let id = SavedReplyId::new(uuid::Uuid::new_v4().to_string());
    let key = state.vault.data_key(auth.workspace_id()).await?;
    let body = SavedInput {
        title: title.clone(),
        text: text.clone(),
    };
    let sealed = key.seal(
        PURPOSE,
        &id,
        serde_json::to_string(&body).unwrap_or_default().as_bytes(),
    );
    let now = now_unix();
    state
        .store
        .insert_saved_reply(&id, auth.workspace_id(), &sealed, now)
        .await?;
    Ok(SavedReply {
        id,
        title,
        text,
        created_at: now,
    })
}

/// Deletes one of the user's saved replies.
pub async fn delete(state: &AppState, auth: &CurrentUser, id: &SavedReplyId) -> AppResult<()> {
    if state
        .store
        .delete_saved_reply(auth.workspace_id(), id)
        .await?
    {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// The user's saved replies, opened, for the export.
pub async fn export(
    state: &AppState,
    user_id: &WorkspaceId,
    key: Option<&DataKey>,
) -> anyhow::Result<Vec<Value>> {
    Ok(state
        .store
        .saved_replies(user_id)
        .await?
        .iter()
        .map(|(id, sealed, at)| {
            let s = open(key, id, sealed, *at);
            json!({"id": s.id, "title": s.title, "text": s.text, "created_at": s.created_at})
        })
        .collect())
}
