//! Data synced from the Threads API: posts, metric snapshots, account snapshots, API usage.
//!
//! Every write is idempotent: re-running a sync step inserts nothing twice. Snapshots are
//! append-only (`ON CONFLICT DO NOTHING`), so history is never overwritten.

use sqlx::Row;

use super::{Store, StoreResult, with_pool};

/// Rows per statement in batched writes (10 parameters each).
const WRITE_CHUNK: usize = 500;

/// One post as the sync engine stores it.
#[derive(Debug, Clone)]
pub struct PostRow {
    /// Meta media id.
    pub media_id: String,
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
    pub media_id: String,
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
    pub media_id: String,
    /// Publication time.
    pub posted_at: i64,
}

impl Store {
    /// Inserts a post unless it is already stored; true when it was new.
    pub async fn insert_post(&self, profile_id: &str, p: &PostRow, now: i64) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO posts (profile_id, media_id, media_type, posted_at, content_enc, text_len, link_count, has_question, has_poll, is_quote, is_repost, carousel_size, next_refresh_at, first_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) ON CONFLICT (profile_id, media_id) DO NOTHING"
        )
        .bind(profile_id)
        .bind(&p.media_id)
        .bind(&p.media_type)
        .bind(p.posted_at)
        .bind(&p.content_enc)
        .bind(p.text_len)
        .bind(p.link_count)
        .bind(p.has_question)
        .bind(p.has_poll)
        .bind(p.is_quote)
        .bind(p.is_repost)
        .bind(p.carousel_size)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Appends one metrics snapshot per post and updates each post's latest values and next
    /// refresh time, in one transaction per [`WRITE_CHUNK`] posts. A snapshot at the same second
    /// is not written twice, and an older snapshot never overwrites a post's newer values.
    pub async fn record_post_metrics(
        &self,
        profile_id: &str,
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
                    insert.build().execute(&mut *tx).await?;
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
                    update.build().execute(&mut *tx).await?;
                    tx.commit().await
                }
                .await
            })?;
        }
        Ok(())
    }

    /// Sets when a post is next refreshed (reposts have no metrics of their own).
    pub async fn set_next_refresh(
        &self,
        profile_id: &str,
        media_id: &str,
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
        profile_id: &str,
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
    pub async fn has_post(&self, profile_id: &str, media_id: &str) -> StoreResult<bool> {
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
    pub async fn post_count(&self, profile_id: &str) -> StoreResult<i64> {
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
        profile_id: &str,
    ) -> StoreResult<Vec<(String, Option<Metrics>)>> {
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
    pub async fn snapshot_count(&self, profile_id: &str, media_id: &str) -> StoreResult<i64> {
        let n: i64 = with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT count(*) FROM post_metric_snapshots WHERE profile_id = $1 AND media_id = $2"
        )
        .bind(profile_id)
        .bind(media_id)
        .fetch_one(pool)
        .await)?;
        Ok(n)
    }

    /// Records the day's account snapshot unless that day already has one.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_account_snapshot(
        &self,
        profile_id: &str,
        day: &str,
        taken_at: i64,
        followers: i64,
        totals: [Option<i64>; 5],
    ) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO account_snapshots (profile_id, day, taken_at, followers_count, likes, replies, reposts, quotes, clicks) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING"
        )
        .bind(profile_id)
        .bind(day)
        .bind(taken_at)
        .bind(followers)
        .bind(totals[0])
        .bind(totals[1])
        .bind(totals[2])
        .bind(totals[3])
        .bind(totals[4])
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Number of daily account snapshots.
    pub async fn account_snapshot_days(&self, profile_id: &str) -> StoreResult<Vec<(String, i64)>> {
        let rows = with_pool!(self, |pool| {
            async {
            let rows = sqlx::query("SELECT day, followers_count FROM account_snapshots WHERE profile_id = $1 ORDER BY day")
                .bind(profile_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<Vec<_>, sqlx::Error>>()
        }
        .await
        })?;
        Ok(rows)
    }

    /// Stores Meta's daily profile views (Meta's own series: the latest value for a day wins).
    pub async fn upsert_daily_views(
        &self,
        profile_id: &str,
        day: &str,
        views: i64,
        fetched_at: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO daily_views (profile_id, day, views, fetched_at) VALUES ($1, $2, $3, $4) ON CONFLICT (profile_id, day) DO UPDATE SET views = excluded.views, fetched_at = excluded.fetched_at"
        )
        .bind(profile_id)
        .bind(day)
        .bind(views)
        .bind(fetched_at)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Records a demographics snapshot for one breakdown unless that day already has one.
    pub async fn insert_demographics(
        &self,
        profile_id: &str,
        day: &str,
        breakdown: &str,
        taken_at: i64,
        payload_enc: &[u8],
    ) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO demographic_snapshots (profile_id, day, breakdown, taken_at, payload_enc) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"
        )
        .bind(profile_id)
        .bind(day)
        .bind(breakdown)
        .bind(taken_at)
        .bind(payload_enc)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Counts API calls made for a profile in the hour containing `at`.
    pub async fn add_api_calls(&self, profile_id: &str, at: i64, calls: i64) -> StoreResult<()> {
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
    pub async fn api_calls_since(&self, profile_id: &str, since: i64) -> StoreResult<i64> {
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
        profile_id: &str,
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
    pub async fn newest_post_at(&self, profile_id: &str) -> StoreResult<Option<i64>> {
        let n: Option<i64> = with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT MAX(posted_at) FROM posts WHERE profile_id = $1"
        )
        .bind(profile_id)
        .fetch_one(pool)
        .await)?;
        Ok(n)
    }
}
