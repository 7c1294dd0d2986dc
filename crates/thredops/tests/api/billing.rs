//! Billing black-box tests: signed webhooks, entitlements that follow them, Checkout and Portal
//! through a Stripe fake, and a full round trip through localstripe when it runs.

mod fake;
mod flows;
mod history;
mod limits;
mod past_due;
mod pricing;
mod safety;

use reqwest::StatusCode;
use serde_json::{Value, json};
use thredops::billing::signature::sign;
use thredops::with_pool;

use crate::connect::{self, PASSWORD};
use crate::helpers::TestApp;
use fake::Fake;

/// Runs each `async fn(TestApp, Fake)` on both backends with billing configured.
macro_rules! billing_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            use crate::helpers::Backend;

            #[tokio::test]
            async fn sqlite() {
                let (app, fake) = super::spawn(Backend::Sqlite).await.unwrap();
                super::$name(app, fake).await;
            }

            #[tokio::test]
            async fn postgres() {
                match super::spawn(Backend::Postgres).await {
                    Some((app, fake)) => super::$name(app, fake).await,
                    None => eprintln!("skipped on PostgreSQL: THREDOPS_TEST_DATABASE_URL is not set"),
                }
            }
        }
    )*};
}
pub(crate) use billing_tests;

/// Webhook secrets: the current one and the one being rotated out.
pub const SECRET: &str = "whsec_thredops_current";
pub const OLD_SECRET: &str = "whsec_thredops_previous";

pub async fn spawn(backend: crate::helpers::Backend) -> Option<(TestApp, Fake)> {
    let fake = Fake::start().await;
    let base = fake.base.clone();
    let app = TestApp::spawn_with(backend, |raw| {
        raw.set("stripe_secret_key", "sk_test_thredops");
        raw.set("stripe_webhook_secret", format!("{SECRET},{OLD_SECRET}"));
        raw.set("stripe_api_base", base);
        raw.set("billing_pro_price_id", "price_thredops_pro");
        raw.set("billing_agency_price_id", "price_thredops_agency");
    })
    .await?;
    Some((app, fake))
}

pub fn now() -> i64 {
    thredops::clock::now().timestamp()
}

/// Signs up and returns the user's id.
pub async fn sign_up(app: &TestApp, email: &str) -> String {
    assert_eq!(app.signup(email, PASSWORD).await.status(), StatusCode::OK);
    with_pool!(app.state.store, |p| sqlx::query_scalar::<_, String>(
        "SELECT id FROM users WHERE email = $1"
    )
    .bind(email)
    .fetch_one(p)
    .await)
    .unwrap()
}

/// Links a user to a Stripe customer as a finished checkout would.
pub async fn link_customer(app: &TestApp, user_id: &str, customer: &str) {
    with_pool!(app.state.store, |p| sqlx::query(
        "INSERT INTO billing_customers (user_id, customer_id, created_at) VALUES ($1, $2, 0)"
    )
    .bind(user_id)
    .bind(customer)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
}

pub fn event(id: &str, kind: &str, created: i64, object: Value) -> String {
    json!({"id": id, "object": "event", "type": kind, "created": created, "data": {"object": object}})
        .to_string()
}

pub fn subscription(customer: &str, status: &str, price: &str, period_end: i64) -> Value {
    json!({"id": format!("sub_{customer}"), "object": "subscription", "customer": customer, "status": status,
        "cancel_at_period_end": false,
        "items": {"data": [{"price": {"id": price}, "current_period_end": period_end}]}})
}

/// Posts a delivery with an explicit signature header (None: no header).
pub async fn deliver(app: &TestApp, body: &str, header: Option<String>) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url("/hooks/stripe"))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(h) = header {
        request = request.header("stripe-signature", h);
    }
    request.send().await.unwrap()
}

pub fn signed(secret: &str, t: i64, body: &str) -> String {
    format!("t={t},v1={}", sign(secret, t, body.as_bytes()))
}

/// Delivers a correctly signed event and waits for it to be applied.
pub async fn deliver_signed(app: &TestApp, body: &str) {
    let r = deliver(app, body, Some(signed(SECRET, now(), body))).await;
    assert_eq!(r.status(), StatusCode::OK);
    connect::run_due_now(app, thredops::billing::kind::EVENT).await;
}

/// Tells the app, through a signed webhook, that `customer` has `status` on `price` now.
pub async fn set_subscription(app: &TestApp, customer: &str, status: &str, price: &str) {
    let sub = subscription(customer, status, price, now() + 30 * 86_400);
    let id = format!("evt_{}", uuid::Uuid::new_v4().simple());
    deliver_signed(
        app,
        &event(&id, "customer.subscription.updated", now(), sub),
    )
    .await;
}

