//! Data synced from the Threads API: posts, metric snapshots, API usage (account-level data is
//! in `account_synced.rs`).
//!
//! Every write is idempotent: re-running a sync step inserts nothing twice. Snapshots are
//! append-only (`ON CONFLICT DO NOTHING`), so history is never overwritten.

use sqlx::Row;

use crate::domain::{MediaId, ProfileId};

use super::{Store, StoreResult, with_pool};

/// Rows per statement in batched writes (at most 14 parameters each, far under SQLite's 32,766).
pub(super) const WRITE_CHUNK: usize = 500;

/// Marks a profile's analytics data as changed: the overview cache (analytics/cache.rs) reuses
/// a result only while this counter stays put. Every write below runs it in its own transaction,
/// after the data, so no reader can see the new version together with the old data.
pub(super) const BUMP_DATA_VERSION: &str =
    "UPDATE threads_profiles SET data_version = data_version + 1 WHERE id = $1";

/// Ends a write transaction on analytics data: bumps the profile's data version when `$changed`
/// (after the data, see [`BUMP_DATA_VERSION`]), then commits. A macro so it runs on either
/// backend's transaction inside `with_pool!`.
macro_rules! bump_and_commit {
    ($tx:ident, $profile_id:expr, $changed:expr) => {{
        if $changed {
            sqlx::query($crate::store::synced::BUMP_DATA_VERSION)
                .bind($profile_id)
                .execute(&mut *$tx)
                .await?;
        }
        $tx.commit().await
    }};
}
pub(super) use bump_and_commit;

/// One post as the sync engine stores it.
#[derive(Debug, Clone)]
pub struct PostRow {
    /// Meta media id.
    pub media_id: MediaId,
    /// Read-side media type (TEXT_POST, IMAGE, ...).
    pub media_type: String,
    /// Publication time (Unix seconds).
    pub posted_at: i64,
    /// Sealed JSON with text, links and media URLs.
    pub content_enc: Vec<u8>,
    /// Characters of text.
    pub text_len: i64,
    /// Distinct links in text and attachment.
    pub link_count: i64,
    /// Whether the text asks a question.
    pub has_question: bool,
    /// Whether it carries a poll.
    pub has_poll: bool,
    /// Quote post.
    pub is_quote: bool,
    /// Repost of someone's post (a REPOST_FACADE).
    pub is_repost: bool,
    /// Carousel items (0 when not a carousel).
    pub carousel_size: i64,
}

/// Lifetime metrics of a post at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Metrics {
    /// Views.
    pub views: i64,
    /// Likes.
    pub likes: i64,
    /// Replies.
    pub replies: i64,
    /// Reposts.
    pub reposts: i64,
    /// Quotes.
    pub quotes: i64,
    /// Shares.
    pub shares: i64,
}

/// One post's metrics read at `taken_at`.
#[derive(Debug, Clone)]
pub struct Measured {
    /// Meta media id.
    pub media_id: MediaId,
    /// Publication time.
    pub posted_at: i64,
    /// The metrics.
    pub metrics: Metrics,
    /// When they were read.
    pub taken_at: i64,
    /// When to read them next.
    pub next_refresh_at: i64,
}

/// A post due for a metrics refresh.
#[derive(Debug, Clone)]
pub struct DuePost {
    /// Meta media id.
    pub media_id: MediaId,
    /// Publication time.
    pub posted_at: i64,
}

impl Store {
    /// Inserts a post unless it is already stored; true when it was new.
    pub async fn insert_post(
        &self,
        profile_id: &ProfileId,
        p: &PostRow,
        now: i64,
    ) -> StoreResult<bool> {
        Ok(self
            .insert_posts(profile_id, std::slice::from_ref(p), now)
            .await?
            == 1)
    }

    /// Inserts the posts not already stored, one statement and transaction per [`WRITE_CHUNK`]
    /// posts (a page of the history is one round trip, not one per post); returns how many
    /// were new.
    pub async fn insert_posts(
        &self,
        profile_id: &ProfileId,
        posts: &[PostRow],
        now: i64,
    ) -> StoreResult<u64> {
        let mut inserted = 0;
        for chunk in posts.chunks(WRITE_CHUNK) {
            inserted += with_pool!(self, |pool| {
                async {
                    let mut tx = pool.begin().await?;
                    let mut insert = sqlx::QueryBuilder::new(
                        "INSERT INTO posts (profile_id, media_id, media_type, posted_at, content_enc, text_len, link_count, has_question, has_poll, is_quote, is_repost, carousel_size, next_refresh_at, first_seen_at) ",
                    );
                    insert.push_values(chunk, |mut row, p| {
                        row.push_bind(profile_id)
                            .push_bind(&p.media_id)
                            .push_bind(&p.media_type)
                            .push_bind(p.posted_at)
                            .push_bind(&p.content_enc)
                            .push_bind(p.text_len)
                            .push_bind(p.link_count)
                            .push_bind(p.has_question)
                            .push_bind(p.has_poll)
                            .push_bind(p.is_quote)
                            .push_bind(p.is_repost)
                            .push_bind(p.carousel_size)
                            .push_bind(now)
                            .push_bind(now);
                    });
                    insert.push(" ON CONFLICT (profile_id, media_id) DO NOTHING");
                    let n = insert.build().execute(&mut *tx).await?.rows_affected();
                    bump_and_commit!(tx, profile_id, n > 0)?;
                    Ok::<_, sqlx::Error>(n)
                }
                .await
            })?;
        }
        Ok(inserted)
    }

