//! The JSON API under `/api/v1`.

mod auth;
pub use auth::to_time;
mod docs;
mod profiles;
pub mod registry;

use axum::Router;

use crate::http::state::AppState;
pub use registry::Endpoint;

/// Every API operation, in the order they appear in the OpenAPI document.
pub fn endpoints() -> Vec<Endpoint> {
    let mut all = Vec::new();
    all.extend(auth::endpoints());
    all.extend(profiles::endpoints());
    all.extend(docs::endpoints());
    all
}

/// The API router, built from [`endpoints`].
pub fn router() -> Router<AppState> {
    endpoints()
        .into_iter()
        .fold(Router::new(), |router, e| router.route(e.path, e.handler))
}
