//! Sign-up, sign-in, sign-out and password changes.

use crate::app::AppState;
use crate::auth::password;
use crate::auth::throttle::Attempt;
use crate::auth::{ClientInfo, CurrentUser};
use crate::clock::now_unix;
use crate::domain::{Email, NewPassword};
use crate::domain::{ProfileId, SessionId, UserId};
use crate::error::{AppError, AppResult};
use crate::services::{mfa, recovery};
use crate::store::StoreError;
use crate::store::sessions::NewSession;
use crate::store::users::UserRecord;

/// A new session: the account and the `Set-Cookie` values that carry it.
#[derive(Debug)]
pub struct SignedIn {
    /// The account.
    pub user: UserRecord,
    /// The new session id.
    pub session_id: SessionId,
    /// The signed session token the client keeps (the web layer puts it in a cookie).
    pub token: String,
    /// How long the token is valid.
    pub lifetime: std::time::Duration,
    /// The signed token that marks this browser as known to the account (the device cookie,
    /// valid for [`DEVICE_LIFETIME`]).
    pub device_token: String,
}

/// What a right password leads to.
#[derive(Debug)]
pub enum SignInOutcome {
    /// Signed in.
    Session(SignedIn),
    /// Two-step sign-in is on: the challenge token the code must be sent with (the
    /// second-factor cookie, valid for [`mfa::CHALLENGE_LIFETIME`]).
    SecondFactor {
        /// The signed challenge.
        challenge: String,
    },
}

fn parse_email(input: &str) -> AppResult<Email> {
    Email::parse(input).map_err(|m| AppError::field("email", m))
}

