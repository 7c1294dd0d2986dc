//! The optional language-model layer against a local fake OpenAI-compatible endpoint.

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::post;
use serde_json::{Value, json};

use super::{connected, video_creator};
use crate::helpers::{Backend, TestApp};

type Seen = Arc<Mutex<Vec<(Option<String>, Value)>>>;

/// A fake `/v1/chat/completions` that records what it was sent.
async fn fake_model() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let app = axum::Router::new()
        .route(
            "/v1/chat/completions",
            post(|State(seen): State<Seen>, headers: HeaderMap, body: axum::Json<Value>| async move {
                let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).map(str::to_owned);
                seen.lock().unwrap().push((auth, body.0));
                axum::Json(json!({"choices": [{"message": {"role": "assistant", "content": "  Post videos in the evening.  "}}]}))
            }),
        )
        .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/"), seen)
}

#[tokio::test]
async fn the_language_model_is_off_until_opted_in_and_only_receives_aggregates() {
    let (url, seen) = fake_model().await;
    let app = TestApp::spawn_with(Backend::Sqlite, |raw| {
        raw.set("llm_base_url", url.clone());
        raw.set("llm_model", "test-model");
        raw.set("llm_api_key", "sk-test-key");
    })
    .await
    .unwrap();
    let id = connected(&app, "llm@example.com", video_creator("llm_creator")).await;
    let prefs: Value = app
        .get("/api/v1/strategy/preferences")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(prefs, json!({"llm_opt_in": false, "llm_available": true}));
    let path = format!("/api/v1/profiles/{id}/strategy/narrative");
    assert_eq!(app.post_json(&path, &json!({})).await.status(), 403);
    assert!(
        seen.lock().unwrap().is_empty(),
        "nothing is sent before opting in"
    );

    let r = app
        .client
        .put(app.url("/api/v1/strategy/preferences"))
        .json(&json!({"llm_opt_in": "yes"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let r = app
        .client
        .put(app.url("/api/v1/strategy/preferences"))
        .json(&json!({"llm_opt_in": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let answer: Value = app.post_json(&path, &json!({})).await.json().await.unwrap();
    assert_eq!(answer["text"], "Post videos in the evening.");
    assert_eq!(answer["model"], "test-model");

    let (auth, body) = seen.lock().unwrap()[0].clone();
    assert_eq!(auth.as_deref(), Some("Bearer sk-test-key"));
    assert_eq!(body["model"], "test-model");
    let sent = body["messages"][1]["content"].as_str().unwrap();
    let aggregates: Value = serde_json::from_str(sent).unwrap();
    assert_eq!(aggregates, answer["sent"]);
    assert!(
        sent.contains("\"VIDEO\""),
        "the format finding is sent: {sent}"
    );
    for private in [
        "snippet",
        "permalink",
        "media_id",
        "llm_creator",
        "llm@example.com",
        "access_token",
    ] {
        assert!(
            !body.to_string().contains(private),
            "{private} must not leave the server"
        );
    }
}

#[tokio::test]
async fn without_a_configured_model_the_narrative_is_unavailable() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let id = connected(&app, "nollm@example.com", video_creator("nollm_creator")).await;
    let prefs: Value = app
        .get("/api/v1/strategy/preferences")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(prefs["llm_available"], false);
    let r = app
        .post_json(
            &format!("/api/v1/profiles/{id}/strategy/narrative"),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 409);
}
