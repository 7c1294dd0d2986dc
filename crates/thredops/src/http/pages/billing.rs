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
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::view::{Chrome, Problems};
use crate::billing::{self, Overview, notify::local_date};
use crate::config::billing::Plan;
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser, Visitor};
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
    (
        "billing/pricing.html",
        include_str!("../../../web/templates/billing/pricing.html"),
    ),
];

const SCRIPT: &str = include_str!("../../../web/static/billing.js");

/// Routes of the billing page.
pub fn router() -> Router<WebState> {
    Router::new()
        .route("/pricing", get(pricing))
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
    let (notice, warning) = match q.checkout.as_deref() {
        Some("success") => checkout_outcome(&state, &auth).await?,
        Some("cancelled") => (
            Some("Checkout was cancelled. Nothing was charged.".to_owned()),
            None,
        ),
        _ => (None, None),
    };
    let outcome = BillingOutcome {
        notice,
        warning,
        ..BillingOutcome::default()
    };
    render(&state, &auth, outcome).await
}

/// What Stripe says about the subscription once the browser is back from Checkout: a success
/// message only when Stripe has an active (or trialing) subscription.
async fn checkout_outcome(
    state: &WebState,
    auth: &AuthUser,
) -> AppResult<(Option<String>, Option<String>)> {
    use billing::Standing;
    let now = billing::after_checkout(state, auth).await?;
    let plan = now.subscribed_plan.as_deref().unwrap_or(now.plan.name);
    Ok(match now.standing {
        Standing::Active
            if now.subscription_status == Some(crate::billing::status::SubscriptionStatus::Trialing) =>
        (
            Some(format!("Your {plan} trial has started. Stripe will charge your card when it ends.")),
            None,
        ),
        Standing::Active => (
            Some(format!("Thank you! Stripe confirmed your payment: your {plan} plan is active.")),
            None,
        ),
        Standing::Pending => (
            None,
            Some(format!("Stripe has not confirmed the first payment for {plan} yet. Nothing changes until it does; if your bank asks you to confirm the payment, finish that in Manage billing.")),
        ),
        _ => (
            None,
            Some("Stripe has not confirmed a payment yet, so your plan has not changed. If you completed the payment, this page shows your new plan as soon as Stripe confirms it.".to_owned()),
        ),
    })
}

/// The public price list, generated from the plan configuration.
async fn pricing(
    State(state): State<WebState>,
    Visitor(visitor): Visitor,
) -> AppResult<Html<String>> {
    let billing = &state.settings.billing;
    let plans = billing
        .plans
        .iter()
        .map(|p| PlanOffer {
            plan: p,
            paid: p.price_id.is_some(),
        })
        .collect();
    state.templates.render(
        "billing/pricing.html",
        &PricingView {
            user: visitor.map(|v| v.current.user.email),
            enabled: billing.enabled(),
            plans,
            promotion_codes: billing.plans.iter().any(|p| p.promotion_codes),
            grace_days: billing.grace_days,
        },
    )
}

/// `billing/pricing.html`: the public price list.
#[derive(Serialize)]
struct PricingView<'a> {
    user: Option<String>,
    enabled: bool,
    plans: Vec<PlanOffer<'a>>,
    promotion_codes: bool,
    grace_days: u32,
}

/// A plan on the price list, and whether it is paid for through Stripe.
#[derive(Serialize)]
struct PlanOffer<'a> {
    plan: &'a Plan,
    paid: bool,
}

/// `billing/billing.html`: the plan, usage and invoices.
#[derive(Serialize)]
struct BillingView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    billing: Overview,
    next_invoice: Option<String>,
    grace_until: Option<String>,
    timezone: &'a str,
    invoices: Option<Vec<InvoiceRow>>,
    invoices_unavailable: bool,
    #[serde(flatten)]
    outcome: BillingOutcome,
}

/// An invoice, dated in the reader's time zone.
#[derive(Serialize)]
struct InvoiceRow {
    number: String,
    date: Option<String>,
    amount: String,
    status: String,
    url: Option<String>,
}

/// What the way back from Stripe or a refused change left to say.
#[derive(Serialize, Default)]
struct BillingOutcome {
    #[serde(skip_serializing_if = "Option::is_none")]
    notice: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
    #[serde(flatten)]
    problems: Problems,
}

/// `billing/redirect.html`: the link on to Stripe.
#[derive(Serialize)]
struct RedirectView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    url: String,
    what: &'a str,
}

async fn render(
    state: &WebState,
    auth: &AuthUser,
    outcome: BillingOutcome,
) -> AppResult<Html<String>> {
    let overview = billing::overview(state, auth).await?;
    let tz = auth.user.timezone.as_deref();
    let date = |t: Option<i64>| t.map(|t| local_date(t, tz));
    // Invoices come from Stripe; the page still works when it cannot be reached.
    let (invoices, invoices_unavailable) = match billing::invoices(state, auth).await {
        Ok(list) => (list, false),
        Err(e) => {
            tracing::warn!(error = %e, "could not list invoices");
            (None, true)
        }
    };
    let invoices = invoices.map(|list| {
        list.into_iter()
            .map(|i| InvoiceRow {
                number: i.number,
                date: date(i.created),
                amount: i.amount,
                status: i.status,
                url: i.url,
            })
            .collect()
    });
    state.templates.render(
        "billing/billing.html",
        &BillingView {
            chrome: Chrome::new(state, auth, "billing"),
            next_invoice: date(overview.current.next_invoice_at),
            grace_until: date(overview.current.grace_until),
            billing: overview,
            timezone: tz.unwrap_or("UTC"),
            invoices,
            invoices_unavailable,
            outcome,
        },
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
            let html = state.templates.render(
                "billing/redirect.html",
                &RedirectView {
                    chrome: Chrome::new(state, auth, "billing"),
                    url,
                    what,
                },
            )?;
            Ok(html.into_response())
        }
        Err(e @ (AppError::Validation { .. } | AppError::Conflict(_))) if !json => {
            let status = crate::http::error::status(&e);
            let outcome = BillingOutcome {
                problems: Problems::message(e.to_string()),
                ..BillingOutcome::default()
            };
            let html = render(state, auth, outcome).await?;
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
    match billing::start_checkout(&state, &auth, &form.plan).await {
        // A subscription already exists: changing it happens in the portal, never in a second
        // checkout.
        Err(AppError::Conflict(m)) if m == billing::HAS_SUBSCRIPTION => {
            let result = billing::start_portal(&state, &auth).await;
            leave_for_stripe(&state, &auth, &headers, result, "portal").await
        }
        result => leave_for_stripe(&state, &auth, &headers, result, "checkout").await,
    }
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
