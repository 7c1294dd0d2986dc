//! Sign-up, sign-in and sign-out forms.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::http::cookies;
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
pub use crate::http::guards::require_session_csrf;
use crate::http::session::{
    ClientInfo, Visitor, clear_session_cookie, device_cookie, second_factor_cookie, session_cookie,
};
use crate::http::state::WebState;
use crate::services::accounts;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/signup", get(signup_form).post(signup_submit))
        .route("/login", get(login_form).post(login_submit))
        .route("/logout", post(logout))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CredentialsForm {
    email: String,
    password: String,
    csrf: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LoginQuery {
    expired: Option<String>,
    reset: Option<String>,
}

/// A signed-out page's view with the form's double-submit token added.
#[derive(Serialize)]
struct SignedOutView<'a, V> {
    csrf: String,
    #[serde(flatten)]
    view: &'a V,
}

/// `signup.html`: nothing to show but the form.
#[derive(Serialize)]
struct SignupView {}

/// `login.html`: why the user is asked to sign in again, if they are.
#[derive(Serialize)]
struct LoginView {
    expired: bool,
    reset: bool,
}

/// A signed-out form refused: what was typed (never the password) and what is wrong.
#[derive(Serialize)]
struct RefusedForm<'a> {
    email: &'a str,
    error: String,
    fields: BTreeMap<String, String>,
}

/// Renders a signed-out form, minting the double-submit cookie when the browser has none.
pub(super) fn render_form(
    state: &WebState,
    headers: &HeaderMap,
    status: StatusCode,
    template: &str,
    view: &impl Serialize,
) -> AppResult<Response> {
    let existing = state.cookies.read(headers, &cookies::CSRF);
    let token = match existing.filter(|c| state.csrf.check_anonymous(Some(c), c)) {
        Some(valid) => (valid, None),
        None => {
            let fresh = state.csrf.new_anonymous();
            let cookie = state.cookies.set(&cookies::CSRF, &fresh, None);
            (fresh, Some(cookie))
        }
    };
    let html = state.templates.render(
        template,
        &SignedOutView {
            csrf: token.0,
            view,
        },
    )?;
    let mut response = (status, html).into_response();
    if let Some(cookie) = token.1.and_then(|c| c.parse().ok()) {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

async fn signup_form(
    State(state): State<WebState>,
    Visitor(visitor): Visitor,
    headers: HeaderMap,
) -> AppResult<Response> {
    if visitor.is_some() {
        return Ok(Redirect::to("/app").into_response());
    }
    render_form(
        &state,
        &headers,
        StatusCode::OK,
        "signup.html",
        &SignupView {},
    )
}

async fn login_form(
    State(state): State<WebState>,
    Visitor(visitor): Visitor,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> AppResult<Response> {
    if visitor.is_some() {
        return Ok(Redirect::to("/app").into_response());
    }
    render_form(
        &state,
        &headers,
        StatusCode::OK,
        "login.html",
        &LoginView {
            expired: q.expired.is_some(),
            reset: q.reset.is_some(),
        },
    )
}

/// Why a signed-out form was refused: a browser that sent no cookie at all has cookies off, and
/// is told that the essential cookie is required rather than that the form expired.
pub(super) fn form_expired_reason(state: &WebState, headers: &HeaderMap) -> &'static str {
    if state.cookies.read(headers, &cookies::CSRF).is_none() {
        "Your browser sent no cookies. ThredOps needs one essential cookie to sign you in: please allow cookies for this site and try again."
    } else {
        "This form expired. Please try again."
    }
}

pub(super) fn csrf_ok(state: &WebState, headers: &HeaderMap, submitted: &str) -> bool {
    state.csrf.check_anonymous(
        state.cookies.read(headers, &cookies::CSRF).as_deref(),
        submitted,
    )
}

/// Re-renders a form with the failure, keeping what the user typed (never the password).
pub(super) fn form_error(
    state: &WebState,
    headers: &HeaderMap,
    template: &str,
    email: &str,
    err: AppError,
) -> AppResult<Response> {
    let status = crate::http::error::status(&err);
    if status.is_server_error() {
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
    let mut response = render_form(
        state,
        headers,
        status,
        template,
        &RefusedForm {
            email,
            error: message,
            fields,
        },
    )?;
    if let AppError::RateLimited(wait) = err
        && let Ok(v) = wait.as_secs().max(1).to_string().parse()
    {
        response.headers_mut().insert(header::RETRY_AFTER, v);
    }
    Ok(response)
}

/// To the app, with the session and device cookies.
pub(super) fn signed_in_redirect(state: &WebState, signed_in: accounts::SignedIn) -> Response {
    (
        StatusCode::SEE_OTHER,
        axum::response::AppendHeaders([
            (header::LOCATION, "/app".to_owned()),
            (header::SET_COOKIE, session_cookie(state, &signed_in)),
            (
                header::SET_COOKIE,
                device_cookie(state, &signed_in.device_token),
            ),
        ]),
    )
        .into_response()
}

async fn signup_submit(
    State(state): State<WebState>,
    client: ClientInfo,
    headers: HeaderMap,
    Form(form): Form<CredentialsForm>,
) -> AppResult<Response> {
    if !csrf_ok(&state, &headers, &form.csrf) {
        return form_error(
            &state,
            &headers,
            "signup.html",
            &form.email,
            AppError::Forbidden(form_expired_reason(&state, &headers)),
        );
    }
    match accounts::sign_up(&state, &form.email, &form.password, &client).await {
        // The same page whether or not the address already had an account.
        Ok(()) => super::recovery::check_your_email(&state, crate::services::recovery::SIGNUP_SENT),
        Err(err) => form_error(&state, &headers, "signup.html", &form.email, err),
    }
}

async fn login_submit(
    State(state): State<WebState>,
    client: ClientInfo,
    headers: HeaderMap,
    Form(form): Form<CredentialsForm>,
) -> AppResult<Response> {
    if !csrf_ok(&state, &headers, &form.csrf) {
        return form_error(
            &state,
            &headers,
            "login.html",
            &form.email,
            AppError::Forbidden(form_expired_reason(&state, &headers)),
        );
    }
    match accounts::sign_in(&state, &form.email, &form.password, &client).await {
        Ok(accounts::SignInOutcome::Session(signed_in)) => {
            Ok(signed_in_redirect(&state, signed_in))
        }
        Ok(accounts::SignInOutcome::SecondFactor { challenge }) => Ok((
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, "/login/second-factor".to_owned()),
                (header::SET_COOKIE, second_factor_cookie(&state, &challenge)),
            ],
        )
            .into_response()),
        Err(err) => form_error(&state, &headers, "login.html", &form.email, err),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CsrfForm {
    pub csrf: String,
}

async fn logout(
    State(state): State<WebState>,
    SignedForm { auth, form: _ }: SignedForm<CsrfForm>,
) -> AppResult<Response> {
    accounts::sign_out(&state, &auth).await?;
    let clear = clear_session_cookie(&state);
    Ok((
        StatusCode::SEE_OTHER,
        [
            (header::LOCATION, "/".to_owned()),
            (header::SET_COOKIE, clear),
        ],
    )
        .into_response())
}
