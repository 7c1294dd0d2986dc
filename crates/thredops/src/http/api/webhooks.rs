//! Outgoing webhooks: endpoints (the secret shown once, at creation or rotation), the delivery
//! log, replays and test events. API tokens need `webhooks:read` or `webhooks:write`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::registry::{Endpoint, boolean, error_schema, integer, nullable, object, string};
use crate::http::error::AppResult;
use crate::http::json::ApiJson;
use crate::http::session::AuthUser;
use crate::http::state::WebState;
use crate::webhooks::{self, DeliveryView, EndpointInput, EndpointView, EventType, WithSecret};

const TAG: &str = "webhooks";

/// `POST /api/v1/webhooks`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewEndpointBody {
    url: String,
    events: Vec<String>,
    #[serde(default)]
    enabled: Option<bool>,
}

/// `PATCH /api/v1/webhooks/{id}`: only the fields sent change.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeEndpointBody {
    #[serde(default)]
    url: Option<String>,
    #[serde(default)]
    events: Option<Vec<String>>,
    #[serde(default)]
    enabled: Option<bool>,
}

fn event_schema() -> Value {
    json!({"type": "string", "enum": EventType::SUBSCRIBABLE.map(EventType::as_str)})
}

fn url_schema() -> Value {
    json!({"type": "string", "format": "uri", "minLength": 1, "maxLength": 2000, "description": "http or https; on the public internet"})
}

fn events_schema() -> Value {
    json!({"type": "array", "items": event_schema(), "minItems": 1})
}

fn endpoint_props() -> Vec<(&'static str, Value)> {
    vec![
        ("id", string()),
        ("url", string()),
        ("events", json!({"type": "array", "items": event_schema()})),
        ("enabled", boolean()),
        (
            "disabled_reason",
            nullable(json!({"type": "string", "description": "Why ThredOps turned it off"})),
        ),
        ("created_at", integer()),
        ("secret_rotated_at", nullable(integer())),
    ]
}

const ENDPOINT_REQUIRED: [&str; 7] = [
    "id",
    "url",
    "events",
    "enabled",
    "disabled_reason",
    "created_at",
    "secret_rotated_at",
];

fn endpoint_schema() -> Value {
    object(&endpoint_props(), &ENDPOINT_REQUIRED)
}

fn with_secret_schema() -> Value {
    let mut props = endpoint_props();
    props.push((
        "secret",
        json!({"type": "string", "description": "The signing secret (whsec_...): shown this once, then only its signatures"}),
    ));
    let mut required = ENDPOINT_REQUIRED.to_vec();
    required.push("secret");
    object(&props, &required)
}

fn delivery_schema() -> Value {
    let attempt = object(
        &[
            ("attempted_at", integer()),
            ("status_code", nullable(integer())),
            ("error", nullable(string())),
            ("duration_ms", integer()),
        ],
        &["attempted_at", "status_code", "error", "duration_ms"],
    );
    let event_type = json!({"type": "string", "enum": EventType::SUBSCRIBABLE.into_iter().chain([EventType::Ping]).map(EventType::as_str).collect::<Vec<_>>()});
    object(
        &[
            ("id", string()),
            ("endpoint_id", string()),
            ("endpoint_host", string()),
            ("event_id", string()),
            ("event_type", event_type),
            (
                "state",
                json!({"type": "string", "enum": ["pending", "delivered", "failed"]}),
            ),
            ("attempts", integer()),
            ("last_status", nullable(integer())),
            ("last_error", nullable(string())),
            ("next_attempt_at", nullable(integer())),
            ("delivered_at", nullable(integer())),
            ("created_at", integer()),
            (
                "payload",
                json!({"type": ["object", "null"], "description": "The body sent: {id, type, created_at, data}"}),
            ),
            ("attempt_log", json!({"type": "array", "items": attempt})),
        ],
        &[
            "id",
            "endpoint_id",
            "endpoint_host",
            "event_id",
            "event_type",
            "state",
            "attempts",
            "last_status",
            "last_error",
            "next_attempt_at",
            "delivered_at",
            "created_at",
            "payload",
            "attempt_log",
        ],
    )
}

fn deliveries_schema() -> Value {
    object(
        &[(
            "deliveries",
            json!({"type": "array", "items": delivery_schema()}),
        )],
        &["deliveries"],
    )
}

