//! Browser journeys: a real headless Chromium, driven through chromedriver, using ThredOps as a
//! person would. Each step saves a screenshot (under the target's `tmp/browser-journeys`), and
//! any console error, CSP violation or sideways-scrolling page fails the journey. Without
//! Chromium the journeys are skipped (and say so), unless `THREDOPS_REQUIRE_BROWSER=1` (set by
//! CI) makes a missing browser a failure.
//!
//! Every journey starts its own app and browser from `setup` (sign up, connect a sandbox creator
//! and watch its history sync), then follows one product area in its module; jobs that would run
//! later (the publisher, an audit) are made due at once the way the API tests do.

#[path = "../api/helpers.rs"]
#[expect(dead_code, reason = "the journeys use only part of the shared helpers")]
mod helpers;

#[path = "../api/connect.rs"]
#[expect(
    dead_code,
    reason = "the journeys use only part of the connect helpers"
)]
mod connect;

#[path = "../api/publishing/support.rs"]
#[expect(dead_code, reason = "the journeys use only the publisher helper")]
mod publishing_support;

mod driver;
mod setup;

mod a11y;
mod accounts;
mod analytics;
mod approvals;
mod competitors;
mod home;
mod inbox;
mod mobile;
mod privacy;
mod publishing;
mod publishing_power;
mod screenshots;
mod strategy;
mod support;
mod workspaces;

use setup::{Journey, creator};

#[tokio::test]
async fn a_creator_signs_up_connects_watches_the_sync_and_disconnects() {
    let Some(j) = Journey::start("signup-connect").await else {
        return;
    };
    j.sign_up("maya.lopez@example.com").await;
    j.connect(creator("journey_creator", 300, 4_200)).await;

    // Disconnect, keeping the history.
    j.click("input[name=history][value=keep]").await;
    j.click("form[action$='/disconnect'] button").await;
    j.wait_for_text("Its access token was destroyed").await;
    j.step("disconnected").await;

    // Settings, then sign out.
    j.click_link("Settings").await;
    j.wait_for_text("Signed-in devices").await;
    j.step("settings").await;
    j.click("form[action='/logout'] button").await;
    j.wait_for_text("Know what grows your Threads audience")
        .await;
    j.finish().await;
}

#[tokio::test]
async fn the_journeys_fail_on_console_errors_and_csp_violations() {
    let Some(j) = Journey::start("driver-check").await else {
        return;
    };
    j.open("/").await;
    assert!(
        j.console_errors().await.is_empty(),
        "the landing page is clean"
    );
    j.client
        .execute("console.error('a broken page');", vec![])
        .await
        .unwrap();
    let errors = j.console_errors().await;
    assert!(
        errors.iter().any(|e| e.contains("a broken page")),
        "console errors are caught: {errors:?}"
    );
    // An inline script is refused by the Content Security Policy, and that is caught too.
    j.client
        .execute(
            "var s = document.createElement('script'); s.textContent = 'window.ran = 1'; document.body.appendChild(s);",
            vec![],
        )
        .await
        .unwrap();
    let errors = j.console_errors().await;
    assert!(
        errors.iter().any(|e| e.contains("Content Security Policy")),
        "CSP violations are caught: {errors:?}"
    );
    j.finish().await;
}

#[tokio::test]
async fn the_pages_work_at_phone_width_and_in_dark_mode() {
    let Some(j) = Journey::start_on_a_phone("phone-dark").await else {
        return;
    };
    // Each step fails if the page scrolls sideways.
    for (path, name) in [
        ("/", "landing"),
        ("/signup", "signup"),
        ("/login", "login"),
        ("/privacy", "privacy"),
        ("/cookies", "cookies"),
    ] {
        j.open(path).await;
        j.step(name).await;
    }
    j.sign_up("phone.user@example.com").await;
    let id = j.connect(creator("pocket_creator", 120, 1_500)).await;
    for (path, name) in [
        ("/app".to_owned(), "app-dashboard"),
        (format!("/app/profiles/{id}/analytics"), "app-analytics"),
        (format!("/app/profiles/{id}/posts"), "app-posts"),
        ("/app/schedule".to_owned(), "app-schedule"),
        ("/app/schedule/new".to_owned(), "app-composer"),
        ("/app/inbox".to_owned(), "app-inbox"),
        (format!("/app/strategist/{id}"), "app-strategist"),
        (format!("/app/audit/{id}"), "app-audit"),
        ("/settings".to_owned(), "app-settings"),
        ("/settings/privacy".to_owned(), "app-privacy"),
    ] {
        j.open(&path).await;
        j.step(name).await;
    }
    j.finish().await;
}
