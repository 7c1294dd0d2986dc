//! Settings → Webhooks: add an endpoint (its secret shown once), choose its events, turn it on
//! or off, rotate its secret, send it a test event, and read the delivery log with a Replay
//! button per delivery.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::untyped::{base, merge};
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::webhooks::{self, EndpointInput, EventType};

/// Templates of these pages, embedded in the binary.
pub const TEMPLATES: &[(&str, &str)] = &[(
    "accounts/webhooks.html",
    include_str!("../../../web/templates/accounts/webhooks.html"),
)];

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/settings/webhooks", get(show).post(create))
        .route("/settings/webhooks/{id}/update", post(update))
        .route("/settings/webhooks/{id}/rotate", post(rotate))
        .route("/settings/webhooks/{id}/test", post(test_event))
        .route("/settings/webhooks/{id}/delete", post(delete))
        .route("/settings/webhooks/deliveries/{id}/replay", post(replay))
}

/// A checkbox per event type is named `event_` and the type with `.` as `_`.
fn field_of(t: EventType) -> String {
    format!("event_{}", t.as_str().replace('.', "_"))
}

fn chosen(form: &HashMap<String, String>) -> Vec<String> {
    EventType::SUBSCRIBABLE
        .into_iter()
        .filter(|t| form.contains_key(&field_of(*t)))
        .map(|t| t.as_str().to_owned())
        .collect()
}

async fn render(
    state: &WebState,
    auth: &AuthUser,
    status: StatusCode,
    extra: Value,
) -> AppResult<Response> {
    let endpoints = webhooks::list(state, auth).await?;
    let deliveries = webhooks::deliveries(state, auth, None).await?;
    let types: Vec<Value> = EventType::SUBSCRIBABLE
        .iter()
        .map(|t| json!({"name": t.as_str(), "field": field_of(*t), "description": t.describe()}))
        .collect();
    let endpoints: Vec<Value> = endpoints
        .iter()
        .map(|e| {
            json!({
                "id": e.id, "url": e.url, "enabled": e.enabled,
                "disabled_reason": e.disabled_reason, "created_at": e.created_at,
                "secret_rotated_at": e.secret_rotated_at,
                "events": e.events.iter().map(|t| t.as_str()).collect::<Vec<_>>(),
            })
        })
        .collect();
    // Each delivery with the body it sends, laid out to read.
    let deliveries: Vec<Value> = deliveries
        .iter()
        .map(|d| {
            let body = serde_json::to_string_pretty(&d.payload).unwrap_or_default();
            merge(json!(d), json!({"body": body}))
        })
        .collect();
    let ctx = json!({"endpoints": endpoints, "deliveries": deliveries, "event_types": types,
        "max_endpoints": webhooks::MAX_ENDPOINTS});
    let html: Html<String> = state.templates.render(
        "accounts/webhooks.html",
        merge(merge(base(state, auth, "settings"), ctx), extra),
    )?;
    Ok((status, html).into_response())
}

/// Renders the page with a conflict or validation error in words, keeping what was typed.
async fn refused(
    state: &WebState,
    auth: &AuthUser,
    err: AppError,
    typed: Value,
) -> AppResult<Response> {
    match err {
        AppError::Validation { fields, message } => {
            render(
                state,
                auth,
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": message, "fields": fields, "form": typed}),
            )
            .await
        }
        AppError::Conflict(message) => {
            render(
                state,
                auth,
                StatusCode::CONFLICT,
                json!({"error": message, "form": typed}),
            )
            .await
        }
        other => Err(other),
    }
}

async fn show(State(state): State<WebState>, PageUser(auth): PageUser) -> AppResult<Response> {
    render(&state, &auth, StatusCode::OK, json!({})).await
}

async fn create(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<HashMap<String, String>>,
) -> AppResult<Response> {
    let url = form
        .get("url")
        .map(|v| v.trim().to_owned())
        .unwrap_or_default();
    let input = EndpointInput {
        url: Some(url.clone()),
        events: Some(chosen(&form)),
        enabled: Some(true),
    };
    match webhooks::create(&state, &auth, &input).await {
        Ok(created) => {
            render(
                &state,
                &auth,
                StatusCode::CREATED,
                json!({"secret_shown": {"url": created.endpoint.url, "secret": created.secret,
                    "verb": "added"}}),
            )
            .await
        }
        Err(e) => {
            refused(
                &state,
                &auth,
                e,
                json!({"url": url, "events": input.events}),
            )
            .await
        }
    }
}

async fn update(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedForm { auth, form }: SignedForm<HashMap<String, String>>,
) -> AppResult<Response> {
    let input = EndpointInput {
        url: None,
        events: Some(chosen(&form)),
        enabled: Some(form.contains_key("enabled")),
    };
    match webhooks::update(&state, &auth, &id, &input).await {
        Ok(e) => {
            let notice = format!(
                "Saved: {} is {}.",
                e.url,
                if e.enabled { "on" } else { "off" }
            );
            render(&state, &auth, StatusCode::OK, json!({"notice": notice})).await
        }
        Err(e) => refused(&state, &auth, e, json!({})).await,
    }
}

async fn rotate(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedForm { auth, form: _ }: SignedForm<HashMap<String, String>>,
) -> AppResult<Response> {
    let rotated = webhooks::rotate_secret(&state, &auth, &id).await?;
    render(
        &state,
        &auth,
        StatusCode::OK,
        json!({"secret_shown": {"url": rotated.endpoint.url, "secret": rotated.secret,
            "verb": "given a new secret"}}),
    )
    .await
}

async fn test_event(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedForm { auth, form: _ }: SignedForm<HashMap<String, String>>,
) -> AppResult<Response> {
    match webhooks::send_test(&state, &auth, &id).await {
        Ok(d) => {
            let notice = format!(
                "A test event ({}) is on its way to {}; its delivery is at the top of the log.",
                d.event_id.0, d.endpoint_host
            );
            render(&state, &auth, StatusCode::OK, json!({"notice": notice})).await
        }
        Err(e) => refused(&state, &auth, e, json!({})).await,
    }
}

async fn delete(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedForm { auth, form: _ }: SignedForm<HashMap<String, String>>,
) -> AppResult<Response> {
    webhooks::delete(&state, &auth, &id).await?;
    render(
        &state,
        &auth,
        StatusCode::OK,
        json!({"notice": "The endpoint was removed with its delivery log."}),
    )
    .await
}

async fn replay(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedForm { auth, form: _ }: SignedForm<HashMap<String, String>>,
) -> AppResult<Response> {
    match webhooks::replay(&state, &auth, &id).await {
        Ok(d) => {
            let notice = format!(
                "Event {} will be sent to {} again, freshly signed.",
                d.event_id.0, d.endpoint_host
            );
            render(&state, &auth, StatusCode::OK, json!({"notice": notice})).await
        }
        Err(e) => refused(&state, &auth, e, json!({})).await,
    }
}
