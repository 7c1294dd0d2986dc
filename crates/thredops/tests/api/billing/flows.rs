//! Entitlements that follow the subscription, Checkout and Portal, and the localstripe round trip.

use reqwest::StatusCode;
use serde_json::json;

use super::fake::{self, Fake};
use super::{
    billing_tests, deliver_signed, event, link_customer, now, overview, sign_up, spawn,
    subscription,
};
use crate::connect;
use crate::helpers::TestApp;

billing_tests!(
    connecting_beyond_the_plan_is_refused_and_downgrades_pause_while_upgrades_resume,
    a_failed_payment_keeps_the_plan_for_the_grace_period_and_emails,
    checkout_and_portal_send_the_browser_to_stripe_with_our_customer,
    a_subscription_made_in_stripe_reaches_the_account_through_signed_webhooks,
);

async fn profile_status(app: &TestApp, id: &str) -> String {
    connect::profile(app, id).await["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn connecting_beyond_the_plan_is_refused_and_downgrades_pause_while_upgrades_resume(
    app: TestApp,
    _fake: Fake,
) {
    let user = sign_up(&app, "limits@example.com").await;
    link_customer(&app, &user, "cus_limits").await;
    let first = connect::creator(&app, "first_creator", 3, 100);
    let second = connect::creator(&app, "second_creator", 3, 100);
    let a = connect::connect(&app, first.user_id).await;

    // Free allows one profile: the second connect is refused with the reason and the way out.
    let page = app.get("/app/profiles").await.text().await.unwrap();
    let r = app
        .client
        .post(app.url("/app/profiles/connect"))
        .form(&[("csrf", connect::csrf_in(&page))])
        .send()
        .await
        .unwrap();
    // The page explains it in HTML, not raw JSON.
    assert_eq!(r.status(), StatusCode::PAYMENT_REQUIRED);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"plan-limit\"") && html.contains("data-limit=\"profiles\""),
        "{html}"
    );
    assert!(
        html.contains("Your Free plan&#x27;s profiles are all connected")
            || html.contains("Your Free plan's profiles are all connected"),
        "{html}"
    );
    assert!(
        html.contains("Free plan includes 1 connected profile, and you have 1"),
        "{html}"
    );
    assert!(html.contains("href=\"/app/billing\""), "{html}");

    // Pro allows five: the second profile connects.
    let t = now();
    let pro = subscription("cus_limits", "active", "price_thredops_pro", t + 86_400);
    deliver_signed(
        &app,
        &event(
            "evt_up",
            "customer.subscription.created",
            t - 30,
            pro.clone(),
        ),
    )
    .await;
    let b = connect::connect(&app, second.user_id).await;
    assert_eq!(overview(&app).await["usage"]["profiles"], 2);
    // Both connected within the same second here; make the first one visibly the older.
    thredops::with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE threads_profiles SET connected_at = connected_at - 60 WHERE id = $1"
    )
    .bind(&a)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();

    // Cancelled: back to Free; the newest profile is paused, never deleted.
    let mut gone = pro.clone();
    gone["status"] = json!("canceled");
    deliver_signed(
        &app,
        &event("evt_down", "customer.subscription.deleted", t - 20, gone),
    )
    .await;
    assert_eq!(profile_status(&app, &a).await, "active");
    assert_eq!(profile_status(&app, &b).await, "paused");
    let o = overview(&app).await;
    assert_eq!(o["current"]["plan"]["key"], "free");
    assert_eq!(o["usage"]["profiles"], 1);
    assert_eq!(o["usage"]["paused_profiles"], 1);
    let html = app.get("/app/billing").await.text().await.unwrap();
    assert!(html.contains("1 of 1"), "usage shown against the limit");
    assert!(html.contains("1 paused"));

    // Subscribing again resumes the paused profile with its data.
    let mut again = pro;
    again["id"] = json!("sub_again");
    deliver_signed(
        &app,
        &event("evt_again", "customer.subscription.created", t - 10, again),
    )
    .await;
    assert_eq!(profile_status(&app, &b).await, "active");
    assert_eq!(overview(&app).await["usage"]["paused_profiles"], 0);
}

async fn a_failed_payment_keeps_the_plan_for_the_grace_period_and_emails(
    app: TestApp,
    _fake: Fake,
) {
    let user = sign_up(&app, "late@example.com").await;
    link_customer(&app, &user, "cus_late").await;
    let t = now();
    let sub = subscription("cus_late", "past_due", "price_thredops_pro", t + 86_400);
    deliver_signed(
        &app,
        &event("evt_pd", "customer.subscription.updated", t - 5, sub),
    )
    .await;
    let failed = json!({"object": "invoice", "customer": "cus_late", "hosted_invoice_url": "https://invoice.stripe.test/i/1"});
    deliver_signed(
        &app,
        &event("evt_fail", "invoice.payment_failed", t - 4, failed),
    )
    .await;
    let o = overview(&app).await;
    assert_eq!(o["current"]["standing"], "grace");
    assert_eq!(o["current"]["plan"]["name"], "Pro");
    let until = o["current"]["grace_until"].as_i64().unwrap();
    assert!(
        (until - (t + 7 * 86_400)).abs() < 120,
        "seven days of grace"
    );
    let html = app.get("/app/billing").await.text().await.unwrap();
    assert!(html.contains("Your last payment failed"), "banner shown");
    let mail = app.state.mailer.outbox_messages().join("\n");
    assert!(mail.contains("To: late@example.com") && mail.contains("You keep your Pro plan until"));
    assert!(mail.contains("https://invoice.stripe.test/i/1"));
}

