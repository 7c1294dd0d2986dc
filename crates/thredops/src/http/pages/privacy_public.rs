//! Public privacy routes: the data deletion request form and its email confirmation, the
//! deletion status page, and Meta's deauthorize and data-deletion callbacks.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::super::account::{csrf_ok, render_form};
use super::{When, field_errors, when};
use crate::clock::now_unix;
use crate::http::error::{AppError, AppResult};
use crate::http::session::Visitor;
use crate::http::state::WebState;
use crate::privacy::purge::{self, code_hash};
use crate::privacy::{callbacks, requests, signed_request, ticket_requests};
use sha2::{Digest, Sha256};

/// `privacy/request.html`: the deletion request form for someone who cannot sign in.
#[derive(Serialize)]
struct RequestView<'a> {
    email: &'a str,
    contact: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    sent: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<BTreeMap<String, String>>,
}

/// `privacy/confirm.html`: the button that confirms a deletion request.
#[derive(Serialize)]
struct ConfirmView<'a> {
    pending: bool,
    token: &'a str,
    code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
}

/// `privacy/ticket_confirm.html`: the button that confirms a deletion asked for in a ticket,
/// then the deadline it is done by.
#[derive(Serialize, Default)]
struct TicketConfirmView<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pending: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    confirmed: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    deadline: Option<When>,
}

/// `privacy/status.html`: where a deletion request stands, by its code.
#[derive(Serialize)]
struct StatusView<'a> {
    found: bool,
    #[serde(flatten)]
    receipt: Option<ReceiptPart<'a>>,
}

/// A deletion receipt found by its code.
#[derive(Serialize)]
struct ReceiptPart<'a> {
    code: &'a str,
    status: &'a str,
    source: &'a str,
    requested: When,
    completed: Option<When>,
    profiles_purged: i64,
    operator: &'a str,
}

pub fn router() -> Router<WebState> {
    Router::new()
        .route(
            "/privacy/deletion-request",
            get(request_form).post(request_submit),
        )
        .route(
            "/privacy/deletion-request/confirm",
            get(confirm_form).post(confirm_submit),
        )
        .route(
            "/privacy/deletion-request/ticket",
            get(ticket_confirm_form).post(ticket_confirm_submit),
        )
        .route("/privacy/deletion/{code}", get(status_page))
        .route("/hooks/threads/deauthorize", post(deauthorize))
        .route("/hooks/threads/delete", post(data_deletion))
}

