//! The HTTP core: one reqwest client, URL building, the retry loop and the call counter.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use reqwest::{Method, StatusCode, header};
use serde::de::DeserializeOwned;
use url::Url;

use crate::config::{ClientBuilder, ClientConfig};
use crate::error::{ApiError, Error, Result, TransportError};
use crate::ids::UserId;
use crate::retry::{Idempotency, Retrier};
use crate::secret::AccessToken;
use crate::session::Session;
use crate::usage::AppUsage;

/// A Threads API client. Cheap to clone; clones share the connection pool and call counter.
#[derive(Clone, Debug)]
pub struct ThreadsClient {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    config: ClientConfig,
    calls: AtomicU64,
    /// The newest `X-App-Usage` any response carried.
    usage: Mutex<Option<AppUsage>>,
}

impl ThreadsClient {
    /// A client for the real API with default settings.
    pub fn new() -> Result<Self> {
        ClientBuilder::default().build()
    }

    /// Starts configuring a client (base URLs, timeouts, retries).
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    pub(crate) fn from_config(config: ClientConfig) -> Result<Self> {
        let http = reqwest::Client::builder()
            // Never follow redirects: a redirect could carry the token to another host.
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(config.connect_timeout)
            .timeout(config.request_timeout)
            .user_agent(config.user_agent.clone())
            .build()
            .map_err(|e| Error::Config(format!("HTTP client: {}", e.without_url())))?;
        Ok(Self {
            inner: Arc::new(Inner {
                http,
                config,
                calls: AtomicU64::new(0),
                usage: Mutex::new(None),
            }),
        })
    }

    /// The settings this client was built with.
    pub fn config(&self) -> &ClientConfig {
        &self.inner.config
    }

    /// HTTP attempts made so far, retries included, for budgeting against Meta's call limits.
    pub fn calls_made(&self) -> u64 {
        self.inner.calls.load(Ordering::Relaxed)
    }

    /// The usage of the call budget Meta reported last (`X-App-Usage`), from any response,
    /// errors and throttling answers included; `None` until a response carried it.
    pub fn app_usage(&self) -> Option<AppUsage> {
        *self
            .inner
            .usage
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// A handle for calls made with a user's token, acting as `me`.
    pub fn session(&self, token: AccessToken) -> Session {
        Session::new(self.clone(), token, UserId::me())
    }

    /// A Graph URL: base, optional version prefix, then `segments`, each percent-encoded.
    pub(crate) fn graph_url(&self, versioned: bool, segments: &[&str]) -> Url {
        let mut url = self.inner.config.graph_base.clone();
        // `graph_base` is checked to be http(s) with a host, so it always has path segments.
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty();
            if versioned && let Some(v) = &self.inner.config.api_version {
                path.push(v);
            }
            path.extend(segments);
        }
        url
    }

    /// Whether `url` points at the configured Graph origin (used before following `paging.next`).
    pub(crate) fn is_graph_origin(&self, url: &Url) -> bool {
        url.origin() == self.inner.config.graph_base.origin()
    }

    /// Runs a call with retries and decodes the JSON body as `T`.
    pub(crate) async fn call<T: DeserializeOwned>(&self, call: &Call) -> Result<T> {
        let mut retrier = Retrier::new(&self.inner.config.retry, call.idempotency);
        loop {
            retrier.start_attempt();
            let err = match self.attempt(call).await {
                Ok(value) => return Ok(value),
                Err(err) => err,
            };
            match retrier.next_delay(&err) {
                Some(delay) => {
                    tracing::warn!(path = call.url.path(), error = %err, ?delay, "retrying Threads API call");
                    tokio::time::sleep(delay).await;
                }
                None => return Err(err),
            }
        }
    }

