//! Storage of recurring series and their occurrences.
//!
//! Materialising an occurrence inserts its row (keyed by series and local date) and its planned
//! post in one transaction: whoever tops a series up, and however often, each date becomes at
//! most one post.

use super::{Frequency, OccurrenceStatus, SeriesId, SeriesState};
use crate::domain::{PostId, ProfileId, WorkspaceId};
use crate::publishing::store::PostRecord;
use crate::store::{Store, StoreResult, with_pool, with_tx};

/// One series as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SeriesRecord {
    /// Id.
    #[sqlx(try_from = "String")]
    pub id: SeriesId,
    /// Owning workspace.
    pub user_id: WorkspaceId,
    /// Profile its posts publish on.
    pub profile_id: ProfileId,
    /// Active or stopped.
    #[sqlx(try_from = "String")]
    pub state: SeriesState,
    /// Kind label of its posts.
    #[sqlx(try_from = "String")]
    pub kind: crate::publishing::PostKind,
    /// Sealed composition JSON.
    pub content_enc: Vec<u8>,
    /// Daily, weekly or monthly.
    pub frequency: Frequency,
    /// Weekday bit mask (bit 0 = Monday).
    pub weekdays: i64,
    /// Monthly: 1-4 or -1 (last).
    pub nth: Option<i64>,
    /// `HH:MM`.
    pub local_time: String,
    /// First local date.
    pub starts_on: String,
    /// Last local date.
    pub ends_on: Option<String>,
    /// Number of occurrences.
    pub max_count: Option<i64>,
    /// Optimistic-lock counter.
    pub version: i64,
    /// Created (UTC seconds).
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

/// One occurrence row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OccurrenceRecord {
    /// Local date.
    pub occurs_on: String,
    /// Planned or skipped.
    #[sqlx(try_from = "String")]
    pub status: OccurrenceStatus,
    /// Its post, while it exists.
    pub post_id: Option<PostId>,
    /// The post's version when the series last wrote it.
    pub post_version: Option<i64>,
}

const SERIES_COLUMNS: &str = "id, user_id, profile_id, state, kind, content_enc, frequency, weekdays, nth, local_time, starts_on, ends_on, max_count, version, created_at, updated_at";

