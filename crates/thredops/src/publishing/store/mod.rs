//! Storage of planned posts, their ledger and posting slots.
//!
//! Every publisher write is a compare-and-set on `version`: a worker holding a stale view of a
//! post (a second instance, or one that lost its lease) changes nothing and learns it lost.

mod media;
pub(crate) mod quota;
mod reconnect;
mod slots;
mod start;

use super::{EventKind, PostState};
use crate::clock::now_unix;
use crate::domain::{MediaId, PostId, ProfileId, WorkspaceId};
use crate::store::{IntFlag, Store, StoreResult, Tx, with_pool, with_tx};
use quota::{Ask, reserve_in, settle_in};

/// One planned post as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostRecord {
    /// Id.
    pub id: PostId,
    /// Owning workspace.
    pub user_id: WorkspaceId,
    /// Profile it publishes on.
    pub profile_id: ProfileId,
    /// Where it is in its life.
    #[sqlx(try_from = "String")]
    pub state: PostState,
    /// `text`, `image`, `video`, `carousel`, with ` chain` for chains.
    #[sqlx(try_from = "String")]
    pub kind: super::PostKind,
    /// Sealed composition JSON.
    pub content_enc: Vec<u8>,
    /// Chosen wall-clock time (`2026-03-29T09:00`).
    pub local_time: Option<String>,
    /// Zone of `local_time`.
    pub timezone: Option<String>,
    /// When to publish (UTC seconds).
    pub scheduled_at: Option<i64>,
    /// Publisher progress JSON.
    pub progress: String,
    /// Media id of the top-level post, once published.
    pub media_id: Option<MediaId>,
    /// Its permalink.
    pub permalink: Option<String>,
    /// Why it waits (e.g. quota), for the user.
    pub note: Option<String>,
    /// Why it failed, for the user.
    pub failure: Option<String>,
    /// Publishing attempts.
    pub attempts: i64,
    /// Whether the user has seen its failure.
    #[sqlx(try_from = "IntFlag")]
    pub acknowledged: bool,
    /// Optimistic-lock counter.
    pub version: i64,
    /// Created (UTC seconds).
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
    /// Published.
    pub published_at: Option<i64>,
}

/// The columns of a [`PostRecord`], as its `FromRow` derive reads them by name.
pub(super) const COLUMNS: &str = "id, user_id, profile_id, state, kind, content_enc, local_time, timezone, scheduled_at, progress, media_id, permalink, note, failure, attempts, acknowledged, version, created_at, updated_at, published_at";

/// The publisher's compare-and-set update of a post, on a pool or a transaction's connection.
macro_rules! post_update {
    ($executor:expr, $w:expr, $now:expr, $id:expr, $version:expr) => {
        sqlx::query(
            "UPDATE scheduled_posts SET state = $1, progress = $2, media_id = COALESCE($3, media_id), permalink = COALESCE($4, permalink), note = $5, failure = $6, attempts = $7, published_at = COALESCE($8, published_at), acknowledged = CASE WHEN $1 = 'failed' THEN 0 ELSE acknowledged END, version = version + 1, updated_at = $9 \
             WHERE id = $10 AND version = $11",
        )
        .bind($w.state.as_str())
        .bind(&$w.progress)
        .bind(&$w.media_id)
        .bind(&$w.permalink)
        .bind(&$w.note)
        .bind(&$w.failure)
        .bind($w.attempts)
        .bind($w.published_at)
        .bind($now)
        .bind($id)
        .bind($version)
        .execute($executor)
        .await
        .map(|r| r.rows_affected())
    };
}

/// What the publisher changes in one compare-and-set write.
#[derive(Debug, Clone, Default)]
pub struct PublisherWrite {
    /// New state.
    pub state: PostState,
    /// New progress JSON.
    pub progress: String,
    /// Media id of the top-level post.
    pub media_id: Option<MediaId>,
    /// Its permalink.
    pub permalink: Option<String>,
    /// Note for the user (None clears it).
    pub note: Option<String>,
    /// Failure reason (None clears it).
    pub failure: Option<String>,
    /// Attempts so far.
    pub attempts: i64,
    /// Publication time, once published.
    pub published_at: Option<i64>,
    /// A ledger entry (kind, message) written with the change.
    pub event: Option<(EventKind, String)>,
    /// A change to the profile's quota made in the same transaction.
    pub quota: Option<QuotaOp>,
    /// Follow-ups set in motion by a publication, written in the same transaction.
    pub followups: Option<Box<super::followups::Plan>>,
}

/// What a publisher write does to the profile's quota (see `publishing::quota`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QuotaOp {
    /// Takes one post of the profile's quota for the publishing call about to be made.
    Reserve {
        /// The profile.
        profile_id: ProfileId,
        /// Which readings may be relied on.
        ask: Ask,
    },
    /// The reserved call returned.
    Settle {
        /// The profile.
        profile_id: ProfileId,
    },
}

