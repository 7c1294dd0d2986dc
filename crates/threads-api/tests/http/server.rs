//! A scripted HTTP server on 127.0.0.1:0 that plays back fixtures and failures and records what
//! it was asked.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{Method, StatusCode, Uri};
use axum::response::Response;
use threads_api::{AccessToken, RetryPolicy, Session, ThreadsClient};

/// The token every test session uses; tests assert it never leaks.
pub const TOKEN: &str = "THsecretTOKEN123";

/// One scripted answer.
#[derive(Clone, Debug)]
pub struct Reply {
    status: u16,
    body: String,
    headers: Vec<(&'static str, String)>,
    delay: Option<Duration>,
}

impl Reply {
    /// A raw body with a status.
    pub fn raw(status: u16, body: impl Into<String>) -> Self {
        Self {
            status,
            body: body.into(),
            headers: Vec::new(),
            delay: None,
        }
    }

    /// `tests/fixtures/<name>.json` with a status.
    pub fn fixture(status: u16, name: &str) -> Self {
        let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
        Self::raw(
            status,
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}")),
        )
    }

    /// A fixture with HTTP 200.
    pub fn ok(name: &str) -> Self {
        Self::fixture(200, name)
    }

    /// Adds a response header.
    pub fn header(mut self, name: &'static str, value: impl Into<String>) -> Self {
        self.headers.push((name, value.into()));
        self
    }

    /// Waits before answering (to provoke client timeouts).
    pub fn delayed(mut self, delay: Duration) -> Self {
        self.delay = Some(delay);
        self
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: String,
}

impl Recorded {
    /// Query and form pairs together, decoded.
    pub fn param(&self, key: &str) -> Option<String> {
        [&self.query, &self.body].into_iter().find_map(|s| {
            url::form_urlencoded::parse(s.as_bytes())
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.into_owned())
        })
    }
}

#[derive(Clone, Default)]
struct Script {
    routes: Arc<Mutex<HashMap<String, VecDeque<Reply>>>>,
    log: Arc<Mutex<Vec<Recorded>>>,
}

/// A running test server.
pub struct TestServer {
    addr: SocketAddr,
    script: Script,
}

impl TestServer {
    /// Binds 127.0.0.1:0 and serves in the background.
    pub async fn start() -> Self {
        let script = Script::default();
        let app = Router::new().fallback(handle).with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Self { addr, script }
    }

    /// Scripts `"METHOD /path"`: answers in order, the last one repeating.
    pub fn on(&self, route: &str, replies: impl IntoIterator<Item = Reply>) -> &Self {
        self.script
            .routes
            .lock()
            .unwrap()
            .insert(route.to_owned(), replies.into_iter().collect());
        self
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.script.log.lock().unwrap().clone()
    }

    /// A client for this server with tiny retry delays.
    pub fn client(&self) -> ThreadsClient {
        self.client_with(RetryPolicy::fast_for_tests())
    }

    /// A client for this server with the given retry policy.
    pub fn client_with(&self, retry: RetryPolicy) -> ThreadsClient {
        ThreadsClient::builder()
            .graph_base(self.url())
            .authorize_base(self.url())
            .request_timeout(Duration::from_millis(500))
            .retry(retry)
            .build()
            .unwrap()
    }

    /// A session with [`TOKEN`] on a fresh client.
    pub fn session(&self) -> Session {
        self.client().session(AccessToken::new(TOKEN))
    }
}

async fn handle(State(script): State<Script>, method: Method, uri: Uri, body: String) -> Response {
    let path = uri.path().to_owned();
    script.log.lock().unwrap().push(Recorded {
        method: method.to_string(),
        path: path.clone(),
        query: uri.query().unwrap_or_default().to_owned(),
        body,
    });
    let reply = {
        let mut routes = script.routes.lock().unwrap();
        routes
            .get_mut(&format!("{method} {path}"))
            .and_then(|queue| {
                if queue.len() > 1 {
                    queue.pop_front()
                } else {
                    queue.front().cloned()
                }
            })
    };
    let reply = reply.unwrap_or_else(|| {
        Reply::raw(
            404,
            format!(r#"{{"error":{{"message":"unscripted {method} {path}","code":100}}}}"#),
        )
    });
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    let mut response = Response::builder()
        .status(StatusCode::from_u16(reply.status).unwrap())
        .header("content-type", "application/json");
    for (name, value) in &reply.headers {
        response = response.header(*name, value);
    }
    response.body(Body::from(reply.body)).unwrap()
}