    /// Appends one metrics snapshot per post and updates each post's latest values and next
    /// refresh time, in one transaction per [`WRITE_CHUNK`] posts. A snapshot at the same second
    /// is not written twice, and an older snapshot never overwrites a post's newer values.
    pub async fn record_post_metrics(
        &self,
        profile_id: &ProfileId,
        batch: &[Measured],
    ) -> StoreResult<()> {
        if batch.is_empty() {
            return Ok(());
        }
        // Two statements per batch, not two per post: a round trip costs more than the row.
        // Chunks keep the bound parameters far under SQLite's limit (32,766).
        for chunk in batch.chunks(WRITE_CHUNK) {
            with_pool!(self, |pool| {
                async {
                    let mut tx = pool.begin().await?;
                    let mut insert = sqlx::QueryBuilder::new(
                        "INSERT INTO post_metric_snapshots (profile_id, media_id, taken_at, age_seconds, views, likes, replies, reposts, quotes, shares) ",
                    );
                    insert.push_values(chunk, |mut row, x| {
                        let m = x.metrics;
                        row.push_bind(profile_id)
                            .push_bind(&x.media_id)
                            .push_bind(x.taken_at)
                            .push_bind((x.taken_at - x.posted_at).max(0))
                            .push_bind(m.views)
                            .push_bind(m.likes)
                            .push_bind(m.replies)
                            .push_bind(m.reposts)
                            .push_bind(m.quotes)
                            .push_bind(m.shares);
                    });
                    insert.push(" ON CONFLICT DO NOTHING");
                    let snapshots = insert.build().execute(&mut *tx).await?.rows_affected();
                    // VALUES columns are column1..column9 on both backends; the casts give
                    // PostgreSQL the types its parameters in VALUES cannot infer.
                    let mut update = sqlx::QueryBuilder::new(
                        "UPDATE posts SET views = v.column2, likes = v.column3, replies = v.column4, reposts = v.column5, \
                         quotes = v.column6, shares = v.column7, metrics_at = v.column8, next_refresh_at = v.column9 FROM (",
                    );
                    update.push_values(chunk, |mut row, x| {
                        let m = x.metrics;
                        row.push_bind(&x.media_id);
                        for v in [m.views, m.likes, m.replies, m.reposts, m.quotes, m.shares, x.taken_at, x.next_refresh_at] {
                            row.push_unseparated(", CAST(")
                                .push_bind_unseparated(v)
                                .push_unseparated(" AS BIGINT)");
                        }
                    });
                    update
                        .push(") AS v WHERE posts.profile_id = ")
                        .push_bind(profile_id)
                        .push(" AND posts.media_id = v.column1 AND (posts.metrics_at IS NULL OR posts.metrics_at <= v.column8)");
                    let updated = update.build().execute(&mut *tx).await?.rows_affected();
                    bump_and_commit!(tx, profile_id, snapshots + updated > 0)
                }
                .await
            })?;
        }
        Ok(())
    }

