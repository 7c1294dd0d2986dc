//! Maps the application's error to HTTP: a status per variant and the JSON shape
//! `{"error":{"code","message","fields"?}}`.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

pub use crate::error::{AppError, AppResult, UPGRADE_URL};
use crate::store::StoreError;

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

/// The HTTP status of an application error.
pub fn status(e: &AppError) -> StatusCode {
    match e {
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

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = status(&self);
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
