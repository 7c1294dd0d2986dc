//! Settings → Sign-in security: two-step sign-in (set up, recovery codes, turn off) and the
//! email change. Staff accounts without two-step sign-in are told here why their tools wait.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::view::{Chrome, Problems};
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::services::mfa::{self, StepUp};
use crate::services::recovery;

/// Templates of these pages, embedded in the binary.
pub const TEMPLATES: &[(&str, &str)] = &[(
    "accounts/security.html",
    include_str!("../../../web/templates/accounts/security.html"),
)];

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/settings/security", get(show))
        .route("/settings/security/mfa/start", post(start))
        .route("/settings/security/mfa/confirm", post(confirm))
        .route("/settings/security/mfa/disable", post(disable))
        .route("/settings/security/email", post(change_email))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Notice {
    done: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CsrfOnly {
    csrf: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CodeForm {
    csrf: String,
    code: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ProofForm {
    csrf: String,
    current_password: String,
    code: String,
    new_email: String,
}

impl ProofForm {
    fn proof(&self) -> StepUp<'_> {
        StepUp {
            password: Some(self.current_password.as_str()),
            code: Some(self.code.as_str()),
        }
    }
}

/// `accounts/security.html`: two-step sign-in and the account's address.
#[derive(Serialize)]
struct SecurityView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    mfa_enabled: bool,
    recovery_codes_left: i64,
    staff_waiting: bool,
    email: &'a str,
    #[serde(flatten)]
    outcome: SecurityOutcome,
}

/// What the last step left to show: a notice, a secret to enrol, the recovery codes, or a
/// refused form with what was typed.
#[derive(Serialize, Default)]
struct SecurityOutcome {
    #[serde(skip_serializing_if = "Option::is_none")]
    notice: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enrolment: Option<EnrolmentShown>,
    #[serde(skip_serializing_if = "Option::is_none")]
    recovery_codes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    enrolment_pending: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    new_email: Option<String>,
    #[serde(flatten)]
    problems: Problems,
}

/// The secret of an enrolment under way, as text and as an authenticator link.
#[derive(Serialize)]
struct EnrolmentShown {
    secret: String,
    otpauth_uri: String,
}

async fn render(
    state: &WebState,
    auth: &AuthUser,
    status: StatusCode,
    outcome: SecurityOutcome,
) -> AppResult<Response> {
    let (enabled, left) = mfa::status(state, &auth.user.id).await?;
    let staff_waiting = mfa::staff_needs_enrolment(state, &auth.user.id).await?;
    let html: Html<String> = state.templates.render(
        "accounts/security.html",
        &SecurityView {
            chrome: Chrome::new(state, auth, "settings"),
            mfa_enabled: enabled,
            recovery_codes_left: left,
            staff_waiting,
            email: &auth.user.email,
            outcome,
        },
    )?;
    Ok((status, html).into_response())
}

/// Re-renders with a form's failure; server errors pass through.
async fn failed(
    state: &WebState,
    auth: &AuthUser,
    err: AppError,
    typed: SecurityOutcome,
) -> AppResult<Response> {
    if crate::http::error::status(&err).is_server_error() {
        return Err(err);
    }
    let fields = match &err {
        AppError::Validation { fields, .. } => fields.clone(),
        _ => BTreeMap::new(),
    };
    let message = match &err {
        AppError::Validation { .. } => "Please correct the highlighted field.".to_owned(),
        other => other.public_message(),
    };
    render(
        state,
        auth,
        crate::http::error::status(&err),
        SecurityOutcome {
            problems: Problems::fields(message, fields),
            ..typed
        },
    )
    .await
}

async fn show(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(q): Query<Notice>,
) -> AppResult<Response> {
    let notice = match q.done.as_deref() {
        Some("disabled") => Some("Two-step sign-in is off."),
        Some("email") => Some(recovery::CHANGE_SENT),
        _ => None,
    };
    let outcome = SecurityOutcome {
        notice,
        ..SecurityOutcome::default()
    };
    render(&state, &auth, StatusCode::OK, outcome).await
}

async fn start(
    State(state): State<WebState>,
    SignedForm { auth, form: _ }: SignedForm<CsrfOnly>,
) -> AppResult<Response> {
    match mfa::begin(&state, &auth).await {
        Ok(e) => {
            let outcome = SecurityOutcome {
                enrolment: Some(EnrolmentShown {
                    secret: e.secret,
                    otpauth_uri: e.otpauth_uri,
                }),
                ..SecurityOutcome::default()
            };
            render(&state, &auth, StatusCode::OK, outcome).await
        }
        Err(err) => failed(&state, &auth, err, SecurityOutcome::default()).await,
    }
}

async fn confirm(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<CodeForm>,
) -> AppResult<Response> {
    match mfa::confirm(&state, &auth, &form.code).await {
        Ok(codes) => {
            let outcome = SecurityOutcome {
                recovery_codes: Some(codes),
                ..SecurityOutcome::default()
            };
            render(&state, &auth, StatusCode::OK, outcome).await
        }
        // Keep the secret on screen so the owner can try the next code.
        Err(err) => {
            let pending = SecurityOutcome {
                enrolment_pending: Some(true),
                ..SecurityOutcome::default()
            };
            failed(&state, &auth, err, pending).await
        }
    }
}

async fn disable(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<ProofForm>,
) -> AppResult<Response> {
    match mfa::disable(&state, &auth, &form.proof()).await {
        Ok(()) => Ok(see_other("/settings/security?done=disabled")),
        Err(err) => failed(&state, &auth, err, SecurityOutcome::default()).await,
    }
}

async fn change_email(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<ProofForm>,
) -> AppResult<Response> {
    match recovery::request_email_change(&state, &auth, &form.new_email, &form.proof()).await {
        Ok(()) => Ok(see_other("/settings/security?done=email")),
        Err(err) => {
            let typed = SecurityOutcome {
                new_email: Some(form.new_email),
                ..SecurityOutcome::default()
            };
            failed(&state, &auth, err, typed).await
        }
    }
}

fn see_other(to: &str) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, to.to_owned())]).into_response()
}
