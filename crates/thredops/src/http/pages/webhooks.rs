//! Settings → Webhooks: add an endpoint (its secret shown once), choose its events, turn it on
//! or off, rotate its secret, send it a test event, and read the delivery log with a Replay
//! button per delivery.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;

use super::view::{Chrome, Problems};
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::webhooks::{self, DeliveryView, EndpointId, EndpointInput, EventType};

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

/// `accounts/webhooks.html`: the user's endpoints, their delivery log and the form to add one.
#[derive(Serialize)]
struct WebhooksView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    endpoints: Vec<EndpointRow<'a>>,
    deliveries: Vec<DeliveryRow<'a>>,
    event_types: Vec<EventChoice>,
    max_endpoints: i64,
    #[serde(flatten)]
    outcome: WebhooksOutcome,
}

/// An endpoint in the list.
#[derive(Serialize)]
struct EndpointRow<'a> {
    id: &'a EndpointId,
    url: &'a str,
    enabled: bool,
    disabled_reason: Option<&'a str>,
    created_at: i64,
    secret_rotated_at: Option<i64>,
    events: Vec<&'static str>,
}

/// A delivery with the body it sends, laid out to read.
#[derive(Serialize)]
struct DeliveryRow<'a> {
    #[serde(flatten)]
    delivery: &'a DeliveryView,
    body: String,
}

/// An event type's checkbox.
#[derive(Serialize)]
struct EventChoice {
    name: &'static str,
    field: String,
    description: &'static str,
}

/// What the last action left to show: a notice, a secret shown once, or a refused form.
#[derive(Serialize, Default)]
struct WebhooksOutcome {
    #[serde(skip_serializing_if = "Option::is_none")]
    notice: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    secret_shown: Option<SecretShown>,
    #[serde(skip_serializing_if = "Option::is_none")]
    form: Option<TypedEndpoint>,
    #[serde(flatten)]
    problems: Problems,
}

impl WebhooksOutcome {
    fn notice(notice: impl Into<String>) -> Self {
        WebhooksOutcome {
            notice: Some(notice.into()),
            ..WebhooksOutcome::default()
        }
    }

    fn secret(url: String, secret: String, verb: &'static str) -> Self {
        WebhooksOutcome {
            secret_shown: Some(SecretShown { url, secret, verb }),
            ..WebhooksOutcome::default()
        }
    }
}

/// An endpoint's signing secret, shown once after it was made or rotated.
#[derive(Serialize)]
struct SecretShown {
    url: String,
    secret: String,
    verb: &'static str,
}

/// The endpoint form as typed (empty for the forms of a listed endpoint).
#[derive(Serialize, Default)]
struct TypedEndpoint {
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    events: Option<Vec<String>>,
}

async fn render(
    state: &WebState,
    auth: &AuthUser,
    status: StatusCode,
    outcome: WebhooksOutcome,
) -> AppResult<Response> {
    let endpoints = webhooks::list(state, auth).await?;
    let deliveries = webhooks::deliveries(state, auth, None).await?;
    let types = EventType::SUBSCRIBABLE
        .iter()
        .map(|t| EventChoice {
            name: t.as_str(),
            field: field_of(*t),
            description: t.describe(),
        })
        .collect();
    let endpoints = endpoints
        .iter()
        .map(|e| EndpointRow {
            id: &e.id,
            url: &e.url,
            enabled: e.enabled,
            disabled_reason: e.disabled_reason.as_deref(),
            created_at: e.created_at,
            secret_rotated_at: e.secret_rotated_at,
            events: e.events.iter().map(|t| t.as_str()).collect(),
        })
        .collect();
    let deliveries = deliveries
        .iter()
        .map(|d| DeliveryRow {
            body: serde_json::to_string_pretty(&d.payload).unwrap_or_default(),
            delivery: d,
        })
        .collect();
    let html: Html<String> = state.templates.render(
        "accounts/webhooks.html",
        &WebhooksView {
            chrome: Chrome::new(state, auth, "settings"),
            endpoints,
            deliveries,
            event_types: types,
            max_endpoints: webhooks::MAX_ENDPOINTS,
            outcome,
        },
    )?;
    Ok((status, html).into_response())
}

