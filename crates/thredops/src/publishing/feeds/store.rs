//! Storage of feeds and the items they have drafted.
//!
//! Drafting an item inserts its row (keyed by feed and item) and its draft post in one
//! transaction: however often and by whomever a feed is polled, an item becomes one draft at most.

use super::{FeedId, PollStatus};
use crate::domain::{PostId, ProfileId, WorkspaceId};
use crate::publishing::store::PostRecord;
use crate::store::{Store, StoreResult, with_pool, with_tx};

/// One feed as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedRecord {
    /// Id.
    #[sqlx(try_from = "String")]
    pub id: FeedId,
    /// Owning workspace.
    pub user_id: WorkspaceId,
    /// Profile its drafts are for.
    pub profile_id: ProfileId,
    /// The feed's address (http or https).
    pub url: String,
    /// ETag of the last full answer.
    pub etag: Option<String>,
    /// Last-Modified of the last full answer.
    pub last_modified: Option<String>,
    /// When the last poll started (UTC seconds).
    pub last_polled_at: Option<i64>,
    /// How the last poll ended.
    pub last_status: Option<PollStatus>,
    /// Drafts the last poll made.
    pub last_new_items: i64,
    /// Why the last poll failed, in words.
    pub last_error: Option<String>,
    /// Added (UTC seconds).
    pub created_at: i64,
}

/// A draft a feed made.
#[derive(Debug, Clone)]
pub struct FeedDraft {
    /// The item's title.
    pub title: String,
    /// Its draft, while it exists.
    pub post_id: Option<PostId>,
    /// When it was drafted.
    pub created_at: i64,
}

const COLUMNS: &str = "id, user_id, profile_id, url, etag, last_modified, last_polled_at, last_status, last_new_items, last_error, created_at";

impl Store {
    /// Inserts a feed; `false` when the user already follows this address for this profile.
    pub async fn insert_feed(&self, f: &FeedRecord) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO publishing_feeds (id, user_id, profile_id, url, last_new_items, created_at) \
             VALUES ($1, $2, $3, $4, 0, $5) ON CONFLICT DO NOTHING"
        )
        .bind(&f.id.0)
        .bind(&f.user_id)
        .bind(&f.profile_id)
        .bind(&f.url)
        .bind(f.created_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// A feed by id, whoever owns it.
    pub async fn feed(&self, id: &FeedId) -> StoreResult<Option<FeedRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM publishing_feeds WHERE id = $1"
        ));
        Ok(with_pool!(self, |pool| sqlx::query_as(sql)
            .bind(&id.0)
            .fetch_optional(pool)
            .await)?)
    }

    /// The user's feeds (or, with `due_before`, every feed last polled before that time or
    /// never), oldest first.
    pub async fn feeds_list(
        &self,
        user_id: Option<&WorkspaceId>,
        due_before: i64,
    ) -> StoreResult<Vec<FeedRecord>> {
        let filter = if user_id.is_some() {
            "user_id = $1 AND $2 = $2"
        } else {
            "$1 = $1 AND (last_polled_at IS NULL OR last_polled_at <= $2)"
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM publishing_feeds WHERE {filter} ORDER BY created_at, id"
        ));
        Ok(with_pool!(self, |pool| sqlx::query_as(sql)
            .bind(user_id.map_or("", WorkspaceId::as_str))
            .bind(due_before)
            .fetch_all(pool)
            .await)?)
    }

    /// Deletes a feed (its item rows go with it; its drafts stay as ordinary drafts).
    pub async fn delete_feed(&self, id: &FeedId, user_id: &WorkspaceId) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| sqlx::query(
            "DELETE FROM publishing_feeds WHERE id = $1 AND user_id = $2"
        )
        .bind(&id.0)
        .bind(user_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// Claims a poll of the feed at `now` unless it was polled after `due_before`: `false` when
    /// another poll got there first.
    pub async fn claim_feed_poll(
        &self,
        id: &FeedId,
        due_before: i64,
        now: i64,
    ) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| sqlx::query(
            "UPDATE publishing_feeds SET last_polled_at = $1 \
             WHERE id = $2 AND (last_polled_at IS NULL OR last_polled_at <= $3)"
        )
        .bind(now)
        .bind(&id.0)
        .bind(due_before)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// Records how a poll ended, with the validators to send next time (kept when `None`).
    pub async fn finish_feed_poll(
        &self,
        id: &FeedId,
        status: PollStatus,
        new_items: i64,
        error: Option<&str>,
        validators: Option<(Option<&str>, Option<&str>)>,
    ) -> StoreResult<()> {
        let (replace, etag, modified) = match validators {
            Some((e, m)) => (true, e, m),
            None => (false, None, None),
        };
        with_pool!(self, |pool| sqlx::query(
            "UPDATE publishing_feeds SET last_status = $1, last_new_items = $2, last_error = $3, \
             etag = CASE WHEN $4 THEN $5 ELSE etag END, \
             last_modified = CASE WHEN $4 THEN $6 ELSE last_modified END WHERE id = $7"
        )
        .bind(status.as_str())
        .bind(new_items)
        .bind(error)
        .bind(replace)
        .bind(etag)
        .bind(modified)
        .bind(&id.0)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Stores an item's row and its draft together, unless the feed already has the item:
    /// `false` when it had (nothing is written).
    pub async fn draft_feed_item(
        &self,
        feed_id: &FeedId,
        item_key: &str,
        title: &str,
        post: &PostRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let claimed = with_tx!(&mut tx, |c| {
            sqlx::query(
            "INSERT INTO publishing_feed_items (feed_id, user_id, item_key, title, post_id, created_at) \
             VALUES ($1, $2, $3, $4, NULL, $5) ON CONFLICT DO NOTHING"
        )
        .bind(&feed_id.0)
        .bind(&post.user_id)
        .bind(item_key)
        .bind(title)
        .bind(post.created_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
        })?;
        if claimed != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        // The feed's draft has no time: its record leaves time, zone and note empty.
        with_tx!(&mut tx, |c| crate::publishing::store::insert_post_on!(
            c, post
        ))?;
        with_tx!(&mut tx, |c| sqlx::query(
            "UPDATE publishing_feed_items SET post_id = $1 WHERE feed_id = $2 AND item_key = $3"
        )
        .bind(&post.id)
        .bind(&feed_id.0)
        .bind(item_key)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        tx.commit().await?;
        Ok(true)
    }

    /// The feed's most recent drafts, newest first.
    pub async fn feed_drafts(&self, feed_id: &FeedId, limit: i64) -> StoreResult<Vec<FeedDraft>> {
        let rows: Vec<(String, Option<PostId>, i64)> = with_pool!(self, |pool| {
            sqlx::query_as(
                "SELECT title, post_id, created_at FROM publishing_feed_items WHERE feed_id = $1 ORDER BY created_at DESC, item_key LIMIT $2",
            )
            .bind(&feed_id.0)
            .bind(limit)
            .fetch_all(pool)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|(title, post_id, created_at)| FeedDraft {
                title,
                post_id,
                created_at,
            })
            .collect())
    }
}
