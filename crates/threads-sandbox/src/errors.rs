//! Graph API error responses, in the envelopes Threads uses (§6.1 of the reference).
//!
//! Messages follow Meta's two habits. Graph's generic exceptions (parameter errors, missing
//! permissions, throttling) prefix the message with the code, as in
//! `(#100) Param limit must be a positive integer`; [`ApiError::graph_generic`] builds those.
//! Messages the reference quotes from real Threads answers keep exactly the quoted text, with
//! no prefix: "Unsupported get request. ..." (100/33), "Tried accessing nonexisting field (..)"
//! (observed THApiException), "The requested resource does not exist" (24/4279009),
//! "Error validating access token: ..." (190), and the flat code-exchange error.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use rand::Rng;
use serde_json::{Value, json};

/// An error answered in the Graph envelope `{"error":{..}}`, or the flat OAuth shape.
#[derive(Debug, Clone)]
pub struct ApiError {
    /// HTTP status (Graph uses 400 for almost everything).
    pub status: StatusCode,
    /// Human-readable `message`.
    pub message: String,
    /// `type`: `THApiException` or `OAuthException`.
    pub kind: &'static str,
    /// Graph `code`.
    pub code: u32,
    /// Graph `error_subcode`, if any.
    pub subcode: Option<u32>,
    /// `is_transient`, if the error states it.
    pub is_transient: Option<bool>,
    /// `error_user_title` and `error_user_msg`, if any.
    pub user: Option<(String, String)>,
    /// Use the flat `{"error_type","code","error_message"}` shape of the code exchange.
    pub flat: bool,
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    fn new(code: u32, kind: &'static str, message: impl Into<String>) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            kind,
            code,
            subcode: None,
            is_transient: None,
            user: None,
            flat: false,
        }
    }

    /// A Graph generic exception: the message carries Graph's `(#code) ` prefix.
    pub fn graph_generic(code: u32, kind: &'static str, message: impl AsRef<str>) -> Self {
        Self::new(code, kind, format!("(#{code}) {}", message.as_ref()))
    }

    /// Code 100: bad parameter, as `(#100) <message>`.
    pub fn invalid_param(message: impl AsRef<str>) -> Self {
        Self::graph_generic(100, "THApiException", message)
    }

    /// Code 100 for a field the object does not have, verbatim as observed from Threads
    /// (no prefix), e.g. `status` on a published post's media id.
    pub fn nonexisting_field(field: &str) -> Self {
        Self::new(
            100,
            "THApiException",
            format!("Tried accessing nonexisting field ({field})"),
        )
    }

    /// Code 100 / 33: unknown id, missing permission or unsupported operation.
    pub fn unknown_object(id: &str) -> Self {
        let mut e = Self::new(
            100,
            "THApiException",
            format!(
                "Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation"
            ),
        );
        e.subcode = Some(33);
        e
    }

    /// Code 100 / 33 for a non-GET method.
    pub fn unsupported_method(method: &str, id: &str) -> Self {
        let mut e = Self::unknown_object(id);
        e.message = e.message.replacen("get", method, 1);
        e
    }

    /// Code 10: the token lacks the scope this endpoint needs (Graph generic).
    pub fn missing_scope(scope: &str) -> Self {
        Self::graph_generic(
            10,
            "OAuthException",
            format!("Application does not have permission for this action (requires {scope})"),
        )
    }

    /// Code 190 without a token at all.
    pub fn no_token() -> Self {
        Self::new(
            190,
            "OAuthException",
            "An active access token must be used to query information about the current user.",
        )
    }

    /// Code 190: the token is not one the sandbox issued.
    pub fn malformed_token() -> Self {
        Self::new(
            190,
            "OAuthException",
            "Invalid OAuth access token - Cannot parse access token",
        )
    }

    /// Code 190 / 463: the token has expired.
    pub fn expired_token() -> Self {
        let mut e = Self::new(
            190,
            "OAuthException",
            "Error validating access token: Session has expired.",
        );
        e.subcode = Some(463);
        e
    }

    /// Code 190 / 460: the token was invalidated (revoked).
    pub fn revoked_token() -> Self {
        let mut e = Self::new(
            190,
            "OAuthException",
            "Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.",
        );
        e.subcode = Some(460);
        e
    }

    /// Code 24 / 4279009, the exact error for publishing a container that is not ready.
    pub fn media_not_found(id: &str) -> Self {
        let mut e = Self::new(
            24,
            "OAuthException",
            "The requested resource does not exist",
        );
        e.subcode = Some(4_279_009);
        e.is_transient = Some(false);
        e.user = Some((
            "Media Not Found".to_owned(),
            format!("The media with id {id} cannot be found."),
        ));
        e
    }

    /// A throttling error with code 4, 17 or 613 (Graph generic; `is_transient:true`).
    pub fn throttled(code: u32, status: StatusCode) -> Self {
        let message = match code {
            17 => "User request limit reached",
            613 => "Calls to this api have exceeded the rate limit.",
            _ => "Application request limit reached",
        };
        let mut e = Self::graph_generic(code, "OAuthException", message);
        e.status = status;
        e.is_transient = Some(true);
        e
    }

    /// Replaces the message of a Graph generic error, keeping its `(#code) ` prefix.
    pub fn with_generic_message(mut self, message: &str) -> Self {
        self.message = format!("(#{}) {message}", self.code);
        self
    }

    /// A transient server error (Graph code 2).
    pub fn server_error(status: StatusCode) -> Self {
        let mut e = Self::new(
            2,
            "OAuthException",
            "An unexpected error has occurred. Please retry your request later.",
        );
        e.status = status;
        e.is_transient = Some(true);
        e
    }

    /// The flat error of the code exchange for an unknown, expired or reused code.
    pub fn code_not_found() -> Self {
        let mut e = Self::new(
            400,
            "OAuthException",
            "Matching code was not found or was already used",
        );
        e.flat = true;
        e
    }

    /// Code 1: wrong client credentials on a token endpoint.
    pub fn bad_client() -> Self {
        Self::new(1, "OAuthException", "Error validating client secret.")
    }

    /// Adds a subcode.
    pub fn with_subcode(mut self, subcode: u32) -> Self {
        self.subcode = Some(subcode);
        self
    }

    /// Adds `error_user_title` / `error_user_msg`.
    pub fn with_user_message(mut self, title: &str, msg: &str) -> Self {
        self.user = Some((title.to_owned(), msg.to_owned()));
        self
    }

    /// The JSON body of this error.
    pub fn body(&self) -> Value {
        if self.flat {
            return json!({"error_type": self.kind, "code": self.code, "error_message": self.message});
        }
        let mut inner = json!({"message": self.message, "type": self.kind, "code": self.code});
        if let Some(sub) = self.subcode {
            inner["error_subcode"] = json!(sub);
        }
        if let Some(t) = self.is_transient {
            inner["is_transient"] = json!(t);
        }
        if let Some((title, msg)) = &self.user {
            inner["error_user_title"] = json!(title);
            inner["error_user_msg"] = json!(msg);
        }
        inner["fbtrace_id"] = json!(fbtrace_id());
        json!({ "error": inner })
    }
}

