//! Server-rendered pages. Each product area has its own module with its router and templates.

mod account;
mod analytics;
mod app;
mod billing;
mod competitors;
mod inbox;
mod notifications;
mod plan_limit;
mod privacy;
mod profiles;
mod public;
mod publishing;
mod publishing_evergreen;
mod publishing_feeds;
mod publishing_power;
mod recovery;
mod review;
mod security;
mod strategy;
mod support;
mod tokens;
mod view;
mod webhooks;
mod workspaces;

use axum::Router;

use crate::http::state::WebState;

/// Every HTML page route.
pub fn router() -> Router<WebState> {
    Router::new()
        .merge(public::router())
        .merge(account::router())
        .merge(recovery::router())
        .merge(security::router())
        .merge(tokens::router())
        .merge(webhooks::router())
        .merge(workspaces::router())
        .merge(review::router())
        .merge(app::router())
        .merge(profiles::router())
        .merge(analytics::router())
        .merge(publishing::router())
        .merge(publishing_power::router())
        .merge(publishing_feeds::router())
        .merge(publishing_evergreen::router())
        .merge(competitors::router())
        .merge(privacy::router())
        .merge(notifications::router())
        .merge(inbox::router())
        .merge(strategy::router())
        .merge(billing::router())
        .merge(support::router())
}

/// Templates of the product areas, added to the core set.
pub const AREA_TEMPLATES: &[&[(&str, &str)]] = &[
    analytics::TEMPLATES,
    publishing::TEMPLATES,
    publishing_power::TEMPLATES,
    publishing_feeds::TEMPLATES,
    publishing_evergreen::TEMPLATES,
    competitors::TEMPLATES,
    privacy::TEMPLATES,
    notifications::TEMPLATES,
    inbox::TEMPLATES,
    strategy::TEMPLATES,
    billing::TEMPLATES,
    plan_limit::TEMPLATES,
    support::TEMPLATES,
    recovery::TEMPLATES,
    security::TEMPLATES,
    tokens::TEMPLATES,
    webhooks::TEMPLATES,
    workspaces::TEMPLATES,
    review::TEMPLATES,
];
