//! Reading the composer's submission: url-encoded without files, or multipart when files were
//! chosen in a browser without JavaScript. Files stream to disk as they arrive; a file Threads
//! would refuse is reported beside the media field while everything else typed is kept.

use axum::Form;
use axum::body::Body;
use axum::extract::{FromRequest, Multipart, Request};
use axum::http::header;
use futures_util::StreamExt;
use serde_json::{Map, Value};

use super::ComposeForm;
use crate::http::error::{AppError, AppResult};
use crate::http::pages::account::require_session_csrf;
use crate::http::session::AuthUser;
use crate::http::state::WebState;
use crate::publishing::media;

/// Name of the form's file input.
const FILES_FIELD: &str = "files";
/// A carousel holds at most 20 items.
const MAX_FILES: usize = 20;
/// Longest text field accepted in a multipart form (the longest real one is a 500-character post).
const MAX_TEXT_FIELD_BYTES: usize = 64 * 1024;

/// What the browser sent.
pub(super) struct Submission {
    /// The fields, with the ids of files stored from this submission added to `media`.
    pub form: ComposeForm,
    /// Files refused, one line each (name: reason).
    pub refused: Vec<String>,
}

/// Reads the form; the CSRF token is checked before any file is written.
pub(super) async fn read(
    state: &WebState,
    auth: &AuthUser,
    request: Request,
) -> AppResult<Submission> {
    let multipart = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if multipart {
        return read_multipart(state, auth, request).await;
    }
    // The route lifts the default body limit for uploads; a form without files keeps it.
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, state.settings.max_body_bytes)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?;
    let Form(form) =
        Form::<ComposeForm>::from_request(Request::from_parts(parts, Body::from(bytes)), state)
            .await
            .map_err(|e| AppError::BadRequest(e.body_text()))?;
    require_session_csrf(state, auth, &form.csrf)?;
    Ok(Submission {
        form,
        refused: Vec::new(),
    })
}

async fn read_multipart(
    state: &WebState,
    auth: &AuthUser,
    request: Request,
) -> AppResult<Submission> {
    let mut multipart = Multipart::from_request(request, state)
        .await
        .map_err(|e| AppError::BadRequest(e.body_text()))?;
    let mut fields = Map::new();
    let mut stored = Vec::new();
    let mut refused = Vec::new();
    let mut csrf_checked = false;
    while let Some(mut field) = multipart.next_field().await? {
        let name = field.name().unwrap_or_default().to_owned();
        if name != FILES_FIELD {
            let text = read_text(&mut field).await?;
            fields.insert(name, Value::String(text));
            continue;
        }
        let file_name = field.file_name().unwrap_or_default().to_owned();
        if file_name.is_empty() {
            // The file input was left empty.
            continue;
        }
        if !csrf_checked {
            // The token comes first in the form, so no file is written for a forged request.
            let csrf = fields.get("csrf").and_then(Value::as_str).unwrap_or("");
            require_session_csrf(state, auth, csrf)?;
            csrf_checked = true;
        }
        if stored.len() >= MAX_FILES {
            refused.push(format!(
                "{file_name}: a post holds at most {MAX_FILES} files."
            ));
            continue;
        }
        match media::store_stream(state, auth.workspace_id(), &file_name, field).await {
            Ok(upload) => stored.push(upload.id),
            Err(AppError::Validation { message, .. }) => {
                refused.push(format!("{file_name}: {message}"))
            }
            Err(other) => return Err(other),
        }
    }
    let mut form: ComposeForm = serde_json::from_value(Value::Object(fields))
        .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}")))?;
    if !csrf_checked {
        require_session_csrf(state, auth, &form.csrf)?;
    }
    form.attach(stored);
    Ok(Submission { form, refused })
}

/// A text field, refused past [`MAX_TEXT_FIELD_BYTES`] rather than read into memory whole.
async fn read_text(field: &mut axum::extract::multipart::Field<'_>) -> AppResult<String> {
    let mut bytes = Vec::new();
    while let Some(chunk) = field.next().await {
        let chunk = chunk?;
        if bytes.len() + chunk.len() > MAX_TEXT_FIELD_BYTES {
            return Err(AppError::PayloadTooLarge);
        }
        bytes.extend_from_slice(&chunk);
    }
    String::from_utf8(bytes)
        .map_err(|_| AppError::BadRequest("The form is not valid UTF-8.".into()))
}
