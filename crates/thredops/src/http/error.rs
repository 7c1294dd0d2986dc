//! The one error type of the HTTP layer and its JSON shape `{"error":{"code","message","fields"?}}`.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

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
        /// The limit reached: `strategist`, `audits` or `history_days`.
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

/// A request body that broke off: the client went away or sent something unreadable.
impl From<axum::Error> for AppError {
    fn from(_: axum::Error) -> Self {
        AppError::BadRequest("The upload was interrupted before it finished. Try again.".into())
    }
}

impl From<axum::extract::multipart::MultipartError> for AppError {
    fn from(e: axum::extract::multipart::MultipartError) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::PayloadTooLarge
        } else {
            AppError::BadRequest(format!("The form could not be read: {}", e.body_text()))
        }
    }
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

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized | AppError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::PlanLimit { .. } => StatusCode::PAYMENT_REQUIRED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Store(StoreError::NotFound) => StatusCode::NOT_FOUND,
            AppError::Store(StoreError::Conflict) => StatusCode::CONFLICT,
            AppError::Store(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
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

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        if status.is_server_error() {
            // Logged once here, inside the request span; the body stays generic.
            tracing::error!(error = ?self, "request failed");
        }
        let mut body = json!({"error": {"code": self.code(), "message": self.public_message()}});
        match &self {
            AppError::Validation { fields, .. } => body["error"]["fields"] = json!(fields),
            AppError::PlanLimit { limit, plan, .. } => {
                body["error"]["limit"] = json!(limit);
                body["error"]["plan"] = json!(plan);
                body["error"]["upgrade_url"] = json!(UPGRADE_URL);
            }
            _ => {}
        }
        let mut response = (status, axum::Json(body)).into_response();
        if let AppError::RateLimited(wait) = &self {
            let secs = wait.as_secs().max(1).to_string();
            if let Ok(v) = HeaderValue::from_str(&secs) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

/// Result alias for handlers.
pub type AppResult<T> = Result<T, AppError>;
