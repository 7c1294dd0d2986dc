//! Personal API tokens: scoped, hashed at rest, shown once, revocable, rate limited per token.

use reqwest::StatusCode;
use serde_json::{Value, json};
use thredops::with_pool;

use crate::connect::{PASSWORD, csrf_in};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    a_token_acts_for_its_owner_within_its_scopes_only,
    a_revoked_or_expired_token_is_refused_at_once,
    bad_token_requests_are_refused_beside_the_field,
    each_token_has_its_own_request_budget,
    the_settings_page_shows_a_new_secret_once_and_revokes,
);

/// Makes a token through the API with the session; returns the whole answer.
async fn make(app: &TestApp, name: &str, scopes: &[&str]) -> Value {
    let r = app
        .post_json("/api/v1/tokens", &json!({"name": name, "scopes": scopes}))
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    r.json().await.unwrap()
}

/// A request with only the bearer token: no cookie, as a script sends it.
async fn bearer(app: &TestApp, method: &str, path: &str, secret: &str) -> reqwest::Response {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = client
        .request(method.clone(), app.url(path))
        .bearer_auth(secret);
    if method != reqwest::Method::GET {
        request = request.json(&json!({"parts": [{"text": "hello"}]}));
    }
    request.send().await.unwrap()
}

/// Posts a page form with the session, from our own origin.
async fn post_form(app: &TestApp, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
    app.client
        .post(app.url(path))
        .header("Origin", &app.address)
        .form(fields)
        .send()
        .await
        .unwrap()
}

async fn error_message(r: reqwest::Response) -> String {
    let body: Value = r.json().await.unwrap();
    body["error"]["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn a_token_acts_for_its_owner_within_its_scopes_only(app: TestApp) {
    app.signup("scripts@example.com", PASSWORD).await;
    let created = make(&app, "Reporting script", &["posts:read"]).await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("thr_") && secret.len() > 40, "{secret}");
    assert!(secret.starts_with(created["prefix"].as_str().unwrap()));

    // Within its scope it acts for its owner.
    let r = bearer(&app, "GET", "/api/v1/publishing/posts", &secret).await;
    assert_eq!(r.status(), StatusCode::OK);
    // Beyond it, it is refused with the scope named.
    let r = bearer(&app, "POST", "/api/v1/publishing/preflight", &secret).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(error_message(r).await.contains("posts:write"));
    // Account, token and billing routes never take a token, whatever its scopes.
    for (method, path) in [
        ("GET", "/api/v1/tokens"),
        ("POST", "/api/v1/auth/logout"),
        ("GET", "/api/v1/billing"),
        ("GET", "/api/v1/privacy/export"),
    ] {
        let r = bearer(&app, method, path, &secret).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{method} {path}");
    }
    // Pages are for browsers with a session: a token does not sign anyone in.
    let r = bearer(&app, "GET", "/app", &secret).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "sent to sign in");
    // A made-up token is refused, never anonymous.
    let r = bearer(&app, "GET", "/api/v1/publishing/posts", "thr_madeup").await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // Only a fingerprint is stored, and the list never shows the secret again.
    let stored: Vec<String> = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT token_hash FROM api_tokens"
    )
    .fetch_all(p)
    .await)
    .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(
        !stored[0].contains(&secret[4..]),
        "the secret is not stored"
    );
    let list: Value = app.get("/api/v1/tokens").await.json().await.unwrap();
    let listed = &list["tokens"][0];
    assert_eq!(listed["name"], "Reporting script");
    assert_eq!(listed["scopes"], json!(["posts:read"]));
    assert!(
        listed["last_used_at"].is_i64(),
        "last use recorded: {listed}"
    );
    assert!(!list.to_string().contains(&secret), "secret shown again");
}

