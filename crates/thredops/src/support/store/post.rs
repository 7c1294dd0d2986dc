//! Posting a message: one transaction stores it, reopens or assigns the conversation and
//! schedules the email fallback, so either all of it happens or none.

use sqlx::Row;

use super::{CONV_COLUMNS, Conversation, MSG_SELECT, Message};
use crate::domain::{ConversationId, UserId, WorkspaceId};
use crate::jobs::{self, NewJob};
use crate::store::{Store, StoreError, StoreResult, Tx, with_tx};
use crate::support::ClientMessageId;
use crate::support::model::{Author, Status};

/// What posting did.
#[derive(Debug, Clone)]
pub struct Posted {
    /// The stored message (the earlier copy when the client id was seen before).
    pub message: Message,
    /// False when this was a resend of a message already stored.
    pub inserted: bool,
    /// The conversation after the change.
    pub conversation: Conversation,
    /// Whether a customer message brought the conversation back to `open`.
    pub reopened: bool,
    /// The agent round-robin picked, if this message caused an assignment.
    pub assigned_to: Option<UserId>,
}

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewMessage<'a> {
    /// Conversation id.
    pub conversation_id: &'a ConversationId,
    /// Who writes.
    pub author: Author,
    /// The writing agent.
    pub agent_id: Option<&'a UserId>,
    /// Idempotency key from the client.
    pub client_id: Option<&'a ClientMessageId>,
    /// Text.
    pub body: &'a str,
    /// An image sent with it, stored in the same transaction.
    pub attachment: Option<&'a crate::support::attachments::NewAttachment>,
}

/// The job that emails unread agent replies.
pub const EMAIL_JOB: &str = "support.email_reply";

impl Store {
    /// Stores a message and applies its effects; `email_delay_ms` is how long a customer has to
    /// read an agent reply in the app before it is emailed.
    pub async fn support_post(
        &self,
        new: &NewMessage<'_>,
        now: i64,
        email_delay_ms: i64,
    ) -> StoreResult<Posted> {
        let mut tx = self.begin().await?;
        let before = load_conversation(&mut tx, new.conversation_id).await?;
        let inserted_id: Option<i64> = with_tx!(&mut tx, |c| {
            sqlx::query_scalar(
            "INSERT INTO support_messages (conversation_id, author, agent_id, client_id, body, created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (conversation_id, client_id) DO NOTHING RETURNING id"
        )
        .bind(new.conversation_id)
        .bind(new.author.as_str())
        .bind(new.agent_id)
        .bind(new.client_id)
        .bind(new.body)
        .bind(now)
        .fetch_optional(c)
        .await
        })?;
        let Some(id) = inserted_id else {
            // A resend after a lost acknowledgement: answer with the stored copy, change nothing.
            let existing: i64 = with_tx!(&mut tx, |c| sqlx::query_scalar(
                "SELECT id FROM support_messages WHERE conversation_id = $1 AND client_id = $2"
            )
            .bind(new.conversation_id)
            .bind(new.client_id)
            .fetch_one(c)
            .await)?;
            let message = load_message(&mut tx, existing).await?;
            tx.rollback().await?;
            return Ok(Posted {
                message,
                inserted: false,
                conversation: before,
                reopened: false,
                assigned_to: None,
            });
        };
        if let Some(a) = new.attachment {
            with_tx!(&mut tx, |c| {
                sqlx::query(
                "INSERT INTO support_attachments (id, message_id, content_type, file_name, bytes, width, height, wrapped_key, sealed, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
            )
            .bind(&a.id)
            .bind(id)
            .bind(a.content_type)
            .bind(&a.file_name)
            .bind(a.bytes)
            .bind(a.width)
            .bind(a.height)
            .bind(&a.sealed.wrapped_key)
            .bind(&a.sealed.sealed)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            })?;
        }
        let customer = new.author == Author::Customer;
        let reopened = customer && before.status != Status::Open;
        let read_column = if customer {
            "customer_last_read"
        } else {
            "agent_last_read"
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "UPDATE support_conversations SET last_message_at = CASE WHEN $1 THEN $2 ELSE last_message_at END, updated_at = $2, {read_column} = $3, status = CASE WHEN $4 THEN 'open' ELSE status END, snoozed_until = CASE WHEN $4 THEN NULL ELSE snoozed_until END WHERE id = $5"
        ));
        let visible = new.author != Author::Note;
        with_tx!(&mut tx, |c| sqlx::query(sql)
            .bind(visible)
            .bind(now)
            .bind(id)
            .bind(reopened)
            .bind(new.conversation_id)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        let assigned_to = if customer && before.assignee_id.is_none() {
            assign_round_robin(&mut tx, new.conversation_id, now).await?
        } else {
            None
        };
        // Signed-in customers are reached at their account email; visitors only if they left one.
        let reachable = before.contact_email.is_some() || before.user_id.is_some();
        if new.author == Author::Agent && reachable {
            let mut job = NewJob::new(
                EMAIL_JOB,
                serde_json::json!({"conversation_id": new.conversation_id}),
            );
            job.run_at = crate::clock::now_ms() + email_delay_ms;
            // Replies in a burst become one email listing them all.
            job.dedup_key = Some(format!("support-email:{}", new.conversation_id));
            // The customer's own workspace: its jobs go when the account does.
            job.user_id = before.user_id.as_ref().map(WorkspaceId::owned_by);
            job.subject = Some(new.conversation_id.to_string());
            jobs::enqueue(&mut tx, &job).await?;
        }
        let message = load_message(&mut tx, id).await?;
        let conversation = load_conversation(&mut tx, new.conversation_id).await?;
        tx.commit().await?;
        Ok(Posted {
            message,
            inserted: true,
            conversation,
            reopened,
            assigned_to,
        })
    }
}

