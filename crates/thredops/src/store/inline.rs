//! The session check's SQLite reads, run on the calling thread.
//!
//! sqlx runs every SQLite connection on a worker thread of its own: each query is handed to that
//! thread and its answer handed back, two thread switches per query. For the session check that
//! every authenticated request makes (a primary-key lookup SQLite answers in microseconds from
//! its page cache), those switches were most of the request's cost (docs/benchmarks.md). So
//! that one read runs here instead: on a few connections of our own, used on the calling thread
//! without waiting.
//!
//! A read never waits for a lock: in WAL mode readers do not block on the writer, and in the
//! rare moments SQLite answers "busy" (recovery after a crash, a checkpoint resetting the log)
//! the busy timeout is zero and the caller falls back to the sqlx pool, which waits as usual.
//! Each read is its own transaction, so it sees every commit made before it started, by any
//! connection: a revoked session is refused on the next request.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, ToSql};

/// Connections kept for reuse; each serves one read at a time, so more than the threads that
/// read at once are never in use.
const MAX_IDLE: usize = 16;

/// Why an inline read gave no answer; the caller then asks the sqlx pool.
#[derive(Debug, thiserror::Error)]
pub(super) enum InlineError {
    /// SQLite would have had to wait for a lock.
    #[error("database busy")]
    Busy,
    /// Opening or reading failed otherwise.
    #[error(transparent)]
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for InlineError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => {
                InlineError::Busy
            }
            _ => InlineError::Sqlite(e),
        }
    }
}

/// A row as the `*_from_row!` macros read it: `try_get(column)`.
pub(super) struct InlineRow<'r, 's> {
    row: &'r Row<'s>,
    /// The statement's column names, read once: rusqlite looks a name up by asking SQLite for
    /// every column's name again on each `get`.
    names: Vec<&'r str>,
}

impl InlineRow<'_, '_> {
    pub(super) fn try_get<T: rusqlite::types::FromSql>(&self, column: &str) -> rusqlite::Result<T> {
        match self.names.iter().position(|name| *name == column) {
            Some(index) => self.row.get(index),
            None => Err(rusqlite::Error::InvalidColumnName(column.to_owned())),
        }
    }
}

impl super::Store {
    /// Runs a read on the calling thread when the store is SQLite; `None` means "ask the pool"
    /// (PostgreSQL, or SQLite answered busy or failed).
    pub(super) fn read_inline<T>(
        &self,
        sql: &str,
        params: &[(&str, &dyn ToSql)],
        map: impl FnOnce(InlineRow<'_, '_>) -> rusqlite::Result<T>,
    ) -> Option<Option<T>> {
        let super::session_reader::SessionReader::Inline(reader) = &self.session_reader else {
            return None;
        };
        match reader.query_optional(sql, params, map) {
            Ok(found) => Some(found),
            Err(InlineError::Busy) => None,
            Err(error) => {
                tracing::warn!(%error, "reading on the calling thread failed; reading through the pool");
                None
            }
        }
    }
}

/// Read-only connections to the store's SQLite file, opened on first use.
pub(super) struct InlineReader {
    path: PathBuf,
    /// `PRAGMA key` argument: the same raw key the sqlx pool uses.
    key: String,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for InlineReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InlineReader")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl InlineReader {
    /// `key` is the hex of the raw SQLCipher key.
    pub(super) fn new(path: PathBuf, key: &str) -> Self {
        Self {
            path,
            key: format!("x'{key}'"),
            idle: Mutex::new(Vec::new()),
        }
    }

    /// Runs `sql` with named parameters (`$1`, `$2`, ... as in the portable queries) and maps
    /// the first row, if any.
    pub(super) fn query_optional<T>(
        &self,
        sql: &str,
        params: &[(&str, &dyn ToSql)],
        map: impl FnOnce(InlineRow<'_, '_>) -> rusqlite::Result<T>,
    ) -> Result<Option<T>, InlineError> {
        let conn = match self.take() {
            Some(conn) => conn,
            None => self.open()?,
        };
        let found = conn
            .prepare_cached(sql)
            .and_then(|mut statement| {
                statement
                    .query_row(params, |row| {
                        let names = row.as_ref().column_names();
                        map(InlineRow { row, names })
                    })
                    .optional()
            })
            .map_err(InlineError::from);
        // A connection that failed for another reason than a lock is not trusted again.
        if matches!(found, Ok(_) | Err(InlineError::Busy)) {
            self.give_back(conn);
        }
        found
    }

    /// Closes the kept connections; one in use by a read now is kept until the store is
    /// dropped.
    pub(super) fn close(&self) {
        self.lock().clear();
    }

