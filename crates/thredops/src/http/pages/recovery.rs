//! Signed-out account pages: forgotten password, reset, address confirmation, email-change
//! confirmation and the second sign-in step. Plain forms: they work without JavaScript.
//!
//! Links from mail open a page with a button rather than acting on GET, so a mail scanner that
//! fetches links cannot spend them.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::account::{csrf_ok, form_error, form_expired_reason, render_form, signed_in_redirect};
use crate::http::cookies;
use crate::http::error::{AppError, AppResult};
use crate::http::session::ClientInfo;
use crate::http::state::WebState;
use crate::services::{mfa, recovery};
use crate::store::account_security::LinkPurpose;

/// Templates of these pages, embedded in the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "accounts/message.html",
        include_str!("../../../web/templates/accounts/message.html"),
    ),
    (
        "accounts/forgot.html",
        include_str!("../../../web/templates/accounts/forgot.html"),
    ),
    (
        "accounts/reset.html",
        include_str!("../../../web/templates/accounts/reset.html"),
    ),
    (
        "accounts/confirm_link.html",
        include_str!("../../../web/templates/accounts/confirm_link.html"),
    ),
    (
        "accounts/second_factor.html",
        include_str!("../../../web/templates/accounts/second_factor.html"),
    ),
];

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/forgot-password", get(forgot_form).post(forgot_submit))
        .route("/reset-password", get(reset_form).post(reset_submit))
        .route("/verify-email", get(verify_form).post(verify_submit))
        .route(
            "/confirm-email-change",
            get(change_form).post(change_submit),
        )
        .route(
            "/login/second-factor",
            get(second_factor_form).post(second_factor_submit),
        )
}

/// `accounts/message.html`: a message after a link or a request, with a way on.
#[derive(Serialize)]
struct MessageView<'a> {
    title: &'a str,
    message: String,
    /// Where the messages went when there is no mail server.
    #[serde(skip_serializing_if = "Option::is_none")]
    outbox: Option<String>,
    /// Offer to ask for a new link.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    retry: bool,
}

/// A signed-out form with nothing to fill in beforehand.
#[derive(Serialize)]
struct EmptyForm {}

/// `accounts/reset.html`: the new password form of a reset link.
#[derive(Serialize)]
struct ResetView<'a> {
    token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<BTreeMap<String, String>>,
}

/// `accounts/confirm_link.html`: the button that uses an emailed link.
#[derive(Serialize)]
struct ConfirmLinkView<'a> {
    token: &'a str,
    action: &'static str,
    title: &'static str,
}

/// The "check your email" page every address-based request ends on.
/// On an install without a mail server (the first run on one's own machine), it says where
/// the messages went instead: the same words for every address, so it reveals no account.
pub(super) fn check_your_email(state: &WebState, message: &str) -> AppResult<Response> {
    let outbox = (!state.mailer.is_smtp()).then(|| state.mailer.outbox_dir().display().to_string());
    let html = state.templates.render(
        "accounts/message.html",
        &MessageView {
            title: "Check your email",
            message: message.to_owned(),
            outbox,
            retry: false,
        },
    )?;
    Ok(html.into_response())
}

