//! Browser journeys: a real headless Chromium, driven through chromedriver, using ThredOps as a
//! person would. Each step saves a screenshot, and any console error or CSP violation fails the
//! journey. Without Chromium the journeys are skipped (and say so), unless
//! `THREDOPS_REQUIRE_BROWSER=1` (set by CI) makes a missing browser a failure.

#[path = "../api/helpers.rs"]
#[expect(dead_code, reason = "the journeys use only part of the shared helpers")]
mod helpers;

mod driver;
mod setup;

use driver::Browser;
use helpers::{Backend, TestApp};
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
    let Some(browser) = Browser::start_with("phone-dark", 390, 844, true).await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let c = &browser.client;
    for (path, name) in [
        ("/", "landing"),
        ("/signup", "signup"),
        ("/login", "login"),
        ("/privacy", "privacy"),
        ("/cookies", "cookies"),
    ] {
        c.goto(&app.url(path)).await.unwrap();
        browser.step(name).await;
        let overflow: bool = serde_json::from_value(
            c.execute(
                "return document.documentElement.scrollWidth > window.innerWidth + 1;",
                vec![],
            )
            .await
            .unwrap(),
        )
        .unwrap();
        assert!(!overflow, "{path} scrolls sideways at phone width");
    }
    browser.finish().await;
}
