//! Request parameters from the query string and a form (or JSON) body, merged, as Graph does.

use std::sync::{Arc, Mutex, PoisonError};

use axum::body::Bytes;
use axum::extract::{FromRequest, OriginalUri, Request};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE, HOST};
use serde_json::Value;

use crate::errors::{ApiError, ApiResult};
use crate::usage::Usage;

/// Where the auth step leaves the caller's budget usage for the middleware to emit as
/// `X-App-Usage` and `X-Business-Use-Case-Usage`.
#[derive(Debug, Clone, Default)]
pub struct UsageSlot(pub Arc<Mutex<Option<Usage>>>);

impl UsageSlot {
    /// Stores the usage.
    pub fn set(&self, value: Usage) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some(value);
    }

    /// Takes the usage.
    pub fn take(&self) -> Option<Usage> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner).take()
    }
}

/// All parameters of a request, plus the bearer token and the URL the sandbox is reached at.
#[derive(Debug, Clone, Default)]
pub struct Params {
    pairs: Vec<(String, String)>,
    /// Token from `Authorization: Bearer`.
    pub bearer: Option<String>,
    /// Base URL derived from the request (scheme, host and mount prefix).
    pub request_base: String,
    /// Slot for the `X-App-Usage` header.
    pub usage: UsageSlot,
}

impl Params {
    /// First value of `name`, if any.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A boolean parameter, read as Graph reads every boolean: `true`/`false` in any case, or
    /// `1`/`0`. `None` when absent; anything else is a code 100 error rather than a silent
    /// `false`, so a typo never flips what a call does.
    pub fn bool(&self, name: &str) -> ApiResult<Option<bool>> {
        let Some(raw) = self.get(name) else {
            return Ok(None);
        };
        match raw.trim() {
            "1" => Ok(Some(true)),
            "0" => Ok(Some(false)),
            v if v.eq_ignore_ascii_case("true") => Ok(Some(true)),
            v if v.eq_ignore_ascii_case("false") => Ok(Some(false)),
            _ => Err(ApiError::invalid_param(format!(
                "Param {name} must be a boolean"
            ))),
        }
    }

    /// An optional boolean parameter that defaults to `false`.
    pub fn flag(&self, name: &str) -> ApiResult<bool> {
        Ok(self.bool(name)?.unwrap_or(false))
    }

    /// How often `name` was given.
    pub fn count(&self, name: &str) -> usize {
        self.pairs.iter().filter(|(k, _)| k == name).count()
    }

    /// The access token from the parameters or the bearer header.
    pub fn token(&self) -> Option<&str> {
        self.get("access_token").or(self.bearer.as_deref())
    }

    /// All pairs except the token (used to rebuild paging URLs).
    pub fn without_token(&self) -> impl Iterator<Item = &(String, String)> {
        self.pairs.iter().filter(|(k, _)| k != "access_token")
    }

    /// Builds params from pairs (used by tests and internal calls).
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Self {
            pairs,
            ..Self::default()
        }
    }
}

impl<S: Send + Sync> FromRequest<S> for Params {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let mut pairs: Vec<(String, String)> = parts
            .uri
            .query()
            .map(|q| serde_urlencoded::from_str(q).unwrap_or_default())
            .unwrap_or_default();
        let bearer = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                v.strip_prefix("Bearer ")
                    .or_else(|| v.strip_prefix("OAuth "))
            })
            .map(|t| t.trim().to_owned());
        let content_type = parts
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let host = parts
            .headers
            .get(HOST)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("127.0.0.1")
            .to_owned();
        let full_path = parts
            .extensions
            .get::<OriginalUri>()
            .map_or_else(|| parts.uri.path().to_owned(), |o| o.path().to_owned());
        // When mounted with `nest`, the inner URI lacks the prefix the original one has.
        let prefix = full_path
            .strip_suffix(parts.uri.path())
            .unwrap_or("")
            .trim_end_matches('/');
        // The sandbox's own `/v1.0` nesting is part of the API path, not the mount prefix.
        let prefix = prefix.strip_suffix("/v1.0").unwrap_or(prefix);
        let usage = parts
            .extensions
            .get::<UsageSlot>()
            .cloned()
            .unwrap_or_default();
        let request_base = format!("http://{host}{prefix}");
        let req = Request::from_parts(parts, body);
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::invalid_param("Could not read the request body"))?;
        if !bytes.is_empty() {
            if content_type.starts_with("application/json") {
                if let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(&bytes) {
                    pairs.extend(map.into_iter().map(|(k, v)| match v {
                        Value::String(s) => (k, s),
                        other => (k, other.to_string()),
                    }));
                }
            } else if let Ok(form) = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes) {
                pairs.extend(form);
            }
        }
        Ok(Self {
            pairs,
            bearer,
            request_base,
            usage,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> Params {
        Params::from_pairs(vec![("hide".to_owned(), value.to_owned())])
    }

    #[test]
    fn booleans_accept_any_case_and_digits() {
        for (raw, expected) in [
            ("true", true),
            ("TRUE", true),
            ("True", true),
            ("1", true),
            ("false", false),
            ("False", false),
            ("0", false),
        ] {
            assert_eq!(with(raw).bool("hide").unwrap(), Some(expected), "{raw}");
        }
        assert_eq!(Params::default().bool("hide").unwrap(), None);
        assert!(!Params::default().flag("hide").unwrap());
    }

    #[test]
    fn anything_else_is_a_parameter_error() {
        for raw in ["yes", "", "2", "tru"] {
            let err = with(raw).bool("hide").unwrap_err();
            assert_eq!(err.code, 100, "{raw}");
            assert!(
                err.message.contains("Param hide must be a boolean"),
                "{raw}"
            );
        }
    }
}
