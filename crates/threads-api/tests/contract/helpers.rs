//! Starts the sandbox on 127.0.0.1:0 and builds clients that talk to it over real HTTP.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::TryStreamExt;
use serde_json::Value;
use threads_api::{
    AccessToken, ClientBuilder, ErrorClass, ListQuery, Media, RetryPolicy, Session, ThreadsClient,
};
use threads_sandbox::tokens::ALL_SCOPES;
use threads_sandbox::{CreatorTraits, FaultConfig, FaultRule, Sandbox, SandboxConfig};

/// The sandbox's app credentials (its defaults).
pub const APP_ID: &str = "sandbox-app";
pub const APP_SECRET: &str = "sandbox-secret";
pub const REDIRECT_URI: &str = "https://app.example/threads/callback";

/// A running sandbox plus what a test needs to reach it.
pub struct Harness {
    pub sandbox: Sandbox,
    /// Base URL of the sandbox, including the mount prefix.
    pub base: String,
    /// A plain HTTP client that does not follow redirects (the "browser" and admin caller).
    pub http: reqwest::Client,
}

/// A frozen clock at a fixed instant, so every value is exact and only moves when told.
pub fn config() -> SandboxConfig {
    SandboxConfig {
        start_time: Some("2026-01-15T12:00:00Z".parse().expect("start time")),
        frozen_clock: true,
        redirect_uris: vec![REDIRECT_URI.to_owned()],
        ..SandboxConfig::default()
    }
}

/// Starts the sandbox at the server root.
pub async fn spawn() -> Harness {
    spawn_with(config(), "").await
}

/// Starts the sandbox with `config`, mounted under `prefix` (e.g. `/sandbox`) in a host router.
pub async fn spawn_with(config: SandboxConfig, prefix: &str) -> Harness {
    let sandbox = Sandbox::new(config);
    let app = if prefix.is_empty() {
        sandbox.router()
    } else {
        axum::Router::new().nest(prefix, sandbox.router())
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await.expect("serve") });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("http client");
    Harness {
        sandbox,
        base: format!("http://{addr}{prefix}"),
        http,
    }
}

/// The retry policy most tests use: millisecond backoff.
pub fn fast() -> RetryPolicy {
    RetryPolicy::fast_for_tests()
}

impl Harness {
    /// A client builder aimed at this sandbox (Graph and authorization window).
    pub fn builder(&self) -> ClientBuilder {
        ThreadsClient::builder()
            .graph_base(&self.base)
            .authorize_base(&self.base)
            .request_timeout(Duration::from_secs(10))
            .retry(fast())
    }

    /// A client with the default test settings.
    pub fn client(&self) -> ThreadsClient {
        self.builder().build().expect("client")
    }

    /// The user id of default creator `index`.
    pub fn creator(&self, index: usize) -> u64 {
        self.sandbox.creators()[index].user_id
    }

    /// A session of a fresh client for `user` with `scopes`.
    pub fn session_with(&self, client: &ThreadsClient, user: u64, scopes: &[&str]) -> Session {
        client.session(AccessToken::new(self.sandbox.mint_token(user, scopes)))
    }

    /// A session with every scope, on a fresh default client.
    pub fn session(&self, user: u64) -> Session {
        self.session_with(&self.client(), user, ALL_SCOPES)
    }

    /// Adds a creator with `traits` and returns its user id.
    pub fn add_creator(&self, traits: CreatorTraits) -> u64 {
        self.sandbox
            .create_creator(traits)
            .expect("create creator")
            .user_id
    }

    /// The sandbox's ground truth for `user`, read over HTTP like any outside checker would.
    pub async fn truth(&self, user: u64) -> Value {
        let url = format!("{}/_sandbox/truth/{user}", self.base);
        let res = self.http.get(url).send().await.expect("truth");
        assert!(res.status().is_success(), "truth: {}", res.status());
        res.json().await.expect("truth json")
    }

    /// Moves the sandbox clock forward.
    pub fn advance(&self, by: Duration) {
        let by = chrono::Duration::from_std(by).expect("duration");
        self.sandbox.clock().advance(by).expect("advance");
    }

    /// The sandbox's current time.
    pub fn now(&self) -> DateTime<Utc> {
        self.sandbox.clock().now()
    }

    /// Installs `rules` with a fixed seed.
    pub fn faults(&self, seed: u64, rules: Vec<FaultRule>) {
        self.sandbox.set_faults(FaultConfig {
            seed,
            latency_ms: 0,
            rules,
        });
    }
}

/// A fault rule for every route ending in `route`.
pub fn rule(route: &str) -> FaultRule {
    FaultRule {
        route: route.to_owned(),
        ..FaultRule::default()
    }
}

/// Every post of the session's user, walked with `limit(100)`.
pub async fn all_posts(session: &Session) -> Vec<Media> {
    session
        .posts(&ListQuery::new().limit(100))
        .try_collect()
        .await
        .expect("posts")
}

/// Removes `null` members recursively, so an omitted field and a `None` compare equal.
pub fn strip_nulls(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, strip_nulls(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(strip_nulls).collect()),
        other => other,
    }
}

/// The fields the sandbox's truth endpoint reports for each post.
pub const TRUTH_FIELDS: &[&str] = &[
    "id",
    "media_type",
    "timestamp",
    "text",
    "permalink",
    "shortcode",
    "topic_tag",
    "link_attachment_url",
    "is_quote_post",
    "quoted_post",
    "reposted_post",
    "children",
    "poll_attachment",
    "gif_url",
    "reply_audience",
    "root_post",
    "replied_to",
];

/// Asserts that the client's decoded media carries exactly the truth's values.
pub fn assert_matches_truth(media: &Media, truth: &Value) {
    let decoded = strip_nulls(serde_json::to_value(media).expect("media json"));
    for field in TRUTH_FIELDS {
        assert_eq!(
            decoded.get(*field),
            truth.get(*field),
            "field {field} of {}",
            media.id
        );
    }
}

/// Asserts an error's class, printing the error when it differs.
#[track_caller]
pub fn assert_class(err: &threads_api::Error, expected: &ErrorClass) {
    let class = err.class();
    let same = match (expected, &class) {
        (ErrorClass::RetryLater { .. }, ErrorClass::RetryLater { .. }) => true,
        (ErrorClass::Invalid { .. }, ErrorClass::Invalid { .. }) => true,
        (a, b) => a == b,
    };
    assert!(same, "expected {expected:?}, got {class:?} from {err}");
}

/// Placeholders for [`assert_class`] where the payload does not matter.
pub fn retry_later() -> ErrorClass {
    ErrorClass::RetryLater {
        after: Duration::ZERO,
    }
}

/// See [`retry_later`].
pub fn invalid() -> ErrorClass {
    ErrorClass::Invalid {
        message: String::new(),
    }
}
