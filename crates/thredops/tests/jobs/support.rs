//! A fresh, migrated database per test on either backend, and a helper to await conditions.

use std::future::Future;
use std::path::PathBuf;
use std::time::Duration;

use thredops::config::{DatabaseTarget, Secret};
use thredops::crypto::MasterKey;
use thredops::store::Store;

/// Which storage backend a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A uniquely named database, dropped (or deleted) when the test ends.
pub struct TestDb {
    pub store: Store,
    target: DatabaseTarget,
    key: MasterKey,
    sqlite_dir: Option<PathBuf>,
    postgres: Option<(String, String)>,
}

/// The PostgreSQL server for tests, if configured.
fn postgres_admin_url() -> Option<String> {
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

impl TestDb {
    /// A fresh database on `backend`; `None` when that backend is not configured here.
    pub async fn create(backend: Backend) -> Option<TestDb> {
        let key = MasterKey::generate();
        let (target, sqlite_dir, postgres) = match backend {
            Backend::Sqlite => {
                let dir =
                    std::env::temp_dir().join(format!("thredops-jobs-{}", uuid::Uuid::new_v4()));
                (DatabaseTarget::Sqlite(dir.join("jobs.db")), Some(dir), None)
            }
            Backend::Postgres => {
                let admin = postgres_admin_url()?;
                let name = format!("thredops_jobs_{}", uuid::Uuid::new_v4().simple());
                admin_execute(&admin, &format!("CREATE DATABASE \"{name}\"")).await;
                let mut url = url::Url::parse(&admin).expect("THREDOPS_TEST_DATABASE_URL is a URL");
                url.set_path(&format!("/{name}"));
                (
                    DatabaseTarget::Postgres(Secret::new(url.to_string())),
                    None,
                    Some((admin, name)),
                )
            }
        };
        let store = thredops::store::connect(&target, &key, 5)
            .await
            .expect("open the test database");
        store.migrate().await.expect("migrate the test database");
        Some(TestDb {
            store,
            target,
            key,
            sqlite_dir,
            postgres,
        })
    }

    /// Another store (its own pool) on the same database, as a second instance would have.
    pub async fn another_store(&self, max_connections: u32) -> Store {
        thredops::store::connect(&self.target, &self.key, max_connections)
            .await
            .expect("open the test database again")
    }
}

async fn admin_execute(admin: &str, sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(admin)
        .await
        .expect("connect to the test PostgreSQL");
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned()))
        .execute(&mut conn)
        .await
        .expect("administer the test PostgreSQL");
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(dir) = self.sqlite_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
        if let Some((admin, name)) = self.postgres.take() {
            // Drop runs outside async; use a private runtime on another thread.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime for dropping the test database");
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

/// Polls `check` until it yields `Some`, failing the test after `within`.
pub async fn eventually<T, F, Fut>(within: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + within;
    loop {
        if let Some(v) = check().await {
            return v;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {within:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Generates one test per backend for each named `async fn(TestDb)`; the PostgreSQL one is
/// skipped (and says so) when `THREDOPS_TEST_DATABASE_URL` is not set.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn sqlite() {
                let db = $crate::support::TestDb::create($crate::support::Backend::Sqlite)
                    .await
                    .expect("SQLite is always available");
                super::$name(db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn postgres() {
                match $crate::support::TestDb::create($crate::support::Backend::Postgres).await {
                    Some(db) => super::$name(db).await,
                    None => eprintln!("skipped on PostgreSQL: THREDOPS_TEST_DATABASE_URL is not set"),
                }
            }
        }
    )*};
}