/// Checks a plan-limit refusal: 402 naming the limit, the plan and the billing page; returns
/// the message.
pub async fn assert_plan_limit(r: reqwest::Response, limit: &str, plan: &str) -> String {
    assert_eq!(r.status(), StatusCode::PAYMENT_REQUIRED);
    let body: Value = r.json().await.unwrap();
    let error = &body["error"];
    assert_eq!(error["code"], "plan_limit", "{body}");
    assert_eq!(error["limit"], limit, "{body}");
    assert_eq!(error["plan"], plan, "{body}");
    assert_eq!(error["upgrade_url"], "/app/billing", "{body}");
    let message = error["message"].as_str().unwrap().to_owned();
    assert!(message.contains(&format!("{plan} plan")), "{message}");
    assert!(message.contains("/app/billing"), "{message}");
    message
}

/// A page's status and HTML.
pub async fn html(app: &TestApp, path: &str) -> (StatusCode, String) {
    let r = app.get(path).await;
    (r.status(), r.text().await.unwrap())
}

pub async fn overview(app: &TestApp) -> Value {
    let r = app.get("/api/v1/billing").await;
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

async fn count(app: &TestApp, sql: &'static str) -> i64 {
    with_pool!(app.state.store, |p| sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(p)
        .await)
    .unwrap()
}

billing_tests!(
    webhook_signatures_are_checked_on_the_raw_body,
    a_replayed_event_is_processed_once,
    an_older_subscription_update_does_not_regress_the_plan,
);

async fn webhook_signatures_are_checked_on_the_raw_body(app: TestApp, _fake: Fake) {
    let body = event(
        "evt_sig",
        "invoice.created",
        now(),
        json!({"customer": "cus_nobody"}),
    );
    // Outside the 300 s tolerance with room to spare: the requests go out seconds after `t`.
    let t = now();
    let refused = [
        (
            "wrong secret",
            Some(signed("whsec_wrong", t, &body)),
            body.clone(),
        ),
        (
            "old timestamp",
            Some(signed(SECRET, t - 330, &body)),
            body.clone(),
        ),
        (
            "future timestamp",
            Some(signed(SECRET, t + 330, &body)),
            body.clone(),
        ),
        (
            "tampered body",
            Some(signed(SECRET, t, &body)),
            body.replace("evt_sig", "evt_sag"),
        ),
        ("missing header", None, body.clone()),
    ];
    for (case, header, sent) in refused {
        let r = deliver(&app, &sent, header).await;
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{case}");
    }
    assert_eq!(
        count(&app, "SELECT count(*) FROM billing_events").await,
        0,
        "nothing refused is recorded"
    );
    // During a secret rotation Stripe sends one v1 per secret; either matching is enough.
    let rotation = format!(
        "t={t},v1={},v1={}",
        sign("whsec_unknown_new", t, body.as_bytes()),
        sign(OLD_SECRET, t, body.as_bytes())
    );
    let r = deliver(&app, &body, Some(rotation)).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(count(&app, "SELECT count(*) FROM billing_events").await, 1);
}

async fn a_replayed_event_is_processed_once(app: TestApp, _fake: Fake) {
    let user = sign_up(&app, "replay@example.com").await;
    link_customer(&app, &user, "cus_replay").await;
    let body = event(
        "evt_replay",
        "invoice.payment_failed",
        now(),
        json!({"object": "invoice", "customer": "cus_replay"}),
    );
    for _ in 0..3 {
        let r = deliver(&app, &body, Some(signed(SECRET, now(), &body))).await;
        assert_eq!(r.status(), StatusCode::OK);
    }
    connect::run_due_now(&app, thredops::billing::kind::EVENT).await;
    assert_eq!(count(&app, "SELECT count(*) FROM billing_events").await, 1);
    assert_eq!(
        count(
            &app,
            "SELECT count(*) FROM jobs WHERE kind = 'billing.event'"
        )
        .await,
        1
    );
    let mails = app.state.mailer.outbox_messages();
    let failed: Vec<_> = mails
        .iter()
        .filter(|m| m.contains("payment failed"))
        .collect();
    assert_eq!(failed.len(), 1, "one email for three deliveries");
    assert!(failed[0].contains("To: replay@example.com"));
}

async fn an_older_subscription_update_does_not_regress_the_plan(app: TestApp, _fake: Fake) {
    let user = sign_up(&app, "order@example.com").await;
    link_customer(&app, &user, "cus_order").await;
    let t = now();
    let period_end = t + 30 * 86_400;
    let newer = subscription("cus_order", "active", "price_thredops_agency", period_end);
    let older = subscription("cus_order", "past_due", "price_thredops_pro", t);
    deliver_signed(
        &app,
        &event("evt_new", "customer.subscription.updated", t - 10, newer),
    )
    .await;
    deliver_signed(
        &app,
        &event("evt_old", "customer.subscription.updated", t - 60, older),
    )
    .await;
    let o = overview(&app).await;
    assert_eq!(o["current"]["plan"]["name"], "Agency");
    assert_eq!(o["current"]["standing"], "active");
    assert_eq!(o["current"]["next_invoice_at"], period_end);
    assert_eq!(o["current"]["plan"]["limits"]["profiles"], 25);
}
