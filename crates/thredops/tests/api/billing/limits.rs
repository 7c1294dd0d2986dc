//! The strategist switch and the monthly deep audits follow the plan; without billing nothing is
//! limited.

use reqwest::StatusCode;
use serde_json::json;
use thredops::strategy::AUDIT_JOB;
use thredops::with_pool;

use super::fake::Fake;
use super::{
    assert_plan_limit, billing_tests, html, link_customer, set_subscription, sign_up, spawn,
};
use crate::connect::{self, csrf_in, run_due_now};
use crate::helpers::TestApp;
use crate::on_both_backends;

billing_tests!(
    without_the_strategist_in_the_plan_its_api_is_refused_and_its_page_explains,
    deep_audits_beyond_the_month_are_refused_until_next_month_or_an_upgrade,
    deleting_a_profile_with_its_history_does_not_give_its_audits_back,
    two_audits_started_at_once_cannot_both_take_the_last_one,
);

on_both_backends!(without_billing_the_strategist_and_audits_are_not_limited);

/// Signs up `email`, connects a creator named `name` with some history; returns (user, profile).
async fn with_profile(app: &TestApp, email: &str, name: &str) -> (String, String) {
    let user = sign_up(app, email).await;
    let c = connect::creator(app, name, 40, 300);
    let id = connect::connect(app, c.user_id).await;
    connect::wait_for_backfill(app, &id).await;
    (user, id)
}

/// A Stripe customer (on Free until a subscription arrives) with a connected profile.
async fn customer_with_profile(app: &TestApp, email: &str, customer: &str) -> String {
    let (user, id) = with_profile(app, email, customer).await;
    link_customer(app, &user, customer).await;
    id
}

async fn post_form(app: &TestApp, path: &str, csrf: &str) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap()
}