async fn checkout_and_portal_send_the_browser_to_stripe_with_our_customer(
    app: TestApp,
    fake: Fake,
) {
    let user = sign_up(&app, "buyer@example.com").await;
    link_customer(&app, &user, "cus_buyer").await;
    let bad = app
        .post_json("/api/v1/billing/checkout", &json!({"plan": "platinum"}))
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert!(body["error"]["fields"]["plan"].is_string());

    let r = app
        .post_json("/api/v1/billing/checkout", &json!({"plan": "pro"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let url = r.json::<serde_json::Value>().await.unwrap()["url"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(url.starts_with("https://checkout.stripe.test/"));
    let seen = fake.seen("/v1/checkout/sessions");
    assert_eq!(seen.len(), 1);
    let form = &seen[0].form;
    assert_eq!(form["mode"], "subscription");
    assert_eq!(form["client_reference_id"], user);
    assert_eq!(
        form["customer"], "cus_buyer",
        "the existing customer is reused"
    );
    assert_eq!(form["line_items[0][price]"], "price_thredops_pro");
    assert!(form["success_url"].ends_with("/app/billing?checkout=success"));
    assert!(form["cancel_url"].ends_with("/app/billing?checkout=cancelled"));
    assert!(
        seen[0].idempotency_key.is_some(),
        "every create is idempotent"
    );

    // The page form without JavaScript answers a link to Stripe (CSP form-action stays 'self').
    let page = app.get("/app/billing").await.text().await.unwrap();
    assert!(page.contains("Upgrade to Agency"));
    let r = app
        .client
        .post(app.url("/app/billing/portal"))
        .form(&[("csrf", connect::csrf_in(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let link = r.text().await.unwrap();
    assert!(
        link.contains("id=\"stripe-link\"") && link.contains("billing.stripe.test"),
        "{link}"
    );
    assert_eq!(
        fake.seen("/v1/billing_portal/sessions")[0].form["customer"],
        "cus_buyer"
    );

    // Another user has no billing account: the portal explains instead of leaking anything.
    app.client
        .post(app.url("/api/v1/auth/logout"))
        .send()
        .await
        .unwrap();
    sign_up(&app, "other@example.com").await;
    let r = app.post_json("/api/v1/billing/portal", &json!({})).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
}

async fn a_subscription_made_in_stripe_reaches_the_account_through_signed_webhooks(
    app: TestApp,
    _fake: Fake,
) {
    if !fake::localstripe_running().await {
        return;
    }
    let hook = uuid::Uuid::new_v4().simple().to_string();
    let r = reqwest::Client::new()
        .post(format!("{}/_config/webhooks/{hook}", fake::LOCALSTRIPE))
        .form(&[
            ("url", app.url("/hooks/stripe")),
            ("secret", super::SECRET.to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    fake::ls(
        "/v1/products",
        &[("id", "prod_thredops_pro"), ("name", "Pro")],
    )
    .await;
    fake::ls(
        "/v1/plans",
        &[
            ("id", "price_thredops_pro"),
            ("product", "prod_thredops_pro"),
            ("amount", "1200"),
            ("currency", "usd"),
            ("interval", "month"),
        ],
    )
    .await;

    let user = sign_up(&app, "real@example.com").await;
    // Checkout creates the customer in Stripe (localstripe) and remembers it.
    let r = app
        .post_json("/api/v1/billing/checkout", &json!({"plan": "pro"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let customer: String = thredops::with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT customer_id FROM billing_customers WHERE user_id = $1"
    )
    .bind(&user)
    .fetch_one(p)
    .await)
    .unwrap();
    // The customer pays: a card and a subscription, as Checkout would create them.
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
        &[("customer", &customer)],
    )
    .await;
    fake::ls(
        &format!("/v1/customers/{customer}"),
        &[("invoice_settings[default_payment_method]", pm)],
    )
    .await;
    let sub = fake::ls(
        "/v1/subscriptions",
        &[
            ("customer", &customer),
            ("items[0][plan]", "price_thredops_pro"),
        ],
    )
    .await;
    assert_eq!(sub["status"], "active", "{sub}");

    // Bounded wait for localstripe's signed deliveries to be verified and applied.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let o = overview(&app).await;
        if o["current"]["standing"] == "active" {
            assert_eq!(o["current"]["plan"]["name"], "Pro");
            assert_eq!(o["current"]["next_invoice_at"], sub["current_period_end"]);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "never became Pro: {o}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }

    // Deleting the account cancels the subscription at Stripe (through a durable job).
    let r = app
        .post_json(
            "/api/v1/privacy/delete-account",
            &json!({"password": crate::connect::PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    connect::run_due_now(&app, thredops::billing::kind::CLOSE_CUSTOMER).await;
    let after: serde_json::Value = reqwest::Client::new()
        .get(format!(
            "{}/v1/subscriptions/{}",
            fake::LOCALSTRIPE,
            sub["id"].as_str().unwrap()
        ))
        .basic_auth("sk_test_thredops", Some(""))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(after["status"], "canceled", "{after}");
}
