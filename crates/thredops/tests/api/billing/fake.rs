//! A small Stripe fake for what localstripe lacks (Checkout and Billing Portal sessions); every
//! other call is passed through to localstripe on 127.0.0.1:8420 when it runs.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

pub const LOCALSTRIPE: &str = "http://127.0.0.1:8420";

/// One session-creating request as the fake saw it.
#[derive(Debug, Clone)]
pub struct SeenRequest {
    pub path: String,
    pub idempotency_key: Option<String>,
    pub form: HashMap<String, String>,
}

#[derive(Clone, Default)]
pub struct Fake {
    pub seen: Arc<Mutex<Vec<SeenRequest>>>,
    /// Checkout Sessions by id: `open`, `complete` or `expired`.
    pub sessions: Arc<Mutex<HashMap<String, String>>>,
    pub base: String,
}

impl Fake {
    pub async fn start() -> Fake {
        Self::start_at("127.0.0.1:0").await
    }

    /// Starts the fake on a given address (e.g. a port the app was told Stripe is on).
    pub async fn start_at(address: &str) -> Fake {
        let mut fake = Fake::default();
        let listener = tokio::net::TcpListener::bind(address).await.unwrap();
        fake.base = format!("http://{}", listener.local_addr().unwrap());
        let app = Router::new()
            .route("/v1/checkout/sessions", post(checkout))
            .route("/v1/checkout/sessions/{id}", get(session))
            .route("/v1/checkout/sessions/{id}/expire", post(expire))
            .route("/v1/billing_portal/sessions", post(portal))
            .fallback(proxy)
            .with_state(fake.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        fake
    }

    /// The customer paid this session (as Stripe's hosted page would record it).
    pub fn complete(&self, id: &str) {
        self.sessions
            .lock()
            .unwrap()
            .insert(id.to_owned(), "complete".into());
    }

    pub fn session_status(&self, id: &str) -> Option<String> {
        self.sessions.lock().unwrap().get(id).cloned()
    }

    pub fn seen(&self, path: &str) -> Vec<SeenRequest> {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }
}

fn record(fake: &Fake, path: &str, headers: &HeaderMap, body: &[u8]) -> SeenRequest {
    let seen = SeenRequest {
        path: path.to_owned(),
        idempotency_key: headers
            .get("idempotency-key")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        form: serde_urlencoded::from_bytes(body).unwrap_or_default(),
    };
    fake.seen.lock().unwrap().push(seen.clone());
    seen
}

async fn checkout(State(fake): State<Fake>, headers: HeaderMap, body: Bytes) -> Response {
    let seen = record(&fake, "/v1/checkout/sessions", &headers, &body);
    if !seen.form.contains_key("customer") || !seen.form.contains_key("line_items[0][price]") {
        return (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": {"message": "customer and price are required"}})),
        )
            .into_response();
    }
    let id = format!("cs_test_{}", uuid::Uuid::new_v4().simple());
    fake.sessions
        .lock()
        .unwrap()
        .insert(id.clone(), "open".into());
    Json(serde_json::json!({"id": id, "url": format!("https://checkout.stripe.test/c/pay/{id}")}))
        .into_response()
}

async fn session(State(fake): State<Fake>, Path(id): Path<String>) -> Response {
    match fake.session_status(&id) {
        Some(status) => Json(serde_json::json!({"id": id, "status": status})).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn expire(State(fake): State<Fake>, Path(id): Path<String>) -> Response {
    let mut sessions = fake.sessions.lock().unwrap();
    match sessions.get(&id).map(String::as_str) {
        None => StatusCode::NOT_FOUND.into_response(),
        Some("open") => {
            sessions.insert(id.clone(), "expired".into());
            Json(serde_json::json!({"id": id, "status": "expired"})).into_response()
        }
        Some(_) => (
            StatusCode::BAD_REQUEST,
            Json(serde_json::json!({"error": {"message": "Only Checkout Sessions with a status of open can be expired."}})),
        )
            .into_response(),
    }
}

async fn portal(State(fake): State<Fake>, headers: HeaderMap, body: Bytes) -> Response {
    record(&fake, "/v1/billing_portal/sessions", &headers, &body);
    let id = format!("bps_{}", uuid::Uuid::new_v4().simple());
    Json(
        serde_json::json!({"id": id, "url": format!("https://billing.stripe.test/p/session/{id}")}),
    )
    .into_response()
}

async fn proxy(method: Method, uri: Uri, headers: HeaderMap, body: Bytes) -> Response {
    let listing =
        method == Method::GET && matches!(uri.path(), "/v1/subscriptions" | "/v1/invoices");
    let url = format!(
        "{LOCALSTRIPE}{}",
        uri.path_and_query().map_or("", |p| p.as_str())
    );
    let mut request = reqwest::Client::new()
        .request(method, url)
        .body(body.to_vec());
    for name in ["authorization", "content-type", "idempotency-key"] {
        if let Some(v) = headers.get(name) {
            request = request.header(name, v.as_bytes());
        }
    }
    match request.send().await {
        Ok(r) => {
            let status = StatusCode::from_u16(r.status().as_u16()).unwrap();
            (status, r.bytes().await.unwrap_or_default()).into_response()
        }
        // Without localstripe, lists are empty, so tests of our own pages need no Stripe.
        Err(_) if listing => {
            Json(serde_json::json!({"object": "list", "data": [], "has_more": false}))
                .into_response()
        }
        Err(_) => (StatusCode::BAD_GATEWAY, "localstripe is not running").into_response(),
    }
}

/// Whether localstripe answers (tests that need it skip with a message otherwise).
pub async fn localstripe_running() -> bool {
    let ok = reqwest::Client::new()
        .get(format!("{LOCALSTRIPE}/v1/customers"))
        .basic_auth("sk_test_thredops", Some(""))
        .send()
        .await
        .is_ok();
    if !ok {
        eprintln!(
            "skipped: localstripe is not reachable on 127.0.0.1:8420 (run .ci/localstripe.sh)"
        );
    }
    ok
}

/// A call to localstripe directly (the test playing the customer or Stripe's dashboard).
pub async fn ls(path: &str, form: &[(&str, &str)]) -> serde_json::Value {
    reqwest::Client::new()
        .post(format!("{LOCALSTRIPE}{path}"))
        .basic_auth("sk_test_thredops", Some(""))
        .form(form)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
