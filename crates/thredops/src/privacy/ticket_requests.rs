//! Data deletion requests made through a support ticket.
//!
//! The ticket is opened by a signed-in user, which ties it to an account; ownership of the
//! account's address is then proven through a link emailed to it (a stolen session alone must
//! not get an account erased). Once confirmed, a support agent carries it out with the same purge
//! as "Delete my account", which emails the receipt; staff see the deadline all along.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::purge::{self, Receipt, Source};
use crate::app::AppState;
use crate::clock::now_unix;
use crate::domain::{ConversationId, UserId};
use crate::error::{AppError, AppResult};
use crate::mail;
use crate::store::StoreResult;

/// Days within which a confirmed request is carried out (the privacy policy's promise).
pub const DEADLINE_DAYS: i64 = 30;

/// A deletion request as staff see it beside the ticket.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TicketRequest {
    /// The ticket.
    pub conversation_id: ConversationId,
    /// The account to erase.
    pub user_id: UserId,
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

/// The deletion request behind a ticket, if it is one.
pub async fn of_ticket(
    state: &AppState,
    conversation_id: &ConversationId,
) -> StoreResult<Option<TicketRequest>> {
    state
        .store
        .deletion_request_of_ticket(conversation_id)
        .await
}

/// The request a confirmation link names, if it still waits for confirmation.
pub async fn awaiting(state: &AppState, token: &str) -> StoreResult<Option<TicketRequest>> {
    Ok(state
        .store
        .deletion_request_by_token(&token_hash(token))
        .await?
        .filter(|r| r.confirmed_at.is_none()))
}

/// Starts the workflow for a new deletion ticket: records it with its deadline, emails the
/// confirmation link to the account's address and says so on the ticket.
pub async fn start(
    state: &AppState,
    user_id: &UserId,
    email: &str,
    conversation_id: &ConversationId,
) -> AppResult<()> {
    let now = now_unix();
    let token = crate::crypto::random_token(32);
    let deadline = now + DEADLINE_DAYS * 86_400;
    state
        .store
        .insert_deletion_request(conversation_id, user_id, &token_hash(&token), now, deadline)
        .await?;
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
    state
        .store
        .confirm_deletion_request(&request.conversation_id, now)
        .await?;
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
pub async fn carry_out(state: &AppState, conversation_id: &ConversationId) -> AppResult<Receipt> {
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
