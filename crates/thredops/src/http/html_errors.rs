//! Browsers get pages, never JSON: an error answered to a page request (a navigation or a form
//! post from our HTML) is rendered as the error page, with the same status and headers, whatever
//! handler or extractor produced it. API, webhook, sandbox and ops routes keep their JSON.

use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::state::WebState;

/// Error bodies are a few hundred bytes; anything larger is not one of ours.
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Prefixes whose clients are programs, which get the JSON error as documented.
const MACHINE_PREFIXES: &[&str] = &[
    "/api/", "/mcp", "/hooks/", "/sandbox", "/static/", "/healthz", "/readyz", "/metrics",
];

fn is_page_request(request: &Request) -> bool {
    let path = request.uri().path();
    let accepts_html = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    accepts_html && !MACHINE_PREFIXES.iter().any(|p| path.starts_with(p))
}

fn title(status: StatusCode) -> &'static str {
    match status.as_u16() {
        401 => "Sign in to continue",
        402 => "Not included in your plan",
        403 => "Not allowed",
        404 => "Page not found",
        409 => "That conflicts with something else",
        413 => "That is too large",
        415 | 400 | 422 => "That did not work",
        429 => "Too many attempts",
        s if s >= 500 => "Something went wrong",
        _ => "That did not work",
    }
}

/// Renders JSON error answers to page requests as the HTML error page.
pub async fn pages_answer_html(
    State(state): State<WebState>,
    request: Request,
    next: Next,
) -> Response {
    if !is_page_request(&request) {
        return next.run(request).await;
    }
    let response = next.run(request).await;
    let status = response.status();
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if !(status.is_client_error() || status.is_server_error()) || !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_ERROR_BODY).await else {
        return (parts, Body::empty()).into_response();
    };
    let error: Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let message = error["error"]["message"]
        .as_str()
        .unwrap_or("The request could not be completed.")
        .to_owned();
    let action = match status.as_u16() {
        401 => Some(json!({"href": "/login", "label": "Sign in"})),
        402 => Some(
            json!({"href": error["error"]["upgrade_url"].as_str().unwrap_or("/app/billing"), "label": "See plans"}),
        ),
        // A member refused by their role finds the way to another workspace, not the landing
        // page's sign-up.
        403 if message == crate::domain::RoleRefusal.to_string() => {
            Some(json!({"href": "/app/workspaces", "label": "Your workspaces"}))
        }
        _ => None,
    };
    let page = state.templates.render(
        "error.html",
        json!({"title": title(status), "message": message, "action": action}),
    );
    match page {
        Ok(html) => {
            parts.headers.remove(header::CONTENT_LENGTH);
            parts.headers.insert(
                header::CONTENT_TYPE,
                header::HeaderValue::from_static("text/html; charset=utf-8"),
            );
            (parts, html.0).into_response()
        }
        Err(_) => (parts, Body::from(bytes)).into_response(),
    }
}