pub fn endpoints() -> Vec<Endpoint> {
    let not_found =
        |e: Endpoint| e.response(404, "Not one of your endpoints", Some(error_schema()));
    vec![
        Endpoint::new(
            Method::GET,
            "/api/v1/webhooks",
            "Your webhook endpoints (secrets are never shown again) and the event types",
            list,
        )
        .tag(TAG)
        .authenticated()
        .response(
            200,
            "The endpoints",
            Some(object(
                &[
                    ("endpoints", json!({"type": "array", "items": endpoint_schema()})),
                    (
                        "event_types",
                        json!({"type": "array", "items": object(&[("name", event_schema()), ("description", string())], &["name", "description"])}),
                    ),
                ],
                &["endpoints", "event_types"],
            )),
        ),
        Endpoint::new(
            Method::POST,
            "/api/v1/webhooks",
            "Adds a webhook endpoint; the answer holds its signing secret, shown this once",
            create,
        )
        .tag(TAG)
        .authenticated()
        .body(object(
            &[
                ("url", url_schema()),
                ("events", events_schema()),
                // Left out or null: on.
                ("enabled", nullable(boolean())),
            ],
            &["url", "events"],
        ))
        .response(201, "Added", Some(with_secret_schema()))
        .response(
            409,
            "The account already has the most endpoints allowed",
            Some(error_schema()),
        ),
        // The static path is listed before the `{id}` routes it would otherwise look like.
        Endpoint::new(
            Method::GET,
            "/api/v1/webhooks/deliveries",
            "The delivery log of every endpoint, newest first (at most 100)",
            all_deliveries,
        )
        .tag(TAG)
        .authenticated()
        .response(200, "The deliveries", Some(deliveries_schema())),
        not_found(
            Endpoint::new(
                Method::POST,
                "/api/v1/webhooks/deliveries/{id}/replay",
                "Sends a delivered or failed delivery again: the same event id and body, freshly signed",
                replay,
            )
            .tag(TAG)
            .authenticated()
            .response(202, "Queued to be sent", Some(delivery_schema()))
            .response(
                409,
                "The delivery is still being retried, or its endpoint is turned off",
                Some(error_schema()),
            ),
        ),
        not_found(
            Endpoint::new(Method::GET, "/api/v1/webhooks/{id}", "One webhook endpoint", get)
                .tag(TAG)
                .authenticated()
                .response(200, "The endpoint", Some(endpoint_schema())),
        ),
        not_found(
            Endpoint::new(
                Method::PATCH,
                "/api/v1/webhooks/{id}",
                "Changes an endpoint's URL, events or on/off state (only the fields sent)",
                update,
            )
            .tag(TAG)
            .authenticated()
            .body(object(
                &[
                    // Left out or null: unchanged.
                    ("url", nullable(url_schema())),
                    ("events", nullable(events_schema())),
                    ("enabled", nullable(boolean())),
                ],
                &[],
            ))
            .response(200, "Changed", Some(endpoint_schema())),
        ),
        not_found(
            Endpoint::new(
                Method::DELETE,
                "/api/v1/webhooks/{id}",
                "Removes an endpoint and its delivery log; pending deliveries to it stop",
                delete,
            )
            .tag(TAG)
            .authenticated()
            .response(204, "Removed", None),
        ),
        not_found(
            Endpoint::new(
                Method::POST,
                "/api/v1/webhooks/{id}/rotate-secret",
                "Replaces the endpoint's signing secret at once; the new one is shown this once",
                rotate,
            )
            .tag(TAG)
            .authenticated()
            .response(200, "Rotated", Some(with_secret_schema())),
        ),
        not_found(
            Endpoint::new(
                Method::POST,
                "/api/v1/webhooks/{id}/test",
                "Sends the endpoint a ping event, whatever it subscribes to",
                test_event,
            )
            .tag(TAG)
            .authenticated()
            .response(202, "Queued to be sent", Some(delivery_schema()))
            .response(409, "The endpoint is turned off", Some(error_schema())),
        ),
        not_found(
            Endpoint::new(
                Method::GET,
                "/api/v1/webhooks/{id}/deliveries",
                "The endpoint's delivery log, newest first (at most 100), every attempt included",
                endpoint_deliveries,
            )
            .tag(TAG)
            .authenticated()
            .response(200, "The deliveries", Some(deliveries_schema())),
        ),
    ]
}

async fn list(State(state): State<WebState>, auth: AuthUser) -> AppResult<Json<Value>> {
    let endpoints = webhooks::list(&state, &auth).await?;
    let types: Vec<Value> = EventType::SUBSCRIBABLE
        .iter()
        .map(|t| json!({"name": t.as_str(), "description": t.describe()}))
        .collect();
    Ok(Json(json!({"endpoints": endpoints, "event_types": types})))
}