/// Renders the page with a conflict or validation error in words, keeping what was typed.
async fn refused(
    state: &WebState,
    auth: &AuthUser,
    err: AppError,
    typed: TypedEndpoint,
) -> AppResult<Response> {
    match err {
        AppError::Validation { fields, message } => {
            let outcome = WebhooksOutcome {
                form: Some(typed),
                problems: Problems::fields(message, fields),
                ..WebhooksOutcome::default()
            };
            render(state, auth, StatusCode::UNPROCESSABLE_ENTITY, outcome).await
        }
        AppError::Conflict(message) => {
            let outcome = WebhooksOutcome {
                form: Some(typed),
                problems: Problems::message(message),
                ..WebhooksOutcome::default()
            };
            render(state, auth, StatusCode::CONFLICT, outcome).await
        }
        other => Err(other),
    }
}

async fn show(State(state): State<WebState>, PageUser(auth): PageUser) -> AppResult<Response> {
    render(&state, &auth, StatusCode::OK, WebhooksOutcome::default()).await
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
                WebhooksOutcome::secret(created.endpoint.url, created.secret, "added"),
            )
            .await
        }
        Err(e) => {
            refused(
                &state,
                &auth,
                e,
                TypedEndpoint {
                    url: Some(url),
                    events: input.events,
                },
            )
            .await
        }
    }
}

async fn update(
    State(state): State<WebState>,
    Path(id): Path<crate::webhooks::EndpointId>,
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
            render(
                &state,
                &auth,
                StatusCode::OK,
                WebhooksOutcome::notice(notice),
            )
            .await
        }
        Err(e) => refused(&state, &auth, e, TypedEndpoint::default()).await,
    }
}

async fn rotate(
    State(state): State<WebState>,
    Path(id): Path<crate::webhooks::EndpointId>,
    SignedForm { auth, form: _ }: SignedForm<HashMap<String, String>>,
) -> AppResult<Response> {
    let rotated = webhooks::rotate_secret(&state, &auth, &id).await?;
    render(
        &state,
        &auth,
        StatusCode::OK,
        WebhooksOutcome::secret(rotated.endpoint.url, rotated.secret, "given a new secret"),
    )
    .await
}

async fn test_event(
    State(state): State<WebState>,
    Path(id): Path<crate::webhooks::EndpointId>,
    SignedForm { auth, form: _ }: SignedForm<HashMap<String, String>>,
) -> AppResult<Response> {
    match webhooks::send_test(&state, &auth, &id).await {
        Ok(d) => {
            let notice = format!(
                "A test event ({}) is on its way to {}; its delivery is at the top of the log.",
                d.event_id.as_str(),
                d.endpoint_host
            );
            render(
                &state,
                &auth,
                StatusCode::OK,
                WebhooksOutcome::notice(notice),
            )
            .await
        }
        Err(e) => refused(&state, &auth, e, TypedEndpoint::default()).await,
    }
}

async fn delete(
    State(state): State<WebState>,
    Path(id): Path<crate::webhooks::EndpointId>,
    SignedForm { auth, form: _ }: SignedForm<HashMap<String, String>>,
) -> AppResult<Response> {
    webhooks::delete(&state, &auth, &id).await?;
    render(
        &state,
        &auth,
        StatusCode::OK,
        WebhooksOutcome::notice("The endpoint was removed with its delivery log."),
    )
    .await
}

async fn replay(
    State(state): State<WebState>,
    Path(id): Path<crate::webhooks::DeliveryId>,
    SignedForm { auth, form: _ }: SignedForm<HashMap<String, String>>,
) -> AppResult<Response> {
    match webhooks::replay(&state, &auth, &id).await {
        Ok(d) => {
            let notice = format!(
                "Event {} will be sent to {} again, freshly signed.",
                d.event_id.as_str(),
                d.endpoint_host
            );
            render(
                &state,
                &auth,
                StatusCode::OK,
                WebhooksOutcome::notice(notice),
            )
            .await
        }
        Err(e) => refused(&state, &auth, e, TypedEndpoint::default()).await,
    }
}
