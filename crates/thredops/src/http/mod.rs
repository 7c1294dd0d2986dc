//! The HTTP layer: routes, middleware, error mapping.

pub mod api;
mod assets;
pub mod cookies;
mod deadline;
mod download;
pub(crate) mod error;
pub(crate) mod guards;
mod html_errors;
pub(crate) mod json;
mod mcp;
pub(crate) mod metrics;
mod ops;
mod pages;
pub(crate) mod query;
pub(crate) mod security;
pub(crate) mod session;
pub(crate) mod state;
pub(crate) mod templates;

use std::any::Any;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, StatusCode, header};
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnFailure, TraceLayer};

use error::AppError;
use state::WebState;

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The whole application router with its middleware.
pub fn router(state: WebState) -> Router {
    let routes = Router::new()
        .merge(pages::router())
        .merge(api::router())
        .merge(mcp::router())
        .merge(ops::router())
        .merge(assets::router())
        .route_layer(from_fn_with_state(state.clone(), metrics::track))
        .fallback(not_found);
    // The built-in Threads sandbox answers in this process, under /sandbox, in sandbox mode.
    let routes = match &state.threads.sandbox {
        Some(sandbox) => routes.nest_service(
            crate::threads::SANDBOX_PREFIX,
            sandbox.router().layer(axum::middleware::from_fn_with_state(
                state.clone(),
                security::sandbox_admin_only_locally,
            )),
        ),
        None => routes,
    };

    let trace = TraceLayer::new_for_http().make_span_with(|request: &Request| {
        let request_id = request.headers().get(REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
        // The path only: query strings can carry OAuth codes and states.
        tracing::info_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %request_id)
    })
    // Our own failures are logged with their cause by AppError; the sandbox's 5xx are mostly
    // injected faults. A second, causeless ERROR line per 5xx would only bury the real ones.
    .on_failure(DefaultOnFailure::new().level(tracing::Level::DEBUG));

    routes
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::new(REQUEST_ID, MakeRequestUuid))
                .layer(trace)
                .layer(PropagateRequestIdLayer::new(REQUEST_ID))
                .layer(axum::middleware::from_fn(reader_locale))
                .layer(from_fn_with_state(state.clone(), security::headers))
                .layer(from_fn_with_state(
                    state.clone(),
                    html_errors::pages_answer_html,
                ))
                .layer(CatchPanicLayer::custom(panic_response))
                .layer(from_fn_with_state(state.clone(), deadline::enforce))
                .layer(from_fn_with_state(
                    state.clone(),
                    security::same_origin_writes,
                ))
                .layer(DefaultBodyLimit::max(state.settings.max_body_bytes)),
        )
        .with_state(state)
}

/// Answers the request in the reader's locale (numbers' separators), from `Accept-Language`.
async fn reader_locale(request: Request, next: axum::middleware::Next) -> Response {
    let locale = request
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .map(crate::domain::format::Locale::from_accept_language)
        .unwrap_or_default();
    crate::domain::format::with_locale(locale, next.run(request)).await
}

fn panic_response(_: Box<dyn Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    AppError::Internal(anyhow::anyhow!("handler panicked")).into_response()
}

/// 404 as an HTML page for browsers, JSON for the API and other clients.
async fn not_found(State(state): State<WebState>, request: Request) -> Response {
    let wants_html = !request.uri().path().starts_with("/api/")
        && request
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"));
    if wants_html {
        let page = state.templates.render(
            "error.html",
            serde_json::json!({"title": "Page not found", "message": "There is nothing at this address. It may have moved, or the link may be mistyped."}),
        );
        return match page {
            Ok(html) => (StatusCode::NOT_FOUND, html).into_response(),
            Err(e) => e.into_response(),
        };
    }
    AppError::NotFound.into_response()
}
