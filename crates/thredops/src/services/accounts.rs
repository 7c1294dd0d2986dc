//! Sign-up, sign-in, sign-out and password changes.

use crate::app::AppState;
use crate::auth::password;
use crate::auth::{ClientInfo, CurrentUser};
use crate::domain::{Email, NewPassword};
use crate::error::{AppError, AppResult};
use crate::store::sessions::NewSession;
use crate::store::users::UserRecord;
use crate::store::{StoreError, now_unix};

/// A new session: the account and the `Set-Cookie` value that carries it.
#[derive(Debug)]
pub struct SignedIn {
    /// The account.
    pub user: UserRecord,
    /// The new session id.
    pub session_id: String,
    /// The signed session token the client keeps (the web layer puts it in a cookie).
    pub token: String,
    /// How long the token is valid.
    pub lifetime: std::time::Duration,
}

fn parse_email(input: &str) -> AppResult<Email> {
    Email::parse(input).map_err(|m| AppError::field("email", m))
}

/// Creates an account and signs it in.
pub async fn sign_up(
    state: &AppState,
    email: &str,
    password_text: &str,
    client: &ClientInfo,
) -> AppResult<SignedIn> {
    state
        .throttle
        .signup(client.ip)
        .map_err(|w| AppError::RateLimited(w.0))?;
    let email = parse_email(email)?;
    let new_password = NewPassword::parse(password_text, Some(email.as_str()))
        .map_err(|r| AppError::field("password", r.to_string()))?;
    let hash = password::hash(new_password.expose().to_owned()).await?;
    let user = match state.store.create_user(&email, &hash, now_unix()).await {
        Ok(user) => user,
        Err(StoreError::Conflict) => {
            return Err(AppError::Conflict(
                "An account with this email already exists. Sign in instead.".into(),
            ));
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(user_id = %user.id, "account created");
    start_session(state, user, client).await
}

/// Checks credentials and starts a session. Unknown email and wrong password look the same.
pub async fn sign_in(
    state: &AppState,
    email: &str,
    password_text: &str,
    client: &ClientInfo,
) -> AppResult<SignedIn> {
    let normalised = email.trim().to_lowercase();
    state
        .throttle
        .login(client.ip, &normalised)
        .map_err(|w| AppError::RateLimited(w.0))?;
    let user = match Email::parse(email) {
        Ok(email) => state.store.user_by_email(&email).await?,
        Err(_) => None,
    };
    let ok = password::verify(
        password_text.to_owned(),
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await?;
    match user {
        Some(user) if ok => start_session(state, user, client).await,
        _ => Err(AppError::InvalidCredentials),
    }
}

async fn start_session(
    state: &AppState,
    user: UserRecord,
    client: &ClientInfo,
) -> AppResult<SignedIn> {
    let now = now_unix();
    let lifetime = state.settings.session_absolute;
    let expires_at = now + lifetime.as_secs() as i64;
    let session_id = crate::crypto::random_token(24);
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
    Ok(SignedIn {
        user,
        session_id,
        token,
        lifetime,
    })
}

/// Ends the current session at once (the web layer clears the cookie).
pub async fn sign_out(state: &AppState, auth: &CurrentUser) -> AppResult<()> {
    state
        .store
        .revoke_session(&auth.session_id, &auth.user.id, now_unix())
        .await?;
    Ok(())
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
