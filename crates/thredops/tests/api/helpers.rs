//! Starts a real ThredOps server on a loopback port with its own fresh database.

use std::path::PathBuf;

use reqwest::redirect::Policy;
use thredops::app::AppState;
use thredops::config::RawSettings;
use thredops::startup::Application;
use tokio::sync::oneshot;

/// Which storage backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A running server and a cookie-keeping client that does not follow redirects.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub state: AppState,
    pub data_dir: PathBuf,
    postgres: Option<(String, String)>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

/// The PostgreSQL server for tests, if configured.
pub fn postgres_admin_url() -> Option<String> {
    let url = std::env::var("THREDOPS_TEST_DATABASE_URL")
        .ok()
        .filter(|v| !v.is_empty());
    // CI sets this so that the PostgreSQL half of the suite can never be skipped silently.
    let required = std::env::var("THREDOPS_REQUIRE_POSTGRES").is_ok_and(|v| v == "1");
    assert!(
        url.is_some() || !required,
        "THREDOPS_REQUIRE_POSTGRES=1 but THREDOPS_TEST_DATABASE_URL is not set"
    );
    url
}

fn db_url_with_name(admin: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin).expect("THREDOPS_TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

async fn create_database(admin: &str) -> (String, String) {
    use sqlx::Connection;
    let name = format!("thredops_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .expect("connect to the test PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    (name.clone(), db_url_with_name(admin, &name))
}

impl TestApp {
    /// Starts an app on `backend`; `None` when that backend is not configured here.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, |_| {}).await
    }

    /// Starts an app after letting the test adjust settings.
    pub async fn spawn_with(
        backend: Backend,
        adjust: impl FnOnce(&mut RawSettings),
    ) -> Option<TestApp> {
        let data_dir = std::env::temp_dir().join(format!("thredops-test-{}", uuid::Uuid::new_v4()));
        let mut raw = RawSettings::load(None, |_| None).unwrap();
        raw.set("bind", "127.0.0.1:0");
        raw.set("data_dir", data_dir.to_string_lossy().to_string());
        raw.set("log_level", "warn");
        // Simulated time stands still unless a test moves it, so truths can be compared exactly.
        raw.set("sandbox_frozen_clock", "true");
        raw.set("threads_timeout_seconds", "5");
        // Feed tests serve their feeds on a loopback port.
        raw.set("feeds_private_hosts", "true");
        // Webhook tests run their receivers on a loopback port too.
        raw.set("webhooks_private_hosts", "true");
        let postgres = match backend {
            Backend::Sqlite => None,
            Backend::Postgres => {
                let admin = postgres_admin_url()?;
                let (name, url) = create_database(&admin).await;
                raw.set("database_url", url);
                Some((admin, name))
            }
        };
        adjust(&mut raw);
        let settings = raw.parse().expect("test settings parse");
        thredops::telemetry::init("error", false);
        let app = Application::build(settings).await.expect("app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        let state = app.state().clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        Some(TestApp {
            address,
            client: client(),
            state,
            data_dir,
            postgres,
            stop: Some(stop),
            server: Some(server),
        })
    }

    /// The PostgreSQL database of this app, when it runs on PostgreSQL.
    pub fn database_url(&self) -> Option<String> {
        self.postgres
            .as_ref()
            .map(|(admin, name)| db_url_with_name(admin, name))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request sent")
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .expect("request sent")
    }

    /// Signs up through the API and follows the confirmation link mailed to `email`, which
    /// signs in: the answer of that confirmation (200 with the account).
    pub async fn signup(&self, email: &str, password: &str) -> reqwest::Response {
        sign_up_with(self, &self.client, email, password).await
    }

    /// Mail in the outbox to `to` whose subject contains `subject`, oldest first.
    pub fn mails(&self, to: &str, subject: &str) -> Vec<String> {
        mails(&self.state, to, subject)
    }

    /// Waits (at most 10 s) until there are more than `seen` such mails and returns the newest.
    /// Account mail is sent after the answer, so it may land a moment later.
    pub async fn next_mail(&self, to: &str, subject: &str, seen: usize) -> String {
        next_mail(&self.state, to, subject, seen).await
    }
}

/// [`TestApp::mails`] of any app's state.
pub fn mails(state: &AppState, to: &str, subject: &str) -> Vec<String> {
    state
        .mailer
        .outbox_messages()
        .into_iter()
        .filter(|m| {
            m.lines()
                .any(|l| l.eq_ignore_ascii_case(&format!("To: {to}")))
                && m.lines()
                    .any(|l| l.starts_with("Subject: ") && l.contains(subject))
        })
        .collect()
}

