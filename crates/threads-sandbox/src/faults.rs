//! Fault injection and simulated latency, deterministic from a fault seed.

use std::time::Duration;

use axum::body::Body;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::Sandbox;
use crate::errors::ApiError;
use crate::params::UsageSlot;
use crate::usage::Usage;

/// Fault settings: a latency for every API call and per-route fault probabilities.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FaultConfig {
    /// Seed of the fault RNG; the same seed and request order give the same faults.
    pub seed: u64,
    /// Latency added to every API response, in milliseconds.
    pub latency_ms: u64,
    /// Rules; every rule whose route matches is rolled independently.
    pub rules: Vec<FaultRule>,
}

/// Probabilities (0-1) of each fault on the matching routes.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct FaultRule {
    /// `*` for every route, or the end of a route pattern such as `/{id}/threads`,
    /// `/{id}/threads_insights` or `/oauth/access_token`.
    pub route: String,
    /// Only this HTTP method (e.g. `GET`), or every method when unset.
    pub method: Option<String>,
    /// HTTP 429 with a throttling body (code 4).
    pub http_429: f64,
    /// Graph throttling error (code 4, 17 or 613, `is_transient:true`) with `throttle_status`.
    pub throttle: f64,
    /// HTTP status of `throttle` faults: 400 or 403.
    pub throttle_status: u16,
    /// A 500, 502 or 503 with a transient Graph error.
    pub server_error: f64,
    /// Delay the response by `slow_ms`, then answer normally.
    pub slow: f64,
    /// Extra delay of slow responses.
    pub slow_ms: u64,
    /// Hang for `timeout_ms`, then answer 504.
    pub timeout: f64,
    /// How long a timeout hangs.
    pub timeout_ms: u64,
    /// Answer 200 with the real body cut in half (invalid JSON).
    pub malformed_json: f64,
    /// Answer code 190 / 463 as if the token had expired.
    pub expired_token: f64,
    /// Answer code 190 / 460 as if the token had been revoked.
    pub revoked_token: f64,
}

impl Default for FaultRule {
    fn default() -> Self {
        Self {
            route: "*".to_owned(),
            method: None,
            http_429: 0.0,
            throttle: 0.0,
            throttle_status: 400,
            server_error: 0.0,
            slow: 0.0,
            slow_ms: 2_000,
            timeout: 0.0,
            timeout_ms: 120_000,
            malformed_json: 0.0,
            expired_token: 0.0,
            revoked_token: 0.0,
        }
    }
}

/// A fault chosen for one request.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Fault {
    Http429,
    Throttle(u32, StatusCode),
    ServerError(StatusCode),
    Slow(u64),
    Timeout(u64),
    Malformed,
    Expired,
    Revoked,
}

/// The live fault settings and their RNG.
#[derive(Debug)]
pub struct FaultState {
    /// Current settings.
    pub config: FaultConfig,
    rng: ChaCha8Rng,
}

impl FaultState {
    /// Starts from `config`, seeding the RNG.
    pub fn new(config: FaultConfig) -> Self {
        let rng = ChaCha8Rng::seed_from_u64(config.seed);
        Self { config, rng }
    }

    fn roll(&mut self, route: &str, method: &str) -> Option<Fault> {
        let matching: Vec<FaultRule> = self
            .config
            .rules
            .iter()
            .filter(|r| r.route == "*" || route.ends_with(&r.route))
            .filter(|r| {
                r.method
                    .as_deref()
                    .is_none_or(|m| m.eq_ignore_ascii_case(method))
            })
            .cloned()
            .collect();
        for rule in matching {
            let u: f64 = self.rng.random();
            let pick: u32 = self.rng.random_range(0..3);
            let candidates = [
                (rule.http_429, Fault::Http429),
                (
                    rule.throttle,
                    Fault::Throttle(
                        [4, 17, 613][pick as usize],
                        StatusCode::from_u16(rule.throttle_status)
                            .unwrap_or(StatusCode::BAD_REQUEST),
                    ),
                ),
                (
                    rule.server_error,
                    Fault::ServerError(
                        [
                            StatusCode::INTERNAL_SERVER_ERROR,
                            StatusCode::BAD_GATEWAY,
                            StatusCode::SERVICE_UNAVAILABLE,
                        ][pick as usize],
                    ),
                ),
                (rule.slow, Fault::Slow(rule.slow_ms)),
                (rule.timeout, Fault::Timeout(rule.timeout_ms)),
                (rule.malformed_json, Fault::Malformed),
                (rule.expired_token, Fault::Expired),
                (rule.revoked_token, Fault::Revoked),
            ];
            let mut acc = 0.0;
            for (p, fault) in candidates {
                acc += p.max(0.0);
                if u < acc {
                    return Some(fault);
                }
            }
        }
        None
    }
}

/// Middleware for Graph routes: latency, faults and the `X-App-Usage` header.
pub async fn middleware(State(sandbox): State<Sandbox>, mut req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| req.uri().path().to_owned());
    let method = req.method().as_str().to_owned();
    let (latency, fault) = {
        let mut state = sandbox.faults_lock();
        (state.config.latency_ms, state.roll(&route, &method))
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let usage = UsageSlot::default();
    req.extensions_mut().insert(usage.clone());
    let emit_usage = sandbox.config().rate_limit.emit_app_usage;
    let mut response = match fault {
        Some(Fault::Http429) => {
            let e = ApiError::throttled(4, StatusCode::TOO_MANY_REQUESTS);
            return throttled(e, emit_usage);
        }
        Some(Fault::Throttle(code, status)) => {
            return throttled(ApiError::throttled(code, status), emit_usage);
        }
        Some(Fault::ServerError(status)) => return ApiError::server_error(status).into_response(),
        Some(Fault::Expired) => return ApiError::expired_token().into_response(),
        Some(Fault::Revoked) => return ApiError::revoked_token().into_response(),
        Some(Fault::Timeout(ms)) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            return StatusCode::GATEWAY_TIMEOUT.into_response();
        }
        Some(Fault::Slow(ms)) => {
            tokio::time::sleep(Duration::from_millis(ms)).await;
            next.run(req).await
        }
        Some(Fault::Malformed) => return malformed(next.run(req).await).await,
        None => next.run(req).await,
    };
    if let Some(usage) = usage.take() {
        usage.write(response.headers_mut());
    }
    response
}

/// An injected throttling answer. It stands for a spent budget, so its `X-App-Usage` says so
/// (the caller is not known before authentication, so there is no per-user header).
fn throttled(error: ApiError, emit_usage: bool) -> Response {
    let mut response = error.into_response();
    if emit_usage {
        Usage::spent().write(response.headers_mut());
    }
    response
}

async fn malformed(response: Response) -> Response {
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap_or_default();
    let cut = bytes.slice(..bytes.len() / 2);
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(cut))
        .unwrap_or_default()
}