    fn open(&self) -> Result<Connection, InlineError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // SQLCipher needs the key before anything else reads the file.
        conn.pragma_update(None, "key", &self.key)?;
        conn.busy_timeout(Duration::ZERO)?;
        // These connections only read; SQLite refuses a write should one ever be sent.
        conn.pragma_update(None, "query_only", true)?;
        Ok(conn)
    }

    fn take(&self) -> Option<Connection> {
        self.lock().pop()
    }

    fn give_back(&self, conn: Connection) {
        let mut idle = self.lock();
        if idle.len() < MAX_IDLE {
            idle.push(conn);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Connection>> {
        // A panic while holding the lock leaves a valid Vec behind.
        self.idle.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use crate::config::DatabaseTarget;
    use crate::crypto::MasterKey;
    use crate::domain::{Email, SessionId, UserId};
    use crate::store::sessions::NewSession;
    use crate::store::{Store, connect};

    async fn store_with_session(
        dir: &std::path::Path,
        key: &MasterKey,
    ) -> (Store, UserId, SessionId) {
        let store = connect(&DatabaseTarget::Sqlite(dir.join("thredops.db")), key, 2)
            .await
            .unwrap();
        store.migrate().await.unwrap();
        let email = Email::parse("reader@example.com").unwrap();
        let user = store.create_user(&email, "hash", 1_000).await.unwrap();
        store
            .create_session(NewSession {
                id: &SessionId::new("s1"),
                user_id: &user.id,
                now: 1_000,
                expires_at: 10_000,
                user_agent: "test",
                ip: "127.0.0.1",
            })
            .await
            .unwrap();
        (store, user.id, SessionId::new("s1"))
    }

    #[tokio::test]
    async fn a_locked_database_sends_the_read_to_the_pool_instead_of_answering_none() {
        let dir = std::env::temp_dir().join(format!("thredops-inline-{}", uuid::Uuid::new_v4()));
        let key = MasterKey::generate();
        let (mut store, _, _) = store_with_session(&dir, &key).await;
        // In WAL mode (ours) a reader is told "busy" only in rare moments (recovery after a
        // crash, a checkpoint resetting the log); a rollback-journal file shows it on demand,
        // as a writer's exclusive lock keeps every reader out.
        let path = dir.join("journal.db");
        let sql_key = super::super::connect::sqlcipher_key(&key);
        let writer = rusqlite::Connection::open(&path).unwrap();
        writer
            .pragma_update(None, "key", format!("x'{sql_key}'"))
            .unwrap();
        writer
            .execute_batch(
                "PRAGMA journal_mode = DELETE; CREATE TABLE sessions (id TEXT); \
                 INSERT INTO sessions VALUES ('s1');",
            )
            .unwrap();
        store.session_reader = super::super::session_reader::SessionReader::Inline(
            std::sync::Arc::new(super::InlineReader::new(path, &sql_key)),
        );
        let read = |store: &Store| {
            store.read_inline(
                "SELECT id FROM sessions WHERE id = $1",
                &[("$1", &"s1")],
                |row| row.try_get::<String>("id"),
            )
        };
        assert_eq!(read(&store), Some(Some("s1".to_owned())));

        writer
            .execute_batch("BEGIN EXCLUSIVE; UPDATE sessions SET id = 's1';")
            .unwrap();
        // "Busy" must never read as "no such session" (that would sign the user out).
        assert_eq!(read(&store), None, "a busy read answers \"ask the pool\"");

        writer.execute_batch("COMMIT").unwrap();
        assert_eq!(
            read(&store),
            Some(Some("s1".to_owned())),
            "the connection kept after \"busy\" reads again once the lock is gone"
        );
        let missing = store.read_inline(
            "SELECT id FROM sessions WHERE id = $1",
            &[("$1", &"s2")],
            |row| row.try_get::<String>("id"),
        );
        assert_eq!(
            missing,
            Some(None),
            "a missing row is an answer, not a reason to ask the pool"
        );

        drop(writer);
        store.close().await;
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[tokio::test]
    async fn a_revocation_committed_elsewhere_is_seen_by_the_next_check() {
        let dir = std::env::temp_dir().join(format!("thredops-inline-{}", uuid::Uuid::new_v4()));
        let key = MasterKey::generate();
        let (store, user_id, session_id) = store_with_session(&dir, &key).await;
        // Twice: the second read reuses the kept connection, whose cache must not answer.
        for _ in 0..2 {
            assert!(
                store
                    .live_session(&session_id, &user_id, 2_000, 3_600)
                    .await
                    .unwrap()
                    .is_some()
            );
        }
        // Revoked by another process on the same file (a second store, its own connections).
        let other = connect(&DatabaseTarget::Sqlite(dir.join("thredops.db")), &key, 1)
            .await
            .unwrap();
        crate::with_pool!(other, |p| sqlx::query(
            "UPDATE sessions SET revoked_at = 1500 WHERE id = $1"
        )
        .bind(&session_id)
        .execute(p)
        .await
        .map(|_| ()))
        .unwrap();
        assert!(
            store
                .live_session(&session_id, &user_id, 2_000, 3_600)
                .await
                .unwrap()
                .is_none(),
            "a revoked session is refused on the next check"
        );
        other.close().await;
        store.close().await;
        std::fs::remove_dir_all(dir).unwrap();
    }
}
