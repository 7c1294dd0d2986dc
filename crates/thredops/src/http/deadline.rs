//! The request deadline: every request is answered 408 once it takes longer than
//! `THREDOPS_REQUEST_TIMEOUT_SECONDS`, except uploads. A 1 GB video over a home connection takes
//! minutes; uploads instead fail when no data arrives for that long (see `media::store_stream`).

use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::state::WebState;

/// The raw-body upload endpoint.
const UPLOAD_PATH: &str = "/api/v1/publishing/media";

/// Runs the request under the deadline unless it is an upload.
pub async fn enforce(State(state): State<WebState>, request: Request, next: Next) -> Response {
    if is_upload(&request) {
        return next.run(request).await;
    }
    match tokio::time::timeout(state.settings.request_timeout, next.run(request)).await {
        Ok(response) => response,
        Err(_) => StatusCode::REQUEST_TIMEOUT.into_response(),
    }
}

/// A file upload: the upload endpoint, or a form sending files (forms without files are
/// url-encoded, and only upload forms accept multipart bodies).
fn is_upload(request: &Request) -> bool {
    if request.method() != Method::POST {
        return false;
    }
    request.uri().path() == UPLOAD_PATH
        || request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;

    fn request(method: Method, path: &str, content_type: Option<&str>) -> Request {
        let mut builder = Request::builder().method(method).uri(path);
        if let Some(ct) = content_type {
            builder = builder.header(header::CONTENT_TYPE, ct);
        }
        builder.body(Body::empty()).unwrap()
    }

    #[test]
    fn only_uploads_escape_the_deadline() {
        assert!(is_upload(&request(Method::POST, UPLOAD_PATH, None)));
        assert!(is_upload(&request(
            Method::POST,
            "/app/schedule/new",
            Some("multipart/form-data; boundary=x")
        )));
        assert!(!is_upload(&request(
            Method::POST,
            "/app/schedule/new",
            Some("application/x-www-form-urlencoded")
        )));
        assert!(!is_upload(&request(Method::GET, UPLOAD_PATH, None)));
        assert!(!is_upload(&request(Method::POST, "/api/v1/me", None)));
    }
}
