//! PostgreSQL: the session checks of concurrent requests read together, in one query.
//!
//! Every authenticated request reads its session row (revocation must bite at once). On
//! PostgreSQL each read is a network round trip whose fixed cost (the protocol exchange, waking
//! the server process and this one) is many times the lookup itself. Checks that arrive while
//! others are being read wait for the next query and are read together, one row of parameters
//! per check: a request still sees every commit made before its check was sent, while the
//! database answers one query for a whole batch. When nothing else is waiting, a
//! check is sent at once, alone.
//!
//! A batch that fails (a dropped connection, a failover) is retried check by check, so each
//! request gets its own answer or its own error.

use std::collections::HashMap;
use std::sync::LazyLock;

use sqlx::{Connection, PgConnection, PgPool, Row};
use tokio::sync::{mpsc, oneshot};

use super::profiles::{ProfileRecord, profile_from_row};
use super::sessions::{
    CHECK_COLUMNS, SEAT_JOIN, Seat, SessionRecord, found_from_row, session_from_row,
};
use super::users::{UserRecord, user_from_row};
use crate::domain::{ProfileId, Role, SessionId, UserId};

/// Batch queries in flight at once; a check that finds them all busy waits for the next one.
const IN_FLIGHT: usize = 2;

/// Most checks read by one query.
const MAX_BATCH: usize = 64;

/// What one check asks: the session of a user, live at `now`, and optionally one of their
/// profiles.
#[derive(Debug)]
pub(super) struct Check {
    pub(super) session_id: SessionId,
    pub(super) user_id: UserId,
    pub(super) profile_id: Option<ProfileId>,
    pub(super) now: i64,
    pub(super) idle_since: i64,
}

/// A live session, its account, its seat in another workspace if it acts in one, and the
/// asked-for profile if it belongs to the workspace the session acts in.
pub(super) type Found = (
    SessionRecord,
    UserRecord,
    Option<Seat>,
    Option<ProfileRecord>,
);

struct Pending {
    check: Check,
    reply: oneshot::Sender<Result<Option<Found>, sqlx::Error>>,
}

/// Queues checks for the batching task, which ends when the last store clone is dropped.
#[derive(Debug)]
pub(super) struct SessionBatcher {
    queue: mpsc::UnboundedSender<Pending>,
}

impl SessionBatcher {
    /// Starts the batching task on the current runtime.
    pub(super) fn start(pool: PgPool) -> Self {
        let (queue, waiting) = mpsc::unbounded_channel();
        tokio::spawn(run(pool, waiting));
        Self { queue }
    }

    /// Reads one check, together with whatever others are waiting.
    pub(super) async fn check(&self, check: Check) -> Result<Option<Found>, sqlx::Error> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Pending { check, reply })
            .map_err(|_| sqlx::Error::PoolClosed)?;
        answer.await.map_err(|_| sqlx::Error::PoolClosed)?
    }
}

async fn run(pool: PgPool, mut waiting: mpsc::UnboundedReceiver<Pending>) {
    // Each slot carries its connection, opened on first use and kept while it works.
    let (free, mut slots) = mpsc::channel::<Option<PgConnection>>(IN_FLIGHT);
    for _ in 0..IN_FLIGHT {
        free.try_send(None).expect("the channel holds every slot");
    }
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        let Some(connection) = slots.recv().await else {
            return;
        };
        if waiting.recv_many(&mut batch, MAX_BATCH).await == 0 {
            break;
        }
        let pending = std::mem::replace(&mut batch, Vec::with_capacity(MAX_BATCH));
        let (pool, free) = (pool.clone(), free.clone());
        tokio::spawn(async move {
            let connection = answer(&pool, connection, pending).await;
            let _ = free.send(connection).await;
        });
    }
    // The store is gone: say goodbye to PostgreSQL on the connections not in use.
    while let Ok(connection) = slots.try_recv() {
        if let Some(connection) = connection {
            let _ = connection.close().await;
        }
    }
}

