//! Storage of the publisher's quota readings (`publishing_quota`), one row per profile.
//!
//! Every change is a single conditional statement, so concurrent workers on any instance see one
//! consistent count: a reservation succeeds only while the row says a post is left.

use crate::domain::ProfileId;
use crate::store::{Store, StoreResult, Tx, with_pool, with_tx};

/// The stored view of a profile's post quota.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct QuotaRow {
    /// Posts that may still be reserved on the strength of the last reading.
    pub remaining: i64,
    /// Meta's `quota_total` at the last reading.
    pub total: Option<i64>,
    /// When the last reading was asked for (Unix ms); 0 = never.
    pub read_at_ms: i64,
    /// Publishing calls whose outcome is known (only grows).
    pub finished: i64,
}

/// Which readings a reservation may rely on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ask {
    /// Only a reading asked for after this (Unix ms) counts.
    pub read_after_ms: i64,
    /// Posts that must be left after the reservation.
    pub keep: i64,
}

/// A new reading of `threads_publishing_limit`.
#[derive(Debug, Clone, Copy)]
pub struct Reading {
    /// Posts Meta says are left.
    pub left: i64,
    /// Meta's `quota_total`.
    pub total: Option<i64>,
    /// When the reading was asked for (Unix ms).
    pub asked_ms: i64,
    /// `finished` as stored just before asking: every call counted there had returned.
    pub finished_before: i64,
    /// With no call started since this (Unix ms), nothing can still be in flight.
    pub quiet_since_ms: i64,
}

const ROW: &str =
    "SELECT remaining, total, read_at_ms, finished FROM publishing_quota WHERE profile_id = $1";

/// Takes one post of the profile's quota inside `tx`; false when the stored reading does not
/// allow it (too old, or too few left).
pub(super) async fn reserve_in(
    tx: &mut Tx,
    profile_id: &ProfileId,
    now_ms: i64,
    ask: Ask,
) -> StoreResult<bool> {
    let n = with_tx!(tx, |c| {
        sqlx::query(
        "UPDATE publishing_quota SET remaining = remaining - 1, started = started + 1, last_started_ms = $2 \
         WHERE profile_id = $1 AND remaining > $3 AND read_at_ms >= $4"
    )
    .bind(profile_id)
    .bind(now_ms)
    .bind(ask.keep)
    .bind(ask.read_after_ms)
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(n == 1)
}

/// Records inside `tx` that a reserved publishing call returned.
pub(super) async fn settle_in(tx: &mut Tx, profile_id: &ProfileId) -> StoreResult<()> {
    with_tx!(tx, |c| {
        sqlx::query(
        "UPDATE publishing_quota SET finished = finished + 1 WHERE profile_id = $1 AND finished < started"
    )
    .bind(profile_id)
    .execute(c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(())
}

impl Store {
    /// The profile's quota row (created empty, i.e. never read, when missing).
    pub async fn quota_row(&self, profile_id: &ProfileId) -> StoreResult<QuotaRow> {
        with_pool!(self, |p| async {
            // Read first: the row exists after the profile's first post, and a write per post
            // would queue every worker behind SQLite's single writer.
            if let Some(row) = sqlx::query_as(ROW)
                .bind(profile_id)
                .fetch_optional(p)
                .await?
            {
                return Ok(row);
            }
            sqlx::query(
                "INSERT INTO publishing_quota (profile_id) VALUES ($1) ON CONFLICT DO NOTHING",
            )
            .bind(profile_id)
            .execute(p)
            .await?;
            sqlx::query_as::<_, QuotaRow>(ROW)
                .bind(profile_id)
                .fetch_one(p)
                .await
        }
        .await)
        .map_err(Into::into)
    }

    /// Stores a reading. What may be left is Meta's count minus every call that had not returned
    /// when the reading was asked for (Meta may not have counted it yet), unless no call started
    /// for so long that none can still be in flight (a crashed worker's call never returns).
    pub async fn record_quota_reading(
        &self,
        profile_id: &ProfileId,
        r: &Reading,
    ) -> StoreResult<QuotaRow> {
        with_pool!(self, |p| async {
            sqlx::query_as::<_, QuotaRow>(
                "UPDATE publishing_quota SET \
                     remaining = CASE WHEN last_started_ms < $6 THEN $2 \
                         WHEN $2 - (started - $5) < 0 THEN 0 ELSE $2 - (started - $5) END, \
                     finished = CASE WHEN last_started_ms < $6 THEN started ELSE finished END, \
                     total = $3, read_at_ms = $4 \
                 WHERE profile_id = $1 \
                 RETURNING remaining, total, read_at_ms, finished",
            )
            .bind(profile_id)
            .bind(r.left)
            .bind(r.total)
            .bind(r.asked_ms)
            .bind(r.finished_before)
            .bind(r.quiet_since_ms)
            .fetch_one(p)
            .await
        }
        .await)
        .map_err(Into::into)
    }

    /// Records that a reserved publishing call returned.
    pub async fn settle_post_quota(&self, profile_id: &ProfileId) -> StoreResult<()> {
        let mut tx = self.begin().await?;
        settle_in(&mut tx, profile_id).await?;
        tx.commit().await
    }

    /// Threads said the quota is used up: nothing more is reserved until the next reading.
    pub async fn quota_used_up(&self, profile_id: &ProfileId) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE publishing_quota SET remaining = 0 WHERE profile_id = $1"
        )
        .bind(profile_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