/// How a publisher write went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// Applied.
    Done,
    /// Someone else wrote since the version we hold: nothing was changed.
    Lost,
    /// The reservation was refused: nothing was changed.
    NoQuota,
}

/// Inserts the planned post `$p` through the connection `$c` of an open transaction (a macro so
/// it runs on either backend inside `with_tx!`); evaluates to the rows inserted.
macro_rules! insert_post_on {
    ($c:expr, $p:expr) => {{
        let p: &$crate::publishing::store::PostRecord = $p;
        sqlx::query(
            "INSERT INTO scheduled_posts (id, user_id, profile_id, state, kind, content_enc, local_time, timezone, scheduled_at, progress, note, attempts, acknowledged, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $12, 0, 1, 0, $11, $11)",
        )
        .bind(&p.id)
        .bind(&p.user_id)
        .bind(&p.profile_id)
        .bind(p.state.as_str())
        .bind(p.kind.to_string())
        .bind(&p.content_enc)
        .bind(&p.local_time)
        .bind(&p.timezone)
        .bind(p.scheduled_at)
        .bind(&p.progress)
        .bind(p.created_at)
        .bind(&p.note)
        .execute($c)
        .await
        .map(|r| r.rows_affected())
    }};
}
pub(crate) use insert_post_on;

impl Store {
    /// Inserts a planned post.
    pub async fn insert_planned_post(&self, p: &PostRecord) -> StoreResult<()> {
        with_pool!(self, |pool| insert_post_on!(pool, p))?;
        Ok(())
    }

