//! Data deletion requests through support: anyone may ask for an address; the account's owner
//! proves ownership through a link sent to that address, then the account is purged.

use sha2::{Digest, Sha256};

use super::purge::{self, Receipt, Source, code_hash};
use crate::app::AppState;
use crate::clock::now_unix;
use crate::domain::Email;
use crate::error::{AppError, AppResult};
use crate::mail;

/// How long a confirmation link works.
pub const CONFIRM_TTL_SECS: i64 = 48 * 3600;

/// A new link is sent at most this often per account.
pub const RESEND_AFTER_SECS: i64 = 15 * 60;

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Records a request for `email_text`. When an account has that address, a confirmation link
/// goes to it; the answer is the same either way, so the form reveals nothing about who has an
/// account.
pub async fn request(state: &AppState, email_text: &str) -> AppResult<()> {
    let email = Email::parse(email_text).map_err(|m| AppError::field("email", m))?;
    let Some(user) = state.store.user_by_email(&email).await? else {
        tracing::info!("deletion request for an address without an account");
        return Ok(());
    };
    let now = now_unix();
    // One link per quarter hour: the form cannot be used to flood someone's inbox. The answer
    // stays the same, and the link already sent still works.
    if state
        .store
        .confirmations_since(&user.id, now - RESEND_AFTER_SECS)
        .await?
        > 0
    {
        tracing::info!(user_id = %user.id, "deletion request repeated; link not sent again");
        return Ok(());
    }
    let code = purge::new_code();
    let token = crate::crypto::random_token(32);
    state
        .store
        .insert_receipt(
            &code_hash(&code),
            Source::Support.as_str(),
            "awaiting_confirmation",
            now,
            0,
        )
        .await?;
    state
        .store
        .insert_confirmation(
            &token_hash(&token),
            &user.id,
            &code_hash(&code),
            now,
            now + CONFIRM_TTL_SECS,
        )
        .await?;
    let link = format!(
        "{}/privacy/deletion-request/confirm?token={token}&code={code}",
        state.public_origin()
    );
    let body = format!(
        "Someone (hopefully you) asked {} to delete your account and all the data it holds.\n\nTo confirm, open this link within 48 hours and press the button:\n{link}\n\nIf you did not ask for this, ignore this message: nothing will be deleted.\n\nConfirmation code: {code}\nStatus: {}",
        state.settings.privacy.operator_name,
        purge::status_url(state, &code)
    );
    state
        .mailer
        .send(&mail::Email {
            to: user.email.clone(),
            subject: "Data Deletion Request: please confirm".into(),
            body,
        })
        .await
        .map_err(AppError::Internal)?;
    tracing::info!(user_id = %user.id, "deletion request awaiting confirmation");
    Ok(())
}

/// Whether `token` and `code` name a live request (the confirmation page shows its button).
pub async fn is_pending(state: &AppState, token: &str, code: &str) -> AppResult<bool> {
    Ok(matches!(
        state.store.confirmation(&token_hash(token), now_unix()).await?,
        Some((_, hash)) if hash == code_hash(code)
    ))
}

/// Confirms a request: the account is purged at once and the receipt completed.
pub async fn confirm(state: &AppState, token: &str, code: &str) -> AppResult<Receipt> {
    let (user_id, hash) = state
        .store
        .confirmation(&token_hash(token), now_unix())
        .await?
        .filter(|(_, hash)| *hash == code_hash(code))
        .ok_or(AppError::NotFound)?;
    let (email, profiles) = purge::erase_account(state, &user_id).await?;
    state
        .store
        .complete_receipt(&hash, now_unix(), profiles)
        .await?;
    let receipt = Receipt {
        confirmation_code: code.to_owned(),
        url: purge::status_url(state, code),
        profiles_purged: profiles,
    };
    purge::send_receipt(state, &email, &receipt, "Your ThredOps account was deleted").await;
    Ok(receipt)
}
