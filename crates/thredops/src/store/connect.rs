//! Opening the configured database.

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use super::{Pool, Store, StoreError, StoreResult};
use crate::config::DatabaseTarget;
use crate::crypto::MasterKey;

/// How long a PostgreSQL connection may sit idle before it is pinged on its next use.
const PING_AFTER_IDLE: Duration = Duration::from_millis(500);

/// Opens (creating if needed) the database and returns a store; migrations are not applied here.
pub async fn connect(
    target: &DatabaseTarget,
    master_key: &MasterKey,
    max_connections: u32,
) -> Result<Store, StoreError> {
    let mut inline = None;
    let pool = match target {
        DatabaseTarget::Sqlite(path) => {
            // SQLCipher encrypts through OpenSSL, whose default initialisation registers an
            // exit-time cleanup. A connection still closing on its own thread when the process
            // exits then touches freed OpenSSL state and the process dies with SIGSEGV after
            // everything else succeeded. Initialising OpenSSL first, without that cleanup, leaves
            // the teardown to the operating system.
            openssl_sys::init();
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent).map_err(|e| StoreError::Database(e.into()))?;
            }
            refuse_empty_file(path)?;
            let options = sqlite_options(master_key)
                .filename(path)
                .create_if_missing(true)
                .thread_name(super::sqlite_exit::worker_thread_name);
            let pool = SqlitePoolOptions::new()
                .max_connections(max_connections)
                // A local file cannot drop a connection the way a network can, and the ping
                // sqlx sends before handing one out is a round trip through the connection's
                // worker thread: about as costly as the session query of every request.
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            // A wrong key surfaces on first read, not on open: read now so start-up fails clearly.
            sqlx::query("SELECT count(*) FROM sqlite_master")
                .execute(&pool)
                .await?;
            check_integrity(&pool, path).await?;
            super::sqlite_exit::wait_for_workers_at_exit();
            inline = Some(super::session_reader::SessionReader::Inline(
                std::sync::Arc::new(super::inline::InlineReader::new(
                    path.clone(),
                    &sqlcipher_key(master_key),
                )),
            ));
            Pool::Sqlite(pool)
        }
        DatabaseTarget::Postgres(url) => {
            // from_str honours sslmode, sslrootcert and the rest of libpq's URL parameters.
            let options = PgConnectOptions::from_str(url.expose())?;
            let pool = PgPoolOptions::new()
                .max_connections(max_connections)
                // Ping only a connection that sat idle: one used moments ago was working
                // moments ago, and a ping per query doubles the round trips of every request.
                // After a restart or failover, a connection that served a query within the last
                // half second can still fail once (as an in-flight query would), and sqlx then
                // replaces it. HikariCP makes the same trade (`aliveBypassWindowMs`, 500 ms).
                .test_before_acquire(false)
                .before_acquire(|conn, meta| {
                    Box::pin(async move {
                        if meta.idle_for >= PING_AFTER_IDLE {
                            sqlx::Connection::ping(conn).await?;
                        }
                        Ok(true)
                    })
                })
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(options)
                .await?;
            Pool::Postgres(pool)
        }
    };
    let mut store = Store::new(pool);
    if let Some(inline) = inline {
        store.session_reader = inline;
    }
    Ok(store)
}

