//! Storage reads and writes of the email fallback: what a customer or the team has not read.

use crate::domain::ConversationId;
use crate::store::{Store, StoreResult, with_pool};

/// An agent reply the customer has neither read in the app nor been emailed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct UnemailedReply {
    /// Message id.
    pub id: i64,
    /// The reply text.
    pub body: String,
    /// The agent's display name or, failing that, their account email.
    pub email: Option<String>,
}

impl Store {
    /// Customer messages in a conversation after message `after` (the agents' read marker).
    pub(crate) async fn support_customer_lines_after(
        &self,
        conversation_id: &ConversationId,
        after: i64,
    ) -> StoreResult<i64> {
        Ok(with_pool!(self, |p| {
            sqlx::query_scalar(
            "SELECT count(*) FROM support_messages WHERE conversation_id = $1 AND author = 'customer' AND id > $2"
        )
        .bind(conversation_id)
        .bind(after)
        .fetch_one(p)
        .await
        })?)
    }

    /// Agent replies after both the customer's read marker and the last email, oldest first.
    pub(crate) async fn support_unemailed_replies(
        &self,
        conversation_id: &ConversationId,
    ) -> StoreResult<Vec<UnemailedReply>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT m.id, m.body, COALESCE(sa.display_name, u.email) AS email FROM support_messages m JOIN support_conversations c ON c.id = m.conversation_id LEFT JOIN users u ON u.id = m.agent_id LEFT JOIN support_agents sa ON sa.user_id = m.agent_id WHERE c.id = $1 AND m.author = 'agent' AND m.id > c.customer_last_read AND m.id > c.emailed_up_to ORDER BY m.id",
        )
        .bind(conversation_id)
        .fetch_all(p)
        .await
        })?)
    }

    /// Records that replies up to message `up_to` were emailed (never moves the marker back).
    pub(crate) async fn support_mark_emailed(
        &self,
        conversation_id: &ConversationId,
        up_to: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "UPDATE support_conversations SET emailed_up_to = $1 WHERE id = $2 AND emailed_up_to < $1"
        )
        .bind(up_to)
        .bind(conversation_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }
}
