//! Black-box tests: a real server on a loopback port, driven over HTTP.

mod connect;
mod helpers;

mod analytics;
mod api_tokens;
mod architecture;
mod architecture_ids;
mod architecture_views;
mod auth;
mod billing;
mod cli;
mod competitors;
mod contract;
mod csrf;
mod home;
mod inbox;
mod inbox_team;
mod listening;
mod mcp;
mod ops;
mod pages;
mod privacy;
mod profiles;
mod publishing;
mod recovery;
mod resume;
mod session_paths;
mod strategy;
mod support;
mod sync;
mod throttling;
mod tokens;
mod webhooks;

/// Presses "Sync now" for a profile and waits for the sync to finish.
pub async fn sync_now(app: &helpers::TestApp, profile_id: &str) {
    let page = app
        .get(&format!("/app/profiles/{profile_id}"))
        .await
        .text()
        .await
        .unwrap();
    let r = app
        .client
        .post(app.url(&format!("/app/profiles/{profile_id}/sync")))
        .form(&[("csrf", connect::csrf_in(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    connect::run_due_now(app, thredops::sync::kind::SYNC).await;
}
mod workspaces;