async fn without_the_strategist_in_the_plan_its_api_is_refused_and_its_page_explains(
    app: TestApp,
    _fake: Fake,
) {
    let id = customer_with_profile(&app, "nostrat@example.com", "cus_nostrat").await;
    for path in ["strategy", "strategy/plan", "strategy/experiments"] {
        let r = app.get(&format!("/api/v1/profiles/{id}/{path}")).await;
        let message = assert_plan_limit(r, "strategist", "Free").await;
        assert!(message.contains("strategist is not included"), "{message}");
    }
    let r = app
        .post_json(
            &format!("/api/v1/profiles/{id}/strategy/experiments"),
            &json!({"kind": "question"}),
        )
        .await;
    assert_plan_limit(r, "strategist", "Free").await;

    for path in [
        "/app/strategist".to_owned(),
        format!("/app/strategist/{id}"),
    ] {
        let (status, page) = html(&app, &path).await;
        assert_eq!(status, StatusCode::PAYMENT_REQUIRED, "{path}");
        assert!(
            page.contains("The Strategist is not in your Free plan"),
            "{path}: {page}"
        );
        assert!(page.contains("href=\"/app/billing\""), "{path}");
        assert!(!page.contains("id=\"plan\""), "no advice on {path}");
    }

    // Pro includes the strategist: the same calls now answer.
    set_subscription(&app, "cus_nostrat", "active", "price_thredops_pro").await;
    let r = app.get(&format!("/api/v1/profiles/{id}/strategy")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let (status, page) = html(&app, &format!("/app/strategist/{id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"plan\""), "the weekly plan is shown");
    assert!(!page.contains("not in your"));
}

async fn start_audit(app: &TestApp, id: &str) -> reqwest::Response {
    app.post_json(&format!("/api/v1/profiles/{id}/audits"), &json!({}))
        .await
}

/// Starts an audit, which must be accepted, and runs it.
async fn run_audit(app: &TestApp, id: &str) {
    assert_eq!(start_audit(app, id).await.status(), StatusCode::ACCEPTED);
    run_due_now(app, AUDIT_JOB).await;
}

async fn audit_page(app: &TestApp, id: &str) -> String {
    html(app, &format!("/app/audit/{id}")).await.1
}

/// Moves every audit of the profile, and its count, to the last second of the previous month
/// (UTC).
async fn age_audits_into_last_month(app: &TestApp, id: &str) {
    let (month_start, _) = thredops::billing::gate::month_bounds(super::now());
    for sql in [
        "UPDATE audit_usage SET started_at = $1 WHERE audit_id IN (SELECT id FROM strategy_audits WHERE profile_id = $2)",
        "UPDATE strategy_audits SET created_at = $1 WHERE profile_id = $2",
    ] {
        with_pool!(app.state.store, |p| sqlx::query(sql)
            .bind(month_start - 1)
            .bind(id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))
        .unwrap();
    }
}

async fn deleting_a_profile_with_its_history_does_not_give_its_audits_back(
    app: TestApp,
    _fake: Fake,
) {
    let id = customer_with_profile(&app, "recycle@example.com", "cus_recycle").await;
    run_audit(&app, &id).await;
    let page = app.get("/app/profiles").await.text().await.unwrap();
    let r = app
        .client
        .post(app.url(&format!("/app/profiles/{id}/disconnect")))
        .form(&[
            ("csrf", csrf_in(&page).as_str()),
            ("history", "delete"),
            ("confirm", "delete"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&format!("/api/v1/profiles/{id}")).await.status(),
        StatusCode::NOT_FOUND,
        "the profile and its audits are gone"
    );
    // The same creator connected again is a new profile, but the month's audit is spent.
    let c = connect::creator(&app, "recycled", 40, 300);
    let again = connect::connect(&app, c.user_id).await;
    connect::wait_for_backfill(&app, &again).await;
    let message = assert_plan_limit(start_audit(&app, &again).await, "audits", "Free").await;
    assert!(message.contains("you have run 1 this month"), "{message}");
}

async fn two_audits_started_at_once_cannot_both_take_the_last_one(app: TestApp, _fake: Fake) {
    let first = customer_with_profile(&app, "twice@example.com", "cus_twice").await;
    // Pro includes two profiles and ten audits a month; nine are used already.
    set_subscription(&app, "cus_twice", "active", "price_thredops_pro").await;
    let c = connect::creator(&app, "twice_second", 40, 300);
    let second = connect::connect(&app, c.user_id).await;
    connect::wait_for_backfill(&app, &second).await;
    let user = app
        .state
        .store
        .profile(&thredops::domain::ProfileId::from(first.as_str()))
        .await
        .unwrap()
        .unwrap()
        .user_id;
    for n in 0..9 {
        with_pool!(app.state.store, |p| sqlx::query(
            "INSERT INTO audit_usage (audit_id, user_id, started_at) VALUES ($1, $2, $3)"
        )
        .bind(format!("earlier-{n}"))
        .bind(&user)
        .bind(super::now() - 60)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))
        .unwrap();
    }
    // Both profiles ask for the month's last audit at the same moment.
    let (a, b) = tokio::join!(start_audit(&app, &first), start_audit(&app, &second));
    let mut statuses = [a.status(), b.status()];
    statuses.sort();
    assert_eq!(
        statuses,
        [StatusCode::ACCEPTED, StatusCode::PAYMENT_REQUIRED],
        "exactly one audit starts"
    );
    // A failed audit does not count: once it fails, the month's audit is free again.
    let started = if a.status() == StatusCode::ACCEPTED {
        &first
    } else {
        &second
    };
    let accepted = if a.status() == StatusCode::ACCEPTED {
        a
    } else {
        b
    };
    let audit: serde_json::Value = accepted.json().await.unwrap();
    let audit_id = audit["id"].as_str().unwrap();
    app.state
        .store
        .fail_audit(
            &thredops::strategy::AuditId::from(audit_id),
            "the test stopped it",
            super::now(),
        )
        .await
        .unwrap();
    assert_eq!(
        start_audit(&app, started).await.status(),
        StatusCode::ACCEPTED,
        "the failed audit was given back"
    );
}

async fn deep_audits_beyond_the_month_are_refused_until_next_month_or_an_upgrade(
    app: TestApp,
    _fake: Fake,
) {
    let id = customer_with_profile(&app, "audits@example.com", "cus_audits").await;
    // Free includes one audit a month.
    run_audit(&app, &id).await;
    let message = assert_plan_limit(start_audit(&app, &id).await, "audits", "Free").await;
    assert!(
        message.contains("1 deep audit a month, and you have run 1 this month"),
        "{message}"
    );

    // The page says so instead of offering the button, and its form is refused the same way.
    let page = audit_page(&app, &id).await;
    assert!(page.contains("id=\"audit-limit\""), "{page}");
    assert!(page.contains("1 deep audit a month"));
    assert!(!page.contains("Run an audit</button>"));
    let r = post_form(&app, &format!("/app/audit/{id}/run"), &csrf_in(&page)).await;
    assert_eq!(r.status(), StatusCode::PAYMENT_REQUIRED);
    let refused = r.text().await.unwrap();
    assert!(
        refused.contains("This month's deep audits are used up"),
        "{refused}"
    );
    assert!(refused.contains("href=\"/app/billing\""));

    // Next month the allowance starts again.
    age_audits_into_last_month(&app, &id).await;
    let page = audit_page(&app, &id).await;
    assert!(
        page.contains("0 of 1 deep audits used this month"),
        "{page}"
    );
    run_audit(&app, &id).await;
    assert_plan_limit(start_audit(&app, &id).await, "audits", "Free").await;

    // Pro includes ten: another one this month is allowed at once.
    set_subscription(&app, "cus_audits", "active", "price_thredops_pro").await;
    run_audit(&app, &id).await;
    let page = audit_page(&app, &id).await;
    assert!(
        page.contains("2 of 10 deep audits used this month"),
        "{page}"
    );
}

async fn without_billing_the_strategist_and_audits_are_not_limited(app: TestApp) {
    let (_, id) = with_profile(&app, "selfhost@example.com", "selfhosted").await;
    let r = app.get(&format!("/api/v1/profiles/{id}/strategy")).await;
    assert_eq!(r.status(), StatusCode::OK);
    for _ in 0..3 {
        run_audit(&app, &id).await;
    }
    let page = audit_page(&app, &id).await;
    assert!(page.contains("Run an audit</button>"));
    assert!(!page.contains("deep audits used this month"));
}
