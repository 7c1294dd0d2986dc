//! The crate's one error type and its classification.

mod api;
mod class;

use std::time::Duration;

pub use api::ApiError;
pub use class::ErrorClass;
pub(crate) use class::is_throttle;

use crate::secret::redact;
use crate::validation::ValidationError;

/// Everything that can go wrong talking to the Threads API.
///
/// No variant ever holds an access token or app secret: transport errors are stored with their
/// URL removed and the remaining text redacted. Use [`Error::class`] to decide what to do.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Meta answered with an error envelope.
    #[error("Threads API error (HTTP {status}): {api}")]
    Api {
        /// HTTP status of the response.
        status: u16,
        /// The parsed error body (boxed to keep `Result`s small).
        api: Box<ApiError>,
        /// The `Retry-After` header, when sent.
        retry_after: Option<Duration>,
    },
    /// The body was neither the expected JSON nor an error envelope.
    #[error("undecodable response (HTTP {status}): {detail}")]
    Decode {
        /// HTTP status of the response.
        status: u16,
        /// The decoder's complaint and the start of the body, redacted.
        detail: String,
        /// The `Retry-After` header, when sent.
        retry_after: Option<Duration>,
        /// The body ended mid-JSON, as when a connection is cut short: a repeat usually
        /// succeeds. `false` for complete JSON of the wrong shape and for non-JSON bodies.
        truncated: bool,
    },
    /// The request did not complete: connect failure, timeout, broken body.
    #[error("{0}")]
    Transport(#[from] TransportError),
    /// The input broke a documented limit; nothing was sent.
    #[error("invalid request: {0}")]
    Validation(#[from] ValidationError),
    /// The client configuration is unusable (bad base URL, TLS setup failure).
    #[error("invalid client configuration: {0}")]
    Config(String),
}

/// A network-level failure, stored with secrets scrubbed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("network error ({kind:?}) on {path}: {message}")]
pub struct TransportError {
    /// What failed.
    pub kind: TransportKind,
    /// The path that was requested, without host or query string.
    pub path: String,
    /// reqwest's description with the URL removed and secrets redacted.
    pub message: String,
}

/// The stage at which a request failed on the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportKind {
    /// The connection could not be made: nothing reached Meta, so any call may be retried.
    Connect,
    /// The request timed out after (possibly) being sent.
    Timeout,
    /// Anything else: reading the body, protocol errors, redirects refused.
    Other,
}

impl TransportError {
    /// Converts a reqwest error without keeping its URL (which carries `access_token=`).
    pub(crate) fn from_reqwest(err: reqwest::Error, path: &str) -> Self {
        let kind = if err.is_connect() {
            TransportKind::Connect
        } else if err.is_timeout() {
            TransportKind::Timeout
        } else {
            TransportKind::Other
        };
        let err = err.without_url();
        let mut message = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            message.push_str(": ");
            message.push_str(&cause.to_string());
            source = cause.source();
        }
        Self {
            kind,
            path: path.to_owned(),
            message: redact(&message),
        }
    }
}

impl Error {
    /// What the caller should do about this error.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Api {
                status,
                api,
                retry_after,
            } => class::classify_api(*status, api, *retry_after),
            Error::Decode {
                status,
                detail,
                retry_after,
                ..
            } => class::classify_status(*status, *retry_after, detail),
            Error::Transport(_) => ErrorClass::RetryLater {
                after: class::TRANSIENT_DEFAULT_WAIT,
            },
            Error::Validation(v) => ErrorClass::Invalid {
                message: v.to_string(),
            },
            Error::Config(m) => ErrorClass::Invalid { message: m.clone() },
        }
    }

    /// Whether waiting and trying again may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self.class(), ErrorClass::RetryLater { .. })
    }

    /// Meta's error body, when there was one.
    pub fn api_error(&self) -> Option<&ApiError> {
        match self {
            Error::Api { api, .. } => Some(api),
            _ => None,
        }
    }

    /// The HTTP status, when a response arrived.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The server's `Retry-After`, when it sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Api { retry_after, .. } | Error::Decode { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    /// Builds a decode error with a short, redacted excerpt of the body.
    pub(crate) fn decode(
        status: u16,
        err: &serde_json::Error,
        body: &[u8],
        retry_after: Option<Duration>,
    ) -> Self {
        const EXCERPT: usize = 200;
        let text = String::from_utf8_lossy(body);
        let excerpt: String = text.chars().take(EXCERPT).collect();
        let truncated = matches!(
            serde_json::from_slice::<serde::de::IgnoredAny>(body),
            Err(e) if e.is_eof() && !body.is_empty()
        );
        Error::Decode {
            status,
            detail: redact(&format!("{err}; body starts {excerpt:?}")),
            retry_after,
            truncated,
        }
    }
}

/// Shorthand for results in this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;
