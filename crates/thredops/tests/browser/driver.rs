//! A headless Chromium session with screenshots and console-error checks.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// Lists what makes the page scroll sideways (empty when it does not).
const FITS: &str = include_str!("fits.js");

/// A browser session; chromedriver is stopped when it is dropped.
pub struct Browser {
    pub client: Client,
    driver: Child,
    shots: PathBuf,
    /// Where Chromium saves downloads, one folder per session.
    downloads: PathBuf,
    profile: PathBuf,
    /// chromedriver's port and the session, to end it if the journey fails.
    port: u16,
    session: Option<String>,
    step: std::sync::atomic::AtomicUsize,
}

fn find(names: &[&str]) -> Option<String> {
    names.iter().find_map(|n| {
        let out = Command::new("which").arg(n).output().ok()?;
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
    })
}

/// `POST /session/{id}/se/log` (chromedriver's log endpoint) for the browser console.
#[derive(Debug)]
struct BrowserLog;

impl WebDriverCompatibleCommand for BrowserLog {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/se/log", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (
            http::Method::POST,
            Some(json!({"type": "browser"}).to_string()),
        )
    }
}

impl Browser {
    /// Starts a desktop-sized session, or `None` (skipped) when Chromium is not installed.
    pub async fn start(journey: &str) -> Option<Self> {
        Self::start_with(journey, 1280, 900, false).await
    }

