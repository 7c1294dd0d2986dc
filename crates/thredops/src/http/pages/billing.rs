//! The billing page: plans, current plan, usage against limits, next invoice; buttons that leave
//! for Stripe-hosted Checkout and the Billing Portal.
//!
//! The CSP's `form-action 'self'` also governs redirects after a form post in Chromium, so a
//! form cannot 303 to Stripe. `billing.js` posts the form with `fetch` (same origin), gets the
//! Stripe URL as JSON and navigates there; without JavaScript the post answers a page with a
//! plain link to Stripe, which no CSP directive restricts.

use axum::extract::{Query, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::app::{base, merge};
use crate::billing::{self, notify::local_date};
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;

/// Templates of these pages, embedded in the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "billing/billing.html",
        include_str!("../../../web/templates/billing/billing.html"),
    ),
    (
        "billing/redirect.html",
        include_str!("../../../web/templates/billing/redirect.html"),
    ),
];

const SCRIPT: &str = include_str!("../../../web/static/billing.js");

/// Routes of the billing page.
pub fn router() -> Router<WebState> {
    Router::new()
        .route("/app/billing", get(billing_page))
        .route("/app/billing/checkout", post(checkout))
        .route("/app/billing/portal", post(portal))
        .route("/static/billing.js", get(script))
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SCRIPT,
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Notice {
    checkout: Option<String>,
}

async fn billing_page(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(q): Query<Notice>,
) -> AppResult<Html<String>> {
    let notice = match q.checkout.as_deref() {
        Some("success") => Some(
            "Thank you! Your payment went through; your new plan applies as soon as Stripe confirms it (usually within seconds).",
        ),
        Some("cancelled") => Some("Checkout was cancelled. Nothing was charged."),
        _ => None,
    };
    render(&state, &auth, json!({"notice": notice})).await
}

async fn render(state: &WebState, auth: &AuthUser, extra: Value) -> AppResult<Html<String>> {
    let overview = billing::overview(state, auth).await?;
    let tz = auth.user.timezone.as_deref();
    let date = |t: Option<i64>| t.map(|t| local_date(t, tz));
    let ctx = json!({
        "billing": overview,
        "next_invoice": date(overview.current.next_invoice_at),
        "grace_until": date(overview.current.grace_until),
        "timezone": tz.unwrap_or("UTC"),
    });
    state.templates.render(
        "billing/billing.html",
        merge(merge(base(state, auth, "billing"), ctx), extra),
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PlanForm {
    csrf: String,
    plan: String,
}

fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// Answers with the Stripe URL: JSON for the script, a link page otherwise; errors re-render the
/// page with the message (or JSON for the script).
async fn leave_for_stripe(
    state: &WebState,
    auth: &AuthUser,
    headers: &HeaderMap,
    result: AppResult<String>,
    what: &str,
) -> AppResult<Response> {
    let json = wants_json(headers);
    match result {
        Ok(url) if json => Ok(Json(json!({"url": url})).into_response()),
        Ok(url) => {
            let ctx = json!({"url": url, "what": what});
            let html = state.templates.render(
                "billing/redirect.html",
                merge(base(state, auth, "billing"), ctx),
            )?;
            Ok(html.into_response())
        }
        Err(e @ (AppError::Validation { .. } | AppError::Conflict(_))) if !json => {
            let status = crate::http::error::status(&e);
            let html = render(state, auth, json!({"error": e.to_string()})).await?;
            Ok((status, html).into_response())
        }
        Err(e) => Err(e),
    }
}

async fn checkout(
    State(state): State<WebState>,
    headers: HeaderMap,
    SignedForm { auth, form }: SignedForm<PlanForm>,
) -> AppResult<Response> {
    let result = billing::start_checkout(&state, &auth, &form.plan).await;
    leave_for_stripe(&state, &auth, &headers, result, "checkout").await
}

async fn portal(
    State(state): State<WebState>,
    headers: HeaderMap,
    SignedForm { auth, form: _ }: SignedForm<PlanForm>,
) -> AppResult<Response> {
    let result = billing::start_portal(&state, &auth).await;
    leave_for_stripe(&state, &auth, &headers, result, "portal").await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_script_asks_for_json() {
        let mut h = HeaderMap::new();
        assert!(!wants_json(&h));
        h.insert(header::ACCEPT, "application/json".parse().unwrap());
        assert!(wants_json(&h));
    }
}
