//! Sign-in throttling that an attacker cannot turn into a lockout (docs/security.md, "Sign-in
//! throttling"): failures from many addresses close the account to unknown browsers, never to a
//! browser that signed in before, and a password reset makes any browser a known one.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp, client, link_token};

const PASSWORD: &str = "tidal-marmot-lantern";

async fn app_behind_a_proxy(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |raw| raw.set("trust_forwarded_for", "true")).await
}

async fn login_from(
    app: &TestApp,
    browser: &reqwest::Client,
    ip: &str,
    password: &str,
) -> StatusCode {
    browser
        .post(app.url("/api/v1/auth/login"))
        .header("x-forwarded-for", ip)
        .json(&json!({"email": "owner@example.com", "password": password}))
        .send()
        .await
        .unwrap()
        .status()
}

async fn an_attack_from_many_addresses_never_locks_out_the_owner(app: TestApp) {
    // The owner's browser signed in before: it holds the account's device cookie.
    let owner = client();
    crate::helpers::sign_up_with(&app, &owner, "owner@example.com", PASSWORD).await;

    // 40 addresses, 5 wrong guesses each, each from a fresh browser.
    let mut refused = 0;
    for n in 0..200 {
        let ip = format!("203.0.113.{}", n / 5);
        let status = login_from(&app, &client(), &ip, "guess-guess-guess").await;
        match status {
            StatusCode::UNAUTHORIZED => {}
            StatusCode::TOO_MANY_REQUESTS => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert!(
        refused > 0,
        "the account-wide budget for unknown browsers ran out"
    );

    // A new browser is refused even with the right password while the budget is spent...
    let new_browser = client();
    assert_eq!(
        login_from(&app, &new_browser, "198.51.100.9", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // ...but the owner's own browser is not, from any address.
    assert_eq!(
        login_from(&app, &owner, "198.51.100.10", PASSWORD).await,
        StatusCode::OK
    );
    // The owner on a new browser gets in after a password reset, which marks it as known.
    let r = new_browser
        .post(app.url("/api/v1/auth/password/forgot"))
        .header("x-forwarded-for", "198.51.100.9")
        .json(&json!({"email": "owner@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    let mail = app.next_mail("owner@example.com", "Set a new", 0).await;
    let r = new_browser
        .post(app.url("/api/v1/auth/password/reset"))
        .json(&json!({"token": link_token(&mail, "/reset-password"), "new_password": "copper-heron-meadow"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        login_from(&app, &new_browser, "198.51.100.9", "copper-heron-meadow").await,
        StatusCode::OK
    );
}

async fn one_address_guessing_does_not_slow_another(app: TestApp) {
    crate::helpers::sign_up_with(&app, &client(), "owner@example.com", PASSWORD).await;
    for _ in 0..10 {
        login_from(&app, &client(), "203.0.113.1", "guess-guess-guess").await;
    }
    assert_eq!(
        login_from(&app, &client(), "203.0.113.1", PASSWORD).await,
        StatusCode::TOO_MANY_REQUESTS,
        "the guessing address waits"
    );
    assert_eq!(
        login_from(&app, &client(), "198.51.100.1", PASSWORD).await,
        StatusCode::OK,
        "a new browser elsewhere does not"
    );
}

macro_rules! behind_a_proxy_on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let app = super::app_behind_a_proxy(super::Backend::Sqlite).await.unwrap();
                super::$name(app).await;
            }

            #[tokio::test]
            async fn postgres() {
                match super::app_behind_a_proxy(super::Backend::Postgres).await {
                    Some(app) => super::$name(app).await,
                    None => eprintln!("skipped on PostgreSQL: THREDOPS_TEST_DATABASE_URL is not set"),
                }
            }
        }
    )*};
}

behind_a_proxy_on_both_backends!(
    an_attack_from_many_addresses_never_locks_out_the_owner,
    one_address_guessing_does_not_slow_another,
);