/// Gives the conversation to the online agent who was assigned least recently.
pub(crate) async fn assign_round_robin(
    tx: &mut Tx,
    conversation_id: &ConversationId,
    now: i64,
) -> StoreResult<Option<UserId>> {
    // PostgreSQL: lock the chosen agent row so concurrent assignments pick different agents.
    // SQLite transactions already hold the write lock (BEGIN IMMEDIATE).
    let pick = match tx {
        Tx::Sqlite(_) => {
            "SELECT user_id FROM support_agents WHERE online_until > $1 ORDER BY assign_seq, user_id LIMIT 1"
        }
        Tx::Postgres(_) => {
            "SELECT user_id FROM support_agents WHERE online_until > $1 ORDER BY assign_seq, user_id LIMIT 1 FOR UPDATE SKIP LOCKED"
        }
    };
    let agent: Option<UserId> = with_tx!(tx, |c| sqlx::query_scalar(pick)
        .bind(now)
        .fetch_optional(c)
        .await)?;
    let Some(agent) = agent else {
        return Ok(None);
    };
    with_tx!(tx, |c| {
        sqlx::query(
        "UPDATE support_agents SET assign_seq = (SELECT COALESCE(MAX(assign_seq), 0) + 1 FROM support_agents) WHERE user_id = $1"
    )
    .bind(&agent)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    with_tx!(tx, |c| sqlx::query(
        "UPDATE support_conversations SET assignee_id = $1 WHERE id = $2 AND assignee_id IS NULL"
    )
    .bind(&agent)
    .bind(conversation_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(Some(agent))
}

async fn load_conversation(tx: &mut Tx, id: &ConversationId) -> StoreResult<Conversation> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {CONV_COLUMNS} FROM support_conversations WHERE id = $1"
    ));
    let found = with_tx!(tx, |c| sqlx::query_as(sql).bind(id).fetch_optional(c).await)?;
    found.ok_or(StoreError::NotFound)
}

async fn load_message(tx: &mut Tx, id: i64) -> StoreResult<Message> {
    let sql = sqlx::AssertSqlSafe(format!("{MSG_SELECT} WHERE m.id = $1"));
    Ok(with_tx!(tx, |c| async {
        let row = sqlx::query(sql).bind(id).fetch_one(c).await?;
        Ok::<_, sqlx::Error>(super::message_from_row!(row))
    }
    .await)?)
}
