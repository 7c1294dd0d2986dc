//! Getting back in and keeping the address right: password reset by email, confirmation of new
//! addresses, and email changes that take effect only when the new address confirms.
//!
//! Every request that starts from an address answers the same whether or not an account uses it;
//! mail goes out in the background so that sending it (or not) does not show in the answer's
//! timing either.

use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::auth::password;
use crate::auth::{ClientInfo, CurrentUser};
use crate::clock::now_unix;
use crate::domain::{Email, NewPassword, UserId};
use crate::error::{AppError, AppResult};
use crate::mail::Email as Mail;
use crate::services::accounts::{self, SignedIn};
use crate::services::mfa;
use crate::store::account_security::LinkPurpose;
use crate::store::users::UserRecord;

/// How long a reset link works.
pub const RESET_LIFETIME_SECS: i64 = 30 * 60;
/// How long a confirmation link (new account or new address) works.
pub const CONFIRM_LIFETIME_SECS: i64 = 24 * 60 * 60;

/// What the reset form says, always.
pub const RESET_SENT: &str = "If an account uses that address, we have emailed it a link to set a new password. The link works once, for 30 minutes.";
/// What sign-up says, always.
pub const SIGNUP_SENT: &str = "Check your email: we have sent a link to confirm your address. Follow it to finish creating your account.";
/// What an email change says, always.
pub const CHANGE_SENT: &str =
    "We have emailed a link to the new address. Your address changes when you follow it.";

const LINK_GONE: &str = "This link has expired or was already used. Please ask for a new one.";

/// The stored form of a link token: only its hash is kept.
fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Sends mail after the answer, logging (never the body) if delivery fails.
pub(crate) fn send_later(state: &AppState, mail: Mail) {
    let mailer = state.mailer.clone();
    tokio::spawn(async move {
        if let Err(error) = mailer.send(&mail).await {
            tracing::warn!(error = %format!("{error:#}"), subject = %mail.subject, "account mail not sent");
        }
    });
}

async fn new_link(
    state: &AppState,
    user_id: &UserId,
    purpose: LinkPurpose,
    new_email: Option<&str>,
    lifetime: i64,
) -> AppResult<String> {
    let token = crate::crypto::random_token(32);
    let now = now_unix();
    state
        .store
        .create_account_link(
            &token_hash(&token),
            user_id,
            purpose,
            new_email,
            now,
            now + lifetime,
        )
        .await?;
    Ok(token)
}

/// Mails the link that confirms a new account's address (at most a few a while per address).
pub async fn send_confirmation(state: &AppState, user: &UserRecord) -> AppResult<()> {
    if !state.throttle.mail_to(&user.email) {
        return Ok(());
    }
    let token = new_link(
        state,
        &user.id,
        LinkPurpose::Verify,
        None,
        CONFIRM_LIFETIME_SECS,
    )
    .await?;
    let link = format!("{}/verify-email?token={token}", state.public_origin());
    send_later(
        state,
        Mail {
            to: user.email.clone(),
            subject: "Confirm your ThredOps address".into(),
            body: format!(
                "Welcome to ThredOps.\n\nConfirm your address to finish creating your account:\n{link}\n\nThe link works once, for 24 hours. If you did not sign up, ignore this message."
            ),
        },
    );
    Ok(())
}

/// Tells the owner of an address that someone tried to sign up with it.
pub fn tell_owner_of_signup_attempt(state: &AppState, email: &Email) {
    if !state.throttle.mail_to(email.as_str()) {
        return;
    }
    let origin = state.public_origin();
    send_later(
        state,
        Mail {
            to: email.as_str().to_owned(),
            subject: "Someone tried to sign up with your address".into(),
            body: format!(
                "Someone tried to create a ThredOps account with this address, which already has one.\n\nIf it was you, sign in at {origin}/login, or set a new password at {origin}/forgot-password.\nIf it was not you, you need do nothing: your account is unchanged."
            ),
        },
    );
}

/// Starts a password reset. Answers the same for any well-formed address.
pub async fn request_reset(state: &AppState, email: &str, client: &ClientInfo) -> AppResult<()> {
    state
        .throttle
        .mail_request(client.ip)
        .map_err(|w| AppError::RateLimited(w.0))?;
    let email = Email::parse(email).map_err(|m| AppError::field("email", m))?;
    let Some(user) = state.store.user_by_email(&email).await? else {
        return Ok(());
    };
    if !state.throttle.mail_to(&user.email) {
        return Ok(());
    }
    let token = new_link(
        state,
        &user.id,
        LinkPurpose::Reset,
        None,
        RESET_LIFETIME_SECS,
    )
    .await?;
    let link = format!("{}/reset-password?token={token}", state.public_origin());
    send_later(
        state,
        Mail {
            to: user.email.clone(),
            subject: "Set a new ThredOps password".into(),
            body: format!(
                "Someone (we hope you) asked to set a new password for your ThredOps account.\n\nSet it here:\n{link}\n\nThe link works once, for 30 minutes. Setting a new password signs out every device.\nIf you did not ask, ignore this message: your password is unchanged."
            ),
        },
    );
    tracing::info!(user_id = %user.id, "password reset link sent");
    Ok(())
}

/// Whether a link of this purpose can still be used (to show its form).
pub async fn link_is_live(state: &AppState, token: &str, purpose: LinkPurpose) -> AppResult<bool> {
    Ok(state
        .store
        .account_link_owner(&token_hash(token), purpose, now_unix())
        .await?
        .is_some())
}

