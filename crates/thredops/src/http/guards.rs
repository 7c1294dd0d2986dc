//! Extractors that make the checks a handler must not forget part of its signature: a handler
//! that takes [`SignedForm`] cannot run on a forged cross-site form, one that takes [`Agent`]
//! cannot run for a customer.

use axum::Form;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::{AppError, AppResult};
use super::session::{AuthUser, PageUser};
use super::state::WebState;
use crate::support::desk;

/// A form posted by a signed-in user from one of our pages. Before the handler runs, the
/// session is checked (sign-in page without one) and the form's `csrf` field must be the
/// session's token (403 otherwise); then the body is read as `T` like `Form<T>` would.
#[derive(Debug)]
pub struct SignedForm<T> {
    /// Who posted it.
    pub auth: AuthUser,
    /// The form's fields.
    pub form: T,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Token {
    csrf: String,
}

impl<T> FromRequest<WebState> for SignedForm<T>
where
    T: DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(req: Request, state: &WebState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let PageUser(auth) = PageUser::from_request_parts(&mut parts, state).await?;
        let bytes = Bytes::from_request(Request::from_parts(parts.clone(), body), state)
            .await
            .map_err(IntoResponse::into_response)?;
        let token: Token = serde_urlencoded::from_bytes(&bytes).unwrap_or_default();
        require_session_csrf(state, &auth, &token.csrf).map_err(IntoResponse::into_response)?;
        let Form(form) = Form::<T>::from_request(
            Request::from_parts(parts, axum::body::Body::from(bytes)),
            state,
        )
        .await
        .map_err(IntoResponse::into_response)?;
        Ok(SignedForm { auth, form })
    }
}

/// Checks the synchronizer token of a signed-in form (for bodies [`SignedForm`] cannot read,
/// such as the composer's multipart upload).
pub fn require_session_csrf(state: &WebState, auth: &AuthUser, submitted: &str) -> AppResult<()> {
    if state.csrf.check_session(&auth.session_id, submitted) {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "This form expired. Reload the page and try again.",
        ))
    }
}

/// A signed-in support agent (or admin) calling the support console's API: 401 without a
/// session, 403 for everyone else.
#[derive(Debug, Clone)]
pub struct Agent(pub AuthUser);

impl FromRequestParts<WebState> for Agent {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let auth = AuthUser::from_request_parts(parts, state).await?;
        desk::require_agent(&auth)?;
        Ok(Agent(auth))
    }
}
