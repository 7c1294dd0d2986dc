//! Storage of conversations and messages, in portable SQL for both backends. Every support
//! query lives here or in a topic module beside it.

pub(crate) mod attachments;
pub(crate) mod desk;
mod live;
pub(crate) mod mail;
pub(crate) mod post;

use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::model::{Author, Kind, Status};
use super::{AttachmentId, ClientMessageId, VisitorId};
use crate::domain::{ConversationId, UserId};
use crate::store::{Store, StoreResult, with_pool};

/// Who a conversation belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Customer {
    /// A signed-in account (history on any device).
    User(UserId),
    /// An anonymous visitor, known by their continuity cookie.
    Visitor(VisitorId),
}

/// A chat or ticket.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Conversation {
    /// Id (UUID).
    pub id: ConversationId,
    /// Owning account, if signed in.
    pub user_id: Option<UserId>,
    /// Owning visitor, if anonymous.
    #[serde(skip)]
    pub visitor_id: Option<VisitorId>,
    /// Chat or ticket.
    #[sqlx(try_from = "String")]
    pub kind: Kind,
    /// Ticket category.
    pub category: Option<String>,
    /// Ticket subject (empty for chats).
    pub subject: String,
    /// Workflow status.
    #[sqlx(try_from = "String")]
    pub status: Status,
    /// When a snooze ends (Unix seconds); `None` while snoozed means "until the customer writes".
    pub snoozed_until: Option<i64>,
    /// Assigned agent.
    pub assignee_id: Option<UserId>,
    /// Where agent replies are emailed when the customer is away.
    pub contact_email: Option<String>,
    /// Last message id the customer has seen.
    pub customer_last_read: i64,
    /// Last message id an agent has seen.
    pub agent_last_read: i64,
    /// Created (Unix seconds).
    pub created_at: i64,
    /// Last change (Unix seconds).
    pub updated_at: i64,
    /// Last message (Unix seconds).
    pub last_message_at: Option<i64>,
}

/// One line of a conversation.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Message {
    /// Increasing id; clients resume after the last one they saw.
    pub id: i64,
    /// The conversation.
    pub conversation_id: ConversationId,
    /// Who wrote it.
    pub author: Author,
    /// The agent's display name, for agent messages and notes.
    pub agent_name: Option<String>,
    /// The sender's idempotency key, echoed so it can match its pending copy.
    pub client_id: Option<ClientMessageId>,
    /// Text.
    pub body: String,
    /// Sent (Unix seconds).
    pub created_at: i64,
    /// The image sent with it, if any.
    pub attachment: Option<AttachmentInfo>,
}

/// What a message's image is (its bytes are fetched from `url`, for the conversation's owner and
/// staff only).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AttachmentInfo {
    /// Id.
    pub id: AttachmentId,
    /// MIME type (`image/jpeg` or `image/png`).
    pub content_type: String,
    /// Cleaned original file name.
    pub file_name: String,
    /// Size in bytes.
    pub bytes: i64,
    /// Pixel width.
    pub width: i64,
    /// Pixel height.
    pub height: i64,
    /// Where the image is served.
    pub url: String,
}

/// Where attachment `id` is served.
pub fn attachment_url(id: &AttachmentId) -> String {
    format!("/api/v1/support/attachments/{id}")
}

pub(crate) const CONV_COLUMNS: &str = "id, user_id, visitor_id, kind, category, subject, status, snoozed_until, assignee_id, contact_email, customer_last_read, agent_last_read, emailed_up_to, created_at, updated_at, last_message_at";

// An agent's chosen name never holds '@' (see `support_set_display_name`), so `display_name`
// shows it whole; without one, the local part of their email.
pub(crate) const MSG_SELECT: &str = "SELECT m.id, m.conversation_id, m.author, m.client_id, m.body, m.created_at, COALESCE(sa.display_name, u.email) AS agent_email, a.id AS attachment_id, a.content_type AS attachment_type, a.file_name AS attachment_name, a.bytes AS attachment_bytes, a.width AS attachment_width, a.height AS attachment_height FROM support_messages m LEFT JOIN users u ON u.id = m.agent_id LEFT JOIN support_agents sa ON sa.user_id = m.agent_id LEFT JOIN support_attachments a ON a.message_id = m.id";

