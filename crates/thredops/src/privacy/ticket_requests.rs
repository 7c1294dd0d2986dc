//! Data deletion requests made through a support ticket.
//!
//! The ticket is opened by a signed-in user, which ties it to an account; ownership of the
//! account's address is then proven through a link emailed to it (a stolen session alone must
//! not get an account erased). Once confirmed, a support agent carries it out with the same purge
//! as "Delete my account", which emails the receipt; staff see the deadline all along.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::purge::{self, Receipt, Source};
use crate::app::AppState;
use crate::error::{AppError, AppResult};
use crate::mail;
use crate::store::{StoreResult, now_unix, with_pool};

/// Days within which a confirmed request is carried out (the privacy policy's promise).
pub const DEADLINE_DAYS: i64 = 30;

/// A deletion request as staff see it beside the ticket.
#[derive(Debug, Clone, Serialize)]
pub struct TicketRequest {
    /// The ticket.
    pub conversation_id: String,
    /// The account to erase.
    pub user_id: String,
    /// When it was asked for (Unix seconds).
    pub requested_at: i64,
    /// When it must be done by.
    pub deadline_at: i64,
    /// When the owner confirmed it through the emailed link.
    pub confirmed_at: Option<i64>,
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn from_row<R: Row>(r: &R) -> Result<TicketRequest, sqlx::Error>
where
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(TicketRequest {
        conversation_id: r.try_get("conversation_id")?,
        user_id: r.try_get("user_id")?,
        requested_at: r.try_get("requested_at")?,
        deadline_at: r.try_get("deadline_at")?,
        confirmed_at: r.try_get("confirmed_at")?,
    })
}

const COLUMNS: &str = "conversation_id, user_id, requested_at, deadline_at, confirmed_at";

async fn find(state: &AppState, column: &str, value: &str) -> StoreResult<Option<TicketRequest>> {
    // `column` is one of two constants below, never input.
    let sql = format!("SELECT {COLUMNS} FROM support_deletion_requests WHERE {column} = $1");
    Ok(with_pool!(state.store, |p| async {
        sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(value)
            .fetch_optional(p)
            .await?
            .map(|r| from_row(&r))
            .transpose()
    }
    .await)?)
}

/// The deletion request behind a ticket, if it is one.
pub async fn of_ticket(
    state: &AppState,
    conversation_id: &str,
) -> StoreResult<Option<TicketRequest>> {
    find(state, "conversation_id", conversation_id).await
}

/// The request a confirmation link names, if it still waits for confirmation.
pub async fn awaiting(state: &AppState, token: &str) -> StoreResult<Option<TicketRequest>> {
    Ok(find(state, "token_hash", &token_hash(token))
        .await?
        .filter(|r| r.confirmed_at.is_none()))
}

/// Starts the workflow for a new deletion ticket: records it with its deadline, emails the
/// confirmation link to the account's address and says so on the ticket.
pub async fn start(
    state: &AppState,
    user_id: &str,
    email: &str,
    conversation_id: &str,
) -> AppResult<()> {
    let now = now_unix();
    let token = crate::crypto::random_token(32);
    let deadline = now + DEADLINE_DAYS * 86_400;
    with_pool!(state.store, |p| sqlx::query(
        "INSERT INTO support_deletion_requests (conversation_id, user_id, token_hash, requested_at, deadline_at) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(conversation_id)
    .bind(user_id)
    .bind(token_hash(&token))
    .bind(now)
    .bind(deadline)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .map_err(crate::store::StoreError::from)?;
    let link = format!(
        "{}/privacy/deletion-request/ticket?token={token}",
        state.public_origin()
    );
    let body = format!(
        "You asked {} through a support ticket to delete your account and all the data it holds.\n\nTo confirm that this request comes from you, open this link and press the button:\n{link}\n\nOnce you confirm, our team deletes everything within {DEADLINE_DAYS} days and emails you a receipt. If you did not ask for this, ignore this message: nothing will be deleted.",
        state.settings.privacy.operator_name
    );
    state
        .mailer
        .send(&mail::Email {
            to: email.to_owned(),
            subject: "Data Deletion Request: please confirm".into(),
            body,
        })
        .await
        .map_err(AppError::Internal)?;
    crate::support::desk::post_system(
        state,
        conversation_id,
        "Data deletion request received. We emailed a confirmation link to your account's address; once you confirm, we delete your account and all its data and email you a receipt.",
    )
    .await
}

/// Confirms a request through its emailed link. Returns the request, or 404 when the link is
/// not (or no longer) valid.
pub async fn confirm(state: &AppState, token: &str) -> AppResult<TicketRequest> {
    let request = awaiting(state, token).await?.ok_or(AppError::NotFound)?;
    let now = now_unix();
    with_pool!(state.store, |p| sqlx::query(
        "UPDATE support_deletion_requests SET confirmed_at = $1 WHERE conversation_id = $2 AND confirmed_at IS NULL"
    )
    .bind(now)
    .bind(&request.conversation_id)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .map_err(crate::store::StoreError::from)?;
    crate::support::desk::post_system(
        state,
        &request.conversation_id,
        "You confirmed this data deletion request by email. Our team will delete your account and all its data and email you the receipt.",
    )
    .await?;
    Ok(TicketRequest {
        confirmed_at: Some(now),
        ..request
    })
}

/// Carries out a confirmed request: the account-deletion purge (jobs stopped, key shredded, every
/// row and file removed, Stripe closed), a receipt stored and emailed to the account's address.
pub async fn carry_out(state: &AppState, conversation_id: &str) -> AppResult<Receipt> {
    let request = of_ticket(state, conversation_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if request.confirmed_at.is_none() {
        return Err(AppError::Conflict(
            "The customer has not confirmed this request through the emailed link yet.".into(),
        ));
    }
    let receipt = purge::delete_account(state, &request.user_id, Source::Support)
        .await
        .map_err(AppError::Internal)?;
    tracing::info!("data deletion request from a support ticket carried out");
    Ok(receipt)
}
