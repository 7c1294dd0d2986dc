//! Two-step sign-in with an authenticator app (TOTP), recovery codes, the staff requirement and
//! step-up checks for sensitive actions.

use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::auth::password;
use crate::auth::totp::Secret;
use crate::auth::{ClientInfo, CurrentUser};
use crate::clock::now_unix;
use crate::domain::{Role, UserId, WorkspaceId};
use crate::error::{AppError, AppResult};
use crate::services::accounts::{self, SignedIn};
use crate::store::users::UserRecord;

/// How long the second step may take after the right password.
const CHALLENGE_SECS: i64 = 5 * 60;
/// Recovery codes issued at enrolment.
pub const RECOVERY_CODES: usize = 10;
/// Names the sealed secret in the vault (with the user id as subject).
const VAULT_PURPOSE: &str = "totp-secret";
const ISSUER: &str = "ThredOps";

/// A pending enrolment, to show the owner.
#[derive(Debug, Clone)]
pub struct Enrolment {
    /// The secret in base32, to type into an app.
    pub secret: String,
    /// The `otpauth://` URI, for apps that open links or read it from a QR code.
    pub otpauth_uri: String,
}

/// A fresh proof of presence for a sensitive action: the current password or a current code.
#[derive(Debug, Clone, Copy, Default)]
pub struct StepUp<'a> {
    /// The current password.
    pub password: Option<&'a str>,
    /// A current authenticator code.
    pub code: Option<&'a str>,
}

/// A staff account without two-step sign-in acts as a plain user until it enrols. Costs a query
/// only for staff accounts.
pub async fn staff_role_in_effect(state: &AppState, user: &mut UserRecord) -> AppResult<()> {
    if user.role > Role::User && !state.store.mfa_enabled(&user.id).await? {
        user.role = Role::User;
    }
    Ok(())
}

/// Whether the account's stored role is staff but held back for want of two-step sign-in.
pub async fn staff_needs_enrolment(state: &AppState, user_id: &UserId) -> AppResult<bool> {
    let stored = state.store.user_by_id(user_id).await?;
    Ok(match stored {
        Some(u) if u.role > Role::User => !state.store.mfa_enabled(user_id).await?,
        _ => false,
    })
}

/// How long a second-factor challenge (and its cookie) lasts.
pub const CHALLENGE_LIFETIME: std::time::Duration =
    std::time::Duration::from_secs(CHALLENGE_SECS as u64);

/// A signed second-factor challenge for the account (the web layer puts it in a cookie).
pub fn challenge(state: &AppState, user_id: &UserId) -> String {
    state
        .throttle
        .devices
        .challenge(user_id, now_unix() + CHALLENGE_SECS)
}

fn recovery_hash(user_id: &UserId, code: &str) -> String {
    let normal: String = code
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    hex::encode(Sha256::digest(format!("{user_id}:{normal}").as_bytes()))
}

fn new_recovery_code() -> String {
    // 10 base32 characters: 50 bits, typed as two groups of five.
    let mut bytes = [0u8; 7];
    rand::RngCore::fill_bytes(&mut rand::rng(), &mut bytes);
    let text = data_encoding::BASE32_NOPAD
        .encode(&bytes)
        .to_ascii_lowercase();
    format!("{}-{}", &text[..5], &text[5..10])
}

async fn secret_of(state: &AppState, user_id: &UserId, sealed: &[u8]) -> AppResult<Secret> {
    // The seed is the person's: sealed under their own workspace's key.
    let key = state
        .vault
        .data_key(&WorkspaceId::owned_by(user_id))
        .await
        .map_err(anyhow::Error::from)?;
    let bytes = key
        .open(VAULT_PURPOSE, user_id, sealed)
        .map_err(anyhow::Error::from)?;
    Ok(Secret::from_bytes(bytes))
}

/// Starts enrolment: a new secret, stored sealed and pending until a code confirms it.
pub async fn begin(state: &AppState, auth: &CurrentUser) -> AppResult<Enrolment> {
    let user = &auth.user;
    let secret = Secret::generate();
    let key = state
        .vault
        .data_key(&WorkspaceId::owned_by(&user.id))
        .await
        .map_err(anyhow::Error::from)?;
    let sealed = key.seal(VAULT_PURPOSE, &user.id, secret.as_bytes());
    if !state.store.begin_mfa(&user.id, &sealed, now_unix()).await? {
        return Err(AppError::Conflict(
            "Two-step sign-in is already on. Turn it off first to set up a new app.".into(),
        ));
    }
    Ok(Enrolment {
        secret: secret.base32(),
        otpauth_uri: secret.otpauth_uri(ISSUER, &user.email),
    })
}