async fn create(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<NewEndpointBody>,
) -> AppResult<(StatusCode, Json<WithSecret>)> {
    let input = EndpointInput {
        url: Some(body.url),
        events: Some(body.events),
        enabled: body.enabled,
    };
    let created = webhooks::create(&state, &auth, &input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn get(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::webhooks::EndpointId>,
) -> AppResult<Json<EndpointView>> {
    Ok(Json(webhooks::get(&state, &auth, &id).await?))
}

async fn update(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::webhooks::EndpointId>,
    ApiJson(body): ApiJson<ChangeEndpointBody>,
) -> AppResult<Json<EndpointView>> {
    let input = EndpointInput {
        url: body.url,
        events: body.events,
        enabled: body.enabled,
    };
    Ok(Json(webhooks::update(&state, &auth, &id, &input).await?))
}

async fn delete(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::webhooks::EndpointId>,
) -> AppResult<StatusCode> {
    webhooks::delete(&state, &auth, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn rotate(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::webhooks::EndpointId>,
) -> AppResult<Json<WithSecret>> {
    Ok(Json(webhooks::rotate_secret(&state, &auth, &id).await?))
}

async fn test_event(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::webhooks::EndpointId>,
) -> AppResult<(StatusCode, Json<DeliveryView>)> {
    let d = webhooks::send_test(&state, &auth, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(d)))
}

async fn endpoint_deliveries(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::webhooks::EndpointId>,
) -> AppResult<Json<Value>> {
    let list = webhooks::deliveries(&state, &auth, Some(&id)).await?;
    Ok(Json(json!({"deliveries": list})))
}

async fn all_deliveries(State(state): State<WebState>, auth: AuthUser) -> AppResult<Json<Value>> {
    let list = webhooks::deliveries(&state, &auth, None).await?;
    Ok(Json(json!({"deliveries": list})))
}

async fn replay(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::webhooks::DeliveryId>,
) -> AppResult<(StatusCode, Json<DeliveryView>)> {
    let d = webhooks::replay(&state, &auth, &id).await?;
    Ok((StatusCode::ACCEPTED, Json(d)))
}

/// The OpenAPI 3.1 `webhooks` section: what ThredOps POSTs to an endpoint for each event type.
pub fn outgoing() -> Value {
    let id_data = |props: &[(&str, Value)]| {
        let names: Vec<&str> = props.iter().map(|(k, _)| *k).collect();
        object(props, &names)
    };
    let data_of = |t: EventType| match t {
        EventType::PostPublished => id_data(&[
            ("post_id", string()),
            ("profile_id", string()),
            ("threads_media_id", nullable(string())),
            ("permalink", nullable(string())),
            ("published_at", nullable(integer())),
        ]),
        EventType::PostFailed => id_data(&[
            ("post_id", string()),
            ("profile_id", string()),
            ("reason", nullable(string())),
            ("scheduled_at", nullable(integer())),
        ]),
        EventType::ProfileNeedsReconnect => {
            id_data(&[("profile_id", string()), ("since", integer())])
        }
        EventType::SyncCompleted => id_data(&[
            ("profile_id", string()),
            (
                "sync",
                json!({"type": "string", "enum": ["backfill", "incremental"]}),
            ),
            ("synced_at", integer()),
            ("new_posts", integer()),
        ]),
        EventType::AuditCompleted => id_data(&[
            ("audit_id", string()),
            ("profile_id", string()),
            ("score", nullable(integer())),
            ("finished_at", integer()),
        ]),
        EventType::Ping => id_data(&[("endpoint_id", string()), ("message", string())]),
    };
    let header = |name: &str, description: &str| json!({"name": name, "in": "header", "required": true, "schema": {"type": "string"}, "description": description});
    let mut hooks = serde_json::Map::new();
    for t in EventType::SUBSCRIBABLE.into_iter().chain([EventType::Ping]) {
        let body = object(
            &[
                (
                    "id",
                    json!({"type": "string", "description": "Event id (evt_...): the same in retries and replays"}),
                ),
                ("type", json!({"type": "string", "const": t.as_str()})),
                ("created_at", integer()),
                ("data", data_of(t)),
            ],
            &["id", "type", "created_at", "data"],
        );
        hooks.insert(
            t.as_str().to_owned(),
            json!({"post": {
                "summary": t.describe(),
                "description": "Signed: ThredOps-Signature is t=<unix seconds>,v1=<hex HMAC-SHA256 of \"{t}.{raw body}\" under the endpoint's secret>. Refuse timestamps more than 300 seconds from your clock. Answer 2xx within 10 seconds; anything else is retried for about a day (8 attempts).",
                "parameters": [
                    header(crate::webhooks::signing::SIGNATURE_HEADER, "t=<unix seconds>,v1=<hex HMAC-SHA256>"),
                    header(crate::webhooks::signing::EVENT_ID_HEADER, "The event id, as in the body"),
                    header(crate::webhooks::signing::EVENT_TYPE_HEADER, "The event type, as in the body"),
                    header(crate::webhooks::signing::DELIVERY_ID_HEADER, "The delivery (one event to one endpoint), the same in every attempt"),
                ],
                "requestBody": {"required": true, "content": {"application/json": {"schema": body}}},
                "responses": {"2XX": {"description": "Received; anything else is retried"}},
            }}),
        );
    }
    Value::Object(hooks)
}