/// A random-looking trace id like Graph's.
fn fbtrace_id() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    let mut rng = rand::rng();
    (0..23)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body())).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generic_exceptions_carry_the_code_prefix() {
        assert_eq!(
            ApiError::invalid_param("Param limit must be a positive integer").message,
            "(#100) Param limit must be a positive integer"
        );
        assert!(
            ApiError::missing_scope("threads_delete")
                .message
                .starts_with("(#10) ")
        );
        for code in [4, 17, 613] {
            let e = ApiError::throttled(code, StatusCode::BAD_REQUEST);
            assert!(
                e.message.starts_with(&format!("(#{code}) ")),
                "{}",
                e.message
            );
        }
    }

    #[test]
    fn quoted_messages_stay_verbatim() {
        assert_eq!(
            ApiError::nonexisting_field("status").message,
            "Tried accessing nonexisting field (status)"
        );
        assert_eq!(
            ApiError::media_not_found("1").message,
            "The requested resource does not exist"
        );
        assert!(
            ApiError::unknown_object("zuck")
                .message
                .starts_with("Unsupported get request. Object with ID 'zuck'")
        );
        assert!(
            ApiError::expired_token()
                .message
                .starts_with("Error validating access token")
        );
        assert_eq!(
            ApiError::code_not_found().message,
            "Matching code was not found or was already used"
        );
    }
}
