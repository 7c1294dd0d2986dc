//! Paths and methods the API does not serve answer Graph's error envelope, not an empty body.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{TestApp, assert_graph_error, spawn};

async fn call(app: &TestApp, method: Method, path: &str, token: &str) -> (StatusCode, Value) {
    let res = app
        .client
        .request(method, format!("{}{path}", app.base))
        .query(&[("access_token", token)])
        .send()
        .await
        .expect("request");
    let status = res.status();
    let body = res.json().await.expect("a JSON body");
    (status, body)
}

#[tokio::test]
async fn unknown_edges_and_versions_answer_404_with_the_graph_envelope() {
    let app = spawn().await;
    let t = app.full_token(1);
    for path in ["/v1.0/me/nonsense", "/me/threads/extra", "/v9.9/me"] {
        let (status, body) = call(&app, Method::GET, path, &t).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_graph_error(status, &body, 100, Some(33));
        assert_eq!(body["error"]["type"], "THApiException", "{path}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("Unsupported get request. Object with ID 'me'")),
            "{path}: {body}"
        );
    }
}

#[tokio::test]
async fn a_wrong_method_answers_405_with_the_graph_envelope() {
    let app = spawn().await;
    let t = app.full_token(1);
    for (method, path) in [
        (Method::PUT, "/v1.0/me/threads"),
        (Method::DELETE, "/me/threads"),
        (Method::GET, "/me/threads_publish"),
        (Method::PATCH, "/me"),
    ] {
        let (status, body) = call(&app, method.clone(), path, &t).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}");
        assert_graph_error(status, &body, 100, Some(33));
        let expected = format!(
            "Unsupported {} request.",
            method.as_str().to_ascii_lowercase()
        );
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with(&expected)),
            "{method} {path}: {body}"
        );
    }
}