/// Registers an account whose address is not yet confirmed, and mails the link that confirms it.
/// An address that already has an account gets the same answer (no account is revealed) and its
/// owner is told by mail instead.
pub async fn sign_up(
    state: &AppState,
    email: &str,
    password_text: &str,
    client: &ClientInfo,
) -> AppResult<()> {
    state
        .throttle
        .signup(client.ip)
        .map_err(|w| AppError::RateLimited(w.0))?;
    let email = parse_email(email)?;
    let new_password = NewPassword::parse(password_text, Some(email.as_str()))
        .map_err(|r| AppError::field("password", r.to_string()))?;
    // Hashed either way, so both answers take the same time.
    let hash = password::hash(new_password.expose().to_owned()).await?;
    match state.store.create_user(&email, &hash, now_unix()).await {
        Ok(user) => {
            tracing::info!(user_id = %user.id, "account created; address to confirm");
            recovery::send_confirmation(state, &user).await
        }
        Err(StoreError::Conflict) => {
            recovery::tell_owner_of_signup_attempt(state, &email);
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Creates an account with a confirmed address (the operator's demo account), or finds it.
pub async fn create_confirmed(
    state: &AppState,
    email: &str,
    password_text: &str,
) -> AppResult<Option<UserRecord>> {
    let email = parse_email(email)?;
    let new_password = NewPassword::parse(password_text, Some(email.as_str()))
        .map_err(|r| AppError::field("password", r.to_string()))?;
    let hash = password::hash(new_password.expose().to_owned()).await?;
    match state.store.create_user(&email, &hash, now_unix()).await {
        Ok(user) => {
            state.store.set_email_verified(&user.id, now_unix()).await?;
            Ok(Some(user))
        }
        Err(StoreError::Conflict) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Checks credentials; signs in, or asks for the second factor. Unknown email and wrong password
/// look the same, and are throttled alike (see `auth::throttle`).
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password_text: &str,
    client: &ClientInfo,
) -> AppResult<SignInOutcome> {
    let normalised = email.trim().to_lowercase();
    let user = match Email::parse(email) {
        Ok(email) => state.store.user_by_email(&email).await?,
        Err(_) => None,
    };
    let device = match (&client.device, &user) {
        (Some(cookie), Some(user)) => state.throttle.devices.device_of(cookie, &user.id),
        _ => None,
    };
    let attempt = Attempt {
        account: &normalised,
        ip: client.ip,
        device,
    };
    state
        .throttle
        .sign_in_allowed(&attempt)
        .map_err(|w| AppError::RateLimited(w.0))?;
    let ok = password::verify(
        password_text.to_owned(),
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await?;
    let user = match user {
        Some(user) if ok => user,
        _ => {
            state.throttle.sign_in_failed(&attempt);
            return Err(AppError::InvalidCredentials);
        }
    };
    if !state.store.email_verified(&user.id).await? {
        // Only someone with the right password learns this; they get a fresh link.
        recovery::send_confirmation(state, &user).await?;
        return Err(AppError::Forbidden(
            "Please confirm your email address first: we have sent you a new link.",
        ));
    }
    if state.store.mfa_enabled(&user.id).await? {
        return Ok(SignInOutcome::SecondFactor {
            challenge: mfa::challenge(state, &user.id),
        });
    }
    Ok(SignInOutcome::Session(
        start_session(state, user, client).await?,
    ))
}

/// Starts a session for an account whose owner has just proved who they are.
pub(crate) async fn start_session(
    state: &AppState,
    user: UserRecord,
    client: &ClientInfo,
) -> AppResult<SignedIn> {
    let now = now_unix();
    let lifetime = state.settings.session_absolute;
    let expires_at = now + lifetime.as_secs() as i64;
    let session_id = SessionId::new(crate::crypto::random_token(24));
    let ip = client.ip.to_string();
    state
        .store
        .create_session(NewSession {
            id: &session_id,
            user_id: &user.id,
            now,
            expires_at,
            user_agent: &client.user_agent,
            ip: &ip,
        })
        .await?;
    // A sign-in is activity: it resets the inactivity purge clock.
    state.store.touch_user(&user.id, now).await?;
    let token = state.keyring.issue(&user.id, &session_id, now, expires_at);
    let device_token = device_token(state, &user.id);
    Ok(SignedIn {
        user,
        session_id,
        token,
        lifetime,
        device_token,
    })
}

/// The signed token that marks this browser as known to the account (the device cookie).
pub(crate) fn device_token(state: &AppState, user_id: &UserId) -> String {
    state.throttle.devices.issue(user_id)
}

/// Ends the current session at once (the web layer clears the cookie).
pub async fn sign_out(state: &AppState, auth: &CurrentUser) -> AppResult<()> {
    state
        .store
        .revoke_session(&auth.session_id, &auth.user.id, now_unix())
        .await?;
    Ok(())
}

/// The user's live sessions (signed in, not revoked, not idle longer than `idle_secs`).
pub async fn sessions_of(
    state: &AppState,
    user_id: &UserId,
    now: i64,
    idle_secs: i64,
) -> AppResult<Vec<crate::store::sessions::SessionRecord>> {
    Ok(state.store.sessions_of(user_id, now, idle_secs).await?)
}

/// Signs one of the user's sessions out; false when it is not theirs or already ended.
pub async fn revoke_session(
    state: &AppState,
    user_id: &UserId,
    session_id: &SessionId,
) -> AppResult<bool> {
    Ok(state
        .store
        .revoke_session(session_id, user_id, now_unix())
        .await?)
}

/// Changes the password after checking the current one; every other session is signed out.
pub async fn change_password(
    state: &AppState,
    auth: &CurrentUser,
    current: &str,
    new: &str,
) -> AppResult<()> {
    let ok = password::verify(current.to_owned(), Some(auth.user.password_hash.clone())).await?;
    if !ok {
        return Err(AppError::field(
            "current_password",
            "That is not your current password.",
        ));
    }
    let new_password = NewPassword::parse(new, Some(&auth.user.email))
        .map_err(|r| AppError::field("new_password", r.to_string()))?;
    let hash = password::hash(new_password.expose().to_owned()).await?;
    state
        .store
        .change_password(&auth.user.id, &hash, Some(&auth.session_id), now_unix())
        .await?;
    tracing::info!(user_id = %auth.user.id, "password changed; other sessions revoked");
    Ok(())
}

/// Sessions are marked as used at most this often, so reads stay reads.
const TOUCH_EVERY_SECS: i64 = 60;

/// A live session, its account, its seat in another workspace if it acts in one, and the
/// asked-for profile when it belongs to the workspace the session acts in.
pub type CheckedSession = (
    crate::store::sessions::SessionRecord,
    UserRecord,
    Option<crate::store::sessions::Seat>,
    Option<crate::store::profiles::ProfileRecord>,
);

/// The session a session token names, checked against its row (so a sign-out, a password
/// change or a removed membership on any instance refuses the next request) and marked as used
/// at most once a minute. With `profile_id`, that profile is read in the same query.
/// `Unauthorized` for a bad, expired or revoked token.
pub async fn check_session(
    state: &AppState,
    token: &str,
    profile_id: Option<&ProfileId>,
) -> AppResult<CheckedSession> {
    let claims = state
        .keyring
        .verify(token)
        .map_err(|_| AppError::Unauthorized)?;
    let now = now_unix();
    let idle = state.settings.session_idle.as_secs() as i64;
    let store = &state.store;
    let found = match profile_id {
        None => store
            .live_session(&claims.sid, &claims.sub, now, idle)
            .await?
            .map(|(session, user, seat)| (session, user, seat, None)),
        Some(profile_id) => {
            store
                .live_session_with_profile(&claims.sid, &claims.sub, now, idle, profile_id)
                .await?
        }
    };
    let (session, mut user, seat, profile) = found.ok_or(AppError::Unauthorized)?;
    // Staff powers need two-step sign-in: until it is on, a staff account acts as a user.
    crate::services::mfa::staff_role_in_effect(state, &mut user).await?;
    if now - session.last_seen_at >= TOUCH_EVERY_SECS {
        store.touch_session(&session.id, &user.id, now).await?;
        // Use of the account keeps it out of the inactivity purge; so does a team's use of a
        // workspace, for the account that owns it.
        store.touch_user(&user.id, now).await?;
        if let Some(seat) = &seat {
            store.touch_user(&seat.workspace_id.owner(), now).await?;
        }
    }
    Ok((session, user, seat, profile))
}
