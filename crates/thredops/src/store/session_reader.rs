//! How the session check reaches the database: one interface, three paths.
//!
//! Every authenticated request reads its session row, so that a revoked session or a removed
//! member is refused at once. The plain path is a query through the sqlx pool, and it is the
//! reference: the two fast paths must answer exactly as it does (`tests/api/session_paths.rs`)
//! and are kept because they measurably pay for themselves (docs/benchmarks.md, "Session check
//! paths"). `THREDOPS_SESSION_CHECK=plain` runs the reference path, to measure or to rule the
//! fast paths out when a session check misbehaves.

use std::sync::Arc;

use super::Pool;
use super::inline::InlineReader;
use super::session_batch::SessionBatcher;
pub use crate::config::SessionCheckPath;

/// The session check's reader.
#[derive(Debug, Clone)]
pub(super) enum SessionReader {
    /// Through the pool.
    Plain,
    /// SQLite: on the calling thread, falling back to the pool when SQLite answers busy.
    Inline(Arc<InlineReader>),
    /// PostgreSQL: together with the checks of concurrent requests.
    Batched(Arc<SessionBatcher>),
}

impl SessionReader {
    /// The fast reader of a pool; the SQLite one needs the file and key, which only `connect`
    /// has, so a bare SQLite pool reads plainly until it is given one.
    pub(super) fn fast_for(pool: &Pool) -> Self {
        match pool {
            // Starting the batcher needs a Tokio runtime, which `Store::new` documents.
            Pool::Postgres(p) => Self::Batched(Arc::new(SessionBatcher::start(p.clone()))),
            Pool::Sqlite(_) => Self::Plain,
        }
    }

    /// The path's name, for the start-up log.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Self::Plain => "plain",
            Self::Inline(_) => "inline",
            Self::Batched(_) => "batched",
        }
    }

    /// Lets go of what the reader holds open.
    pub(super) fn close(&self) {
        if let Self::Inline(reader) = self {
            reader.close();
        }
    }
}
