//! Accounts and sessions: sign-up, sign-in, sign-out, password change, devices.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::registry::{Endpoint, boolean, integer, object, string};
use crate::clock::now_unix;
use crate::http::error::{AppError, AppResult};
use crate::http::json::ApiJson;
use crate::http::session::{
    AuthUser, ClientInfo, clear_session_cookie, device_cookie, second_factor_cookie, session_cookie,
};
use crate::http::state::WebState;
use crate::services::accounts;
use crate::store::users::UserRecord;

pub fn endpoints() -> Vec<Endpoint> {
    let credentials = object(
        &[("email", string()), ("password", string())],
        &["email", "password"],
    );
    vec![
        Endpoint::new(
            Method::POST,
            "/api/v1/auth/signup",
            "Create an account (confirmed through a mailed link)",
            signup,
        )
        .tag("auth")
        .body(credentials.clone())
        .response(
            202,
            "Check your email. The same answer whether or not the address already has an account (its owner is told by mail).",
            Some(super::recovery::message_schema()),
        )
        .response(429, "Too many attempts from this address", None),
        Endpoint::new(Method::POST, "/api/v1/auth/login", "Sign in", login)
            .tag("auth")
            .body(credentials)
            .response(
                200,
                "Signed in; the session and device cookies are set",
                Some(user_schema()),
            )
            .response(
                202,
                "Password right; two-step sign-in is on: send a code to /api/v1/auth/mfa/verify (the challenge cookie is set)",
                Some(object(&[("second_factor_required", boolean())], &["second_factor_required"])),
            )
            .response(401, "Email or password incorrect", None)
            .response(403, "Address not yet confirmed; a new link was mailed", None)
            .response(429, "Too many failed attempts (see docs/security.md, sign-in throttling)", None),
        Endpoint::new(
            Method::POST,
            "/api/v1/auth/logout",
            "Sign out this session",
            logout,
        )
        .tag("auth")
        .authenticated()
        .response(204, "Signed out; the cookie is cleared", None),
        Endpoint::new(Method::GET, "/api/v1/me", "The signed-in account", me)
            .tag("auth")
            .authenticated()
            .response(200, "The account", Some(user_schema())),
        Endpoint::new(
            Method::POST,
            "/api/v1/auth/password",
            "Change the password (signs out other sessions)",
            change_password,
        )
        .tag("auth")
        .authenticated()
        .body(object(
            &[("current_password", string()), ("new_password", string())],
            &["current_password", "new_password"],
        ))
        .response(204, "Password changed", None),
        Endpoint::new(
            Method::GET,
            "/api/v1/auth/sessions",
            "Signed-in devices",
            list_sessions,
        )
        .tag("auth")
        .authenticated()
        .response(
            200,
            "Live sessions, newest first",
            Some(json!({"type": "array", "items": session_schema()})),
        ),
        Endpoint::new(
            Method::DELETE,
            "/api/v1/auth/sessions/{id}",
            "Sign out one device",
            delete_session,
        )
        .tag("auth")
        .authenticated()
        .response(204, "Signed out", None)
        .response(404, "No such live session of yours", None),
    ]
}

pub(super) fn user_schema() -> Value {
    object(
        &[
            ("id", string()),
            ("email", string()),
            ("role", string()),
            ("timezone", json!({"type": ["string", "null"]})),
            ("created_at", string()),
        ],
        &["id", "email", "role", "created_at"],
    )
}

fn session_schema() -> Value {
    object(
        &[
            ("id", string()),
            ("created_at", string()),
            ("last_seen_at", string()),
            ("user_agent", string()),
            ("ip", string()),
            ("current", boolean()),
            ("expires_in_seconds", integer()),
        ],
        &["id", "created_at", "last_seen_at", "current"],
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Credentials {
    email: String,
    password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current_password: String,
    new_password: String,
}

#[derive(Serialize)]
pub(super) struct UserView {
    id: String,
    email: String,
    role: &'static str,
    timezone: Option<String>,
    created_at: DateTime<Utc>,
}

impl From<&UserRecord> for UserView {
    fn from(u: &UserRecord) -> Self {
        Self {
            id: u.id.to_string(),
            email: u.email.clone(),
            role: u.role.as_str(),
            timezone: u.timezone.clone(),
            created_at: to_time(u.created_at),
        }
    }
}

pub fn to_time(unix: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix, 0).unwrap_or_default()
}

fn with_cookie(status: StatusCode, cookie: String, body: impl IntoResponse) -> Response {
    (status, [(header::SET_COOKIE, cookie)], body).into_response()
}

async fn signup(
    State(state): State<WebState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<Credentials>,
) -> AppResult<Response> {
    accounts::sign_up(&state, &body.email, &body.password, &client).await?;
    Ok(super::recovery::accepted(
        crate::services::recovery::SIGNUP_SENT,
    ))
}

async fn login(
    State(state): State<WebState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<Credentials>,
) -> AppResult<Response> {
    match accounts::sign_in(&state, &body.email, &body.password, &client).await? {
        accounts::SignInOutcome::Session(signed_in) => Ok(signed_in_response(&state, signed_in)),
        accounts::SignInOutcome::SecondFactor { challenge } => Ok(with_cookie(
            StatusCode::ACCEPTED,
            second_factor_cookie(&state, &challenge),
            Json(json!({"second_factor_required": true})),
        )),
    }
}

/// 200 with the account, the session cookie and the device cookie.
pub(super) fn signed_in_response(state: &WebState, signed_in: accounts::SignedIn) -> Response {
    (
        StatusCode::OK,
        axum::response::AppendHeaders([
            (header::SET_COOKIE, session_cookie(state, &signed_in)),
            (
                header::SET_COOKIE,
                device_cookie(state, &signed_in.device_token),
            ),
        ]),
        Json(UserView::from(&signed_in.user)),
    )
        .into_response()
}

async fn logout(State(state): State<WebState>, auth: AuthUser) -> AppResult<Response> {
    accounts::sign_out(&state, &auth).await?;
    Ok(with_cookie(
        StatusCode::NO_CONTENT,
        clear_session_cookie(&state),
        (),
    ))
}

async fn me(auth: AuthUser) -> Json<UserView> {
    Json(UserView::from(&auth.user))
}

async fn change_password(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<PasswordChange>,
) -> AppResult<StatusCode> {
    accounts::change_password(&state, &auth, &body.current_password, &body.new_password).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize)]
struct SessionView {
    id: String,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    user_agent: String,
    ip: String,
    current: bool,
    expires_in_seconds: i64,
}

async fn list_sessions(
    State(state): State<WebState>,
    auth: AuthUser,
) -> AppResult<Json<Vec<SessionView>>> {
    let now = now_unix();
    let idle = state.settings.session_idle.as_secs() as i64;
    let sessions = accounts::sessions_of(&state, &auth.user.id, now, idle).await?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|s| SessionView {
                current: s.id == auth.session_id,
                id: s.id.into(),
                created_at: to_time(s.created_at),
                last_seen_at: to_time(s.last_seen_at),
                user_agent: s.user_agent,
                ip: s.ip,
                expires_in_seconds: (s.expires_at - now).max(0),
            })
            .collect(),
    ))
}

async fn delete_session(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> AppResult<StatusCode> {
    if accounts::revoke_session(
        &state,
        &auth.user.id,
        &crate::domain::SessionId::from(id.as_str()),
    )
    .await?
    {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound)
    }
}