    async fn attempt<T: DeserializeOwned>(&self, call: &Call) -> Result<T> {
        self.inner.calls.fetch_add(1, Ordering::Relaxed);
        let path = call.url.path();
        let mut query = call.query.clone();
        let mut form = call.form.clone();
        if let Some(token) = &call.token {
            // POST bodies keep the token out of URLs (and so out of proxies' logs).
            let target = if call.method == Method::POST {
                &mut form
            } else {
                &mut query
            };
            target.push(("access_token".into(), token.expose().to_owned()));
        }
        let mut request = self
            .inner
            .http
            .request(call.method.clone(), call.url.clone());
        if !query.is_empty() {
            request = request.query(&query);
        }
        if call.method == Method::POST {
            request = request.form(&form);
        }
        let response = request
            .send()
            .await
            .map_err(|e| TransportError::from_reqwest(e, path))?;
        let status = response.status();
        let retry_after = parse_retry_after(response.headers());
        self.note_usage(response.headers());
        let body = response
            .bytes()
            .await
            .map_err(|e| TransportError::from_reqwest(e, path))?;
        tracing::debug!(method = %call.method, path, status = status.as_u16(), "Threads API response");
        decode(status, &body, retry_after)
    }
}

impl ThreadsClient {
    fn note_usage(&self, headers: &header::HeaderMap) {
        let usage = headers
            .get("x-app-usage")
            .and_then(|v| v.to_str().ok())
            .and_then(AppUsage::from_header);
        if let Some(usage) = usage {
            *self
                .inner
                .usage
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = Some(usage);
        }
    }
}

fn decode<T: DeserializeOwned>(
    status: StatusCode,
    body: &[u8],
    retry_after: Option<Duration>,
) -> Result<T> {
    let code = status.as_u16();
    if status.is_success() {
        return serde_json::from_slice(body).map_err(|e| match ApiError::from_body(body) {
            Some(api) => Error::Api {
                status: code,
                api: Box::new(api),
                retry_after,
            },
            None => Error::decode(code, &e, body, retry_after),
        });
    }
    match ApiError::from_body(body) {
        Some(api) => Err(Error::Api {
            status: code,
            api: Box::new(api),
            retry_after,
        }),
        None => {
            let err = serde_json::from_slice::<serde_json::Value>(body)
                .err()
                .unwrap_or_else(|| serde::de::Error::custom("not an error envelope"));
            Err(Error::decode(code, &err, body, retry_after))
        }
    }
}

/// Reads `Retry-After` in delay-seconds form; the HTTP-date form is ignored.
fn parse_retry_after(headers: &header::HeaderMap) -> Option<Duration> {
    let raw = headers.get(header::RETRY_AFTER)?.to_str().ok()?;
    raw.trim().parse::<u64>().ok().map(Duration::from_secs)
}

/// One logical API call, possibly attempted several times.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    method: Method,
    url: Url,
    query: Vec<(String, String)>,
    form: Vec<(String, String)>,
    token: Option<AccessToken>,
    idempotency: Idempotency,
}

impl Call {
    /// A call that is safe to repeat.
    pub(crate) fn new(method: Method, url: Url) -> Self {
        Self {
            method,
            url,
            query: Vec::new(),
            form: Vec::new(),
            token: None,
            idempotency: Idempotency::Safe,
        }
    }

    /// Marks the call as not safe to repeat blindly.
    pub(crate) fn unsafe_to_repeat(mut self) -> Self {
        self.idempotency = Idempotency::Unsafe;
        self
    }

    /// Authenticates with `token` (query for GET/DELETE, form body for POST).
    pub(crate) fn token(mut self, token: &AccessToken) -> Self {
        self.token = Some(token.clone());
        self
    }

    /// Adds a query parameter.
    pub(crate) fn query(mut self, key: &str, value: impl Into<String>) -> Self {
        self.query.push((key.to_owned(), value.into()));
        self
    }

    /// Adds query parameters.
    pub(crate) fn queries(mut self, pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        self.query.extend(pairs);
        self
    }

    /// Adds form parameters (POST only).
    pub(crate) fn form(mut self, pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        self.form.extend(pairs);
        self
    }
}
