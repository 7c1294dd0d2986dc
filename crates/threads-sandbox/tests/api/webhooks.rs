//! Reply and mention webhooks delivered to a callback, signed with the app secret.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::Value;
use threads_sandbox::SandboxConfig;
use threads_sandbox::webhooks::signature;

use crate::helpers::{spawn_with, test_config};

type Received = Arc<Mutex<Vec<(String, Bytes)>>>;

/// A callback on 127.0.0.1:0 that records the signature header and raw body of each delivery.
async fn receiver() -> (String, Received) {
    let (url, got, _) = flaky_receiver().await;
    (url, got)
}

/// [`receiver`] that answers 500 without recording while the returned flag is set.
async fn flaky_receiver() -> (String, Received, Arc<AtomicBool>) {
    let got: Received = Arc::default();
    let failing = Arc::new(AtomicBool::new(false));
    let (sink, fail) = (got.clone(), failing.clone());
    let app = axum::Router::new().route(
        "/hook",
        post(move |headers: HeaderMap, body: Bytes| {
            let (sink, fail) = (sink.clone(), fail.clone());
            async move {
                if fail.load(Ordering::SeqCst) {
                    return axum::http::StatusCode::INTERNAL_SERVER_ERROR;
                }
                let sig = headers
                    .get("x-hub-signature-256")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                sink.lock().unwrap().push((sig, body));
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), got, failing)
}

#[tokio::test]
async fn replies_and_mentions_arriving_over_time_are_posted_signed_and_only_once() {
    let (url, got) = receiver().await;
    let config = SandboxConfig {
        webhook_url: Some(url),
        ..test_config()
    };
    let app = spawn_with(config.clone()).await;
    assert_eq!(app.sandbox.deliver_webhooks().await.unwrap(), 0);
    app.advance(2 * 86_400).await;
    let sent = app.sandbox.deliver_webhooks().await.unwrap();
    assert!(sent > 0);
    let deliveries = got.lock().unwrap().clone();
    assert_eq!(deliveries.len(), sent);
    let mut fields = Vec::new();
    let mut last_time = 0;
    for (sig, body) in &deliveries {
        // Verified on the raw bytes before parsing, as a receiver must.
        assert_eq!(sig, &signature(&config.app_secret, body));
        let v: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(v["app_id"], config.app_id.as_str());
        assert!(v["target_id"].is_string() && v["time"].is_i64(), "{v}");
        let time = v["time"].as_i64().unwrap();
        assert!(time >= last_time, "oldest first");
        last_time = time;
        let field = v["values"]["field"].as_str().unwrap().to_owned();
        let value = &v["values"]["value"];
        match field.as_str() {
            "replies" => {
                assert_eq!(v["topic"], "moderate");
                assert_eq!(value["root_post"]["id"], v["target_id"], "{v}");
            }
            "mentions" => {
                assert_eq!(v["topic"], "interaction");
                assert!(
                    app.sandbox
                        .creators()
                        .iter()
                        .any(|c| c.id == v["target_id"].as_str().unwrap())
                );
            }
            other => panic!("unexpected field {other}"),
        }
        assert!(
            value["id"].is_string() && value["timestamp"].is_string(),
            "{v}"
        );
        fields.push(field);
    }
    assert!(fields.iter().any(|f| f == "replies"));
    assert!(fields.iter().any(|f| f == "mentions"));
    // Nothing new without time passing.
    assert_eq!(app.sandbox.deliver_webhooks().await.unwrap(), 0);
}

#[tokio::test]
async fn a_failed_delivery_is_sent_again_on_the_next_run() {
    let (url, got, failing) = flaky_receiver().await;
    let app = spawn_with(SandboxConfig {
        webhook_url: Some(url),
        ..test_config()
    })
    .await;
    app.advance(3_600).await;
    failing.store(true, Ordering::SeqCst);
    assert!(app.sandbox.deliver_webhooks().await.is_err());
    failing.store(false, Ordering::SeqCst);
    let sent = app.sandbox.deliver_webhooks().await.unwrap();
    assert!(sent > 0);
    assert_eq!(got.lock().unwrap().len(), sent);
}