async fn a_revoked_or_expired_token_is_refused_at_once(app: TestApp) {
    app.signup("revoker@example.com", PASSWORD).await;
    let created = make(&app, "Old laptop", &["posts:read"]).await;
    let (id, secret) = (
        created["id"].as_str().unwrap().to_owned(),
        created["secret"].as_str().unwrap().to_owned(),
    );
    let path = "/api/v1/publishing/posts";
    assert_eq!(
        bearer(&app, "GET", path, &secret).await.status(),
        StatusCode::OK
    );

    // Someone else can neither see nor revoke it.
    let other = app.new_client();
    crate::helpers::sign_up_with(&app, &other, "someone@example.com", PASSWORD).await;
    let r = other
        .delete(app.url(&format!("/api/v1/tokens/{id}")))
        .header("Origin", &app.address)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let theirs: Value = other
        .get(app.url("/api/v1/tokens"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["tokens"], json!([]));
    assert_eq!(
        bearer(&app, "GET", path, &secret).await.status(),
        StatusCode::OK
    );

    let r = app
        .client
        .delete(app.url(&format!("/api/v1/tokens/{id}")))
        .header("Origin", &app.address)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        bearer(&app, "GET", path, &secret).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let list: Value = app.get("/api/v1/tokens").await.json().await.unwrap();
    assert!(list["tokens"][0]["revoked_at"].is_i64(), "{list}");

    // A token past its expiry is refused too.
    let r = app
        .post_json(
            "/api/v1/tokens",
            &json!({"name": "Short", "scopes": ["posts:read"], "expires_in_days": 1}),
        )
        .await;
    let short: Value = r.json().await.unwrap();
    let secret = short["secret"].as_str().unwrap().to_owned();
    assert_eq!(
        bearer(&app, "GET", path, &secret).await.status(),
        StatusCode::OK
    );
    with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE api_tokens SET expires_at = 1 WHERE id = $1"
    )
    .bind(short["id"].as_str().unwrap())
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    assert_eq!(
        bearer(&app, "GET", path, &secret).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn bad_token_requests_are_refused_beside_the_field(app: TestApp) {
    app.signup("careless@example.com", PASSWORD).await;
    let cases = [
        (json!({"name": " ", "scopes": ["posts:read"]}), "name"),
        (json!({"name": "x", "scopes": ["posts:admin"]}), "scopes"),
        (json!({"name": "x", "scopes": []}), "scopes"),
        (
            json!({"name": "x", "scopes": ["posts:read"], "expires_in_days": 0}),
            "expires_in_days",
        ),
    ];
    for (body, field) in cases {
        let r = app.post_json("/api/v1/tokens", &body).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let answer: Value = r.json().await.unwrap();
        assert!(
            answer["error"]["fields"][field].is_string(),
            "{body} -> {answer}"
        );
    }
    for i in 0..20 {
        make(&app, &format!("token {i}"), &["posts:read"]).await;
    }
    let r = app
        .post_json(
            "/api/v1/tokens",
            &json!({"name": "one too many", "scopes": ["posts:read"]}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(error_message(r).await.contains("Revoke one"));
}

async fn each_token_has_its_own_request_budget(app: TestApp) {
    app.signup("busy@example.com", PASSWORD).await;
    let busy = make(&app, "Busy", &["posts:read"]).await["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let calm = make(&app, "Calm", &["posts:read"]).await["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = "/api/v1/publishing/posts";
    let mut limited = None;
    for _ in 0..(thredops::api_tokens::BURST + 20) {
        let r = bearer(&app, "GET", path, &busy).await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(r);
            break;
        }
        assert_eq!(r.status(), StatusCode::OK);
    }
    let r = limited.expect("the busy token is slowed down");
    assert!(r.headers().contains_key("retry-after"));
    // The same account's other token is not.
    assert_eq!(
        bearer(&app, "GET", path, &calm).await.status(),
        StatusCode::OK
    );
}

async fn the_settings_page_shows_a_new_secret_once_and_revokes(app: TestApp) {
    app.signup("pages@example.com", PASSWORD).await;
    let page = app.get("/settings/tokens").await.text().await.unwrap();
    assert!(page.contains("No tokens yet."));
    let csrf = csrf_in(&page);
    // A form with a problem keeps what was typed.
    let r = post_form(
        &app,
        "/settings/tokens",
        &[
            ("csrf", csrf.as_str()),
            ("name", "Zapier"),
            ("expires_in_days", "30"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("Choose at least one thing the token may do."));
    assert!(page.contains("value=\"Zapier\""));
    let r = post_form(
        &app,
        "/settings/tokens",
        &[
            ("csrf", csrf.as_str()),
            ("name", "Zapier"),
            ("scope_analytics_read", "on"),
            ("expires_in_days", "never"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let page = r.text().await.unwrap();
    let marker = "data-token-secret";
    assert!(page.contains(marker), "the secret is shown");
    let secret = page
        .split("value=\"")
        .find(|s| s.starts_with("thr_"))
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    let again = app.get("/settings/tokens").await.text().await.unwrap();
    assert!(!again.contains(&secret), "shown once only");
    assert!(again.contains("Zapier") && again.contains("analytics:read"));
    let id = app
        .get("/api/v1/tokens")
        .await
        .json::<Value>()
        .await
        .unwrap()["tokens"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = post_form(
        &app,
        &format!("/settings/tokens/{id}/revoke"),
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert!(r.status().is_success() || r.status().is_redirection());
    let after = app.get("/settings/tokens").await.text().await.unwrap();
    assert!(after.contains("revoked"), "{after}");
    let r = bearer(&app, "GET", "/api/v1/profiles", &secret).await;
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
}