/// [`TestApp::next_mail`] of any app's state.
pub async fn next_mail(state: &AppState, to: &str, subject: &str, seen: usize) -> String {
    for _ in 0..200 {
        let mut found = mails(state, to, subject);
        if found.len() > seen {
            return found.pop().unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no mail to {to} about {subject:?}");
}

impl TestApp {
    pub async fn login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/auth/login",
            &serde_json::json!({"email": email, "password": password}),
        )
        .await
    }

    /// A second browser: its own cookie jar, same server.
    pub fn new_client(&self) -> reqwest::Client {
        client()
    }
}

/// The token of the link to `path` in a mail.
pub fn link_token(mail: &str, path: &str) -> String {
    let marker = format!("{path}?token=");
    let start = mail
        .find(&marker)
        .unwrap_or_else(|| panic!("no {path} link in {mail}"))
        + marker.len();
    mail[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect()
}

/// Signs up with `client` through the API, then confirms the address from the mailed link
/// (which signs that client in). Returns the confirmation's answer.
pub async fn sign_up_with(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    sign_up_at(&app.state, &app.address, client, email, password).await
}

/// [`sign_up_with`] for a server at `address` with state `state`.
pub async fn sign_up_at(
    state: &AppState,
    address: &str,
    client: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let to = email.trim().to_lowercase();
    let seen = mails(state, &to, "Confirm your ThredOps address").len();
    let r = client
        .post(format!("{address}/api/v1/auth/signup"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .expect("request sent");
    if r.status() != reqwest::StatusCode::ACCEPTED {
        return r;
    }
    let mail = next_mail(state, &to, "Confirm your ThredOps address", seen).await;
    client
        .post(format!("{address}/api/v1/auth/verify-email"))
        .json(&serde_json::json!({"token": link_token(&mail, "/verify-email")}))
        .send()
        .await
        .expect("request sent")
}

/// Turns on two-step sign-in for `client`'s account through the API; returns the secret so the
/// test can make codes. Staff roles need this before their tools work.
pub async fn enrol_totp(app: &TestApp, client: &reqwest::Client) -> thredops::auth::totp::Secret {
    let r = client
        .post(app.url("/api/v1/auth/mfa/totp"))
        .send()
        .await
        .expect("request sent");
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let body: serde_json::Value = r.json().await.unwrap();
    let base32 = body["secret"].as_str().unwrap();
    let secret = thredops::auth::totp::Secret::from_bytes(
        data_encoding::BASE32_NOPAD
            .decode(base32.as_bytes())
            .unwrap(),
    );
    let r = client
        .post(app.url("/api/v1/auth/mfa/totp/confirm"))
        .json(&serde_json::json!({"code": current_code(&secret)}))
        .send()
        .await
        .expect("request sent");
    assert_eq!(
        r.status(),
        reqwest::StatusCode::OK,
        "{}",
        r.text().await.unwrap()
    );
    secret
}

/// The authenticator code of this moment.
pub fn current_code(secret: &thredops::auth::totp::Secret) -> String {
    secret.code_at_step(thredops::clock::now().timestamp() / thredops::auth::totp::STEP_SECS)
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

impl TestApp {
    /// Tells the server to stop, as SIGTERM would.
    pub fn begin_stop(&mut self) {
        drop(self.stop.take());
    }

    /// Waits (at most `limit`) until the server has stopped; false if it still runs.
    pub async fn stopped_within(&mut self, limit: std::time::Duration) -> bool {
        let Some(server) = self.server.take() else {
            return false;
        };
        matches!(tokio::time::timeout(limit, server).await, Ok(Ok(Ok(()))))
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.data_dir);
        if let Some((admin, name)) = self.postgres.take() {
            // Drop runs outside async; use a private runtime on another thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin).await {
                        let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        )))
                        .execute(&mut conn)
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

/// Generates one test per backend for each named `async fn(TestApp)`; the PostgreSQL one is
/// skipped (and says so) when `THREDOPS_TEST_DATABASE_URL` is not set.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite).await.unwrap();
                super::$name(app).await;
            }

            #[tokio::test]
            async fn postgres() {
                match $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await {
                    Some(app) => super::$name(app).await,
                    None => eprintln!("skipped on PostgreSQL: THREDOPS_TEST_DATABASE_URL is not set"),
                }
            }
        }
    )*};
}