fn link_gone(state: &WebState) -> AppResult<Response> {
    let html = state.templates.render(
        "accounts/message.html",
        &MessageView {
            title: "This link no longer works",
            message: "It has expired or was already used. You can ask for a new one.".to_owned(),
            outbox: None,
            retry: true,
        },
    )?;
    Ok((StatusCode::BAD_REQUEST, html).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenQuery {
    token: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EmailForm {
    email: String,
    csrf: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ResetForm {
    token: String,
    new_password: String,
    csrf: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenForm {
    token: String,
    csrf: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CodeForm {
    code: String,
    recovery_code: String,
    csrf: String,
}

fn expired(state: &WebState, headers: &HeaderMap, template: &str) -> AppResult<Response> {
    form_error(
        state,
        headers,
        template,
        "",
        AppError::Forbidden(form_expired_reason(state, headers)),
    )
}

async fn forgot_form(State(state): State<WebState>, headers: HeaderMap) -> AppResult<Response> {
    render_form(
        &state,
        &headers,
        StatusCode::OK,
        "accounts/forgot.html",
        &EmptyForm {},
    )
}

async fn forgot_submit(
    State(state): State<WebState>,
    client: ClientInfo,
    headers: HeaderMap,
    Form(form): Form<EmailForm>,
) -> AppResult<Response> {
    if !csrf_ok(&state, &headers, &form.csrf) {
        return expired(&state, &headers, "accounts/forgot.html");
    }
    match recovery::request_reset(&state, &form.email, &client).await {
        Ok(()) => check_your_email(&state, recovery::RESET_SENT),
        Err(err) => form_error(&state, &headers, "accounts/forgot.html", &form.email, err),
    }
}

async fn reset_form(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> AppResult<Response> {
    if !recovery::link_is_live(&state, &q.token, LinkPurpose::Reset).await? {
        return link_gone(&state);
    }
    render_form(
        &state,
        &headers,
        StatusCode::OK,
        "accounts/reset.html",
        &ResetView {
            token: &q.token,
            fields: None,
        },
    )
}

async fn reset_submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<ResetForm>,
) -> AppResult<Response> {
    if !csrf_ok(&state, &headers, &form.csrf) {
        return expired(&state, &headers, "accounts/reset.html");
    }
    match recovery::reset_password(&state, &form.token, &form.new_password).await {
        Ok(device) => Ok((
            StatusCode::SEE_OTHER,
            [
                (header::LOCATION, "/login?reset=1".to_owned()),
                (
                    header::SET_COOKIE,
                    crate::http::session::device_cookie(&state, &device),
                ),
            ],
        )
            .into_response()),
        Err(AppError::BadRequest(_)) => link_gone(&state),
        Err(err @ AppError::Validation { .. }) => {
            let fields = match err {
                AppError::Validation { fields, .. } => fields,
                _ => BTreeMap::new(),
            };
            render_form(
                &state,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                "accounts/reset.html",
                &ResetView {
                    token: &form.token,
                    fields: Some(fields),
                },
            )
        }
        Err(err) => Err(err),
    }
}

async fn confirm_page(
    state: &WebState,
    headers: &HeaderMap,
    token: &str,
    purpose: LinkPurpose,
) -> AppResult<Response> {
    if !recovery::link_is_live(state, token, purpose).await? {
        return link_gone(state);
    }
    let (action, title) = match purpose {
        LinkPurpose::EmailChange => ("/confirm-email-change", "Confirm your new address"),
        _ => ("/verify-email", "Confirm your address"),
    };
    render_form(
        state,
        headers,
        StatusCode::OK,
        "accounts/confirm_link.html",
        &ConfirmLinkView {
            token,
            action,
            title,
        },
    )
}

async fn verify_form(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> AppResult<Response> {
    confirm_page(&state, &headers, &q.token, LinkPurpose::Verify).await
}

async fn verify_submit(
    State(state): State<WebState>,
    client: ClientInfo,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> AppResult<Response> {
    if !csrf_ok(&state, &headers, &form.csrf) {
        return expired(&state, &headers, "accounts/confirm_link.html");
    }
    match recovery::confirm_address(&state, &form.token, &client).await {
        Ok(signed_in) => Ok(signed_in_redirect(&state, signed_in)),
        Err(AppError::BadRequest(_)) => link_gone(&state),
        Err(err) => Err(err),
    }
}

async fn change_form(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(q): Query<TokenQuery>,
) -> AppResult<Response> {
    confirm_page(&state, &headers, &q.token, LinkPurpose::EmailChange).await
}

async fn change_submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> AppResult<Response> {
    if !csrf_ok(&state, &headers, &form.csrf) {
        return expired(&state, &headers, "accounts/confirm_link.html");
    }
    match recovery::confirm_email_change(&state, &form.token).await {
        Ok(user) => {
            let html = state.templates.render(
                "accounts/message.html",
                &MessageView {
                    title: "Address changed",
                    message: format!("Your ThredOps address is now {}.", user.email),
                    outbox: None,
                    retry: false,
                },
            )?;
            Ok(html.into_response())
        }
        Err(AppError::BadRequest(_)) => link_gone(&state),
        Err(err) => Err(err),
    }
}

async fn second_factor_form(
    State(state): State<WebState>,
    headers: HeaderMap,
) -> AppResult<Response> {
    if state
        .cookies
        .read(&headers, &cookies::SECOND_FACTOR)
        .is_none()
    {
        return Ok((StatusCode::SEE_OTHER, [(header::LOCATION, "/login")]).into_response());
    }
    render_form(
        &state,
        &headers,
        StatusCode::OK,
        "accounts/second_factor.html",
        &EmptyForm {},
    )
}

async fn second_factor_submit(
    State(state): State<WebState>,
    client: ClientInfo,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> AppResult<Response> {
    if !csrf_ok(&state, &headers, &form.csrf) {
        return expired(&state, &headers, "accounts/second_factor.html");
    }
    let challenge = state.cookies.read(&headers, &cookies::SECOND_FACTOR);
    let done = mfa::finish_sign_in(
        &state,
        challenge.as_deref(),
        Some(&form.code),
        Some(&form.recovery_code),
        &client,
    )
    .await;
    match done {
        Ok(signed_in) => {
            let mut response = signed_in_redirect(&state, signed_in);
            if let Ok(clear) = state.cookies.clear(&cookies::SECOND_FACTOR).parse() {
                response.headers_mut().append(header::SET_COOKIE, clear);
            }
            Ok(response)
        }
        Err(AppError::Unauthorized) => {
            Ok((StatusCode::SEE_OTHER, [(header::LOCATION, "/login")]).into_response())
        }
        Err(err) => form_error(&state, &headers, "accounts/second_factor.html", "", err),
    }
}
