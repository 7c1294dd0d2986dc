//! Storage: one `Store` over SQLite (SQLCipher-encrypted) or PostgreSQL.
//!
//! Queries are written once in portable SQL (`$1` placeholders work on both) and run on whichever
//! pool is configured through [`with_pool!`]; dialect-specific statements live beside their
//! portable twin and say why.

pub(crate) mod account_security;
mod account_synced;
mod columns;
mod connect;
mod data_keys;
mod inline;
mod migrations;
pub mod profiles;
mod session_batch;
mod session_reader;
pub(crate) mod sessions;
pub(crate) mod signing_keys;
mod sqlite_exit;
pub mod synced;
mod test_door;
pub(crate) mod users;

pub use columns::IntFlag;
pub(crate) use columns::decode_by_name;
pub use connect::connect;
pub use session_reader::SessionCheckPath;

use sqlx::{PgPool, SqlitePool};

/// Storage failures callers can branch on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A unique constraint was violated (e.g. an email already registered).
    #[error("already exists")]
    Conflict,
    /// The row was not found.
    #[error("not found")]
    NotFound,
    /// The database could not be reached or answered with an error.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// The database file cannot be used as it is; the text says why and what to do.
    #[error("{0}")]
    Unusable(String),
    /// Migrations failed.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict,
            _ => StoreError::Database(e),
        }
    }
}

/// Result alias for storage calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// The connection pool of the configured backend.
#[derive(Clone, Debug)]
pub enum Pool {
    /// SQLite file (SQLCipher).
    Sqlite(SqlitePool),
    /// PostgreSQL server.
    Postgres(PgPool),
}

/// The application's storage handle. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    /// How the session check of every request reads (see `session_reader`).
    session_reader: session_reader::SessionReader,
}

/// Runs the same code on whichever pool the store holds; `$p` is bound to the concrete pool.
/// For store modules only (integration tests have `thredops::with_pool!`, see `test_door`).
macro_rules! with_pool {
    ($store:expr, |$p:ident| $body:expr) => {
        match $store.pool() {
            $crate::store::Pool::Sqlite($p) => $body,
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
}
pub(crate) use with_pool;

/// A transaction on the configured backend, for work that must commit together (e.g. a business
/// change and the job it enqueues).
#[derive(Debug)]
pub enum Tx {
    /// SQLite transaction.
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    /// PostgreSQL transaction.
    Postgres(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// Runs the same code on a transaction's connection; `$c` is `&mut` the concrete connection.
#[macro_export]
#[doc(hidden)]
macro_rules! with_tx {
    ($tx:expr, |$c:ident| $body:expr) => {
        match $tx {
            $crate::store::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::store::Tx::Postgres(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}
pub use with_tx;

impl Tx {
    /// Commits.
    pub async fn commit(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Postgres(t) => t.commit().await?,
        }
        Ok(())
    }

    /// Rolls back (also what dropping an uncommitted transaction does).
    pub async fn rollback(self) -> StoreResult<()> {
        match self {
            Tx::Sqlite(t) => t.rollback().await?,
            Tx::Postgres(t) => t.rollback().await?,
        }
        Ok(())
    }
}

impl Store {
    /// Starts a transaction.
    pub async fn begin(&self) -> StoreResult<Tx> {
        Ok(match &self.pool {
            // IMMEDIATE takes the write lock up front: a transaction that reads and then writes
            // would otherwise fail with SQLITE_BUSY_SNAPSHOT when another writer got in between.
            Pool::Sqlite(p) => Tx::Sqlite(p.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(p) => Tx::Postgres(p.begin().await?),
        })
    }

    /// Wraps an open pool. Call within a Tokio runtime: on PostgreSQL this starts the task that
    /// batches session checks, which ends with the last clone of the store.
    pub fn new(pool: Pool) -> Self {
        let session_reader = session_reader::SessionReader::fast_for(&pool);
        Self {
            pool,
            session_reader,
        }
    }

    /// The same store with its session checks on `path`; [`SessionCheckPath::Plain`] is the
    /// reference the fast paths are measured and tested against.
    pub fn with_session_check(mut self, path: SessionCheckPath) -> Self {
        if path == SessionCheckPath::Plain {
            self.session_reader.close();
            self.session_reader = session_reader::SessionReader::Plain;
        }
        self
    }

    /// The session check's path: `inline` (SQLite), `batched` (PostgreSQL) or `plain`.
    pub fn session_check_name(&self) -> &'static str {
        self.session_reader.name()
    }

    /// The underlying pool, for store modules: everything else calls their methods.
    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }

    /// Backend name, for logs and metrics.
    pub fn backend(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "sqlite",
            Pool::Postgres(_) => "postgres",
        }
    }

    /// Whether the backend is PostgreSQL (several instances may share it).
    pub fn is_postgres(&self) -> bool {
        matches!(self.pool, Pool::Postgres(_))
    }

    /// Applies pending migrations of this backend.
    pub async fn migrate(&self) -> StoreResult<()> {
        match &self.pool {
            Pool::Sqlite(p) => migrations::sqlite().run(p).await?,
            Pool::Postgres(p) => migrations::postgres().run(p).await?,
        }
        Ok(())
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> StoreResult<()> {
        // The tables every signed-in request reads, not just `SELECT 1`: a database that
        // answers but cannot read its accounts is not ready for traffic.
        with_pool!(self, |p| async {
            sqlx::query("SELECT id FROM users LIMIT 1")
                .execute(p)
                .await?;
            sqlx::query("SELECT id FROM sessions LIMIT 1")
                .execute(p)
                .await
                .map(|r| r.rows_affected())
        }
        .await)?;
        Ok(())
    }

    /// Pool gauges: (open connections, idle connections).
    pub fn pool_stats(&self) -> (u32, usize) {
        with_pool!(self, |p| (p.size(), p.num_idle()))
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.session_reader.close();
        with_pool!(self, |p| p.close().await)
    }

    /// Names of every application table (for purge checks and tests).
    pub async fn table_names(&self) -> StoreResult<Vec<String>> {
        use sqlx::Row;
        let rows = match &self.pool {
            Pool::Sqlite(p) => {
                sqlx::query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_sqlx%' ORDER BY name")
                    .fetch_all(p)
                    .await?
                    .iter()
                    .map(|r| r.try_get::<String, _>(0))
                    .collect::<Result<Vec<_>, _>>()?
            }
            Pool::Postgres(p) => {
                sqlx::query("SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_name NOT LIKE '_sqlx%' ORDER BY table_name")
                    .fetch_all(p)
                    .await?
                    .iter()
                    .map(|r| r.try_get::<String, _>(0))
                    .collect::<Result<Vec<_>, _>>()?
            }
        };
        Ok(rows)
    }
}
