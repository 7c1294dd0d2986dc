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

    pub async fn signup(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_json(
            "/api/v1/auth/signup",
            &serde_json::json!({"email": email, "password": password}),
        )
        .await
    }

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
