//! Storage of evergreen items, their re-shares, and the synced metrics they are judged by.
//!
//! Planning a re-share bumps the item's version (compare-and-set), inserts the planned post and
//! the re-share's row in one transaction: of two runs planning the same item at once, one
//! plans and the other changes nothing.

use super::{ItemId, ItemState, Verdict};
use crate::domain::{MediaId, PostId, ProfileId, WorkspaceId};
use crate::publishing::store::{PostRecord, insert_post_on};
use crate::store::{Store, StoreResult, with_pool, with_tx};

/// One evergreen item as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRecord {
    /// Id.
    #[sqlx(try_from = "String")]
    pub id: ItemId,
    /// Owning workspace.
    pub user_id: WorkspaceId,
    /// Profile the original is on and re-shares publish on.
    pub profile_id: ProfileId,
    /// The original's Threads media id.
    pub source_media_id: MediaId,
    /// The ThredOps post that published the original, if one did.
    pub source_post_id: Option<PostId>,
    /// When the original was published (UTC seconds).
    pub source_posted_at: i64,
    /// Active, paused or retired.
    #[sqlx(try_from = "String")]
    pub state: ItemState,
    /// Sealed JSON array of the variations' texts.
    pub variations_enc: Vec<u8>,
    /// How many variations.
    pub variation_count: i64,
    /// Days between re-shares.
    pub every_days: i64,
    /// `HH:MM` in the owner's zone, or `None` for the next free posting slot.
    pub at_time: Option<String>,
    /// Never twice within this many days.
    pub min_interval_days: i64,
    /// Retire below this percentage of the original's views or engagement.
    pub threshold_percent: i64,
    /// Hours of results before a re-share is judged.
    pub results_hours: i64,
    /// Re-shares planned so far.
    pub reshares: i64,
    /// Why it retired, in words.
    pub retired_reason: Option<String>,
    /// Why the last planning attempt planned nothing, in words.
    pub problem: Option<String>,
    /// Optimistic-lock counter.
    pub version: i64,
    /// Created (UTC seconds).
    pub created_at: i64,
    /// Last change.
    pub updated_at: i64,
}

/// One re-share row.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReshareRecord {
    /// Its number (1-based).
    pub seq: i64,
    /// Its planned post, while it exists.
    pub post_id: Option<PostId>,
    /// The post's version when the item wrote it.
    pub post_version: i64,
    /// The variation it used (0-based).
    pub variation: i64,
    /// When it was planned (UTC seconds).
    pub planned_at: i64,
    /// When its results were judged.
    pub evaluated_at: Option<i64>,
    /// Its views then.
    pub views: Option<i64>,
    /// Its engagement then.
    pub engagement: Option<i64>,
    /// The original's views at the same age.
    pub baseline_views: Option<i64>,
    /// The original's engagement at the same age.
    pub baseline_engagement: Option<i64>,
    /// Held or dropped, once judged.
    pub verdict: Option<Verdict>,
}

/// A synced post's latest metrics.
#[derive(Debug, Clone)]
pub struct SyncedResult {
    /// Publication time.
    pub posted_at: i64,
    /// When the metrics were read (`None` before the first read).
    pub metrics_at: Option<i64>,
    /// Views.
    pub views: i64,
    /// Likes, replies, reposts and quotes.
    pub engagement: i64,
}

/// A settled synced post, for proposals.
#[derive(Debug, Clone)]
pub struct SettledPost {
    /// Meta media id.
    pub media_id: MediaId,
    /// Publication time.
    pub posted_at: i64,
    /// Views.
    pub views: i64,
    /// Likes, replies, reposts and quotes.
    pub engagement: i64,
    /// Sealed content.
    pub content_enc: Vec<u8>,
}

const ITEM_COLUMNS: &str = "id, user_id, profile_id, source_media_id, source_post_id, source_posted_at, state, variations_enc, variation_count, every_days, at_time, min_interval_days, threshold_percent, results_hours, reshares, retired_reason, problem, version, created_at, updated_at";

const ENGAGEMENT: &str =
    "COALESCE(likes, 0) + COALESCE(replies, 0) + COALESCE(reposts, 0) + COALESCE(quotes, 0)";

/// posted_at, metrics_at, views, engagement, sealed content.
type SyncedRow = (i64, Option<i64>, i64, i64, Vec<u8>);