    /// Starts a session of the given size, optionally preferring dark mode.
    pub async fn start_with(journey: &str, width: u32, height: u32, dark: bool) -> Option<Self> {
        let (Some(chromium), Some(chromedriver)) = (
            find(&["chromium", "chromium-browser", "google-chrome"]),
            find(&["chromedriver"]),
        ) else {
            if std::env::var("THREDOPS_REQUIRE_BROWSER").is_ok_and(|v| v == "1") {
                panic!(
                    "Chromium and chromedriver are required (THREDOPS_REQUIRE_BROWSER=1) but were not found"
                );
            }
            eprintln!(
                "browser journey '{journey}' skipped: install Debian's chromium and chromium-driver to run it"
            );
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile =
            std::env::temp_dir().join(format!("thredops-chromium-{}", uuid::Uuid::new_v4()));
        let downloads = profile.join("downloads");
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            // Date and time fields take keys in the order of this locale.
            "--lang=en-US".into(),
            format!("--window-size={width},{height}"),
            format!("--user-data-dir={}", profile.display()),
        ];
        if dark {
            args.push("--force-dark-mode".into());
            args.push("--blink-settings=preferredColorScheme=0".into());
        }
        let mut options = json!({
            "binary": chromium,
            "args": args,
            "prefs": {
                "download.default_directory": downloads,
                "download.prompt_for_download": false,
            },
        });
        // A desktop window cannot be narrower than about 500 pixels: phones are emulated.
        if width < 500 {
            options["mobileEmulation"] =
                json!({"deviceMetrics": {"width": width, "height": height, "pixelRatio": 1.0}});
        }
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": options,
            "goog:loggingPrefs": {"browser": "ALL"},
        });
        let caps = match caps {
            Value::Object(map) => map,
            _ => unreachable!(),
        };
        let deadline = Instant::now() + Duration::from_secs(20);
        let client = loop {
            let connector = hyper_util::client::legacy::connect::HttpConnector::new();
            match ClientBuilder::new(connector)
                .capabilities(caps.clone())
                .connect(&format!("http://127.0.0.1:{port}"))
                .await
            {
                Ok(c) => break c,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("cannot start a Chromium session: {e}"),
            }
        };
        let session = client.session_id().await.ok().flatten();
        let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
            .join("browser-journeys")
            .join(journey);
        // Screenshots of an earlier run would mix with this one's.
        let _ = std::fs::remove_dir_all(&shots);
        std::fs::create_dir_all(&shots).unwrap();
        Some(Self {
            client,
            driver,
            shots,
            downloads,
            profile,
            port,
            session,
            step: Default::default(),
        })
    }

    /// The visible text of the page (empty while a new page is still arriving).
    pub async fn text(&self) -> String {
        match self.client.find(Locator::Css("body")).await {
            Ok(body) => body.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        }
    }

    /// Waits (bounded) until the page text satisfies `ok`; on timeout saves a screenshot and
    /// fails with what the page shows.
    pub async fn wait_until(&self, limit: Duration, ok: impl Fn(&str) -> bool) {
        let deadline = Instant::now() + limit;
        loop {
            let text = self.text().await;
            if ok(&text) {
                return;
            }
            if Instant::now() >= deadline {
                let shot = self.screenshot("timed-out").await;
                let url = self.client.current_url().await.map(|u| u.to_string());
                panic!(
                    "page never reached the expected state (screenshot {}); {} shows:\n{text}",
                    shot.display(),
                    url.unwrap_or_default()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until `needle` is on the page.
    pub async fn wait_for_text(&self, needle: &str) {
        self.wait_until(Duration::from_secs(20), |t| t.contains(needle))
            .await;
    }

    /// Clicks the element `css` matches.
    pub async fn click(&self, css: &str) {
        self.element(css).await.click().await.unwrap();
    }

    /// Follows the link with exactly this text.
    pub async fn click_link(&self, text: &str) {
        self.client
            .find(Locator::LinkText(text))
            .await
            .unwrap_or_else(|e| panic!("no link {text:?}: {e}"))
            .click()
            .await
            .unwrap();
    }

    /// Types `text` into the field `css` matches.
    pub async fn fill(&self, css: &str, text: &str) {
        self.element(css).await.send_keys(text).await.unwrap();
    }

    /// The element `css` matches; fails naming the selector when there is none.
    pub async fn element(&self, css: &str) -> fantoccini::elements::Element {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("nothing matches {css:?}: {e}"))
    }

    /// Scrolls the element `css` matches to the middle of the window, for the screenshot.
    pub async fn show(&self, css: &str) {
        let element = self.element(css).await;
        self.client
            .execute(
                "arguments[0].scrollIntoView({block: 'center'});",
                vec![serde_json::to_value(element).unwrap()],
            )
            .await
            .unwrap();
    }

    /// The smallest rendered size, in CSS pixels, of the charts' axis text on this page (the
    /// SVG is scaled to its box, so the font size in viewBox units times the scale).
    pub async fn smallest_chart_text(&self) -> f64 {
        let px = self
            .client
            .execute(
                "var sizes = Array.from(document.querySelectorAll('svg.chart .tick, svg.chart .axis-label'))\
                 .filter(function (t) { return t.getBoundingClientRect().width > 0; })\
                 .map(function (t) { return parseFloat(getComputedStyle(t).fontSize) * t.ownerSVGElement.getScreenCTM().a; });\
                 return sizes.length ? Math.min.apply(null, sizes) : 0;",
                vec![],
            )
            .await
            .unwrap();
        px.as_f64().unwrap()
    }

    /// How many elements `css` matches.
    pub async fn count(&self, css: &str) -> usize {
        self.client.find_all(Locator::Css(css)).await.unwrap().len()
    }

    /// The path and query of the current page.
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Saves a screenshot and fails on console errors or CSP violations so far, or when the
    /// page scrolls sideways (wide content belongs in its own scrolling box).
    pub async fn step(&self, name: &str) {
        self.screenshot(name).await;
        let errors = self.console_errors().await;
        assert!(
            errors.is_empty(),
            "console errors at step '{name}': {errors:#?}"
        );
        self.assert_fits(name).await;
    }

    async fn assert_fits(&self, name: &str) {
        let culprits = self.client.execute(FITS, vec![]).await.unwrap();
        assert!(
            culprits.as_array().is_some_and(|c| c.is_empty()),
            "the page scrolls sideways at step '{name}'; what sticks out: {culprits}"
        );
    }

    /// Like [`Browser::step`] after a form the server refused with `status` (a 4xx page that
    /// re-renders the form): Chromium logs that status as an error, and only that is allowed.
    pub async fn step_refused(&self, name: &str, status: u16) {
        self.screenshot(name).await;
        let expected = format!("the server responded with a status of {status}");
        let (refusals, errors): (Vec<String>, Vec<String>) = self
            .console_errors()
            .await
            .into_iter()
            .partition(|e| e.contains(&expected));
        assert!(
            errors.is_empty(),
            "console errors at step '{name}': {errors:#?}"
        );
        assert_eq!(refusals.len(), 1, "the page answered {status}");
        self.assert_fits(name).await;
    }

    async fn screenshot(&self, name: &str) -> PathBuf {
        let n = self.step.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        let path = self.shots.join(format!("{n:02}-{name}.png"));
        if let Ok(png) = self.client.screenshot().await {
            std::fs::write(&path, png).unwrap();
        }
        path
    }

    /// Console errors and CSP violations logged since the last call.
    pub async fn console_errors(&self) -> Vec<String> {
        let logs = self
            .client
            .issue_cmd(BrowserLog)
            .await
            .expect("chromedriver returns the browser log");
        logs.as_array()
            .into_iter()
            .flatten()
            .filter(|e| {
                e["level"] == "SEVERE"
                    || e["message"]
                        .as_str()
                        .unwrap_or("")
                        .contains("Content Security Policy")
            })
            .map(|e| e["message"].as_str().unwrap_or("").to_owned())
            .collect()
    }

    /// Waits (bounded) for a finished download whose name starts with `prefix`.
    pub async fn downloaded(&self, prefix: &str) -> Vec<u8> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let done = std::fs::read_dir(&self.downloads)
                .into_iter()
                .flatten()
                .flatten()
                .map(|e| e.path())
                .find(|p| {
                    let name = p.file_name().unwrap_or_default().to_string_lossy();
                    name.starts_with(prefix) && !name.ends_with(".crdownload")
                });
            if let Some(path) = done {
                return std::fs::read(path).unwrap();
            }
            assert!(
                Instant::now() < deadline,
                "no download named {prefix}* arrived"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Fails on errors logged since the last step, then ends the session.
    pub async fn finish(mut self) {
        let errors = self.console_errors().await;
        if self.client.clone().close().await.is_ok() {
            self.session = None;
        }
        let _ = self.driver.kill();
        assert!(errors.is_empty(), "console errors at the end: {errors:#?}");
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // A failed journey never reached `finish`: ask chromedriver to end the session, or
        // Chromium would outlive the test (it does not die with chromedriver).
        if let Some(session) = self.session.take() {
            end_session(self.port, &session);
        }
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// `DELETE /session/{id}` over a plain blocking connection (this runs in `Drop`, outside async).
fn end_session(port: u16, session: &str) {
    use std::io::{Read, Write};
    let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let request = format!(
        "DELETE /session/{session} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    );
    if stream.write_all(request.as_bytes()).is_ok() {
        let _ = stream.read_to_end(&mut Vec::new());
    }
}
