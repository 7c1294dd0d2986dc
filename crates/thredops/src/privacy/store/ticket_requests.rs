//! Storage of data deletion requests made through a support ticket.

use crate::domain::{ConversationId, UserId};
use crate::privacy::ticket_requests::TicketRequest;
use crate::store::{Store, StoreResult, with_pool};

const COLUMNS: &str = "conversation_id, user_id, requested_at, deadline_at, confirmed_at";

impl Store {
    /// The deletion request behind a ticket, if it is one.
    pub(crate) async fn deletion_request_of_ticket(
        &self,
        conversation_id: &ConversationId,
    ) -> StoreResult<Option<TicketRequest>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM support_deletion_requests WHERE conversation_id = $1"
        ));
        Ok(with_pool!(self, |p| sqlx::query_as(sql)
            .bind(conversation_id)
            .fetch_optional(p)
            .await)?)
    }

    /// The deletion request a confirmation link's token hash names.
    pub(crate) async fn deletion_request_by_token(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<TicketRequest>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM support_deletion_requests WHERE token_hash = $1"
        ));
        Ok(with_pool!(self, |p| sqlx::query_as(sql)
            .bind(token_hash)
            .fetch_optional(p)
            .await)?)
    }

    /// Records a new request on a ticket with the hash of its confirmation token.
    pub(crate) async fn insert_deletion_request(
        &self,
        conversation_id: &ConversationId,
        user_id: &UserId,
        token_hash: &str,
        requested_at: i64,
        deadline_at: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO support_deletion_requests (conversation_id, user_id, token_hash, requested_at, deadline_at) VALUES ($1, $2, $3, $4, $5)"
        )
        .bind(conversation_id)
        .bind(user_id)
        .bind(token_hash)
        .bind(requested_at)
        .bind(deadline_at)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Marks a request confirmed at `now` (once).
    pub(crate) async fn confirm_deletion_request(
        &self,
        conversation_id: &ConversationId,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "UPDATE support_deletion_requests SET confirmed_at = $1 WHERE conversation_id = $2 AND confirmed_at IS NULL"
        )
        .bind(now)
        .bind(conversation_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }
}
