//! Billing that cannot double-charge: one open checkout at a time, none while a subscription is
//! open, extra subscriptions reported, deleted accounts closed at Stripe even when it is down,
//! the real state after the grace period, and reconciliation of missed events.

use reqwest::StatusCode;
use serde_json::{Value, json};
use thredops::billing::kind;
use thredops::with_pool;

use super::fake::{self, Fake, LOCALSTRIPE};
use super::{
    SECRET, billing_tests, deliver_signed, event, link_customer, now, overview, set_subscription,
    sign_up, spawn,
};
use crate::connect::{self, PASSWORD};
use crate::helpers::{Backend, TestApp};

billing_tests!(
    a_second_checkout_expires_the_first_and_none_is_offered_while_a_subscription_is_open,
    extra_open_subscriptions_of_one_customer_are_shown_and_reported_to_the_operator_once,
    after_the_grace_period_the_page_shows_the_unpaid_subscription_and_offers_no_checkout,
    checkout_success_shows_what_stripe_says_and_reconciliation_repairs_missed_events,
    a_first_payment_still_incomplete_is_shown_and_offers_no_second_checkout,
);

/// The Pro and Agency prices exist in localstripe (creating them twice is harmless).
pub async fn ensure_plans() {
    for (product, price, amount) in [
        ("prod_thredops_pro", "price_thredops_pro", "1200"),
        ("prod_thredops_agency", "price_thredops_agency", "4900"),
    ] {
        fake::ls("/v1/products", &[("id", product), ("name", product)]).await;
        fake::ls(
            "/v1/plans",
            &[
                ("id", price),
                ("product", product),
                ("amount", amount),
                ("currency", "usd"),
                ("interval", "month"),
            ],
        )
        .await;
    }
}

/// The customer pays for `price` at Stripe (a card and a subscription, as Checkout makes them).
pub async fn pay(customer: &str, price: &str) -> Value {
    let pm = fake::ls(
        "/v1/payment_methods",
        &[
            ("type", "card"),
            ("card[number]", "4242424242424242"),
            ("card[exp_month]", "12"),
            ("card[exp_year]", "2040"),
            ("card[cvc]", "123"),
        ],
    )
    .await;
    let pm = pm["id"].as_str().unwrap();
    fake::ls(
        &format!("/v1/payment_methods/{pm}/attach"),
        &[("customer", customer)],
    )
    .await;
    fake::ls(
        &format!("/v1/customers/{customer}"),
        &[("invoice_settings[default_payment_method]", pm)],
    )
    .await;
    let sub = fake::ls(
        "/v1/subscriptions",
        &[("customer", customer), ("items[0][plan]", price)],
    )
    .await;
    assert_eq!(sub["status"], "active", "{sub}");
    sub
}

/// A GET straight to localstripe: (status, body).
async fn ls_get(path: &str) -> (u16, Value) {
    let r = reqwest::Client::new()
        .get(format!("{LOCALSTRIPE}{path}"))
        .basic_auth("sk_test_thredops", Some(""))
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
}

pub async fn customer_of(app: &TestApp, user: &str) -> String {
    with_pool!(app.state.store, |p| sqlx::query_scalar::<_, String>(
        "SELECT customer_id FROM billing_customers WHERE user_id = $1"
    )
    .bind(user)
    .fetch_one(p)
    .await)
    .unwrap()
}

async fn checkout(app: &TestApp, plan: &str) -> reqwest::Response {
    app.post_json("/api/v1/billing/checkout", &json!({"plan": plan}))
        .await
}

/// The Checkout Session id in a checkout URL from the fake.
async fn session_of(r: reqwest::Response) -> String {
    assert_eq!(r.status(), StatusCode::OK);
    let url = r.json::<Value>().await.unwrap()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    url.rsplit('/').next().unwrap().to_owned()
}

async fn refused_for_subscription(r: reqwest::Response) {
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let body: Value = r.json().await.unwrap();
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains("billing portal"), "{message}");
}

