//! What every journey starts from: a fresh app with its sandbox and a browser, and a creator who
//! signs up and connects a sandbox profile through the pages, as a person would.

use std::ops::Deref;
use std::time::Duration;

use threads_sandbox::{CreatorTraits, Sandbox};

use crate::driver::Browser;
use crate::helpers::{Backend, TestApp};

pub const PASSWORD: &str = "journey-passphrase-9";

/// A sandbox creator with a handle, `posts` posts over the last 300 days and `followers`.
pub fn creator(username: &str, posts: usize, followers: u64) -> CreatorTraits {
    CreatorTraits {
        username: Some(username.to_owned()),
        posts: Some(posts),
        followers: Some(followers),
        history_days: Some(300),
        ..Default::default()
    }
}

/// A browser session against its own running app.
pub struct Journey {
    pub browser: Browser,
    pub app: TestApp,
}

impl Deref for Journey {
    type Target = Browser;

    fn deref(&self) -> &Browser {
        &self.browser
    }
}

impl Journey {
    /// A fresh app and a desktop-sized browser; `None` when the journeys are skipped.
    pub async fn start(name: &str) -> Option<Self> {
        Some(Self::with(Browser::start(name).await?).await)
    }

    /// A fresh app and a browser of this size (light mode; phones are emulated).
    pub async fn start_sized(name: &str, width: u32, height: u32) -> Option<Self> {
        Some(Self::with(Browser::start_with(name, width, height, false).await?).await)
    }

    /// A fresh app and a phone-sized browser that prefers dark mode.
    pub async fn start_on_a_phone(name: &str) -> Option<Self> {
        Some(Self::with(Browser::start_with(name, 390, 844, true).await?).await)
    }

    async fn with(browser: Browser) -> Self {
        let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
        Self { browser, app }
    }

    /// The built-in Threads simulator.
    pub fn sandbox(&self) -> &Sandbox {
        self.app.state.threads.sandbox.as_ref().unwrap()
    }

    /// Opens a page of the app.
    pub async fn open(&self, path: &str) {
        self.client.goto(&self.app.url(path)).await.unwrap();
    }

    /// Signs up from the landing page and lands on the dashboard.
    pub async fn sign_up(&self, email: &str) {
        self.open("/").await;
        self.step("landing").await;
        self.click_link("Start free").await;
        self.wait_for_text("Create your account").await;
        self.fill("#email", email).await;
        self.fill("#password", PASSWORD).await;
        self.step("signup-filled").await;
        self.click("form button[type=submit]").await;
        self.wait_for_text("Check your email").await;
        self.step("signup-check-email").await;
        // The link in the confirmation mail opens a page whose button confirms and signs in.
        let mail = self
            .app
            .next_mail(email, "Confirm your ThredOps address", 0)
            .await;
        let token = crate::helpers::link_token(&mail, "/verify-email");
        self.open(&format!("/verify-email?token={token}")).await;
        self.click("form button[type=submit]").await;
        self.wait_for_text("Welcome to ThredOps").await;
        self.step("dashboard").await;
        assert!(
            self.text().await.contains("Sandbox mode"),
            "the sandbox banner is shown"
        );
    }

    /// Creates a sandbox creator, connects it through the sandbox's consent page and waits
    /// (bounded) until the profile page shows its history complete. Returns the profile id.
    pub async fn connect(&self, traits: CreatorTraits) -> String {
        let creator = self.sandbox().create_creator(traits).unwrap();
        // As the page prints it for an English browser: 12,480.
        let digits = creator.followers_count.to_string();
        let followers = digits
            .chars()
            .enumerate()
            .flat_map(|(i, c)| {
                let comma = i > 0 && (digits.len() - i).is_multiple_of(3);
                comma.then_some(',').into_iter().chain([c])
            })
            .collect::<String>();
        self.click_link("Profiles").await;
        self.wait_for_text("Connect a Threads profile").await;
        self.step("profiles-empty").await;
        self.click("form[action='/app/profiles/connect'] button")
            .await;
        self.wait_for_text("Authorize").await;
        self.step("consent").await;
        self.click(&format!("input[name=user_id][value='{}']", creator.user_id))
            .await;
        self.click("button[value=allow]").await;
        self.wait_for_text(&format!("@{}", creator.username)).await;
        self.step("profile-syncing").await;
        // The page follows the sync live and reloads with the finished history.
        self.wait_until(Duration::from_secs(90), |text| {
            text.contains(&followers) && !text.contains("not yet")
        })
        .await;
        self.step("profile-synced").await;
        let path = self.path().await;
        path.trim_start_matches("/app/profiles/")
            .split(['?', '/'])
            .next()
            .unwrap()
            .to_owned()
    }

    /// Checks the console one last time, closes the browser, then the app's database.
    pub async fn finish(self) {
        self.browser.finish().await;
        // SQLite connections dropped with the test close later on their own threads; if the
        // process exits meanwhile, SQLCipher's exit handler frees what they still use and the
        // test binary crashes after every test passed. Closing waits until they are closed.
        self.app.state.store.close().await;
    }
}
