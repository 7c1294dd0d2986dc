//! Billing API: plan and usage, Checkout and Portal sessions, and the Stripe webhook.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::registry::{Endpoint, boolean, integer, object, string};
use crate::billing::{self, Overview, webhook};
use crate::http::error::{AppError, AppResult};
use crate::http::json::ApiJson;
use crate::http::session::AuthUser;
use crate::http::state::WebState;

/// The billing operations.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(
            Method::GET,
            "/api/v1/billing",
            "Current plan, usage against its limits, next invoice date and the plans on offer",
            get_billing,
        )
        .tag("billing")
        .authenticated()
        .response(200, "The billing overview", Some(overview_schema())),
        Endpoint::new(
            Method::POST,
            "/api/v1/billing/checkout",
            "Start a Stripe-hosted Checkout to subscribe to a plan; send the browser to `url`",
            post_checkout,
        )
        .tag("billing")
        .authenticated()
        .body(object(&[("plan", string())], &["plan"]))
        .response(200, "Where to pay", Some(url_schema()))
        .response(409, "Billing is off, or a subscription already exists", None),
        Endpoint::new(
            Method::POST,
            "/api/v1/billing/portal",
            "Open the Stripe Billing Portal to change plan, card or cancel; send the browser to `url`",
            post_portal,
        )
        .tag("billing")
        .authenticated()
        .response(200, "Where to manage billing", Some(url_schema()))
        .response(409, "Billing is off, or there is no billing account yet", None),
        Endpoint::new(
            Method::POST,
            "/hooks/stripe",
            "Stripe webhook: verified by its Stripe-Signature header, recorded once, applied in the background",
            post_stripe_hook,
        )
        .tag("billing")
        .response(200, "Received (or a replay, ignored)", None)
        .response(400, "The signature or event is invalid", None)
        .response(409, "Billing is not configured on this server", None),
    ]
}

fn url_schema() -> Value {
    object(&[("url", string())], &["url"])
}

fn limits_schema() -> Value {
    let count = json!({"type": ["integer", "null"], "description": "null = unlimited"});
    object(
        &[
            ("profiles", count.clone()),
            ("strategist", boolean()),
            ("audits_per_month", count.clone()),
            ("history_days", count.clone()),
            ("competitors", count),
        ],
        &["profiles", "strategist", "audits_per_month", "history_days"],
    )
}

fn plan_schema() -> Value {
    object(
        &[
            ("key", string()),
            ("name", string()),
            ("price_label", string()),
            ("limits", limits_schema()),
        ],
        &["key", "name", "limits"],
    )
}

fn overview_schema() -> Value {
    let time = json!({"type": ["integer", "null"], "description": "Unix seconds"});
    object(
        &[
            ("enabled", boolean()),
            (
                "current",
                object(
                    &[
                        ("plan", plan_schema()),
                        (
                            "standing",
                            json!({"type": "string", "enum": ["unbilled", "free", "active", "grace", "overdue", "pending"]}),
                        ),
                        ("subscription_status", json!({"type": ["string", "null"]})),
                        ("next_invoice_at", time.clone()),
                        ("cancel_at_period_end", boolean()),
                        ("grace_until", time),
                    ],
                    &["plan", "standing"],
                ),
            ),
            (
                "usage",
                object(
                    &[("profiles", integer()), ("paused_profiles", integer())],
                    &["profiles", "paused_profiles"],
                ),
            ),
            ("plans", json!({"type": "array", "items": plan_schema()})),
            ("can_manage", boolean()),
        ],
        &["enabled", "current", "usage", "plans", "can_manage"],
    )
}

async fn get_billing(State(state): State<WebState>, auth: AuthUser) -> AppResult<Json<Overview>> {
    Ok(Json(billing::overview(&state, &auth).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckoutBody {
    plan: String,
}

async fn post_checkout(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<CheckoutBody>,
) -> AppResult<Json<Value>> {
    let url = billing::start_checkout(&state, &auth, &body.plan).await?;
    Ok(Json(json!({"url": url})))
}

async fn post_portal(State(state): State<WebState>, auth: AuthUser) -> AppResult<Json<Value>> {
    let url = billing::start_portal(&state, &auth).await?;
    Ok(Json(json!({"url": url})))
}

/// Takes the raw bytes: the signature covers them exactly, so nothing parses them first.
async fn post_stripe_hook(
    State(state): State<WebState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let signature = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let received = webhook::receive(&state, signature, &body).await?;
    let duplicate = received == webhook::Received::Duplicate;
    Ok((
        StatusCode::OK,
        Json(json!({"received": true, "duplicate": duplicate})),
    ))
}
