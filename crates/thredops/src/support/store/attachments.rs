//! Storage of message images (written with their message in `post`).

use sqlx::Row;

use crate::domain::{ConversationId, UserId};
use crate::store::{Store, StoreResult, with_pool};
use crate::support::model::Author;
use crate::support::{AttachmentId, VisitorId};

/// A stored image with what decides who may see it.
#[derive(Debug, Clone)]
pub struct StoredAttachment {
    /// Id.
    pub id: AttachmentId,
    /// The message it was sent with.
    pub message_id: i64,
    /// Who sent it (customers never see images in private notes).
    pub author: Author,
    /// The conversation.
    pub conversation_id: ConversationId,
    /// The conversation's account, if signed in.
    pub user_id: Option<UserId>,
    /// The conversation's visitor, if anonymous.
    pub visitor_id: Option<VisitorId>,
    /// MIME type.
    pub content_type: String,
    /// File name.
    pub file_name: String,
    /// The image's key, wrapped by the master key.
    pub wrapped_key: Vec<u8>,
    /// The sealed image.
    pub sealed: Vec<u8>,
}

const SELECT: &str = "SELECT a.id, a.message_id, m.author, m.conversation_id, c.user_id, c.visitor_id, a.content_type, a.file_name, a.wrapped_key, a.sealed FROM support_attachments a JOIN support_messages m ON m.id = a.message_id JOIN support_conversations c ON c.id = m.conversation_id";

macro_rules! attachment_from_row {
    ($row:expr) => {{
        let r = $row;
        let author: String = r.try_get("author")?;
        StoredAttachment {
            id: r.try_get("id")?,
            message_id: r.try_get("message_id")?,
            author: Author::parse(&author).unwrap_or(Author::System),
            conversation_id: r.try_get("conversation_id")?,
            user_id: r.try_get("user_id")?,
            visitor_id: r.try_get("visitor_id")?,
            content_type: r.try_get("content_type")?,
            file_name: r.try_get("file_name")?,
            wrapped_key: r.try_get("wrapped_key")?,
            sealed: r.try_get("sealed")?,
        }
    }};
}

impl Store {
    /// One image by id.
    pub async fn support_attachment(
        &self,
        id: &AttachmentId,
    ) -> StoreResult<Option<StoredAttachment>> {
        let sql = sqlx::AssertSqlSafe(format!("{SELECT} WHERE a.id = $1"));
        Ok(with_pool!(self, |p| async {
            match sqlx::query(sql).bind(id).fetch_optional(p).await? {
                Some(row) => Ok::<_, sqlx::Error>(Some(attachment_from_row!(row))),
                None => Ok(None),
            }
        }
        .await)?)
    }

    /// The images the account's customer sees in its conversations (no private notes), oldest
    /// first: for the privacy export.
    pub async fn support_attachments_of_user(
        &self,
        user_id: &UserId,
    ) -> StoreResult<Vec<StoredAttachment>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{SELECT} WHERE c.user_id = $1 AND m.author <> 'note' ORDER BY m.id"
        ));
        Ok(with_pool!(self, |p| async {
            let rows = sqlx::query(sql).bind(user_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(attachment_from_row!(row));
            }
            Ok::<_, sqlx::Error>(out)
        }
        .await)?)
    }

    /// Every image's id and wrapped key, for master key rotation.
    pub async fn support_attachment_keys(&self) -> StoreResult<Vec<(AttachmentId, Vec<u8>)>> {
        Ok(with_pool!(self, |p| async {
            let rows = sqlx::query("SELECT id, wrapped_key FROM support_attachments ORDER BY id")
                .fetch_all(p)
                .await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()
        }
        .await)?)
    }

    /// Replaces an image's wrapped key (same key, new wrapping).
    pub async fn support_replace_attachment_key(
        &self,
        id: &AttachmentId,
        wrapped_key: &[u8],
    ) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE support_attachments SET wrapped_key = $1 WHERE id = $2"
        )
        .bind(wrapped_key)
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
