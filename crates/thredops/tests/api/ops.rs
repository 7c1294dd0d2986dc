//! Health, readiness, metrics, the security baseline and the API contract.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    health_and_readiness_answer,
    metrics_count_requests_by_route,
    metrics_refuse_a_request_a_proxy_forwarded,
    every_kind_of_response_carries_the_security_headers,
    openapi_documents_every_api_route,
    stopping_ends_open_progress_streams,
);

async fn health_and_readiness_answer(app: TestApp) {
    assert_eq!(app.get("/healthz").await.status(), StatusCode::OK);
    assert_eq!(app.get("/readyz").await.status(), StatusCode::OK);
    let request_id = app
        .get("/healthz")
        .await
        .headers()
        .get("x-request-id")
        .cloned();
    assert!(request_id.is_some(), "responses carry a request id");
}

async fn metrics_count_requests_by_route(app: TestApp) {
    for _ in 0..3 {
        app.get("/healthz").await;
    }
    app.get("/api/v1/auth/sessions/abc").await;
    let text = app.get("/metrics").await.text().await.unwrap();
    let line = text
        .lines()
        .find(|l| {
            l.starts_with("thredops_http_requests_total{") && l.contains("route=\"/healthz\"")
        })
        .unwrap_or_else(|| panic!("no healthz counter in:\n{text}"));
    assert!(line.ends_with(" 3"), "{line}");
    assert!(
        text.contains("route=\"/api/v1/auth/sessions/{id}\""),
        "routes are labelled by template, not raw path"
    );
    assert!(text.contains("thredops_http_request_duration_seconds_bucket"));
    assert!(text.contains("thredops_db_pool_connections"));
}

async fn metrics_refuse_a_request_a_proxy_forwarded(app: TestApp) {
    // A request a proxy on this machine forwards is not this machine's own.
    let proxied = app
        .client
        .get(app.url("/metrics"))
        .header("x-forwarded-for", "203.0.113.9")
        .send()
        .await
        .unwrap();
    assert_eq!(proxied.status(), StatusCode::UNAUTHORIZED);
    let body = proxied.text().await.unwrap();
    assert!(!body.contains("thredops_http_requests_total"), "{body}");
}

/// Metrics are not storage: one backend shows the token's effect.
#[tokio::test]
async fn metrics_answer_a_remote_scraper_that_holds_the_token() {
    let token = "scrape-me-0123456789abcdef";
    let with_token = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |raw| {
        raw.set("metrics_token", token)
    })
    .await
    .unwrap();
    let get = |auth: Option<&str>| {
        let mut r = with_token
            .client
            .get(with_token.url("/metrics"))
            .header("x-forwarded-for", "203.0.113.9");
        if let Some(a) = auth {
            r = r.header("authorization", a);
        }
        r.send()
    };
    assert_eq!(get(None).await.unwrap().status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        get(Some("Bearer wrong-token")).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let ok = get(Some(&format!("Bearer {token}"))).await.unwrap();
    assert_eq!(ok.status(), StatusCode::OK);
    assert!(
        ok.text()
            .await
            .unwrap()
            .contains("thredops_http_requests_total")
    );
}

async fn every_kind_of_response_carries_the_security_headers(app: TestApp) {
    let responses = [
        ("page", app.get("/").await),
        ("api error", app.get("/api/v1/me").await),
        ("404", app.get("/no/such/page").await),
        ("static", app.get("/static/app.css").await),
        ("health", app.get("/healthz").await),
        (
            "405",
            app.client.put(app.url("/healthz")).send().await.unwrap(),
        ),
    ];
    for (kind, r) in responses {
        let h = r.headers();
        let csp = h
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("{kind}: no CSP"))
            .to_str()
            .unwrap();
        for directive in [
            "default-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ] {
            assert!(csp.contains(directive), "{kind}: CSP lacks {directive}");
        }
        assert!(
            !csp.contains("http"),
            "{kind}: CSP names another origin: {csp}"
        );
        assert_eq!(h["x-content-type-options"], "nosniff", "{kind}");
        assert!(h.contains_key("referrer-policy"), "{kind}");
        assert!(h.contains_key("permissions-policy"), "{kind}");
        assert_eq!(h["cross-origin-opener-policy"], "same-origin", "{kind}");
        assert!(
            !h.contains_key("strict-transport-security"),
            "{kind}: no HSTS over plain http"
        );
        if kind != "static" {
            assert_eq!(h["cache-control"], "no-store", "{kind}");
        }
    }
    app.signup("hd@example.com", "tidal-marmot-lantern").await;
    let me = app.get("/api/v1/me").await;
    assert_eq!(
        me.headers()["cache-control"],
        "no-store",
        "authenticated responses are never cached"
    );
}

