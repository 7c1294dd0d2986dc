//! The application's one error type: what a product area can fail with, in product terms.
//! The web layer maps each variant to a status and a JSON or HTML answer (`http::error`).

use std::collections::BTreeMap;
use std::time::Duration;

use crate::store::StoreError;

/// Where a user raises their plan's limits.
pub const UPGRADE_URL: &str = "/app/billing";

/// Everything a handler can fail with; each variant maps to one status.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the request is malformed.
    #[error("{0}")]
    BadRequest(String),
    /// 401: no valid session.
    #[error("Sign in to continue.")]
    Unauthorized,
    /// 401: the email or password is wrong (one answer for both, so accounts cannot be probed).
    #[error("The email or password is incorrect.")]
    InvalidCredentials,
    /// 403: authenticated or not, this is not allowed.
    #[error("{0}")]
    Forbidden(&'static str),
    /// 404: nothing here (also for other users' resources).
    #[error("Not found.")]
    NotFound,
    /// 402: the user's plan does not include this; the body names the limit, the plan and where
    /// to upgrade.
    #[error("{message}")]
    PlanLimit {
        /// The limit reached: `profiles`, `strategist`, `audits` or `history_days`.
        limit: &'static str,
        /// The name of the plan in force.
        plan: String,
        /// What is refused and the way out.
        message: String,
    },
    /// 409: conflicts with existing state.
    #[error("{0}")]
    Conflict(String),
    /// 413: the body is too large.
    #[error("The request body is too large.")]
    PayloadTooLarge,
    /// 415: wrong content type.
    #[error("{0}")]
    UnsupportedMediaType(&'static str),
    /// 422: well-formed but invalid input, with a message per field.
    #[error("{message}")]
    Validation {
        /// Summary.
        message: String,
        /// Field name -> what is wrong with it.
        fields: BTreeMap<String, String>,
    },
    /// 429: slow down.
    #[error("Too many attempts. Try again in {} seconds.", .0.as_secs().max(1))]
    RateLimited(Duration),
    /// 5xx from storage.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// 500: anything else; the cause is logged, never sent.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl AppError {
    /// A validation error about one field.
    pub fn field(name: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        AppError::Validation {
            message: message.clone(),
            fields: BTreeMap::from([(name.to_owned(), message)]),
        }
    }

    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthorized => "unauthorized",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::Forbidden(_) => "forbidden",
            AppError::NotFound | AppError::Store(StoreError::NotFound) => "not_found",
            AppError::PlanLimit { .. } => "plan_limit",
            AppError::Conflict(_) | AppError::Store(StoreError::Conflict) => "conflict",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Validation { .. } => "validation_failed",
            AppError::RateLimited(_) => "rate_limited",
            AppError::Store(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// The message safe to show: server-side failures get a generic sentence.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Store(StoreError::NotFound) => "Not found.".into(),
            AppError::Store(StoreError::Conflict) => "That already exists.".into(),
            AppError::Store(_) => "The service is briefly unavailable. Please try again.".into(),
            AppError::Internal(_) => "Something went wrong on our side. Please try again.".into(),
            other => other.to_string(),
        }
    }
}

/// A storage failure inside the vault is a storage failure (503, "try again"); a value that
/// cannot be opened is our fault (500).
impl From<crate::crypto::VaultError> for AppError {
    fn from(e: crate::crypto::VaultError) -> Self {
        match e {
            crate::crypto::VaultError::Store(e) => AppError::Store(e),
            other => AppError::Internal(other.into()),
        }
    }
}

/// Result alias for product-area operations.
pub type AppResult<T> = Result<T, AppError>;

impl From<crate::domain::RoleRefusal> for AppError {
    fn from(_: crate::domain::RoleRefusal) -> Self {
        AppError::Forbidden("Your role in this workspace does not allow this.")
    }
}