/// Confirms enrolment with a first code; returns the recovery codes, shown this once.
pub async fn confirm(state: &AppState, auth: &CurrentUser, code: &str) -> AppResult<Vec<String>> {
    let user_id = &auth.user.id;
    let pending = state
        .store
        .mfa(user_id)
        .await?
        .filter(|m| m.confirmed_at.is_none())
        .ok_or_else(|| AppError::BadRequest("Start the set-up first.".into()))?;
    let secret = secret_of(state, user_id, &pending.secret_enc).await?;
    let step = secret.matching_step(code, now_unix()).ok_or_else(|| {
        AppError::field(
            "code",
            "That code is not right. Check the app and try the current one.",
        )
    })?;
    let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_recovery_code()).collect();
    let hashes: Vec<String> = codes.iter().map(|c| recovery_hash(user_id, c)).collect();
    if !state
        .store
        .confirm_mfa(user_id, step, &hashes, now_unix())
        .await?
    {
        return Err(AppError::Conflict("Two-step sign-in is already on.".into()));
    }
    tracing::info!(user_id = %user_id, "two-step sign-in turned on");
    Ok(codes)
}

/// Whether `code` is a current authenticator code of the account, spending its time step.
async fn totp_ok(state: &AppState, user_id: &UserId, code: &str) -> AppResult<bool> {
    let Some(mfa) = state
        .store
        .mfa(user_id)
        .await?
        .filter(|m| m.confirmed_at.is_some())
    else {
        return Ok(false);
    };
    let secret = secret_of(state, user_id, &mfa.secret_enc).await?;
    match secret.matching_step(code, now_unix()) {
        Some(step) => Ok(state.store.use_mfa_step(user_id, step).await?),
        None => Ok(false),
    }
}

/// Checks a fresh proof for a sensitive action (change email, turn off two-step sign-in).
pub async fn step_up(state: &AppState, auth: &CurrentUser, proof: &StepUp<'_>) -> AppResult<()> {
    let user_id = &auth.user.id;
    state
        .throttle
        .second_factor_allowed(user_id)
        .map_err(|w| AppError::RateLimited(w.0))?;
    let ok = match (proof.password, proof.code) {
        (Some(p), _) if !p.is_empty() => {
            password::verify(p.to_owned(), Some(auth.user.password_hash.clone())).await?
        }
        (_, Some(c)) if !c.is_empty() => totp_ok(state, user_id, c).await?,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        state.throttle.second_factor_failed(user_id);
        Err(AppError::field(
            "current_password",
            "Confirm it is you: enter your current password or a current authenticator code.",
        ))
    }
}

/// Turns two-step sign-in off (after a step-up). Staff accounts lose their staff tools until
/// they enrol again.
pub async fn disable(state: &AppState, auth: &CurrentUser, proof: &StepUp<'_>) -> AppResult<()> {
    step_up(state, auth, proof).await?;
    state.store.remove_mfa(&auth.user.id).await?;
    tracing::info!(user_id = %auth.user.id, "two-step sign-in turned off");
    crate::services::recovery::send_later(
        state,
        crate::mail::Email {
            to: auth.user.email.clone(),
            subject: "Two-step sign-in was turned off".into(),
            body: "Two-step sign-in was just turned off for your ThredOps account. If this was not you, change your password now.".into(),
        },
    );
    Ok(())
}

/// Finishes a sign-in with an authenticator code or a recovery code. `challenge` is the
/// second-factor cookie set when the password was right.
pub async fn finish_sign_in(
    state: &AppState,
    challenge: Option<&str>,
    code: Option<&str>,
    recovery_code: Option<&str>,
    client: &ClientInfo,
) -> AppResult<SignedIn> {
    let user_id = challenge
        .and_then(|c| state.throttle.devices.challenge_user(c, now_unix()))
        .ok_or(AppError::Unauthorized)?;
    state
        .throttle
        .second_factor_allowed(&user_id)
        .map_err(|w| AppError::RateLimited(w.0))?;
    let ok = match (code, recovery_code) {
        (Some(c), _) if !c.trim().is_empty() => totp_ok(state, &user_id, c).await?,
        (_, Some(r)) if !r.trim().is_empty() => {
            let used = state
                .store
                .use_recovery_code(&user_id, &recovery_hash(&user_id, r), now_unix())
                .await?;
            if used {
                tracing::info!(user_id = %user_id, "signed in with a recovery code");
            }
            used
        }
        _ => false,
    };
    if !ok {
        state.throttle.second_factor_failed(&user_id);
        return Err(AppError::field(
            "code",
            "That code did not work. Enter the current code from your app, or a recovery code.",
        ));
    }
    let user = state
        .store
        .user_by_id(&user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    accounts::start_session(state, user, client).await
}

/// Whether two-step sign-in is on, and how many recovery codes are left.
pub async fn status(state: &AppState, user_id: &UserId) -> AppResult<(bool, i64)> {
    let on = state.store.mfa_enabled(user_id).await?;
    let left = if on {
        state.store.recovery_codes_left(user_id).await?
    } else {
        0
    };
    Ok((on, left))
}