impl Store {
    /// Inserts an item; `false` when the profile's post is already evergreen.
    pub async fn insert_evergreen(&self, i: &ItemRecord) -> StoreResult<bool> {
        let n = with_pool!(self, |pool| {
            sqlx::query(
                "INSERT INTO evergreen_items (id, user_id, profile_id, source_media_id, source_post_id, source_posted_at, state, variations_enc, variation_count, every_days, at_time, min_interval_days, threshold_percent, results_hours, reshares, version, created_at, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, 0, 0, $15, $15) ON CONFLICT DO NOTHING",
            )
            .bind(&i.id.0)
            .bind(&i.user_id)
            .bind(&i.profile_id)
            .bind(&i.source_media_id)
            .bind(&i.source_post_id)
            .bind(i.source_posted_at)
            .bind(i.state.as_str())
            .bind(&i.variations_enc)
            .bind(i.variation_count)
            .bind(i.every_days)
            .bind(&i.at_time)
            .bind(i.min_interval_days)
            .bind(i.threshold_percent)
            .bind(i.results_hours)
            .bind(i.created_at)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Replaces an item's variations, schedule, state and reasons if nobody changed it since
    /// `i.version`.
    pub async fn update_evergreen(&self, i: &ItemRecord, now: i64) -> StoreResult<bool> {
        let n = with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE evergreen_items SET state = $1, variations_enc = $2, variation_count = $3, every_days = $4, at_time = $5, min_interval_days = $6, threshold_percent = $7, results_hours = $8, retired_reason = $9, problem = $10, version = version + 1, updated_at = $11 \
                 WHERE id = $12 AND user_id = $13 AND version = $14",
            )
            .bind(i.state.as_str())
            .bind(&i.variations_enc)
            .bind(i.variation_count)
            .bind(i.every_days)
            .bind(&i.at_time)
            .bind(i.min_interval_days)
            .bind(i.threshold_percent)
            .bind(i.results_hours)
            .bind(&i.retired_reason)
            .bind(&i.problem)
            .bind(now)
            .bind(&i.id.0)
            .bind(&i.user_id)
            .bind(i.version)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Notes why planning planned nothing (or clears it); changes nothing else.
    pub async fn set_evergreen_problem(
        &self,
        id: &ItemId,
        problem: Option<&str>,
    ) -> StoreResult<()> {
        with_pool!(self, |pool| sqlx::query(
            "UPDATE evergreen_items SET problem = $1 WHERE id = $2"
        )
        .bind(problem)
        .bind(&id.0)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// An item by id, whoever owns it.
    pub async fn evergreen_item(&self, id: &ItemId) -> StoreResult<Option<ItemRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ITEM_COLUMNS} FROM evergreen_items WHERE id = $1"
        ));
        Ok(with_pool!(self, |pool| sqlx::query_as(sql)
            .bind(&id.0)
            .fetch_optional(pool)
            .await)?)
    }

    /// The user's items (or every active one when `user_id` is `None`), oldest first.
    pub async fn evergreen_items(
        &self,
        user_id: Option<&WorkspaceId>,
    ) -> StoreResult<Vec<ItemRecord>> {
        let filter = if user_id.is_some() {
            "user_id = $1"
        } else {
            "state = 'active' AND $1 = $1"
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ITEM_COLUMNS} FROM evergreen_items WHERE {filter} ORDER BY created_at, id"
        ));
        Ok(with_pool!(self, |pool| sqlx::query_as(sql)
            .bind(user_id.map_or("", WorkspaceId::as_str))
            .fetch_all(pool)
            .await)?)
    }

    /// Deletes an item (its re-share rows go with it; its posts stay as ordinary posts).
    pub async fn delete_evergreen(&self, id: &ItemId, user_id: &WorkspaceId) -> StoreResult<bool> {
        let n = with_pool!(self, |pool| sqlx::query(
            "DELETE FROM evergreen_items WHERE id = $1 AND user_id = $2"
        )
        .bind(&id.0)
        .bind(user_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// An item's re-shares, oldest first.
    pub async fn evergreen_reshares(&self, item_id: &ItemId) -> StoreResult<Vec<ReshareRecord>> {
        Ok(with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT seq, post_id, post_version, variation, planned_at, evaluated_at, views, engagement, baseline_views, baseline_engagement, verdict \
                 FROM evergreen_reshares WHERE item_id = $1 ORDER BY seq",
            )
            .bind(&item_id.0)
            .fetch_all(pool)
            .await
        })?)
    }

    /// The user's planned posts that are evergreen re-shares.
    pub async fn evergreen_post_ids(
        &self,
        user_id: &WorkspaceId,
    ) -> StoreResult<std::collections::HashSet<PostId>> {
        let ids: Vec<PostId> = with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT post_id FROM evergreen_reshares WHERE user_id = $1 AND post_id IS NOT NULL"
        )
        .bind(user_id)
        .fetch_all(pool)
        .await)?;
        Ok(ids.into_iter().collect())
    }

    /// The evergreen item a planned post re-shares, if any: (item id, re-share number).
    pub async fn reshare_of_post(&self, post_id: &PostId) -> StoreResult<Option<(ItemId, i64)>> {
        let row: Option<(String, i64)> = with_pool!(self, |pool| sqlx::query_as(
            "SELECT item_id, seq FROM evergreen_reshares WHERE post_id = $1"
        )
        .bind(post_id)
        .fetch_optional(pool)
        .await)?;
        Ok(row.map(|(item, seq)| (ItemId(item), seq)))
    }

    /// Plans re-share number `item.reshares + 1` as `post`, unless the item changed since it
    /// was read (another run planned it, or the owner edited, paused or retired it): `false`
    /// then, and nothing is written.
    pub async fn plan_reshare(
        &self,
        item: &ItemRecord,
        variation: i64,
        post: &PostRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let claimed = with_tx!(&mut tx, |c| {
            sqlx::query(
                "UPDATE evergreen_items SET reshares = reshares + 1, version = version + 1, problem = NULL, updated_at = $1 \
                 WHERE id = $2 AND version = $3 AND state = 'active'",
            )
            .bind(post.created_at)
            .bind(&item.id.0)
            .bind(item.version)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
        })?;
        if claimed != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        with_tx!(&mut tx, |c| insert_post_on!(c, post))?;
        with_tx!(&mut tx, |c| {
            sqlx::query(
                "INSERT INTO evergreen_reshares (item_id, seq, user_id, post_id, post_version, variation, planned_at, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&item.id.0)
            .bind(item.reshares + 1)
            .bind(&item.user_id)
            .bind(&post.id)
            .bind(post.version)
            .bind(variation)
            .bind(post.scheduled_at.unwrap_or(post.created_at))
            .bind(post.created_at)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
        })?;
        tx.commit().await?;
        Ok(true)
    }

    /// Records how a re-share did, once.
    pub async fn record_reshare_results(
        &self,
        item_id: &ItemId,
        seq: i64,
        now: i64,
        got: super::rules::Results,
        original: super::rules::Results,
        verdict: Verdict,
    ) -> StoreResult<bool> {
        let n = with_pool!(self, |pool| {
            sqlx::query(
                "UPDATE evergreen_reshares SET evaluated_at = $1, views = $2, engagement = $3, baseline_views = $4, baseline_engagement = $5, verdict = $6 \
                 WHERE item_id = $7 AND seq = $8 AND evaluated_at IS NULL",
            )
            .bind(now)
            .bind(got.views)
            .bind(got.engagement)
            .bind(original.views)
            .bind(original.engagement)
            .bind(verdict.as_str())
            .bind(&item_id.0)
            .bind(seq)
            .execute(pool)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// A synced post's publication time, latest metrics and sealed content.
    pub async fn synced_result(
        &self,
        profile_id: &ProfileId,
        media_id: &MediaId,
    ) -> StoreResult<Option<(SyncedResult, Vec<u8>)>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT posted_at, metrics_at, COALESCE(views, 0), {ENGAGEMENT}, content_enc FROM posts WHERE profile_id = $1 AND media_id = $2"
        ));
        let row: Option<SyncedRow> = with_pool!(self, |pool| {
            sqlx::query_as(sql)
                .bind(profile_id)
                .bind(media_id)
                .fetch_optional(pool)
                .await
        })?;
        Ok(
            row.map(|(posted_at, metrics_at, views, engagement, sealed)| {
                (
                    SyncedResult {
                        posted_at,
                        metrics_at,
                        views,
                        engagement,
                    },
                    sealed,
                )
            }),
        )
    }

    /// The post's metrics from the snapshot taken nearest to `age_seconds` after publication.
    pub async fn metrics_near_age(
        &self,
        profile_id: &ProfileId,
        media_id: &MediaId,
        age_seconds: i64,
    ) -> StoreResult<Option<super::rules::Results>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT views, {ENGAGEMENT} FROM post_metric_snapshots WHERE profile_id = $1 AND media_id = $2 \
             ORDER BY abs(age_seconds - $3), taken_at LIMIT 1"
        ));
        let row: Option<(i64, i64)> = with_pool!(self, |pool| {
            sqlx::query_as(sql)
                .bind(profile_id)
                .bind(media_id)
                .bind(age_seconds)
                .fetch_optional(pool)
                .await
        })?;
        Ok(row.map(|(views, engagement)| super::rules::Results { views, engagement }))
    }

    /// The profile's posts published before `before` with metrics, reposts left out, newest
    /// first (at most a year's worth).
    pub async fn settled_posts(
        &self,
        profile_id: &ProfileId,
        before: i64,
    ) -> StoreResult<Vec<SettledPost>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT media_id, posted_at, views, {ENGAGEMENT}, content_enc FROM posts \
             WHERE profile_id = $1 AND posted_at <= $2 AND posted_at > $3 AND views IS NOT NULL AND NOT is_repost \
             ORDER BY posted_at DESC, media_id LIMIT 2000"
        ));
        let rows: Vec<(MediaId, i64, i64, i64, Vec<u8>)> = with_pool!(self, |pool| {
            sqlx::query_as(sql)
                .bind(profile_id)
                .bind(before)
                .bind(before - 365 * 86_400)
                .fetch_all(pool)
                .await
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(media_id, posted_at, views, engagement, content_enc)| SettledPost {
                    media_id,
                    posted_at,
                    views,
                    engagement,
                    content_enc,
                },
            )
            .collect())
    }
}
