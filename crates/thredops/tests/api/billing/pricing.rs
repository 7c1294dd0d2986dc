//! The public price list from the plan configuration, trials and promotion codes at checkout,
//! and invoices listed in the app.

use reqwest::StatusCode;
use serde_json::json;

use super::fake::{self, Fake};
use super::{OLD_SECRET, SECRET, billing_tests, html, sign_up, spawn};
use crate::helpers::{Backend, TestApp};

billing_tests!(invoices_from_stripe_are_listed_on_the_billing_page);

async fn spawn_with_offers(backend: Backend) -> Option<(TestApp, Fake)> {
    let fake = Fake::start().await;
    let base = fake.base.clone();
    let app = TestApp::spawn_with(backend, |raw| {
        raw.set("stripe_secret_key", "sk_test_thredops");
        raw.set("stripe_webhook_secret", format!("{SECRET},{OLD_SECRET}"));
        raw.set("stripe_api_base", base);
        raw.set("billing_pro_price_id", "price_thredops_pro");
        raw.set("billing_pro_price_label", "$15 / month");
        raw.set("billing_pro_trial_days", "14");
        raw.set("billing_agency_price_id", "price_thredops_agency");
        raw.set("billing_promotion_codes", "on");
    })
    .await?;
    Some((app, fake))
}

mod the_pricing_page_shows_every_configured_plan_and_checkout_applies_trials_and_codes {
    use crate::helpers::Backend;

    #[tokio::test]
    async fn sqlite() {
        super::pricing_and_offers(Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn postgres() {
        super::pricing_and_offers(Backend::Postgres).await;
    }
}

async fn pricing_and_offers(backend: Backend) {
    let Some((app, fake)) = spawn_with_offers(backend).await else {
        eprintln!("skipped on PostgreSQL: THREDOPS_TEST_DATABASE_URL is not set");
        return;
    };
    let landing = app.get("/").await.text().await.unwrap();
    assert!(
        landing.contains("href=\"/pricing\""),
        "the landing page links to prices"
    );
    let (status, page) = html(&app, "/pricing").await;
    assert_eq!(status, StatusCode::OK);
    // Text escapes '/' as &#x2f;.
    let page = page.replace("&#x2f;", "/");
    for expected in [
        "data-plan=\"free\"",
        "data-plan=\"pro\"",
        "data-plan=\"agency\"",
        "$15 / month",
        "$49 / month",
        "14-day free trial",
        "5 connected profiles",
        "25 connected profiles",
        "Have a promotion code? Enter it at checkout.",
    ] {
        assert!(page.contains(expected), "{expected} missing: {page}");
    }
    assert!(page.contains("href=\"/signup\""));

    sign_up(&app, "offers@example.com").await;
    let (_, billing) = html(&app, "/app/billing").await;
    assert!(billing.contains("14-day free trial"), "{billing}");

    // Checkout asks Stripe for the trial and the promotion code field.
    if !fake::localstripe_running().await {
        return;
    }
    let r = app
        .post_json("/api/v1/billing/checkout", &json!({"plan": "pro"}))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let seen = fake.seen("/v1/checkout/sessions");
    let form = &seen[0].form;
    assert_eq!(form["subscription_data[trial_period_days]"], "14");
    assert_eq!(form["allow_promotion_codes"], "true");
}

mod without_billing_the_pricing_page_says_everything_is_free {
    #[tokio::test]
    async fn sqlite() {
        let app = crate::helpers::TestApp::spawn(crate::helpers::Backend::Sqlite)
            .await
            .unwrap();
        let (status, page) = super::html(&app, "/pricing").await;
        assert_eq!(status, 200);
        assert!(
            page.contains("no billing: every feature is available"),
            "{page}"
        );
        assert!(!page.contains("data-plan="));
    }
}

async fn invoices_from_stripe_are_listed_on_the_billing_page(app: TestApp, _fake: Fake) {
    if !fake::localstripe_running().await {
        return;
    }
    super::safety::ensure_plans().await;
    let user = sign_up(&app, "invoiced@example.com").await;
    let (_, page) = html(&app, "/app/billing").await;
    assert!(
        !page.contains("id=\"invoices\""),
        "no billing account, no invoice list"
    );
    assert_eq!(
        app.post_json("/api/v1/billing/checkout", &json!({"plan": "pro"}))
            .await
            .status(),
        StatusCode::OK
    );
    let customer = super::safety::customer_of(&app, &user).await;
    let (_, page) = html(&app, "/app/billing").await;
    assert!(page.contains("No invoices yet."), "{page}");
    super::safety::pay(&customer, "price_thredops_pro").await;
    let (_, page) = html(&app, "/app/billing").await;
    let list = &page[page.find("id=\"invoices\"").unwrap()..];
    assert!(
        list.contains("USD 12.00") && list.contains("paid"),
        "{list}"
    );
}
