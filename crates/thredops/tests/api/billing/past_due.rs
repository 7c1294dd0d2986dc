//! While a payment has failed, every app page says so and links to the billing page.

use thredops::billing::notify::local_date;

use super::fake::Fake;
use super::{billing_tests, html, link_customer, overview, set_subscription, sign_up, spawn};
use crate::helpers::TestApp;

billing_tests!(a_past_due_subscription_shows_a_banner_on_every_app_page_until_paid);

const BANNER: &str = "id=\"past-due-banner\"";

async fn page(app: &TestApp, path: &str) -> String {
    let (status, html) = html(app, path).await;
    assert_eq!(status, 200, "{path}");
    html
}

async fn a_past_due_subscription_shows_a_banner_on_every_app_page_until_paid(
    app: TestApp,
    _fake: Fake,
) {
    let user = sign_up(&app, "pastdue@example.com").await;
    link_customer(&app, &user, "cus_pastdue").await;
    set_subscription(&app, "cus_pastdue", "active", "price_thredops_pro").await;
    assert!(
        !page(&app, "/app").await.contains(BANNER),
        "paid: no banner"
    );

    set_subscription(&app, "cus_pastdue", "past_due", "price_thredops_pro").await;
    let until = overview(&app).await["current"]["grace_until"]
        .as_i64()
        .unwrap();
    let expected = format!(
        "update your card by {} to keep your Pro plan",
        local_date(until, None)
    );
    for path in ["/app", "/app/analytics", "/app/profiles", "/settings"] {
        let html = page(&app, path).await;
        assert!(html.contains(BANNER), "{path}: {html}");
        assert!(html.contains("Your payment failed"), "{path}");
        assert!(html.contains(&expected), "{path}: {expected}");
        let banner = &html[html.find(BANNER).unwrap()..];
        let end = banner.find("</div>").unwrap();
        assert!(banner[..end].contains("href=\"/app/billing\""), "{path}");
    }
    // The billing page explains it in full with its own button instead.
    let billing = page(&app, "/app/billing").await;
    assert!(billing.contains("Your last payment failed") && !billing.contains(BANNER));

    set_subscription(&app, "cus_pastdue", "active", "price_thredops_pro").await;
    for path in ["/app", "/app/analytics"] {
        assert!(
            !page(&app, path).await.contains(BANNER),
            "paid again: {path}"
        );
    }
}
