//! Two-step sign-in (TOTP): status, enrolment, the second sign-in step and turning it off.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::auth::{signed_in_response, user_schema};
use super::registry::{Endpoint, boolean, integer, object, string};
use crate::http::cookies;
use crate::http::error::AppResult;
use crate::http::json::ApiJson;
use crate::http::session::{AuthUser, ClientInfo};
use crate::http::state::WebState;
use crate::services::mfa::{self, StepUp};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(
            Method::GET,
            "/api/v1/auth/mfa",
            "Two-step sign-in status",
            status,
        )
        .tag("auth")
        .authenticated()
        .response(
            200,
            "Whether it is on, recovery codes left, and whether a staff role waits for it",
            Some(object(
                &[
                    ("enabled", boolean()),
                    ("recovery_codes_left", integer()),
                    ("staff_role_needs_it", boolean()),
                ],
                &["enabled", "recovery_codes_left", "staff_role_needs_it"],
            )),
        ),
        Endpoint::new(
            Method::POST,
            "/api/v1/auth/mfa/totp",
            "Start setting up an authenticator app",
            begin,
        )
        .tag("auth")
        .authenticated()
        .response(
            200,
            "The secret (base32) and otpauth URI; confirm with a code",
            Some(object(
                &[("secret", string()), ("otpauth_uri", string())],
                &["secret", "otpauth_uri"],
            )),
        )
        .response(409, "Already on", None),
        Endpoint::new(
            Method::POST,
            "/api/v1/auth/mfa/totp/confirm",
            "Turn two-step sign-in on with a first code",
            confirm,
        )
        .tag("auth")
        .authenticated()
        .body(object(&[("code", string())], &["code"]))
        .response(
            200,
            "On; ten single-use recovery codes, shown this once",
            Some(object(
                &[(
                    "recovery_codes",
                    json!({"type": "array", "items": string()}),
                )],
                &["recovery_codes"],
            )),
        )
        .response(422, "Wrong code", None),
        Endpoint::new(
            Method::POST,
            "/api/v1/auth/mfa/disable",
            "Turn two-step sign-in off (needs the current password or a code)",
            disable,
        )
        .tag("auth")
        .authenticated()
        .body(step_up_schema())
        .response(204, "Off", None)
        .response(422, "Wrong password or code", None),
        Endpoint::new(
            Method::POST,
            "/api/v1/auth/mfa/verify",
            "Finish signing in with an authenticator code or a recovery code",
            verify,
        )
        .tag("auth")
        .body(object(
            &[("code", string()), ("recovery_code", string())],
            &[],
        ))
        .response(200, "Signed in", Some(user_schema()))
        .response(
            401,
            "No live challenge: sign in with the password first",
            None,
        )
        .response(422, "Wrong code", None)
        .response(429, "Too many wrong codes", None),
    ]
}

fn step_up_schema() -> Value {
    object(&[("current_password", string()), ("code", string())], &[])
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Code {
    code: String,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct Proof {
    current_password: Option<String>,
    code: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
struct SecondFactor {
    code: Option<String>,
    recovery_code: Option<String>,
}

async fn status(State(state): State<WebState>, auth: AuthUser) -> AppResult<Json<Value>> {
    let (enabled, left) = mfa::status(&state, &auth.user.id).await?;
    let staff = mfa::staff_needs_enrolment(&state, &auth.user.id).await?;
    Ok(Json(json!({
        "enabled": enabled,
        "recovery_codes_left": left,
        "staff_role_needs_it": staff,
    })))
}

async fn begin(State(state): State<WebState>, auth: AuthUser) -> AppResult<Json<Value>> {
    let enrolment = mfa::begin(&state, &auth).await?;
    Ok(Json(json!({
        "secret": enrolment.secret,
        "otpauth_uri": enrolment.otpauth_uri,
    })))
}

async fn confirm(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<Code>,
) -> AppResult<Json<Value>> {
    let codes = mfa::confirm(&state, &auth, &body.code).await?;
    Ok(Json(json!({"recovery_codes": codes})))
}

async fn disable(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<Proof>,
) -> AppResult<StatusCode> {
    let proof = StepUp {
        password: body.current_password.as_deref(),
        code: body.code.as_deref(),
    };
    mfa::disable(&state, &auth, &proof).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn verify(
    State(state): State<WebState>,
    client: ClientInfo,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SecondFactor>,
) -> AppResult<Response> {
    let challenge = state.cookies.read(&headers, &cookies::SECOND_FACTOR);
    let signed_in = mfa::finish_sign_in(
        &state,
        challenge.as_deref(),
        body.code.as_deref(),
        body.recovery_code.as_deref(),
        &client,
    )
    .await?;
    let mut response = signed_in_response(&state, signed_in);
    if let Ok(clear) = state.cookies.clear(&cookies::SECOND_FACTOR).parse() {
        response.headers_mut().append(header::SET_COOKIE, clear);
    }
    Ok(response.into_response())
}