impl Store {
    /// Inserts a series.
    pub async fn insert_series(&self, s: &SeriesRecord) -> StoreResult<()> {
        with_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO recurring_series (id, user_id, profile_id, state, kind, content_enc, frequency, weekdays, nth, local_time, starts_on, ends_on, max_count, version, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 0, $14, $14)"
        )
        .bind(&s.id.0)
        .bind(&s.user_id)
        .bind(&s.profile_id)
        .bind(s.state.as_str())
        .bind(s.kind.to_string())
        .bind(&s.content_enc)
        .bind(s.frequency.as_str())
        .bind(s.weekdays)
        .bind(s.nth)
        .bind(&s.local_time)
        .bind(&s.starts_on)
        .bind(&s.ends_on)
        .bind(s.max_count)
        .bind(s.created_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Replaces a series' content, rule and state if nobody changed it since `s.version`.
    pub async fn update_series(&self, s: &SeriesRecord, now: i64) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| {
            sqlx::query(
            "UPDATE recurring_series SET profile_id = $1, state = $2, kind = $3, content_enc = $4, frequency = $5, weekdays = $6, nth = $7, local_time = $8, starts_on = $9, ends_on = $10, max_count = $11, version = version + 1, updated_at = $12 \
             WHERE id = $13 AND user_id = $14 AND version = $15"
        )
        .bind(&s.profile_id)
        .bind(s.state.as_str())
        .bind(s.kind.to_string())
        .bind(&s.content_enc)
        .bind(s.frequency.as_str())
        .bind(s.weekdays)
        .bind(s.nth)
        .bind(&s.local_time)
        .bind(&s.starts_on)
        .bind(&s.ends_on)
        .bind(s.max_count)
        .bind(now)
        .bind(&s.id.0)
        .bind(&s.user_id)
        .bind(s.version)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// A series by id, whoever owns it.
    pub async fn series(&self, id: &SeriesId) -> StoreResult<Option<SeriesRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {SERIES_COLUMNS} FROM recurring_series WHERE id = $1"
        ));
        Ok(with_pool!(self, |pool| sqlx::query_as(sql)
            .bind(&id.0)
            .fetch_optional(pool)
            .await)?)
    }

    /// The user's series (or every active one when `user_id` is `None`), oldest first.
    pub async fn series_list(
        &self,
        user_id: Option<&WorkspaceId>,
    ) -> StoreResult<Vec<SeriesRecord>> {
        let filter = if user_id.is_some() {
            "user_id = $1"
        } else {
            "state = 'active' AND $1 = $1"
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {SERIES_COLUMNS} FROM recurring_series WHERE {filter} ORDER BY created_at, id"
        ));
        Ok(with_pool!(self, |pool| sqlx::query_as(sql)
            .bind(user_id.map_or("", WorkspaceId::as_str))
            .fetch_all(pool)
            .await)?)
    }

    /// Deletes a series (its occurrence rows go with it; its posts stay as ordinary posts).
    pub async fn delete_series(&self, id: &SeriesId, user_id: &WorkspaceId) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| sqlx::query(
            "DELETE FROM recurring_series WHERE id = $1 AND user_id = $2"
        )
        .bind(&id.0)
        .bind(user_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// A series' occurrence rows, by date.
    pub async fn occurrences(&self, series_id: &SeriesId) -> StoreResult<Vec<OccurrenceRecord>> {
        Ok(with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT occurs_on, status, post_id, post_version FROM recurring_occurrences WHERE series_id = $1 ORDER BY occurs_on",
            )
            .bind(&series_id.0)
            .fetch_all(pool)
            .await
        })?)
    }

    /// The series and local date a planned post was materialised for, if any.
    pub async fn occurrence_of_post(
        &self,
        post_id: &PostId,
    ) -> StoreResult<Option<(SeriesId, String)>> {
        let row: Option<(String, String)> = with_pool!(self, |pool| sqlx::query_as(
            "SELECT series_id, occurs_on FROM recurring_occurrences WHERE post_id = $1"
        )
        .bind(post_id)
        .fetch_optional(pool)
        .await)?;
        Ok(row.map(|(series, date)| (SeriesId(series), date)))
    }

    /// Stores an occurrence and its post together, unless the date already has a row: `false`
    /// when it had (nothing is written).
    pub async fn materialise_occurrence(
        &self,
        series_id: &SeriesId,
        occurs_on: &str,
        post: &PostRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let claimed = with_tx!(&mut tx, |c| {
            sqlx::query(
            "INSERT INTO recurring_occurrences (series_id, user_id, occurs_on, status, post_id, post_version, created_at) \
             VALUES ($1, $2, $3, 'planned', NULL, 0, $4) ON CONFLICT DO NOTHING"
        )
        .bind(&series_id.0)
        .bind(&post.user_id)
        .bind(occurs_on)
        .bind(post.created_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
        })?;
        if claimed != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        crate::publishing::store::insert_post_in(&mut tx, post).await?;
        with_tx!(&mut tx, |c| sqlx::query(
            "UPDATE recurring_occurrences SET post_id = $1 WHERE series_id = $2 AND occurs_on = $3"
        )
        .bind(&post.id)
        .bind(&series_id.0)
        .bind(occurs_on)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        tx.commit().await?;
        Ok(true)
    }

    /// Marks a date of a series skipped (inserting its row when it has none).
    pub async fn skip_occurrence(
        &self,
        series_id: &SeriesId,
        user_id: &WorkspaceId,
        occurs_on: &str,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO recurring_occurrences (series_id, user_id, occurs_on, status, post_id, post_version, created_at) \
             VALUES ($1, $2, $3, 'skipped', NULL, NULL, $4) \
             ON CONFLICT (series_id, occurs_on) DO UPDATE SET status = 'skipped'"
        )
        .bind(&series_id.0)
        .bind(user_id)
        .bind(occurs_on)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Undoes a skip whose post could not be withdrawn (it had begun publishing).
    pub async fn replan_occurrence(
        &self,
        series_id: &SeriesId,
        occurs_on: &str,
    ) -> StoreResult<()> {
        with_pool!(self, |pool| {
            sqlx::query(
            "UPDATE recurring_occurrences SET status = 'planned' WHERE series_id = $1 AND occurs_on = $2"
        )
        .bind(&series_id.0)
        .bind(occurs_on)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Forgets a skipped date whose post is gone, so the next top-up plans it again.
    pub async fn unskip_occurrence(
        &self,
        series_id: &SeriesId,
        occurs_on: &str,
    ) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| {
            sqlx::query(
            "DELETE FROM recurring_occurrences WHERE series_id = $1 AND occurs_on = $2 AND status = 'skipped' AND post_id IS NULL"
        )
        .bind(&series_id.0)
        .bind(occurs_on)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Forgets a date whose post the series removed (so a changed rule may plan it again).
    pub async fn forget_occurrence(
        &self,
        series_id: &SeriesId,
        occurs_on: &str,
    ) -> StoreResult<()> {
        with_pool!(self, |pool| {
            sqlx::query(
            "DELETE FROM recurring_occurrences WHERE series_id = $1 AND occurs_on = $2 AND status = 'planned'"
        )
        .bind(&series_id.0)
        .bind(occurs_on)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Deletes a planned post only while it is still waiting, untouched since `version`: a
    /// post the publisher has begun is never pulled from under it.
    pub async fn withdraw_waiting_post(&self, post_id: &PostId, version: i64) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| sqlx::query(
            "DELETE FROM scheduled_posts WHERE id = $1 AND version = $2 AND state = 'scheduled'"
        )
        .bind(post_id)
        .bind(version)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// How many posts of the profile are planned or published with a time in `(from, to]`.
    pub async fn posts_in_window(
        &self,
        profile_id: &ProfileId,
        from: i64,
        to: i64,
    ) -> StoreResult<i64> {
        Ok(with_pool!(self, |pool| {
            sqlx::query_scalar(
            "SELECT count(*) FROM scheduled_posts WHERE profile_id = $1 AND scheduled_at > $2 AND scheduled_at <= $3 AND state NOT IN ('draft', 'cancelled', 'failed')"
        )
        .bind(profile_id)
        .bind(from)
        .bind(to)
        .fetch_one(pool)
        .await
        })?)
    }
}