/// A database file of 0 bytes is what a failed copy or a full disk leaves; SQLite would quietly
/// turn it into a new, empty database and every account would seem gone. Only a missing file
/// becomes a new database.
fn refuse_empty_file(path: &std::path::Path) -> Result<(), StoreError> {
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() && meta.len() == 0 => Err(StoreError::Unusable(format!(
            "the database file {} is empty (0 bytes). A new database is created only where no \
             file exists: restore it from a backup, or move it away to start afresh",
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// Reads every page once (SQLCipher checks each page's MAC on the way), so a damaged file stops
/// start-up with a clear message instead of serving and failing every sign-in.
async fn check_integrity(
    pool: &sqlx::SqlitePool,
    path: &std::path::Path,
) -> Result<(), StoreError> {
    let verdict: Result<Vec<String>, sqlx::Error> = sqlx::query_scalar("PRAGMA quick_check")
        .fetch_all(pool)
        .await;
    match verdict {
        Ok(lines) if lines.len() == 1 && lines[0] == "ok" => Ok(()),
        Ok(lines) => Err(StoreError::Unusable(format!(
            "the database file {} is damaged ({}). Restore it from a backup",
            path.display(),
            lines.into_iter().take(3).collect::<Vec<_>>().join("; ")
        ))),
        Err(e) => Err(StoreError::Unusable(format!(
            "the database file {} is damaged or not a ThredOps database ({e}). Restore it \
             from a backup",
            path.display()
        ))),
    }
}

/// SQLCipher with a raw 256-bit key derived from the master key, WAL, foreign keys, busy timeout.
fn sqlite_options(master_key: &MasterKey) -> SqliteConnectOptions {
    let key = sqlcipher_key(master_key);
    SqliteConnectOptions::new()
        // sqlx keeps `key` as the first pragma, as SQLCipher requires.
        .pragma("key", format!("\"x'{key}'\""))
        .journal_mode(SqliteJournalMode::Wal)
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
}

impl Store {
    /// SQLite: re-encrypts the whole file under `new_key` (SQLCipher `rekey`). Needs a store of
    /// one connection (the journal mode can change only on the file's only connection). Does
    /// nothing on PostgreSQL, whose data the master key does not encrypt.
    pub(crate) async fn rekey_sqlite(&self, new_key: &MasterKey) -> StoreResult<()> {
        let Pool::Sqlite(pool) = self.pool() else {
            return Ok(());
        };
        let mut conn = pool.acquire().await?;
        // SQLCipher re-encrypts the whole file; it must not be in WAL mode while doing so.
        sqlx::query("PRAGMA journal_mode = DELETE")
            .execute(&mut *conn)
            .await?;
        let rekey = format!("PRAGMA rekey = \"x'{}'\"", sqlcipher_key(new_key));
        sqlx::query(sqlx::AssertSqlSafe(rekey))
            .execute(&mut *conn)
            .await?;
        sqlx::query("PRAGMA journal_mode = WAL")
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}

/// The raw SQLCipher key, hex-encoded.
pub(super) fn sqlcipher_key(master_key: &MasterKey) -> String {
    hex::encode(master_key.derive("sqlcipher"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::with_pool;
    use std::path::PathBuf;

    fn temp_db() -> (PathBuf, PathBuf) {
        let dir = std::env::temp_dir().join(format!("thredops-db-{}", uuid::Uuid::new_v4()));
        let file = dir.join("thredops.db");
        (dir, file)
    }

    #[tokio::test]
    async fn sqlite_file_is_encrypted_and_unreadable_without_the_key() {
        let (dir, file) = temp_db();
        let key = MasterKey::generate();
        let store = connect(&DatabaseTarget::Sqlite(file.clone()), &key, 2)
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let marker = "plaintext-marker-creator@example.com";
        with_pool!(store, |p| sqlx::query(
            "INSERT INTO users (id, email, password_hash, created_at, last_active_at, password_changed_at) VALUES ('u1', $1, 'h', 0, 0, 0)"
        )
        .bind(marker)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))
        .unwrap();
        // Force the WAL into the main file so the check covers it too.
        with_pool!(store, |p| sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(p)
            .await
            .map(|_| ()))
        .unwrap();
        store.close().await;

        let bytes = std::fs::read(&file).unwrap();
        assert!(
            !bytes.starts_with(b"SQLite format 3"),
            "file has a plaintext SQLite header"
        );
        let needle = marker.as_bytes();
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "plaintext found in the file"
        );

        let wrong = connect(
            &DatabaseTarget::Sqlite(file.clone()),
            &MasterKey::generate(),
            1,
        )
        .await;
        assert!(wrong.is_err(), "opening with another key must fail");

        let plain = SqlitePoolOptions::new()
            .connect_with(SqliteConnectOptions::new().filename(&file))
            .await;
        let readable = match plain {
            Ok(pool) => sqlx::query("SELECT count(*) FROM users")
                .execute(&pool)
                .await
                .is_ok(),
            Err(_) => false,
        };
        assert!(!readable, "opening without a key must fail");

        let again = connect(&DatabaseTarget::Sqlite(file), &key, 1)
            .await
            .unwrap();
        let count: i64 = with_pool!(again, |p| sqlx::query_scalar("SELECT count(*) FROM users")
            .fetch_one(p)
            .await)
        .unwrap();
        assert_eq!(count, 1);
        again.close().await;
        std::fs::remove_dir_all(dir).unwrap();
    }
}
