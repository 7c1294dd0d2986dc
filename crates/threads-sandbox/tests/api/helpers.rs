//! Spawns a sandbox on a random port and talks to it.

use reqwest::{Client, StatusCode, redirect};
use serde_json::{Value, json};
use threads_sandbox::{Sandbox, SandboxConfig};

pub struct TestApp {
    pub base: String,
    pub sandbox: Sandbox,
    pub client: Client,
}

/// A config with a frozen clock at a fixed instant, so tests are exact.
pub fn test_config() -> SandboxConfig {
    SandboxConfig {
        start_time: Some("2026-01-15T12:00:00Z".parse().unwrap()),
        frozen_clock: true,
        ..SandboxConfig::default()
    }
}

pub async fn spawn() -> TestApp {
    spawn_with(test_config()).await
}

pub async fn spawn_with(config: SandboxConfig) -> TestApp {
    spawn_mounted(config, "").await
}

/// Serves the sandbox under `prefix` (e.g. "/sandbox") inside a host router.
pub async fn spawn_mounted(config: SandboxConfig, prefix: &str) -> TestApp {
    let sandbox = Sandbox::new(config);
    let app = if prefix.is_empty() {
        sandbox.router()
    } else {
        axum::Router::new().nest(prefix, sandbox.router())
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let client = Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        base: format!("http://{addr}{prefix}"),
        sandbox,
        client,
    }
}

impl TestApp {
    pub fn creator(&self, index: usize) -> u64 {
        self.sandbox.creators()[index].user_id
    }

    pub fn token(&self, index: usize, scopes: &[&str]) -> String {
        self.sandbox.mint_token(self.creator(index), scopes)
    }

    pub fn full_token(&self, index: usize) -> String {
        self.token(index, threads_sandbox::tokens::ALL_SCOPES)
    }

    pub async fn get(&self, path: &str, query: &[(&str, &str)]) -> (StatusCode, Value) {
        let res = self
            .client
            .get(format!("{}{path}", self.base))
            .query(query)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn get_url(&self, url: &str) -> (StatusCode, Value) {
        let res = self.client.get(url).send().await.unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, Value) {
        let res = self
            .client
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn admin(&self, path: &str, body: Value) -> (StatusCode, Value) {
        let res = self
            .client
            .post(format!("{}/_sandbox{path}", self.base))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = res.status();
        (status, res.json().await.unwrap_or(Value::Null))
    }

    pub async fn advance(&self, seconds: i64) {
        let (status, _) = self
            .admin("/clock/advance", json!({ "seconds": seconds }))
            .await;
        assert_eq!(status, StatusCode::OK);
    }

    pub async fn truth(&self, user: u64) -> Value {
        self.get(&format!("/_sandbox/truth/{user}"), &[]).await.1
    }
}

/// Asserts a Graph error envelope with `code` (and `subcode` when given).
pub fn assert_graph_error(status: StatusCode, body: &Value, code: u64, subcode: Option<u64>) {
    assert_eq!(body["error"]["code"], code, "body: {body}");
    if let Some(sub) = subcode {
        assert_eq!(body["error"]["error_subcode"], sub, "body: {body}");
    }
    assert!(body["error"]["fbtrace_id"].is_string(), "body: {body}");
    assert!(
        status.is_client_error() || status.is_server_error(),
        "status {status}"
    );
}