macro_rules! message_from_row {
    ($row:expr) => {{
        let row = $row;
        let author: String = row.try_get("author")?;
        let agent_email: Option<String> = row.try_get("agent_email")?;
        let attachment_id: Option<$crate::support::AttachmentId> = row.try_get("attachment_id")?;
        let attachment = match attachment_id {
            Some(id) => Some($crate::support::store::AttachmentInfo {
                url: $crate::support::store::attachment_url(&id),
                id,
                content_type: row
                    .try_get::<Option<String>, _>("attachment_type")?
                    .unwrap_or_default(),
                file_name: row
                    .try_get::<Option<String>, _>("attachment_name")?
                    .unwrap_or_default(),
                bytes: row
                    .try_get::<Option<i64>, _>("attachment_bytes")?
                    .unwrap_or_default(),
                width: row
                    .try_get::<Option<i64>, _>("attachment_width")?
                    .unwrap_or_default(),
                height: row
                    .try_get::<Option<i64>, _>("attachment_height")?
                    .unwrap_or_default(),
            }),
            None => None,
        };
        $crate::support::store::Message {
            id: row.try_get("id")?,
            conversation_id: row.try_get("conversation_id")?,
            author: $crate::support::model::Author::parse(&author)
                .unwrap_or($crate::support::model::Author::System),
            agent_name: agent_email.map(|e| $crate::support::store::display_name(&e)),
            client_id: row.try_get("client_id")?,
            body: row.try_get("body")?,
            created_at: row.try_get("created_at")?,
            attachment,
        }
    }};
}
pub(crate) use message_from_row;

/// How an agent is named to customers: the part of their email before the `@`.
pub fn display_name(email: &str) -> String {
    email.split('@').next().unwrap_or(email).to_owned()
}

impl Customer {
    fn column(&self) -> &'static str {
        match self {
            Customer::User(_) => "user_id",
            Customer::Visitor(_) => "visitor_id",
        }
    }

    fn id(&self) -> &str {
        match self {
            Customer::User(id) => id,
            Customer::Visitor(id) => id,
        }
    }
}

