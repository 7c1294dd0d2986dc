//! OAuth consent, code exchange, token exchange and refresh, scopes.

use reqwest::StatusCode;
use url::Url;

use crate::helpers::{TestApp, assert_graph_error, spawn};

const REDIRECT: &str = "https://app.example/callback";

async fn consent(app: &TestApp, decision: &str) -> Url {
    let user = app.creator(2).to_string();
    let res = app
        .client
        .post(format!("{}/oauth/authorize", app.base))
        .form(&[
            ("client_id", "sandbox-app"),
            ("redirect_uri", REDIRECT),
            ("scope", "threads_basic,threads_manage_insights"),
            ("state", "xyz"),
            ("user_id", user.as_str()),
            ("decision", decision),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    Url::parse(res.headers()["location"].to_str().unwrap()).unwrap()
}

fn query(url: &Url, key: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.into_owned())
}

async fn exchange(app: &TestApp, code: &str) -> (StatusCode, serde_json::Value) {
    app.post_form(
        "/oauth/access_token",
        &[
            ("client_id", "sandbox-app"),
            ("client_secret", "sandbox-secret"),
            ("code", code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await
}

#[tokio::test]
async fn the_consent_page_lists_creators_without_inline_script_or_style() {
    let app = spawn().await;
    let res = app
        .client
        .get(format!("{}/oauth/authorize", app.base))
        .query(&[
            ("client_id", "sandbox-app"),
            ("redirect_uri", REDIRECT),
            ("scope", "threads_basic"),
            ("response_type", "code"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.unwrap();
    assert!(html.contains("followers") && html.contains("Allow") && html.contains("Deny"));
    assert!(!html.contains("<script") && !html.contains("<style") && !html.contains("style=\""));
    assert!(
        html.contains("<link rel=\"stylesheet\" href=\"consent.css\">"),
        "styled from its own file"
    );
    let (bad_client, _) = app
        .get(
            "/oauth/authorize",
            &[
                ("client_id", "nope"),
                ("redirect_uri", REDIRECT),
                ("scope", "threads_basic"),
            ],
        )
        .await;
    assert_eq!(bad_client, StatusCode::BAD_REQUEST);
    let (no_basic, _) = app
        .get(
            "/oauth/authorize",
            &[
                ("client_id", "sandbox-app"),
                ("redirect_uri", REDIRECT),
                ("scope", "threads_delete"),
            ],
        )
        .await;
    assert_eq!(no_basic, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn allowing_gives_a_single_use_code_for_a_short_lived_token() {
    let app = spawn().await;
    let location = consent(&app, "allow").await;
    assert!(location.as_str().starts_with(REDIRECT));
    assert_eq!(query(&location, "state").as_deref(), Some("xyz"));
    let code = query(&location, "code").unwrap();
    let (status, body) = exchange(&app, &code).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["access_token"].as_str().unwrap().starts_with("TH"));
    assert!(
        body["user_id"].is_u64(),
        "user_id must be a bare number: {body}"
    );
    assert_eq!(body["user_id"].as_u64(), Some(app.creator(2)));
    let (status, body) = exchange(&app, &code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error_type"], "OAuthException");
    assert_eq!(body["code"], 400);
    assert_eq!(
        body["error_message"],
        "Matching code was not found or was already used"
    );
}

#[tokio::test]
async fn denying_redirects_with_access_denied() {
    let app = spawn().await;
    let location = consent(&app, "deny").await;
    assert_eq!(query(&location, "error").as_deref(), Some("access_denied"));
    assert_eq!(
        query(&location, "error_reason").as_deref(),
        Some("user_denied")
    );
    assert_eq!(
        query(&location, "error_description").as_deref(),
        Some("The user denied your request")
    );
    assert!(
        location
            .as_str()
            .contains("error_description=The+user+denied+your+request")
    );
    assert_eq!(query(&location, "state").as_deref(), Some("xyz"));
}

#[tokio::test]
async fn a_code_expires_after_an_hour_of_sandbox_time() {
    let app = spawn().await;
    let code = query(&consent(&app, "allow").await, "code").unwrap();
    app.advance(3_601).await;
    let (status, body) = exchange(&app, &code).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        body["error_message"],
        "Matching code was not found or was already used"
    );
}

#[tokio::test]
async fn tokens_exchange_refresh_and_expire_by_the_rules() {
    let app = spawn().await;
    let code = query(&consent(&app, "allow").await, "code").unwrap();
    let short = exchange(&app, &code).await.1["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = app
        .get(
            "/access_token",
            &[
                ("grant_type", "th_exchange_token"),
                ("client_secret", "wrong"),
                ("access_token", &short),
            ],
        )
        .await;
    assert_graph_error(status, &body, 1, None);
    let (status, long) = app
        .get(
            "/access_token",
            &[
                ("grant_type", "th_exchange_token"),
                ("client_secret", "sandbox-secret"),
                ("access_token", &short),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{long}");
    assert_eq!(
        (long["token_type"].as_str(), long["expires_in"].as_i64()),
        (Some("bearer"), Some(5_184_000))
    );
    let long = long["access_token"].as_str().unwrap().to_owned();
    let app_ref = &app;
    let refresh = |t: String| async move {
        app_ref
            .get(
                "/refresh_access_token",
                &[("grant_type", "th_refresh_token"), ("access_token", &t)],
            )
            .await
    };
    let (status, body) = refresh(long.clone()).await;
    assert_graph_error(status, &body, 100, None);
    app.advance(25 * 3_600).await;
    // The short-lived token is gone after an hour; the long-lived one still works.
    let (status, body) = app.get("/me", &[("access_token", &short)]).await;
    assert_graph_error(status, &body, 190, Some(463));
    let (status, body) = refresh(long.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    app.advance(60 * 86_400).await;
    let (status, body) = refresh(long).await;
    assert_graph_error(status, &body, 190, Some(463));
}

#[tokio::test]
async fn scopes_are_enforced_per_endpoint() {
    let app = spawn().await;
    let basic = app.token(3, &["threads_basic"]);
    let (status, body) = app
        .get(
            "/me/threads_insights",
            &[("metric", "views"), ("access_token", &basic)],
        )
        .await;
    assert_graph_error(status, &body, 10, None);
    let (status, body) = app
        .post_form(
            "/me/threads",
            &[
                ("media_type", "TEXT"),
                ("text", "hi"),
                ("access_token", &basic),
            ],
        )
        .await;
    assert_graph_error(status, &body, 10, None);
    let (status, body) = app.get("/me/replies", &[("access_token", &basic)]).await;
    assert_graph_error(status, &body, 10, None);
    let (status, body) = app
        .get(
            "/v1.0/me",
            &[("access_token", &basic), ("fields", "id,username")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["id"], app.creator(3).to_string());
}

#[tokio::test]
async fn bad_revoked_and_missing_tokens_get_code_190() {
    let app = spawn().await;
    let (status, body) = app.get("/me", &[("access_token", "THnotreal")]).await;
    assert_graph_error(status, &body, 190, None);
    let (status, body) = app.get("/me", &[]).await;
    assert_graph_error(status, &body, 190, None);
    let token = app.token(1, &["threads_basic"]);
    let res = app
        .client
        .get(format!("{}/me", app.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    app.admin(
        "/tokens/revoke",
        serde_json::json!({ "access_token": token }),
    )
    .await;
    let (status, body) = app.get("/me", &[("access_token", &token)]).await;
    assert_graph_error(status, &body, 190, Some(460));
}