async fn openapi_documents_every_api_route(app: TestApp) {
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for endpoint in thredops::http::api::endpoints() {
        let method = endpoint.method.as_str().to_lowercase();
        assert!(
            paths
                .get(endpoint.path)
                .and_then(|p| p.get(&method))
                .is_some(),
            "{method} {} missing",
            endpoint.path
        );
    }
    // And every documented operation is really served (not 404/405), signed in or not.
    app.signup("oa@example.com", "tidal-marmot-lantern").await;
    for (path, ops) in paths {
        for method in ops.as_object().unwrap().keys() {
            let url = app.url(&path.replace("{id}", "00000000"));
            let r = app
                .client
                .request(method.to_uppercase().parse().unwrap(), url)
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap();
            assert_ne!(
                r.status(),
                StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}"
            );
            if r.status() == StatusCode::NOT_FOUND {
                let body: Value = r.json().await.unwrap();
                assert_eq!(
                    body["error"]["code"], "not_found",
                    "{method} {path} is not routed"
                );
                assert!(path.contains('{'), "{method} {path} answered 404");
            }
        }
    }
    // Routes served under /api/v1 are all in the document (no undocumented handlers).
    let r = app.get("/api/v1/not-a-route").await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
}

/// SIGTERM while a browser watches a sync's progress stream: the stream ends and the server
/// stops in moments, not when the sync ends (nor never).
async fn stopping_ends_open_progress_streams(mut app: TestApp) {
    use threads_sandbox::FaultConfig;
    app.signup("streams@example.com", "Tq8 vivid harness Kx2v")
        .await;
    let creator = crate::connect::creator(&app, "streamer", 400, 500);
    crate::connect::sandbox(&app).set_faults(FaultConfig {
        latency_ms: 300,
        ..FaultConfig::default()
    });
    let profile = crate::connect::connect(&app, creator.user_id).await;
    let mut stream = app
        .client
        .get(app.url(&format!("/app/profiles/{profile}/events")))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    let first = tokio::time::timeout(std::time::Duration::from_secs(10), stream.chunk())
        .await
        .expect("a progress event within seconds")
        .unwrap()
        .unwrap_or_default();
    assert!(
        String::from_utf8_lossy(&first).contains("event: progress"),
        "the sync is still running: {first:?}"
    );
    app.begin_stop();
    let ended = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await;
    assert!(
        ended.is_ok(),
        "the progress stream was still open 5 s after stopping began"
    );
    // Running jobs get their grace period (30 s), connections their drain (10 s).
    assert!(
        app.stopped_within(std::time::Duration::from_secs(45)).await,
        "the server did not stop"
    );
}

/// Sandbox mode on a server others can reach: the admin API (clock, faults, creators, tokens,
/// ground truth) answers only clients on this machine (and admins); the simulated Graph API
/// stays open; Meta callbacks signed with the sandbox's well-known default secret are refused.
#[tokio::test]
async fn the_sandbox_admin_api_answers_this_machine_only() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |raw| {
        raw.set("trust_forwarded_for", "true")
    })
    .await
    .unwrap();
    let remote = |path: &str| {
        app.client
            .get(app.url(path))
            .header("x-forwarded-for", "203.0.113.7")
    };
    let r = remote("/sandbox/_sandbox/creators").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = remote("/sandbox/_sandbox/truth/1").send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let local = app.get("/sandbox/_sandbox/creators").await;
    assert_eq!(local.status(), StatusCode::OK);
    // The Graph API itself answers anyone, with Graph errors.
    let graph = remote("/sandbox/v1.0/me").send().await.unwrap();
    assert_ne!(graph.status(), StatusCode::FORBIDDEN);
    // The sandbox's app secret is this installation's own.
    let forged = thredops::privacy::signed_request::encode(
        "sandbox-secret",
        &serde_json::json!({"algorithm": "HMAC-SHA256", "issued_at": thredops::clock::now().timestamp(), "user_id": "1"}),
    );
    let r = reqwest::Client::new()
        .post(app.url("/hooks/threads/delete"))
        .form(&[("signed_request", forged)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_ne!(
        app.state.threads.app.client_secret.expose(),
        "sandbox-secret"
    );
}