impl Store {
    /// One conversation by id.
    pub async fn support_conversation(
        &self,
        id: &ConversationId,
    ) -> StoreResult<Option<Conversation>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {CONV_COLUMNS} FROM support_conversations WHERE id = $1"
        ));
        Ok(with_pool!(self, |p| sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    /// The customer's conversations of `kind` ("chat" or "ticket"), newest first.
    pub async fn support_conversations_of(
        &self,
        customer: &Customer,
        kind: Kind,
    ) -> StoreResult<Vec<Conversation>> {
        // The column name comes from a closed set, never from input.
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {CONV_COLUMNS} FROM support_conversations WHERE {} = $1 AND kind = $2 ORDER BY created_at DESC, id",
            customer.column()
        ));
        Ok(with_pool!(self, |p| sqlx::query_as(sql)
            .bind(customer.id())
            .bind(kind.as_str())
            .fetch_all(p)
            .await)?)
    }

    /// Creates a conversation for `customer`.
    #[expect(clippy::too_many_arguments, reason = "one column each")]
    pub async fn create_support_conversation(
        &self,
        customer: &Customer,
        kind: Kind,
        category: Option<&str>,
        subject: &str,
        contact_email: Option<&str>,
        now: i64,
        id: &ConversationId,
    ) -> StoreResult<Conversation> {
        let (user, visitor) = match customer {
            Customer::User(u) => (Some(u.as_str()), None),
            Customer::Visitor(v) => (None, Some(v.as_str())),
        };
        with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO support_conversations (id, user_id, visitor_id, kind, category, subject, status, contact_email, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'open', $7, $8, $8)"
        )
        .bind(id)
        .bind(user)
        .bind(visitor)
        .bind(kind.as_str())
        .bind(category)
        .bind(subject)
        .bind(contact_email)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        self.support_conversation(id)
            .await?
            .ok_or(crate::store::StoreError::NotFound)
    }

    /// Messages after `after`, oldest first, at most `limit`; notes only when `with_notes`.
    pub async fn support_messages_after(
        &self,
        conversation_id: &ConversationId,
        after: i64,
        with_notes: bool,
        limit: i64,
    ) -> StoreResult<Vec<Message>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "{MSG_SELECT} WHERE m.conversation_id = $1 AND m.id > $2 AND ($3 OR m.author <> 'note') ORDER BY m.id LIMIT $4"
        ));
        Ok(with_pool!(self, |p| async {
            let rows = sqlx::query(sql)
                .bind(conversation_id)
                .bind(after)
                .bind(with_notes)
                .bind(limit)
                .fetch_all(p)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(message_from_row!(row));
            }
            Ok::<_, sqlx::Error>(out)
        }
        .await)?)
    }

    /// One message by id.
    pub async fn support_message(&self, id: i64) -> StoreResult<Option<Message>> {
        let sql = sqlx::AssertSqlSafe(format!("{MSG_SELECT} WHERE m.id = $1"));
        Ok(with_pool!(self, |p| async {
            match sqlx::query(sql).bind(id).fetch_optional(p).await? {
                Some(row) => Ok::<_, sqlx::Error>(Some(message_from_row!(row))),
                None => Ok(None),
            }
        }
        .await)?)
    }

    /// Agent messages the customer has not read yet.
    pub async fn support_unread_for_customer(
        &self,
        conversation_id: &ConversationId,
    ) -> StoreResult<i64> {
        Ok(with_pool!(self, |p| {
            sqlx::query_scalar(
            "SELECT count(*) FROM support_messages m JOIN support_conversations c ON c.id = m.conversation_id WHERE c.id = $1 AND m.author = 'agent' AND m.id > c.customer_last_read"
        )
        .bind(conversation_id)
        .fetch_one(p)
        .await
        })?)
    }

    /// Whether the customer has written in the conversation (a conversation opened but never
    /// written in is not a request for help).
    pub async fn support_customer_wrote(
        &self,
        conversation_id: &ConversationId,
    ) -> StoreResult<bool> {
        let n: i64 = with_pool!(self, |p| {
            sqlx::query_scalar(
            "SELECT count(*) FROM support_messages WHERE conversation_id = $1 AND author = 'customer'"
        )
        .bind(conversation_id)
        .fetch_one(p)
        .await
        })?;
        Ok(n > 0)
    }

    /// Moves a read marker forward (never back). `side` is "customer" or "agent".
    pub async fn support_mark_read(
        &self,
        conversation_id: &ConversationId,
        customer_side: bool,
        up_to: i64,
    ) -> StoreResult<bool> {
        let sql = if customer_side {
            "UPDATE support_conversations SET customer_last_read = $1 WHERE id = $2 AND customer_last_read < $1 AND $1 <= (SELECT COALESCE(MAX(id), 0) FROM support_messages WHERE conversation_id = $2)"
        } else {
            "UPDATE support_conversations SET agent_last_read = $1 WHERE id = $2 AND agent_last_read < $1 AND $1 <= (SELECT COALESCE(MAX(id), 0) FROM support_messages WHERE conversation_id = $2)"
        };
        let n = with_pool!(self, |p| sqlx::query(sql)
            .bind(up_to)
            .bind(conversation_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// Records where agent replies should be emailed.
    pub async fn support_set_contact_email(
        &self,
        conversation_id: &ConversationId,
        email: &str,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE support_conversations SET contact_email = $1, updated_at = $2 WHERE id = $3"
        )
        .bind(email)
        .bind(now)
        .bind(conversation_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Sets status and snooze end.
    pub async fn support_set_status(
        &self,
        conversation_id: &ConversationId,
        status: Status,
        snoozed_until: Option<i64>,
        now: i64,
    ) -> StoreResult<bool> {
        let n = with_pool!(self, |p| {
            sqlx::query(
            "UPDATE support_conversations SET status = $1, snoozed_until = $2, updated_at = $3 WHERE id = $4"
        )
        .bind(status.as_str())
        .bind(snoozed_until)
        .bind(now)
        .bind(conversation_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(n > 0)
    }

    /// Reopens conversations whose snooze time has come; returns their ids.
    pub async fn support_wake_snoozed(&self, now: i64) -> StoreResult<Vec<ConversationId>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_scalar(
            "UPDATE support_conversations SET status = 'open', snoozed_until = NULL, updated_at = $1 WHERE status = 'snoozed' AND snoozed_until IS NOT NULL AND snoozed_until <= $1 RETURNING id"
        )
        .bind(now)
        .fetch_all(p)
        .await
        })?)
    }

    /// Sets (or clears) the assignee.
    pub async fn support_set_assignee(
        &self,
        conversation_id: &ConversationId,
        agent_id: Option<&UserId>,
        now: i64,
    ) -> StoreResult<bool> {
        let n = with_pool!(self, |p| sqlx::query(
            "UPDATE support_conversations SET assignee_id = $1, updated_at = $2 WHERE id = $3"
        )
        .bind(agent_id)
        .bind(now)
        .bind(conversation_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }
}
