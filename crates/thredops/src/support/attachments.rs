//! Images in support conversations, both ways: checked like the composer's images (the type
//! from the first bytes, at most 8 MB, a readable shape of at most 10:1), sealed at rest under a
//! key of their own, and served only to the conversation's customer and to staff. They go with
//! their message, so with the conversation and the account.

use bytes::Bytes;
use futures_util::Stream;

use super::desk;
use super::store::attachments::StoredAttachment;
use super::store::post::Posted;
use super::{AttachmentId, ClientMessageId, VisitorId};
use crate::app::AppState;
use crate::crypto::Detached;
use crate::domain::{ConversationId, UserId};
use crate::error::{AppError, AppResult};
use crate::publishing::media::{self, ImageProblem, MAX_IMAGE_BYTES};
use crate::store::users::UserRecord;

/// The vault purpose attachments are sealed for.
pub const PURPOSE: &str = "support-attachment";

/// A checked image, sealed and ready to store with its message.
#[derive(Debug)]
pub struct NewAttachment {
    /// Id (also the sealing subject).
    pub id: AttachmentId,
    /// `image/jpeg` or `image/png`, from the bytes.
    pub content_type: &'static str,
    /// Cleaned original file name.
    pub file_name: String,
    /// Size.
    pub bytes: i64,
    /// Pixel width.
    pub width: i64,
    /// Pixel height.
    pub height: i64,
    /// The sealed image and its wrapped key.
    pub sealed: Detached,
}

fn refuse(message: impl Into<String>) -> AppError {
    AppError::field("file", message)
}

fn too_large() -> AppError {
    refuse(format!(
        "Images can be at most {} MB; this one is larger.",
        MAX_IMAGE_BYTES / 1024 / 1024
    ))
}

const NOT_AN_IMAGE: &str = "Attach a JPEG or PNG image; this file is neither.";

/// Reads an upload, refusing it as soon as its first bytes are not a JPEG or PNG or it grows
/// past the image limit, then checks its shape and seals it.
pub async fn receive<S, E>(state: &AppState, name: &str, body: S) -> AppResult<NewAttachment>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: Into<AppError>,
{
    let mut body = std::pin::pin!(body);
    let mut data: Vec<u8> = Vec::new();
    let mut content_type = None;
    while let Some(chunk) = media::next_chunk(state, &mut body).await? {
        if data.len() as u64 + chunk.len() as u64 > MAX_IMAGE_BYTES {
            return Err(too_large());
        }
        data.extend_from_slice(&chunk);
        if content_type.is_none() && data.len() >= 12 {
            content_type = Some(image_type(&data)?);
        }
    }
    if data.is_empty() {
        return Err(refuse("Choose an image first."));
    }
    let content_type = match content_type {
        Some(t) => t,
        None => image_type(&data)?,
    };
    let (width, height) = media::image_shape(&data).map_err(|p| {
        refuse(match p {
            ImageProblem::Unreadable => {
                "This image could not be read. Save it again as JPEG or PNG.".to_owned()
            }
            ImageProblem::NoPixels => "This image has no pixels.".to_owned(),
            ImageProblem::TooElongated { width, height } => format!(
                "Images can be at most 10:1 in shape; this one is {width}x{height} pixels. Crop it."
            ),
        })
    })?;
    let id = AttachmentId::new(uuid::Uuid::new_v4().simple().to_string());
    let sealed = state.vault.seal_detached(PURPOSE, &id, &data);
    Ok(NewAttachment {
        file_name: media::clean_name(name, content_type),
        bytes: data.len() as i64,
        id,
        content_type,
        width,
        height,
        sealed,
    })
}

fn image_type(head: &[u8]) -> AppResult<&'static str> {
    match media::sniff(head) {
        Some((media::MediaKind::Image, mime)) => Ok(mime),
        _ => Err(refuse(NOT_AN_IMAGE)),
    }
}

/// The text that stands for an image in the conversation (emails, exports, the console list).
fn caption(a: &NewAttachment) -> String {
    format!("Image: {}", a.file_name)
}