/// Sets a new password through a reset link: every session ends, the address counts as
/// confirmed (the link proved the mailbox), and this browser becomes a known device. Returns
/// the device token (for the device cookie).
pub async fn reset_password(state: &AppState, token: &str, new: &str) -> AppResult<String> {
    let hash_of_token = token_hash(token);
    let now = now_unix();
    let gone = || AppError::BadRequest(LINK_GONE.into());
    let user_id = state
        .store
        .account_link_owner(&hash_of_token, LinkPurpose::Reset, now)
        .await?
        .ok_or_else(gone)?;
    let user = state.store.user_by_id(&user_id).await?.ok_or_else(gone)?;
    // Checked before the link is spent, so a too-short password does not cost the link.
    let new_password = NewPassword::parse(new, Some(&user.email))
        .map_err(|r| AppError::field("new_password", r.to_string()))?;
    let hash = password::hash(new_password.expose().to_owned()).await?;
    let taken = state
        .store
        .take_account_link(&hash_of_token, LinkPurpose::Reset, now)
        .await?
        .filter(|t| t.user_id == user.id)
        .ok_or_else(gone)?;
    state
        .store
        .change_password(&taken.user_id, &hash, None, now)
        .await?;
    state.store.set_email_verified(&taken.user_id, now).await?;
    tracing::info!(user_id = %taken.user_id, "password reset; every session revoked");
    send_later(
        state,
        Mail {
            to: user.email.clone(),
            subject: "Your ThredOps password was changed".into(),
            body: "Your password was just set through a reset link, and every device was signed out.\nIf this was not you, reset it again at once and check your email account's security.".into(),
        },
    );
    Ok(accounts::device_token(state, &taken.user_id))
}

/// Confirms a new account's address through its link and signs in (the link proved the
/// mailbox, and it works once).
pub async fn confirm_address(
    state: &AppState,
    token: &str,
    client: &ClientInfo,
) -> AppResult<SignedIn> {
    let now = now_unix();
    let taken = state
        .store
        .take_account_link(&token_hash(token), LinkPurpose::Verify, now)
        .await?
        .ok_or_else(|| AppError::BadRequest(LINK_GONE.into()))?;
    // A link from before two-step sign-in was turned on must not sign in around it.
    if state.store.mfa_enabled(&taken.user_id).await? {
        return Err(AppError::BadRequest(LINK_GONE.into()));
    }
    state.store.set_email_verified(&taken.user_id, now).await?;
    let user = state
        .store
        .user_by_id(&taken.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    tracing::info!(user_id = %user.id, "address confirmed");
    accounts::start_session(state, user, client).await
}

/// Asks to change the address: needs a fresh password or authenticator code, mails a link to
/// the new address and tells the old one. The change happens only when the link is followed.
pub async fn request_email_change(
    state: &AppState,
    auth: &CurrentUser,
    new_email: &str,
    proof: &mfa::StepUp<'_>,
) -> AppResult<()> {
    mfa::step_up(state, auth, proof).await?;
    let new_email = Email::parse(new_email).map_err(|m| AppError::field("new_email", m))?;
    if new_email.as_str() == auth.user.email {
        return Err(AppError::field(
            "new_email",
            "That is already your address.",
        ));
    }
    // An address another account uses gets the same answer and no link: the form must not
    // tell who has an account.
    if state.store.user_by_email(&new_email).await?.is_some() {
        return Ok(());
    }
    let token = new_link(
        state,
        &auth.user.id,
        LinkPurpose::EmailChange,
        Some(new_email.as_str()),
        CONFIRM_LIFETIME_SECS,
    )
    .await?;
    let link = format!(
        "{}/confirm-email-change?token={token}",
        state.public_origin()
    );
    send_later(
        state,
        Mail {
            to: new_email.as_str().to_owned(),
            subject: "Confirm your new ThredOps address".into(),
            body: format!(
                "Confirm that this is the new address of your ThredOps account:\n{link}\n\nThe link works once, for 24 hours. If you did not ask for this, ignore this message."
            ),
        },
    );
    send_later(
        state,
        Mail {
            to: auth.user.email.clone(),
            subject: "A change of your ThredOps address was requested".into(),
            body: format!(
                "Someone signed in to your account asked to change its address to {}.\nNothing changes unless the new address confirms. If this was not you, change your password now and sign out your other devices in Settings.",
                new_email.as_str()
            ),
        },
    );
    Ok(())
}

/// Applies an email change through the link sent to the new address; the old address is told.
pub async fn confirm_email_change(state: &AppState, token: &str) -> AppResult<UserRecord> {
    let now = now_unix();
    let taken = state
        .store
        .take_account_link(&token_hash(token), LinkPurpose::EmailChange, now)
        .await?
        .ok_or_else(|| AppError::BadRequest(LINK_GONE.into()))?;
    let new_email = taken.new_email.ok_or(AppError::NotFound)?;
    let old = state
        .store
        .user_by_id(&taken.user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    state
        .store
        .change_email(&taken.user_id, &new_email, now)
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Conflict => {
                AppError::Conflict("That address now belongs to another account.".into())
            }
            other => other.into(),
        })?;
    send_later(
        state,
        Mail {
            to: old.email.clone(),
            subject: "Your ThredOps address was changed".into(),
            body: format!(
                "The address of your ThredOps account is now {new_email}. If this was not you, reset your password from the new address's sign-in page or contact support."
            ),
        },
    );
    tracing::info!(user_id = %taken.user_id, "address changed");
    state
        .store
        .user_by_id(&taken.user_id)
        .await?
        .ok_or(AppError::NotFound)
}