async fn reconcile(app: &TestApp) {
    app.state
        .jobs
        .ensure_recurring(kind::RECONCILE, kind::RECONCILE, 0)
        .await
        .unwrap();
    connect::run_due_now(app, kind::RECONCILE).await;
}

async fn a_second_checkout_expires_the_first_and_none_is_offered_while_a_subscription_is_open(
    app: TestApp,
    fake: Fake,
) {
    if !fake::localstripe_running().await {
        return;
    }
    ensure_plans().await;
    let user = sign_up(&app, "twice@example.com").await;
    let first = session_of(checkout(&app, "pro").await).await;
    let second = session_of(checkout(&app, "agency").await).await;
    assert_eq!(
        fake.session_status(&first).as_deref(),
        Some("expired"),
        "only the newest checkout can be paid"
    );
    assert_eq!(fake.session_status(&second).as_deref(), Some("open"));

    // The second is paid, but Stripe has not created the subscription (or told us) yet: a
    // third checkout is refused and its session expired at once.
    fake.complete(&second);
    refused_for_subscription(checkout(&app, "pro").await).await;
    let sessions = fake.seen("/v1/checkout/sessions");
    assert_eq!(sessions.len(), 3);
    let open: Vec<_> = fake
        .sessions
        .lock()
        .unwrap()
        .values()
        .filter(|s| *s == "open")
        .cloned()
        .collect();
    assert!(open.is_empty(), "no payable session is left: {open:?}");

    // The subscription exists at Stripe, no webhook came: still refused, from what Stripe says,
    // without opening another session.
    let customer = customer_of(&app, &user).await;
    pay(&customer, "price_thredops_agency").await;
    refused_for_subscription(checkout(&app, "pro").await).await;
    assert_eq!(fake.seen("/v1/checkout/sessions").len(), 3);
    let o = overview(&app).await;
    assert_eq!(o["current"]["plan"]["name"], "Agency");
    assert_eq!(o["current"]["standing"], "active");

    // A stale Upgrade button on the page leads to the portal instead.
    let page = app.get("/app/billing").await.text().await.unwrap();
    assert!(!page.contains("Upgrade to"), "no checkout offered");
    let r = app
        .client
        .post(app.url("/app/billing/checkout"))
        .form(&[("csrf", connect::csrf_in(&page)), ("plan", "pro".into())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let link = r.text().await.unwrap();
    assert!(link.contains("billing.stripe.test"), "{link}");
    assert_eq!(fake.seen("/v1/checkout/sessions").len(), 3);
}

async fn extra_open_subscriptions_of_one_customer_are_shown_and_reported_to_the_operator_once(
    app: TestApp,
    _fake: Fake,
) {
    if !fake::localstripe_running().await {
        return;
    }
    ensure_plans().await;
    let user = sign_up(&app, "double@example.com").await;
    assert_eq!(checkout(&app, "pro").await.status(), StatusCode::OK);
    let customer = customer_of(&app, &user).await;
    pay(&customer, "price_thredops_pro").await;
    pay(&customer, "price_thredops_agency").await;
    reconcile(&app).await;
    reconcile(&app).await;

    let page = app.get("/app/billing").await.text().await.unwrap();
    assert!(page.contains("id=\"extra-subscriptions\""), "{page}");
    assert!(page.contains("You have 2 open subscriptions"));
    assert!(page.contains("Pro (active)") && page.contains("Agency (active)"));
    let operator = &app.state.settings.privacy.operator_contact;
    let reports: Vec<_> = app
        .state
        .mailer
        .outbox_messages()
        .into_iter()
        .filter(|m| m.contains("more than one subscription"))
        .collect();
    assert_eq!(reports.len(), 1, "reported once: {reports:?}");
    assert!(reports[0].contains(&format!("To: {operator}")));
    assert!(reports[0].contains(&customer));
}

async fn after_the_grace_period_the_page_shows_the_unpaid_subscription_and_offers_no_checkout(
    app: TestApp,
    fake: Fake,
) {
    let user = sign_up(&app, "overdue@example.com").await;
    link_customer(&app, &user, "cus_overdue").await;
    set_subscription(&app, "cus_overdue", "past_due", "price_thredops_pro").await;
    with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE billing_subscriptions SET past_due_since = $1 WHERE user_id = $2"
    )
    .bind(now() - 8 * 86_400)
    .bind(&user)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();

    let o = overview(&app).await;
    assert_eq!(o["current"]["standing"], "overdue");
    assert_eq!(o["current"]["plan"]["key"], "free", "Free limits apply");
    assert_eq!(o["current"]["subscribed_plan"], "Pro");
    let page = app.get("/app/billing").await.text().await.unwrap();
    assert!(page.contains("id=\"overdue\""), "{page}");
    assert!(page.contains("Your Pro subscription is unpaid"));
    assert!(page.contains("Pay or cancel in Manage billing"));
    assert!(!page.contains("Upgrade to"), "no new checkout offered");
    refused_for_subscription(checkout(&app, "agency").await).await;

    // Stripe gives up on the invoice and marks the subscription unpaid: still shown, still
    // refused.
    set_subscription(&app, "cus_overdue", "unpaid", "price_thredops_pro").await;
    assert_eq!(overview(&app).await["current"]["standing"], "overdue");
    refused_for_subscription(checkout(&app, "pro").await).await;
    assert!(fake.seen("/v1/checkout/sessions").is_empty());
}

async fn a_first_payment_still_incomplete_is_shown_and_offers_no_second_checkout(
    app: TestApp,
    fake: Fake,
) {
    let user = sign_up(&app, "incomplete@example.com").await;
    link_customer(&app, &user, "cus_incomplete").await;
    // Checkout made the subscription, but the card still needs the bank's confirmation.
    set_subscription(
        &app,
        "cus_incomplete",
        "incomplete",
        "price_thredops_agency",
    )
    .await;

    let o = overview(&app).await;
    assert_eq!(o["current"]["standing"], "pending");
    assert_eq!(
        o["current"]["plan"]["key"], "free",
        "Free limits until paid"
    );
    assert_eq!(o["current"]["subscribed_plan"], "Agency");
    let page = app.get("/app/billing").await.text().await.unwrap();
    assert!(page.contains("id=\"pending\""), "{page}");
    assert!(page.contains("Your Agency subscription is waiting for its first payment"));
    assert!(!page.contains("Upgrade to"), "no second checkout offered");
    refused_for_subscription(checkout(&app, "pro").await).await;
    assert!(fake.seen("/v1/checkout/sessions").is_empty());
}

async fn checkout_success_shows_what_stripe_says_and_reconciliation_repairs_missed_events(
    app: TestApp,
    _fake: Fake,
) {
    if !fake::localstripe_running().await {
        return;
    }
    ensure_plans().await;
    let user = sign_up(&app, "returning@example.com").await;
    assert_eq!(checkout(&app, "pro").await.status(), StatusCode::OK);
    let customer = customer_of(&app, &user).await;

    // Back from Checkout without paying: no success message.
    let page = app
        .get("/app/billing?checkout=success")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Stripe has not confirmed a payment yet"),
        "{page}"
    );
    assert!(!page.contains("Thank you"));

    // Paid (no webhook has arrived): the page reads Stripe and says so.
    let sub = pay(&customer, "price_thredops_pro").await;
    let page = app
        .get("/app/billing?checkout=success")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Stripe confirmed your payment: your Pro plan is active"),
        "{page}"
    );
    assert_eq!(overview(&app).await["current"]["plan"]["name"], "Pro");

    // Cancelled at Stripe and the event never reaches the app: reconciliation repairs it.
    let r = reqwest::Client::new()
        .delete(format!(
            "{LOCALSTRIPE}/v1/subscriptions/{}",
            sub["id"].as_str().unwrap()
        ))
        .basic_auth("sk_test_thredops", Some(""))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    assert_eq!(overview(&app).await["current"]["plan"]["name"], "Pro");
    reconcile(&app).await;
    let o = overview(&app).await;
    assert_eq!(o["current"]["plan"]["key"], "free");
    assert_eq!(o["current"]["standing"], "free");
}

