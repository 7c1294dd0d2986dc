//! Billing pages (being built).

use axum::Router;

use crate::http::state::AppState;

/// Templates of these pages, embedded in the binary.
pub const TEMPLATES: &[(&str, &str)] = &[];

pub fn router() -> Router<AppState> {
    Router::new()
}
