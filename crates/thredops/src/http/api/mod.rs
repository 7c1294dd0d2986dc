//! The JSON API under `/api/v1`.

mod analytics;
mod auth;
mod billing;
mod competitors;
pub use auth::to_time;
mod docs;
mod inbox;
mod mfa;
mod notifications;
mod privacy;
mod profiles;
mod publishing;
mod publishing_evergreen;
mod publishing_feeds;
mod publishing_power;
pub(crate) use publishing_power::export_csv as export_plan_csv;
mod recovery;
pub(crate) mod registry;
mod review;
mod strategy;
mod support;
mod tokens;
pub(crate) mod webhooks;
mod workspaces;

use axum::Router;

use crate::http::state::WebState;
pub use registry::Endpoint;

/// Every API operation, in the order they appear in the OpenAPI document.
pub fn endpoints() -> Vec<Endpoint> {
    let mut all = Vec::new();
    all.extend(auth::endpoints());
    all.extend(recovery::endpoints());
    all.extend(mfa::endpoints());
    all.extend(profiles::endpoints());
    all.extend(analytics::endpoints());
    all.extend(publishing::endpoints());
    all.extend(publishing_power::endpoints());
    all.extend(publishing_feeds::endpoints());
    all.extend(publishing_evergreen::endpoints());
    all.extend(competitors::endpoints());
    all.extend(privacy::endpoints());
    all.extend(notifications::endpoints());
    all.extend(inbox::endpoints());
    all.extend(strategy::endpoints());
    all.extend(billing::endpoints());
    all.extend(support::endpoints());
    all.extend(tokens::endpoints());
    all.extend(webhooks::endpoints());
    all.extend(workspaces::endpoints());
    all.extend(review::endpoints());
    all.extend(docs::endpoints());
    all
}

/// The API router, built from [`endpoints`].
pub fn router() -> Router<WebState> {
    endpoints()
        .into_iter()
        .fold(Router::new(), |router, e| router.route(e.path, e.handler))
}