async fn request_form(
    State(state): State<WebState>,
    Visitor(visitor): Visitor,
    headers: HeaderMap,
) -> AppResult<Response> {
    let email = visitor.map(|v| v.current.user.email).unwrap_or_default();
    render_form(
        &state,
        &headers,
        StatusCode::OK,
        "privacy/request.html",
        &RequestView {
            email: &email,
            contact: &state.settings.privacy.operator_contact,
            error: None,
            sent: None,
            fields: None,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RequestForm {
    csrf: String,
    email: String,
}

async fn request_submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<RequestForm>,
) -> AppResult<Response> {
    let view = RequestView {
        email: &form.email,
        contact: &state.settings.privacy.operator_contact,
        error: None,
        sent: None,
        fields: None,
    };
    if !csrf_ok(&state, &headers, &form.csrf) {
        let msg = "This form expired. Please try again.";
        return render_form(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            "privacy/request.html",
            &RequestView {
                error: Some(msg),
                ..view
            },
        );
    }
    match requests::request(&state, &form.email).await {
        Ok(()) => render_form(
            &state,
            &headers,
            StatusCode::OK,
            "privacy/request.html",
            &RequestView {
                sent: Some(true),
                ..view
            },
        ),
        Err(e) => match field_errors(&e) {
            Some(fields) => render_form(
                &state,
                &headers,
                StatusCode::UNPROCESSABLE_ENTITY,
                "privacy/request.html",
                &RequestView {
                    error: Some("Please correct the highlighted field."),
                    fields: Some(fields),
                    ..view
                },
            ),
            None => Err(e),
        },
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConfirmQuery {
    token: String,
    code: String,
    csrf: String,
}

/// Shows a button rather than deleting on GET: mail scanners open links on their own.
async fn confirm_form(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(q): Query<ConfirmQuery>,
) -> AppResult<Response> {
    let pending = requests::is_pending(&state, &q.token, &q.code).await?;
    let status = if pending {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    render_form(
        &state,
        &headers,
        status,
        "privacy/confirm.html",
        &ConfirmView {
            pending,
            token: &q.token,
            code: &q.code,
            error: None,
        },
    )
}

async fn confirm_submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<ConfirmQuery>,
) -> AppResult<Response> {
    if !csrf_ok(&state, &headers, &form.csrf) {
        return render_form(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            "privacy/confirm.html",
            &ConfirmView {
                pending: true,
                token: &form.token,
                code: &form.code,
                error: Some("This form expired. Please try again."),
            },
        );
    }
    requests::confirm(&state, &form.token, &form.code).await?;
    let location = format!("/privacy/deletion/{}", form.code);
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TicketConfirm {
    token: String,
    csrf: String,
}

/// The link from a deletion ticket's email: a button, never a change on GET.
async fn ticket_confirm_form(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(q): Query<TicketConfirm>,
) -> AppResult<Response> {
    let pending = ticket_requests::awaiting(&state, &q.token).await?.is_some();
    let status = if pending {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    render_form(
        &state,
        &headers,
        status,
        "privacy/ticket_confirm.html",
        &TicketConfirmView {
            pending: Some(pending),
            token: Some(&q.token),
            ..TicketConfirmView::default()
        },
    )
}

async fn ticket_confirm_submit(
    State(state): State<WebState>,
    headers: HeaderMap,
    Form(form): Form<TicketConfirm>,
) -> AppResult<Response> {
    if !csrf_ok(&state, &headers, &form.csrf) {
        return render_form(
            &state,
            &headers,
            StatusCode::FORBIDDEN,
            "privacy/ticket_confirm.html",
            &TicketConfirmView {
                pending: Some(true),
                token: Some(&form.token),
                error: Some("This form expired. Please try again."),
                ..TicketConfirmView::default()
            },
        );
    }
    let request = ticket_requests::confirm(&state, &form.token).await?;
    render_form(
        &state,
        &headers,
        StatusCode::OK,
        "privacy/ticket_confirm.html",
        &TicketConfirmView {
            confirmed: Some(true),
            deadline: Some(when(request.deadline_at)),
            ..TicketConfirmView::default()
        },
    )
}

async fn status_page(
    State(state): State<WebState>,
    Path(code): Path<String>,
) -> AppResult<Response> {
    let receipt = match code.len() {
        // Codes are 32 characters; anything else cannot match and is not looked up.
        20..=64 => crate::privacy::reads::receipt(&state, &code_hash(&code)).await?,
        _ => None,
    };
    let Some(r) = receipt else {
        let view = StatusView {
            found: false,
            receipt: None,
        };
        let html = state.templates.render("privacy/status.html", &view)?;
        return Ok((StatusCode::NOT_FOUND, html).into_response());
    };
    let html: Html<String> = state.templates.render(
        "privacy/status.html",
        &StatusView {
            found: true,
            receipt: Some(ReceiptPart {
                code: &code,
                status: shown_status(&r),
                source: &r.source,
                requested: when(r.requested_at),
                completed: r.completed_at.map(when),
                profiles_purged: r.profiles_purged,
                operator: &state.settings.privacy.operator_name,
            }),
        },
    )?;
    Ok(html.into_response())
}

/// A request nobody confirmed in time shows as expired.
fn shown_status(r: &crate::privacy::store::ReceiptRecord) -> &str {
    if r.status == "awaiting_confirmation"
        && now_unix() > r.requested_at + requests::CONFIRM_TTL_SECS
    {
        "expired"
    } else {
        &r.status
    }
}

/// A Meta callback whose signature checked out.
struct Callback {
    request: signed_request::SignedRequest,
    /// SHA-256 of the raw `signed_request`, to recognise it if it comes again.
    hash: String,
}

/// Verifies the `signed_request` field of a Meta callback body. Nothing is parsed or done before
/// the signature checks out.
fn verified(state: &WebState, body: &Bytes) -> AppResult<Callback> {
    #[derive(Deserialize)]
    struct CallbackForm {
        signed_request: String,
    }
    let form: CallbackForm = serde_urlencoded::from_bytes(body)
        .map_err(|_| AppError::BadRequest("Expected a form body with signed_request.".into()))?;
    let secret = state.threads.app.client_secret.expose();
    let request = signed_request::parse(&form.signed_request, secret, now_unix()).map_err(|e| {
        tracing::warn!(reason = %e, "Meta callback refused");
        AppError::BadRequest(e.to_string())
    })?;
    let hash = hex::encode(Sha256::digest(form.signed_request.as_bytes()));
    Ok(Callback { request, hash })
}

async fn deauthorize(
    State(state): State<WebState>,
    body: Bytes,
) -> AppResult<Json<serde_json::Value>> {
    let callback = verified(&state, &body)?;
    let user = callback.request.user_id.clone();
    callbacks::apply_once(&state, "deauthorize", &callback.hash, || async {
        let found = purge::deauthorize_threads_user(&state, &user).await?;
        Ok(json!({"status": "ok", "profile_found": found}))
    })
    .await
    .map(Json)
}

async fn data_deletion(
    State(state): State<WebState>,
    body: Bytes,
) -> AppResult<Json<serde_json::Value>> {
    let callback = verified(&state, &body)?;
    let user = callback.request.user_id.clone();
    callbacks::apply_once(&state, "data_deletion", &callback.hash, || async {
        let receipt = purge::purge_threads_user(&state, &user).await?;
        Ok(json!({"url": receipt.url, "confirmation_code": receipt.confirmation_code}))
    })
    .await
    .map(Json)
}