    /// A planned post by id, whoever owns it (the publisher's view).
    pub async fn planned_post(&self, id: &PostId) -> StoreResult<Option<PostRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM scheduled_posts WHERE id = $1"
        ));
        Ok(with_pool!(self, |pool| sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(pool)
            .await)?)
    }

    /// The user's planned posts, optionally those scheduled in `[from, to)`, soonest first
    /// (drafts without a time last).
    pub async fn planned_posts_of(
        &self,
        user_id: &WorkspaceId,
        range: Option<(i64, i64)>,
    ) -> StoreResult<Vec<PostRecord>> {
        let (from, to) = range.unwrap_or((i64::MIN, i64::MAX));
        let filter = if range.is_some() {
            "AND scheduled_at >= $2 AND scheduled_at < $3"
        } else {
            "AND (scheduled_at IS NULL OR (scheduled_at >= $2 AND scheduled_at < $3))"
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM scheduled_posts WHERE user_id = $1 {filter} ORDER BY scheduled_at IS NULL, scheduled_at, created_at"
        ));
        Ok(with_pool!(self, |pool| sqlx::query_as(sql)
            .bind(user_id)
            .bind(from)
            .bind(to)
            .fetch_all(pool)
            .await)?)
    }

    /// Replaces the content, state and time of a post the user edits (not while publishing).
    pub async fn update_planned_post(&self, p: &PostRecord, now: i64) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| {
            sqlx::query(
            "UPDATE scheduled_posts SET state = $1, kind = $2, content_enc = $3, local_time = $4, timezone = $5, scheduled_at = $6, progress = $7, note = $8, failure = $9, acknowledged = 1, version = version + 1, updated_at = $10 \
             WHERE id = $11 AND user_id = $12 AND version = $13"
        )
        .bind(p.state.as_str())
        .bind(p.kind.to_string())
        .bind(&p.content_enc)
        .bind(&p.local_time)
        .bind(&p.timezone)
        .bind(p.scheduled_at)
        .bind(&p.progress)
        .bind(&p.note)
        .bind(&p.failure)
        .bind(now)
        .bind(&p.id)
        .bind(&p.user_id)
        .bind(p.version)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// The publisher's compare-and-set write: applies only if nobody wrote since `version`,
    /// together with its ledger entry and quota change, in one transaction.
    pub async fn publisher_write(
        &self,
        id: &PostId,
        version: i64,
        w: &PublisherWrite,
        now: i64,
    ) -> StoreResult<Written> {
        if w.quota.is_none() && w.event.is_none() && w.followups.is_none() {
            // One statement needs no transaction (and a transaction costs round trips).
            let done = with_pool!(self, |p| post_update!(p, w, now, id, version))?;
            return Ok(if done == 1 {
                Written::Done
            } else {
                Written::Lost
            });
        }
        let mut tx = self.begin().await?;
        let reserved = match &w.quota {
            Some(QuotaOp::Reserve { profile_id, ask }) => {
                reserve_in(&mut tx, profile_id, crate::clock::now_ms(), *ask).await?
            }
            Some(QuotaOp::Settle { profile_id }) => {
                settle_in(&mut tx, profile_id).await?;
                true
            }
            None => true,
        };
        if !reserved {
            tx.rollback().await?;
            return Ok(Written::NoQuota);
        }
        let done = with_tx!(&mut tx, |c| post_update!(c, w, now, id, version))?;
        if done != 1 {
            tx.rollback().await?;
            return Ok(Written::Lost);
        }
        if let Some((kind, message)) = &w.event {
            insert_event_in(&mut tx, id, crate::clock::now_ms(), *kind, message).await?;
        }
        if let Some(plan) = &w.followups {
            super::followups::store::insert_plan_in(&mut tx, plan).await?;
        }
        tx.commit().await?;
        Ok(Written::Done)
    }

    /// Re-derives the UTC time of a post after its zone changed.
    pub async fn retime_planned_post(
        &self,
        id: &PostId,
        version: i64,
        timezone: &str,
        scheduled_at: i64,
    ) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| {
            sqlx::query(
            "UPDATE scheduled_posts SET timezone = $1, scheduled_at = $2, version = version + 1 WHERE id = $3 AND version = $4"
        )
        .bind(timezone)
        .bind(scheduled_at)
        .bind(id)
        .bind(version)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Marks the user's failures as seen.
    pub async fn acknowledge_failures(&self, user_id: &WorkspaceId) -> StoreResult<u64> {
        with_pool!(self, |pool| sqlx::query(
            "UPDATE scheduled_posts SET acknowledged = 1 WHERE user_id = $1 AND acknowledged = 0"
        )
        .bind(user_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))
        .map_err(Into::into)
    }

    /// Deletes a draft or cancelled post of the user.
    pub async fn delete_planned_post(
        &self,
        id: &PostId,
        user_id: &WorkspaceId,
    ) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| {
            sqlx::query(
            "DELETE FROM scheduled_posts WHERE id = $1 AND user_id = $2 AND state IN ('draft', 'cancelled', 'failed')"
        )
        .bind(id)
        .bind(user_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Appends a ledger entry.
    pub async fn add_publish_event(
        &self,
        post_id: &PostId,
        at_ms: i64,
        kind: EventKind,
        message: &str,
    ) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        insert_event_in(&mut tx, post_id, at_ms, kind, message).await?;
        tx.commit().await
    }

    /// A post's ledger, oldest first: (time in ms, kind, message).
    pub async fn publish_events(
        &self,
        post_id: &PostId,
    ) -> StoreResult<Vec<(i64, EventKind, String)>> {
        Ok(with_pool!(self, |pool| sqlx::query_as(
            "SELECT at_ms, kind, message FROM publish_events WHERE post_id = $1 ORDER BY at_ms, id",
        )
        .bind(post_id)
        .fetch_all(pool)
        .await)?)
    }
}

impl Store {
    /// The media ids that the profile's other planned posts (changed in the last two days)
    /// hold, in any part: recovery never adopts one of them for another post.
    pub async fn media_held_by_other_posts(
        &self,
        profile_id: &ProfileId,
        except_post: &PostId,
    ) -> StoreResult<std::collections::HashSet<MediaId>> {
        let since = now_unix() - 2 * 86_400;
        let rows: Vec<(Option<MediaId>, String)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT media_id, progress FROM scheduled_posts \
                 WHERE profile_id = $1 AND id <> $2 AND updated_at >= $3",
            )
            .bind(profile_id)
            .bind(except_post)
            .bind(since)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .flat_map(|(root, progress)| {
                let parts = super::progress::Progress::parse(&progress).parts;
                root.into_iter()
                    .chain(parts.into_iter().filter_map(|p| p.media_id))
            })
            .collect())
    }

    /// Posts waiting for the publisher that are due before `before` (UTC seconds).
    pub async fn due_planned_posts(&self, before: i64) -> StoreResult<Vec<PostRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM scheduled_posts WHERE state IN ('scheduled', 'container_created', 'ready') AND scheduled_at < $1 ORDER BY scheduled_at LIMIT 5000"
        ));
        Ok(with_pool!(self, |pool| sqlx::query_as(sql)
            .bind(before)
            .fetch_all(pool)
            .await)?)
    }
}

async fn insert_event_in(
    tx: &mut Tx,
    post_id: &PostId,
    at_ms: i64,
    kind: EventKind,
    message: &str,
) -> StoreResult<()> {
    with_tx!(tx, |c| sqlx::query(
        "INSERT INTO publish_events (id, post_id, at_ms, kind, message) VALUES ($1, $2, $3, $4, $5)"
    )
    .bind(uuid::Uuid::new_v4().to_string())
    .bind(post_id)
    .bind(at_ms)
    .bind(kind.as_str())
    .bind(message)
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

/// Inserts a planned post inside a transaction (a recurring date's post, a follow-up).
pub(crate) async fn insert_post_in(tx: &mut Tx, post: &PostRecord) -> StoreResult<()> {
    with_tx!(tx, |c| insert_post_on!(c, post))?;
    Ok(())
}
