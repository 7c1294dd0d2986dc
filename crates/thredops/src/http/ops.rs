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
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            AppError::Store(e).into_response()
        }
    }
}

async fn metrics(State(state): State<WebState>) -> Response {
    let mut body = state.metrics.render(state.store.pool_stats());
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
