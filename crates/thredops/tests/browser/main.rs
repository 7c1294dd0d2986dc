//! Browser journeys: a real headless Chromium, driven through chromedriver, using ThredOps as a
//! person would. Each step saves a screenshot, and any console error or CSP violation fails the
//! journey. Without Chromium the journeys are skipped (and say so), unless
//! `THREDOPS_REQUIRE_BROWSER=1` (set by CI) makes a missing browser a failure.

#[path = "../api/helpers.rs"]
#[expect(dead_code, reason = "the journeys use only part of the shared helpers")]
mod helpers;

mod driver;
mod support;

use std::time::Duration;

use driver::Browser;
use fantoccini::Locator;
use helpers::{Backend, TestApp};
use threads_sandbox::CreatorTraits;

const PASSWORD: &str = "journey-passphrase-9";

#[tokio::test]
async fn a_creator_signs_up_connects_watches_the_sync_and_disconnects() {
    let Some(browser) = Browser::start("signup-connect").await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let sandbox = app.state.threads.sandbox.clone().unwrap();
    let creator = sandbox
        .create_creator(CreatorTraits {
            username: Some("journey_creator".into()),
            posts: Some(300),
            followers: Some(4_200),
            ..Default::default()
        })
        .unwrap();
    let c = &browser.client;

    // Landing page, then sign up.
    c.goto(&app.url("/")).await.unwrap();
    browser.step("landing").await;
    c.find(Locator::LinkText("Start free"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for_text("Create your account").await;
    c.find(Locator::Id("email"))
        .await
        .unwrap()
        .send_keys("maya.lopez@example.com")
        .await
        .unwrap();
    c.find(Locator::Id("password"))
        .await
        .unwrap()
        .send_keys(PASSWORD)
        .await
        .unwrap();
    browser.step("signup-filled").await;
    c.find(Locator::Css("form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for_text("Welcome to ThredOps").await;
    browser.step("dashboard").await;
    assert!(
        browser.text().await.contains("Sandbox mode"),
        "the sandbox banner is shown"
    );

    // Connect a sandbox creator through the consent page.
    c.find(Locator::LinkText("Profiles"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for_text("Connect a Threads profile").await;
    browser.step("profiles-empty").await;
    c.find(Locator::Css("form[action='/app/profiles/connect'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for_text("Authorize").await;
    browser.step("consent").await;
    c.find(Locator::Css(&format!(
        "input[name=user_id][value='{}']",
        creator.user_id
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    c.find(Locator::Css("button[value=allow]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for_text("@journey_creator").await;
    browser.step("profile-syncing").await;

    // The page follows the sync live and shows the finished history.
    browser
        .wait_until(Duration::from_secs(90), |text| {
            text.contains("4200") && !text.contains("not yet")
        })
        .await;
    browser.step("profile-synced").await;

    // Disconnect, keeping the history.
    c.find(Locator::Css("input[name=history][value=keep]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.find(Locator::Css("form[action$='/disconnect'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait_for_text("Its access token was destroyed")
        .await;
    browser.step("disconnected").await;

    // Settings, then sign out.
    c.find(Locator::LinkText("Settings"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser.wait_for_text("Signed-in devices").await;
    browser.step("settings").await;
    c.find(Locator::Css("form[action='/logout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    browser
        .wait_for_text("Know what grows your Threads audience")
        .await;
    browser.finish().await;
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