/// Answers a batch on the slot's connection (opening one if the slot has none) and gives back
/// the connection to keep, if it still works.
///
/// The slot's connection is its own, not the pool's: sqlx sends a round trip to PostgreSQL
/// each time a connection goes back to its pool, as much work as the batch query itself.
async fn answer(
    pool: &PgPool,
    connection: Option<PgConnection>,
    pending: Vec<Pending>,
) -> Option<PgConnection> {
    let checks: Vec<&Check> = pending.iter().map(|p| &p.check).collect();
    let mut connection = match connection {
        Some(connection) => Some(connection),
        None if pool.is_closed() => None,
        None => PgConnection::connect_with(&pool.connect_options())
            .await
            .ok(),
    };
    let read = match connection.as_mut() {
        Some(connection) => read_batch(connection, &checks).await,
        None => read_batch(pool, &checks).await,
    };
    match read {
        Ok(mut found) => {
            for (index, p) in pending.into_iter().enumerate() {
                // A requester that went away (its request was cancelled) needs no answer.
                let _ = p.reply.send(Ok(found.remove(&index)));
            }
            connection.filter(|_| !pool.is_closed())
        }
        Err(_) => {
            // The connection may be dead (a restart, a failover): the pool, which checks the
            // connections it hands out, answers each check on its own.
            for p in pending {
                let _ = p.reply.send(
                    read_batch(pool, &[&p.check])
                        .await
                        .map(|mut found| found.remove(&0)),
                );
            }
            None
        }
    }
}

/// The batch query for `size` checks: one `VALUES` row of parameters per check, each looked
/// up by its own index scans. A `VALUES` list (rather than arrays unnested) tells the planner
/// how many rows come, so PostgreSQL keeps one generic plan per size instead of planning every
/// batch anew; sizes are powers of two, so a connection prepares at most seven of these.
fn batch_sql(size: usize) -> String {
    let rows: Vec<String> = (0..size)
        .map(|i| {
            let p = i * 5;
            format!(
                "({i}, ${}::text, ${}::text, ${}::text, ${}::int8, ${}::int8)",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5
            )
        })
        .collect();
    format!(
        "SELECT q.n, f.* FROM (VALUES {}) AS q(n, session_id, user_id, profile_id, now, idle_since) \
         CROSS JOIN LATERAL (\
           SELECT {} FROM sessions s JOIN users u ON u.id = s.user_id {SEAT_JOIN} \
           LEFT JOIN threads_profiles p ON p.id = q.profile_id AND p.user_id = COALESCE(m.workspace_id, s.user_id) \
           WHERE s.id = q.session_id AND s.user_id = q.user_id AND s.revoked_at IS NULL \
             AND s.expires_at > q.now AND s.last_seen_at > q.idle_since\
         ) f",
        rows.join(", "),
        CHECK_COLUMNS.as_str()
    )
}

/// Batch sizes a query is prepared for.
const SIZES: [usize; 7] = [1, 2, 4, 8, 16, 32, 64];
const _: () = assert!(SIZES[SIZES.len() - 1] == MAX_BATCH);

/// Reads `checks` (at most [`MAX_BATCH`]) in one query; the answer maps a check's index to
/// what it found.
async fn read_batch<'e>(
    executor: impl sqlx::PgExecutor<'e>,
    checks: &[&Check],
) -> Result<HashMap<usize, Found>, sqlx::Error> {
    static SQL: LazyLock<Vec<String>> =
        LazyLock::new(|| SIZES.iter().map(|&n| batch_sql(n)).collect());
    let (slot, size) = SIZES
        .iter()
        .enumerate()
        .find(|(_, size)| **size >= checks.len())
        .map(|(slot, size)| (slot, *size))
        .expect("a batch is at most MAX_BATCH checks");
    let mut query = sqlx::query(SQL[slot].as_str());
    for check in checks {
        query = query
            .bind(check.session_id.as_str())
            .bind(check.user_id.as_str())
            .bind(check.profile_id.as_ref().map(ProfileId::as_str))
            .bind(check.now)
            .bind(check.idle_since);
    }
    // Padding rows match no session.
    for _ in checks.len()..size {
        query = query
            .bind(None::<&str>)
            .bind(None::<&str>)
            .bind(None::<&str>)
            .bind(0_i64)
            .bind(0_i64);
    }
    let rows = query.fetch_all(executor).await?;
    let mut found = HashMap::with_capacity(rows.len());
    for row in &rows {
        let n: i32 = row.try_get("n")?;
        found.insert(n as usize, found_from_row!(row, true));
    }
    Ok(found)
}