/// An app whose Stripe base URL is a port nothing listens on (yet); returns the address.
async fn spawn_with_stripe_down(backend: Backend) -> Option<(TestApp, String)> {
    let address = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let base = format!("http://{address}");
    let app = TestApp::spawn_with(backend, |raw| {
        raw.set("stripe_secret_key", "sk_test_thredops");
        raw.set("stripe_webhook_secret", SECRET);
        raw.set("stripe_api_base", base);
        raw.set("billing_pro_price_id", "price_thredops_pro");
        raw.set("billing_agency_price_id", "price_thredops_agency");
    })
    .await?;
    Some((app, address))
}

mod deleting_the_account_while_stripe_is_unreachable_cancels_and_deletes_the_customer_once_it_answers {
    use crate::helpers::Backend;

    #[tokio::test]
    async fn sqlite() {
        super::deletion_while_stripe_is_down(Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn postgres() {
        super::deletion_while_stripe_is_down(Backend::Postgres).await;
    }
}

async fn close_job(app: &TestApp) -> (String, i32, Option<String>, Option<String>) {
    with_pool!(app.state.store, |p| sqlx::query_as(
        "SELECT state, attempts, last_error, user_id FROM jobs WHERE kind = $1"
    )
    .bind(kind::CLOSE_CUSTOMER)
    .fetch_one(p)
    .await)
    .unwrap()
}

async fn deletion_while_stripe_is_down(backend: Backend) {
    if !fake::localstripe_running().await {
        return;
    }
    let Some((app, stripe_address)) = spawn_with_stripe_down(backend).await else {
        eprintln!("skipped on PostgreSQL: THREDOPS_TEST_DATABASE_URL is not set");
        return;
    };
    ensure_plans().await;
    let user = sign_up(&app, "leaving@example.com").await;
    let customer = fake::ls("/v1/customers", &[("email", "leaving@example.com")]).await;
    let customer = customer["id"].as_str().unwrap().to_owned();
    link_customer(&app, &user, &customer).await;
    let sub = pay(&customer, "price_thredops_pro").await;
    let sub_id = sub["id"].as_str().unwrap().to_owned();
    deliver_signed(
        &app,
        &event(
            &format!("evt_{}", uuid::Uuid::new_v4().simple()),
            "customer.subscription.created",
            now(),
            sub,
        ),
    )
    .await;
    assert_eq!(overview(&app).await["current"]["plan"]["name"], "Pro");

    // Stripe cannot be reached: the account is still deleted at once...
    let r = app
        .post_json(
            "/api/v1/privacy/delete-account",
            &json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        app.get("/api/v1/billing").await.status(),
        StatusCode::UNAUTHORIZED
    );
    // ...and a job without an owner keeps trying to close the Stripe side.
    connect::run_due_now(&app, kind::CLOSE_CUSTOMER).await;
    let (state, failed_attempts, error, owner) = close_job(&app).await;
    assert_eq!((state.as_str(), owner), ("queued", None), "retried later");
    assert!(failed_attempts >= 1);
    assert!(error.unwrap_or_default().contains("unreachable"));
    let (_, at_stripe) = ls_get(&format!("/v1/subscriptions/{sub_id}")).await;
    assert_eq!(at_stripe["status"], "active", "not cancelled yet");

    // Stripe answers again: the next attempt cancels the subscription and deletes the customer.
    let _stripe = Fake::start_at(&stripe_address).await;
    connect::run_due_now(&app, kind::CLOSE_CUSTOMER).await;
    let (state, attempts, _, _) = close_job(&app).await;
    assert_eq!(state, "succeeded");
    assert!(attempts > failed_attempts);
    let (_, at_stripe) = ls_get(&format!("/v1/subscriptions/{sub_id}")).await;
    assert_eq!(at_stripe["status"], "canceled", "{at_stripe}");
    let (status, _) = ls_get(&format!("/v1/customers/{customer}")).await;
    assert_eq!(
        status, 404,
        "the customer and its email are gone from Stripe"
    );
}