/// Sends a customer's image to their conversation.
pub async fn post_customer<S, E>(
    state: &AppState,
    conversation_id: &ConversationId,
    name: &str,
    body: S,
    client_id: Option<&ClientMessageId>,
) -> AppResult<Posted>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: Into<AppError>,
{
    let attachment = receive(state, name, body).await?;
    desk::post_customer_with(
        state,
        conversation_id,
        &caption(&attachment),
        client_id,
        Some(&attachment),
    )
    .await
}

/// Sends an agent's image (or attaches it to a private note).
pub async fn post_agent<S, E>(
    state: &AppState,
    agent: &UserRecord,
    conversation_id: &ConversationId,
    name: &str,
    body: S,
    private: bool,
) -> AppResult<Posted>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: Into<AppError>,
{
    let attachment = receive(state, name, body).await?;
    desk::post_agent_with(
        state,
        agent,
        conversation_id,
        &caption(&attachment),
        private,
        None,
        Some(&attachment),
    )
    .await
}

/// Who asks for an image.
#[derive(Debug, Clone)]
pub enum Viewer {
    /// A support agent or admin: every conversation.
    Staff,
    /// A customer: their own conversations' customer-visible messages only.
    Customer {
        /// The signed-in account, if any.
        user_id: Option<UserId>,
        /// The visitor of the chat cookie, if any.
        visitor_id: Option<VisitorId>,
    },
}

/// An image ready to send.
pub struct Image {
    /// MIME type.
    pub content_type: String,
    /// File name.
    pub file_name: String,
    /// The image.
    pub bytes: Vec<u8>,
}

/// Whether `viewer` may see `a`.
fn may_see(viewer: &Viewer, a: &StoredAttachment) -> bool {
    match viewer {
        Viewer::Staff => true,
        Viewer::Customer {
            user_id,
            visitor_id,
        } => {
            let owner = (user_id.is_some() && a.user_id == *user_id)
                || (visitor_id.is_some() && a.visitor_id == *visitor_id);
            owner && a.author.customer_visible()
        }
    }
}

/// The image `id` if `viewer` may see it; anyone else is told it does not exist.
pub async fn open(state: &AppState, id: &AttachmentId, viewer: &Viewer) -> AppResult<Image> {
    let a = state
        .store
        .support_attachment(id)
        .await?
        .filter(|a| may_see(viewer, a))
        .ok_or(AppError::NotFound)?;
    let bytes = unseal(state, &a)?;
    Ok(Image {
        content_type: a.content_type,
        file_name: a.file_name,
        bytes,
    })
}

/// The decrypted image of a stored attachment.
pub fn unseal(state: &AppState, a: &StoredAttachment) -> AppResult<Vec<u8>> {
    state
        .vault
        .open_detached(PURPOSE, &a.id, &a.wrapped_key, &a.sealed)
        .map_err(|e| AppError::Internal(e.into()))
}

/// The visitor a chat cookie names, without creating one.
pub async fn visitor_of(
    state: &AppState,
    chat_token: Option<&str>,
) -> AppResult<Option<VisitorId>> {
    match chat_token {
        Some(token) => Ok(state
            .store
            .support_visitor(&desk::hash_token(token), crate::clock::now_unix())
            .await?),
        None => Ok(None),
    }
}

/// Re-wraps every attachment's key under `new_master` (master key rotation). Returns how many.
pub async fn rewrap_all(
    vault: &crate::crypto::Vault,
    store: &crate::store::Store,
    new_master: &crate::crypto::MasterKey,
) -> anyhow::Result<usize> {
    let mut count = 0;
    for (id, wrapped) in store.support_attachment_keys().await? {
        let rewrapped = vault.rewrap_detached(new_master, PURPOSE, &id, &wrapped)?;
        store
            .support_replace_attachment_key(&id, &rewrapped)
            .await?;
        count += 1;
    }
    Ok(count)
}
