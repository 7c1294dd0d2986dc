//! Password reset, address confirmation and email changes.

use axum::Json;
use axum::extract::State;
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{UserView, signed_in_response, user_schema};
use super::registry::{Endpoint, object, string};
use crate::http::error::AppResult;
use crate::http::json::ApiJson;
use crate::http::session::{AuthUser, ClientInfo};
use crate::http::state::WebState;
use crate::services::mfa::StepUp;
use crate::services::recovery;

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(
            Method::POST,
            "/api/v1/auth/password/forgot",
            "Email a password reset link",
            forgot_password,
        )
        .tag("auth")
        .body(object(&[("email", string())], &["email"]))
        .response(
            202,
            "The same answer whether or not an account uses the address; mail goes only to an existing account",
            Some(message_schema()),
        )
        .response(429, "Too many requests from this address", None),
        Endpoint::new(
            Method::POST,
            "/api/v1/auth/password/reset",
            "Set a new password with a reset link's token (signs out every session)",
            reset_password,
        )
        .tag("auth")
        .body(object(
            &[("token", string()), ("new_password", string())],
            &["token", "new_password"],
        ))
        .response(204, "Password set; the device cookie is set", None)
        .response(400, "The link expired or was used", None),
        Endpoint::new(
            Method::POST,
            "/api/v1/auth/verify-email",
            "Confirm a new account's address with the mailed token, and sign in",
            verify_email,
        )
        .tag("auth")
        .body(object(&[("token", string())], &["token"]))
        .response(200, "Confirmed and signed in", Some(user_schema()))
        .response(400, "The link expired or was used", None),
        Endpoint::new(
            Method::POST,
            "/api/v1/auth/email",
            "Ask to change the address (needs the current password or an authenticator code)",
            change_email,
        )
        .tag("auth")
        .authenticated()
        .body(object(
            &[
                ("new_email", string()),
                ("current_password", string()),
                ("code", string()),
            ],
            &["new_email"],
        ))
        .response(
            202,
            "A link was mailed to the new address (the same answer when another account uses it)",
            Some(message_schema()),
        )
        .response(422, "Wrong password or code, or a malformed address", None),
        Endpoint::new(
            Method::POST,
            "/api/v1/auth/email/confirm",
            "Apply an email change with the token mailed to the new address",
            confirm_email_change,
        )
        .tag("auth")
        .body(object(&[("token", string())], &["token"]))
        .response(200, "The address changed", Some(user_schema()))
        .response(400, "The link expired or was used", None)
        .response(409, "Another account took the address meanwhile", None),
    ]
}

/// `{"message": ...}`.
pub(super) fn message_schema() -> Value {
    object(&[("message", string())], &["message"])
}

/// 202 with a fixed message: the answer of every request that must not reveal an account.
pub(super) fn accepted(message: &str) -> Response {
    (StatusCode::ACCEPTED, Json(json!({"message": message}))).into_response()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Forgot {
    email: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Reset {
    token: String,
    new_password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Token {
    token: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailChange {
    new_email: String,
    #[serde(default)]
    current_password: Option<String>,
    #[serde(default)]
    code: Option<String>,
}

async fn forgot_password(
    State(state): State<WebState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<Forgot>,
) -> AppResult<Response> {
    recovery::request_reset(&state, &body.email, &client).await?;
    Ok(accepted(recovery::RESET_SENT))
}

async fn reset_password(
    State(state): State<WebState>,
    ApiJson(body): ApiJson<Reset>,
) -> AppResult<Response> {
    let device = recovery::reset_password(&state, &body.token, &body.new_password).await?;
    let device_cookie = crate::http::session::device_cookie(&state, &device);
    Ok((
        StatusCode::NO_CONTENT,
        [(header::SET_COOKIE, device_cookie)],
    )
        .into_response())
}

async fn verify_email(
    State(state): State<WebState>,
    client: ClientInfo,
    ApiJson(body): ApiJson<Token>,
) -> AppResult<Response> {
    let signed_in = recovery::confirm_address(&state, &body.token, &client).await?;
    Ok(signed_in_response(&state, signed_in))
}

async fn change_email(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<EmailChange>,
) -> AppResult<Response> {
    let proof = StepUp {
        password: body.current_password.as_deref(),
        code: body.code.as_deref(),
    };
    recovery::request_email_change(&state, &auth, &body.new_email, &proof).await?;
    Ok(accepted(recovery::CHANGE_SENT))
}

async fn confirm_email_change(
    State(state): State<WebState>,
    ApiJson(body): ApiJson<Token>,
) -> AppResult<Json<UserView>> {
    let user = recovery::confirm_email_change(&state, &body.token).await?;
    Ok(Json(UserView::from(&user)))
}
