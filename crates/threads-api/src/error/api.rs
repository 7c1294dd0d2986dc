//! Meta's error bodies, in both shapes the API uses.

use std::fmt;

use serde::Deserialize;

/// An error reported by Meta in a response body.
///
/// Parsed from either envelope:
/// - Graph: `{"error":{"message","type","code","error_subcode","is_transient","error_user_title","error_user_msg","fbtrace_id"}}`
/// - flat (token endpoints): `{"error_type","code","error_message"}` (also `error_code`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ApiError {
    /// Meta's developer-facing message.
    pub message: String,
    /// `type`/`error_type`, e.g. `OAuthException` or `THApiException`.
    pub kind: Option<String>,
    /// The numeric error code (`190`, `100`, `24`, ...).
    pub code: Option<i64>,
    /// The error subcode (`4279009`, `33`, `463`, ...).
    pub subcode: Option<i64>,
    /// Meta's hint that retrying may succeed.
    pub is_transient: Option<bool>,
    /// Localised title meant for the end user.
    pub user_title: Option<String>,
    /// Localised message meant for the end user.
    pub user_message: Option<String>,
    /// Meta's trace id, for support requests.
    pub fbtrace_id: Option<String>,
}

impl ApiError {
    /// Parses an error body in either envelope; `None` if the body is neither.
    pub fn from_body(body: &[u8]) -> Option<Self> {
        match serde_json::from_slice::<Envelope>(body).ok()? {
            Envelope::Graph { error } => Some(Self {
                message: error.message.unwrap_or_default(),
                kind: error.kind,
                code: error.code,
                subcode: error.error_subcode,
                is_transient: error.is_transient,
                user_title: error.error_user_title,
                user_message: error.error_user_msg,
                fbtrace_id: error.fbtrace_id,
            }),
            Envelope::Flat(flat) => Some(Self {
                message: flat.error_message,
                kind: flat.error_type,
                code: flat.code.or(flat.error_code),
                subcode: flat.error_subcode,
                fbtrace_id: flat.fbtrace_id,
                ..Self::default()
            }),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(kind) = &self.kind {
            write!(f, "{kind} ")?;
        }
        match (self.code, self.subcode) {
            (Some(code), Some(sub)) => write!(f, "code {code}/{sub}: ")?,
            (Some(code), None) => write!(f, "code {code}: ")?,
            _ => {}
        }
        f.write_str(&self.message)
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Envelope {
    Graph { error: GraphError },
    Flat(FlatError),
}

#[derive(Deserialize)]
struct GraphError {
    message: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default, deserialize_with = "crate::lenient::int")]
    code: Option<i64>,
    #[serde(default, deserialize_with = "crate::lenient::int")]
    error_subcode: Option<i64>,
    is_transient: Option<bool>,
    error_user_title: Option<String>,
    error_user_msg: Option<String>,
    fbtrace_id: Option<String>,
}

#[derive(Deserialize)]
struct FlatError {
    error_message: String,
    error_type: Option<String>,
    #[serde(default, deserialize_with = "crate::lenient::int")]
    code: Option<i64>,
    #[serde(default, deserialize_with = "crate::lenient::int")]
    error_code: Option<i64>,
    #[serde(default, deserialize_with = "crate::lenient::int")]
    error_subcode: Option<i64>,
    fbtrace_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_graph_envelope_keeps_every_field() {
        let body = br#"{"error":{"message":"The requested resource does not exist","type":"OAuthException","code":24,"error_subcode":4279009,"is_transient":false,"error_user_title":"Media Not Found","error_user_msg":"The media cannot be found.","fbtrace_id":"Abc"}}"#;
        let e = ApiError::from_body(body).unwrap();
        assert_eq!(e.code, Some(24));
        assert_eq!(e.subcode, Some(4279009));
        assert_eq!(e.is_transient, Some(false));
        assert_eq!(e.user_title.as_deref(), Some("Media Not Found"));
        assert_eq!(e.fbtrace_id.as_deref(), Some("Abc"));
    }

    #[test]
    fn the_flat_envelope_is_understood() {
        let body = br#"{"error_type":"OAuthException","code":400,"error_message":"Matching code was not found or was already used"}"#;
        let e = ApiError::from_body(body).unwrap();
        assert_eq!(e.kind.as_deref(), Some("OAuthException"));
        assert_eq!(e.code, Some(400));
        assert!(e.message.starts_with("Matching code"));
    }

    #[test]
    fn bodies_in_neither_shape_are_not_errors() {
        assert!(ApiError::from_body(b"<html>").is_none());
        assert!(ApiError::from_body(br#"{"id":"1"}"#).is_none());
        assert!(ApiError::from_body(br#"{"error":"nope"}"#).is_none());
    }
}
