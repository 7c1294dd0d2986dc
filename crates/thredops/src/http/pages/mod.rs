//! Server-rendered pages.

mod account;
mod app;
mod profiles;
mod public;

use axum::Router;

use crate::http::state::AppState;

/// Every HTML page route.
pub fn router() -> Router<AppState> {
    Router::new()
        .merge(public::router())
        .merge(account::router())
        .merge(app::router())
        .merge(profiles::router())
}