    /// Sets when a post is next refreshed (reposts have no metrics of their own).
    pub async fn set_next_refresh(
        &self,
        profile_id: &ProfileId,
        media_id: &MediaId,
        at: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |pool| sqlx::query(
            "UPDATE posts SET next_refresh_at = $1 WHERE profile_id = $2 AND media_id = $3"
        )
        .bind(at)
        .bind(profile_id)
        .bind(media_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Posts whose metrics are due, oldest due first.
    pub async fn posts_due(
        &self,
        profile_id: &ProfileId,
        now: i64,
        limit: i64,
    ) -> StoreResult<Vec<DuePost>> {
        let rows = with_pool!(self, |pool| {
            async {
            let rows = sqlx::query("SELECT media_id, posted_at FROM posts WHERE profile_id = $1 AND next_refresh_at <= $2 AND is_repost = $3 ORDER BY next_refresh_at, media_id LIMIT $4")
                .bind(profile_id)
                .bind(now)
                .bind(false)
                .bind(limit)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| Ok(DuePost { media_id: r.try_get(0)?, posted_at: r.try_get(1)? }))
                .collect::<Result<Vec<_>, sqlx::Error>>()
        }
        .await
        })?;
        Ok(rows)
    }

    /// Whether a post is stored.
    pub async fn has_post(&self, profile_id: &ProfileId, media_id: &MediaId) -> StoreResult<bool> {
        let n: i64 = with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT count(*) FROM posts WHERE profile_id = $1 AND media_id = $2"
        )
        .bind(profile_id)
        .bind(media_id)
        .fetch_one(pool)
        .await)?;
        Ok(n > 0)
    }

    /// How many posts are stored for a profile.
    pub async fn post_count(&self, profile_id: &ProfileId) -> StoreResult<i64> {
        let n: i64 = with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT count(*) FROM posts WHERE profile_id = $1"
        )
        .bind(profile_id)
        .fetch_one(pool)
        .await)?;
        Ok(n)
    }

    /// Every stored post's id with its latest metrics (for checks and exports).
    pub async fn post_metrics(
        &self,
        profile_id: &ProfileId,
    ) -> StoreResult<Vec<(MediaId, Option<Metrics>)>> {
        let rows = with_pool!(self, |pool| {
            async {
            let rows = sqlx::query("SELECT media_id, views, likes, replies, reposts, quotes, shares FROM posts WHERE profile_id = $1 ORDER BY posted_at DESC, media_id")
                .bind(profile_id)
                .fetch_all(pool)
                .await?;
            rows.iter()
                .map(|r| {
                    let views: Option<i64> = r.try_get(1)?;
                    let m = match views {
                        None => None,
                        Some(views) => Some(Metrics {
                            views,
                            likes: r.try_get(2)?,
                            replies: r.try_get(3)?,
                            reposts: r.try_get(4)?,
                            quotes: r.try_get(5)?,
                            shares: r.try_get(6)?,
                        }),
                    };
                    Ok((r.try_get(0)?, m))
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
        }
        .await
        })?;
        Ok(rows)
    }

    /// Number of metric snapshots stored for a post.
    pub async fn snapshot_count(
        &self,
        profile_id: &ProfileId,
        media_id: &MediaId,
    ) -> StoreResult<i64> {
        let n: i64 = with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT count(*) FROM post_metric_snapshots WHERE profile_id = $1 AND media_id = $2"
        )
        .bind(profile_id)
        .bind(media_id)
        .fetch_one(pool)
        .await)?;
        Ok(n)
    }

    /// Counts API calls made for a profile in the hour containing `at`.
    pub async fn add_api_calls(
        &self,
        profile_id: &ProfileId,
        at: i64,
        calls: i64,
    ) -> StoreResult<()> {
        if calls == 0 {
            return Ok(());
        }
        with_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO api_usage (profile_id, hour, calls) VALUES ($1, $2, $3) ON CONFLICT (profile_id, hour) DO UPDATE SET calls = api_usage.calls + excluded.calls"
        )
        .bind(profile_id)
        .bind(at - at.rem_euclid(3600))
        .bind(calls)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// API calls made for a profile since `since`.
    pub async fn api_calls_since(&self, profile_id: &ProfileId, since: i64) -> StoreResult<i64> {
        let n: Option<i64> = with_pool!(self, |pool| {
            sqlx::query_scalar(
            "SELECT CAST(SUM(calls) AS BIGINT) FROM api_usage WHERE profile_id = $1 AND hour >= $2"
        )
        .bind(profile_id)
        .bind(since - since.rem_euclid(3600))
        .fetch_one(pool)
        .await
        })?;
        Ok(n.unwrap_or(0))
    }

    /// Marks a sync finished: last sync time, newest post time, follower count; and the first
    /// backfill's completion when `backfill` is set.
    pub async fn mark_synced(
        &self,
        profile_id: &ProfileId,
        at: i64,
        newest_post_at: Option<i64>,
        followers: Option<i64>,
        backfill: bool,
    ) -> StoreResult<()> {
        with_pool!(self, |pool| {
            sqlx::query(
            "UPDATE threads_profiles SET last_sync_at = $1, newest_post_at = COALESCE($2, newest_post_at), followers_count = COALESCE($3, followers_count), \
             backfill_done_at = CASE WHEN $4 THEN COALESCE(backfill_done_at, $1) ELSE backfill_done_at END WHERE id = $5"
        )
        .bind(at)
        .bind(newest_post_at)
        .bind(followers)
        .bind(backfill)
        .bind(profile_id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Time of the newest stored post.
    pub async fn newest_post_at(&self, profile_id: &ProfileId) -> StoreResult<Option<i64>> {
        let n: Option<i64> = with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT MAX(posted_at) FROM posts WHERE profile_id = $1"
        )
        .bind(profile_id)
        .fetch_one(pool)
        .await)?;
        Ok(n)
    }
}
