//! Fault injection, latency, the call budget and the admin API.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_graph_error, spawn, spawn_with, test_config};

async fn set_faults(app: &TestApp, faults: Value) {
    let res = app
        .client
        .put(format!("{}/_sandbox/faults", app.base))
        .json(&faults)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
}

async fn me(app: &TestApp, token: &str) -> reqwest::Response {
    app.client
        .get(format!("{}/me/threads", app.base))
        .query(&[("access_token", token)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn each_fault_kind_is_injected() {
    let app = spawn().await;
    let t = app.full_token(1);
    let one = |kind: &str| json!({"seed": 1, "rules": [{"route": "/{id}/threads", kind: 1.0, "slow_ms": 300, "timeout_ms": 400, "throttle_status": 403}]});

    set_faults(&app, one("http_429")).await;
    let res = me(&app, &t).await;
    assert_eq!(res.status(), StatusCode::TOO_MANY_REQUESTS);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["is_transient"], true);

    set_faults(&app, one("throttle")).await;
    let res = me(&app, &t).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let body: Value = res.json().await.unwrap();
    assert!([4, 17, 613].contains(&body["error"]["code"].as_u64().unwrap()));
    assert_eq!(body["error"]["is_transient"], true);

    set_faults(&app, one("server_error")).await;
    assert!(me(&app, &t).await.status().is_server_error());

    set_faults(&app, one("malformed_json")).await;
    let res = me(&app, &t).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(serde_json::from_str::<Value>(&res.text().await.unwrap()).is_err());

    for (kind, sub) in [("expired_token", 463), ("revoked_token", 460)] {
        set_faults(&app, one(kind)).await;
        let res = me(&app, &t).await;
        let status = res.status();
        assert_graph_error(status, &res.json().await.unwrap(), 190, Some(sub));
    }

    set_faults(&app, one("slow")).await;
    let started = Instant::now();
    assert_eq!(me(&app, &t).await.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(300));

    set_faults(&app, one("timeout")).await;
    let res = app
        .client
        .get(format!("{}/me/threads", app.base))
        .query(&[("access_token", &t)])
        .timeout(Duration::from_millis(150))
        .send()
        .await;
    assert!(res.unwrap_err().is_timeout());

    // Other routes are untouched by a route-specific rule, and the admin API never faults.
    assert_eq!(
        app.get("/me", &[("access_token", &t)]).await.0,
        StatusCode::OK
    );
    set_faults(
        &app,
        json!({"rules": [{"route": "*", "server_error": 1.0}]}),
    )
    .await;
    assert_eq!(app.get("/_sandbox/clock", &[]).await.0, StatusCode::OK);
}

#[tokio::test]
async fn faults_are_deterministic_for_a_seed() {
    let faults = json!({"seed": 9, "rules": [{"route": "*", "server_error": 0.5}]});
    let mut runs = Vec::new();
    for _ in 0..2 {
        let app = spawn().await;
        set_faults(&app, faults.clone()).await;
        let t = app.full_token(1);
        let mut seq = Vec::new();
        for _ in 0..20 {
            seq.push(me(&app, &t).await.status().as_u16());
        }
        runs.push(seq);
    }
    assert_eq!(runs[0], runs[1]);
    assert!(
        runs[0].contains(&200) && runs[0].iter().any(|s| *s >= 500),
        "{:?}",
        runs[0]
    );
}

#[tokio::test]
async fn latency_is_added_to_every_api_call() {
    let app = spawn().await;
    set_faults(&app, json!({"latency_ms": 120})).await;
    let t = app.full_token(1);
    let started = Instant::now();
    assert_eq!(me(&app, &t).await.status(), StatusCode::OK);
    assert!(started.elapsed() >= Duration::from_millis(120));
}

#[tokio::test]
async fn the_call_budget_throttles_with_code_4_and_reports_usage() {
    let mut config = test_config();
    config.rate_limit.calls_per_impression = 1;
    let app = spawn_with(config).await;
    // Creator 0 is tiny: the floor of 10 impressions gives a budget of 10 calls.
    let (_, c) = app
        .admin("/creators", json!({"followers": 5, "posts": 3}))
        .await;
    let user = c["user_id"].as_u64().unwrap();
    let t = app.sandbox.mint_token(user, &["threads_basic"]);
    for _ in 0..10 {
        let res = app
            .client
            .get(format!("{}/me", app.base))
            .query(&[("access_token", &t)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        assert!(res.headers().contains_key("x-app-usage"));
    }
    let (status, body) = app.get("/me", &[("access_token", &t)]).await;
    assert_graph_error(status, &body, 4, None);
    assert_eq!(body["error"]["is_transient"], true);
    app.advance(86_400).await;
    assert_eq!(
        app.get("/me", &[("access_token", &t)]).await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn the_admin_api_mints_tokens_moves_the_clock_and_resets() {
    let app = spawn().await;
    let (_, creators) = app.get("/_sandbox/creators", &[]).await;
    assert_eq!(creators["data"].as_array().unwrap().len(), 6);
    let user = creators["data"][5]["id"].as_str().unwrap().to_owned();
    let (status, minted) = app
        .admin(
            "/tokens",
            json!({"user_id": user, "scopes": ["threads_basic"], "kind": "short"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{minted}");
    assert_eq!(minted["expires_in"], 3_600);
    let t = minted["access_token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get("/me", &[("access_token", &t)]).await.0,
        StatusCode::OK
    );
    let (_, before) = app.get("/_sandbox/clock", &[]).await;
    app.advance(3_600).await;
    let (_, after) = app.get("/_sandbox/clock", &[]).await;
    assert_eq!(
        after["timestamp"].as_i64().unwrap() - before["timestamp"].as_i64().unwrap(),
        3_600
    );
    assert_eq!(
        app.get("/me", &[("access_token", &t)]).await.1["error"]["error_subcode"],
        463
    );
    let (status, _) = app.admin("/clock/advance", json!({"seconds": -5})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    app.admin("/creators", json!({"username": "extra"})).await;
    app.admin("/reset", json!({})).await;
    let (_, again) = app.get("/_sandbox/creators", &[]).await;
    // The default creators come back exactly as they were (regenerated on first use).
    assert_eq!(again, creators);
    assert_eq!(app.get("/_sandbox/clock", &[]).await.1, before);
}

/// The `X-App-Usage` and `X-Business-Use-Case-Usage` headers of `res`, parsed.
fn usage_headers(res: &reqwest::Response) -> (Value, Option<Value>) {
    let parse = |name: &str| {
        res.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| serde_json::from_str::<Value>(v).expect("JSON header"))
    };
    (
        parse("x-app-usage").expect("X-App-Usage"),
        parse("x-business-use-case-usage"),
    )
}

#[tokio::test]
async fn usage_headers_count_the_budget_and_stay_on_throttled_answers() {
    let mut config = test_config();
    config.rate_limit.calls_per_impression = 1;
    let app = spawn_with(config).await;
    let (_, c) = app
        .admin("/creators", json!({"followers": 5, "posts": 3}))
        .await;
    let user = c["user_id"].as_u64().unwrap();
    let t = app.sandbox.mint_token(user, &["threads_basic"]);
    // A budget of 10 calls: each call is 10 % of it.
    for n in 1..=10u64 {
        let res = me(&app, &t).await;
        assert_eq!(res.status(), StatusCode::OK);
        let (app_usage, buc) = usage_headers(&res);
        assert_eq!(app_usage["call_count"], n * 10, "{app_usage}");
        let (cpu, time) = (
            app_usage["total_cputime"].as_u64().unwrap(),
            app_usage["total_time"].as_u64().unwrap(),
        );
        assert!(cpu <= n * 10 && time <= n * 10, "{app_usage}");
        let entry = &buc.expect("business use-case header")[user.to_string()][0];
        assert_eq!(entry["call_count"], n * 10);
        assert_eq!(entry["estimated_time_to_regain_access"], 0);
    }
    let res = me(&app, &t).await;
    let (app_usage, buc) = usage_headers(&res);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], 4, "{body}");
    assert_eq!(app_usage["call_count"], 100);
    let entry = &buc.expect("business use-case header")[user.to_string()][0];
    assert_eq!(entry["estimated_time_to_regain_access"], 1_440);

    // An injected throttle stands for a spent budget too.
    let other = app.full_token(1);
    set_faults(
        &app,
        json!({"seed": 1, "rules": [{"route": "/{id}/threads", "throttle": 1.0}]}),
    )
    .await;
    let res = me(&app, &other).await;
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_eq!(usage_headers(&res).0["call_count"], 100);
}
