//! Operations endpoints: liveness, readiness, metrics.

use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use super::error::AppError;
use super::state::WebState;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is up and serving.
async fn healthz() -> &'static str {
    "ok"
}

/// The database answers; a load balancer sends traffic only when this is 200.
async fn readyz(State(state): State<WebState>) -> Response {
    match crate::services::health::ping(&state).await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            AppError::Store(e).into_response()
        }
    }
}

/// Metrics answer a scraper holding `THREDOPS_METRICS_TOKEN` as a bearer token; without that
/// setting, only this machine. They name routes, queue depths and pool sizes: enough to map a
/// deployment, so never the public.
async fn metrics(State(state): State<WebState>, request: axum::extract::Request) -> Response {
    let (parts, _) = request.into_parts();
    let allowed = match &state.settings.metrics_token {
        Some(token) => parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "))
            .is_some_and(|given| {
                subtle::ConstantTimeEq::ct_eq(given.as_bytes(), token.expose().as_bytes()).into()
            }),
        None => super::security::is_local(&parts),
    };
    if !allowed {
        let mut response = AppError::Unauthorized.into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            axum::http::HeaderValue::from_static("Bearer realm=\"metrics\""),
        );
        return response;
    }
    let mut body = state
        .metrics
        .render(crate::services::health::pool_stats(&state));
    // Both registries end with "# EOF"; keep one, at the very end.
    if let Some(stripped) = body.strip_suffix("# EOF\n") {
        body = stripped.to_owned();
    }
    state.job_metrics.encode(&mut body);
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        body,
    )
        .into_response()
}
