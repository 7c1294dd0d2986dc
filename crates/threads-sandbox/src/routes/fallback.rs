//! Answers for paths and methods the sandbox does not serve: Graph's error envelope (code 100,
//! subcode 33, §6.1) with 404 or 405, never an empty body, so clients parse them like any
//! other refusal.

use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

use crate::errors::ApiError;

/// An unknown path or edge (`/me/nonsense`, an unknown API version).
pub async fn unknown_path(method: Method, uri: Uri) -> Response {
    unsupported(&method, &uri, StatusCode::NOT_FOUND)
}

/// A served path asked with a method it does not take (`PUT /me/threads`).
pub async fn wrong_method(method: Method, uri: Uri) -> Response {
    unsupported(&method, &uri, StatusCode::METHOD_NOT_ALLOWED)
}

fn unsupported(method: &Method, uri: &Uri, status: StatusCode) -> Response {
    let method = method.as_str().to_ascii_lowercase();
    let mut error = ApiError::unsupported_method(&method, object_id(uri.path()));
    error.status = status;
    error.into_response()
}

/// The object a path addresses, as Graph names it in the message: the first segment after an
/// optional version.
fn object_id(path: &str) -> &str {
    let mut segments = path.split('/').filter(|s| !s.is_empty());
    match segments.next() {
        Some(version) if version.starts_with('v') && version[1..].contains('.') => {
            segments.next().unwrap_or(version)
        }
        Some(first) => first,
        None => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_object_is_the_first_segment_after_the_version() {
        assert_eq!(object_id("/v1.0/me/nonsense"), "me");
        assert_eq!(object_id("/v2.0/me/threads"), "me");
        assert_eq!(object_id("/123/threads"), "123");
        assert_eq!(object_id("/"), "/");
    }
}
