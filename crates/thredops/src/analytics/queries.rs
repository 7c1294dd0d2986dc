//! The analytics reads: portable SQL over the synced tables, bounded by the period shown so cost
//! follows the period and not the whole history (the indexes are in migration 0004).

use sqlx::Row;

use crate::store::{Store, StoreResult, with_pool};

/// Columns of [`PostFacts`], in order.
pub const FACT_COLUMNS: &str = "media_id, posted_at, media_type, is_quote, has_poll, is_repost, link_count, text_len, has_question, carousel_size, views, likes, replies, reposts, quotes, shares, content_enc";

/// The plain facts of one post and its latest metrics (`None` before its first snapshot).
#[derive(Debug, Clone)]
pub struct PostFacts {
    /// Meta media id.
    pub media_id: String,
    /// Publication time, Unix seconds.
    pub posted_at: i64,
    /// Meta media type.
    pub media_type: String,
    /// Quote post.
    pub is_quote: bool,
    /// Carries a poll.
    pub has_poll: bool,
    /// Repost of someone else's post.
    pub is_repost: bool,
    /// Distinct links.
    pub link_count: i64,
    /// Characters of text.
    pub text_len: i64,
    /// Asks a question.
    pub has_question: bool,
    /// Carousel items.
    pub carousel_size: i64,
    /// Latest views.
    pub views: Option<i64>,
    /// Latest likes, replies, reposts, quotes, shares.
    pub interactions: [i64; 5],
    /// Sealed content (text, permalink, topic tag).
    pub content_enc: Vec<u8>,
}

impl PostFacts {
    /// Likes + replies + reposts + quotes + shares.
    pub fn engagements(&self) -> i64 {
        self.interactions.iter().sum()
    }

    /// The post's format as the UI names it.
    pub fn format(&self) -> &'static str {
        format_of(
            &self.media_type,
            self.is_quote,
            self.has_poll,
            self.is_repost,
        )
    }
}

/// Format of a post: repost, poll, quote, then the media type.
pub fn format_of(
    media_type: &str,
    is_quote: bool,
    has_poll: bool,
    is_repost: bool,
) -> &'static str {
    if is_repost {
        "repost"
    } else if has_poll {
        "poll"
    } else if is_quote {
        "quote"
    } else {
        match media_type {
            "IMAGE" => "image",
            "VIDEO" => "video",
            "CAROUSEL_ALBUM" => "carousel",
            "AUDIO" => "audio",
            _ => "text",
        }
    }
}

/// Reads a [`PostFacts`] from a row selected with [`FACT_COLUMNS`] (a macro: rows of both backends).
macro_rules! facts_from_row {
    ($r:expr) => {{
        let r = $r;
        let n = |i: usize| -> Result<i64, sqlx::Error> {
            Ok(r.try_get::<Option<i64>, _>(i)?.unwrap_or(0))
        };
        Ok::<_, sqlx::Error>(PostFacts {
            media_id: r.try_get(0)?,
            posted_at: r.try_get(1)?,
            media_type: r.try_get(2)?,
            is_quote: r.try_get(3)?,
            has_poll: r.try_get(4)?,
            is_repost: r.try_get(5)?,
            link_count: r.try_get(6)?,
            text_len: r.try_get(7)?,
            has_question: r.try_get(8)?,
            carousel_size: r.try_get(9)?,
            views: r.try_get(10)?,
            interactions: [n(11)?, n(12)?, n(13)?, n(14)?, n(15)?],
            content_enc: r.try_get(16)?,
        })
    }};
}
pub(crate) use facts_from_row;

/// Sums over the posts published in `[start, end)`, reposts excluded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
pub struct PostTotals {
    /// Posts published.
    pub posts: i64,
    /// Views, likes, replies, reposts, quotes, shares at each post's latest snapshot.
    pub metrics: [i64; 6],
}

/// One metric snapshot of a post.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot {
    /// When it was taken.
    pub taken_at: i64,
    /// The post's age then.
    pub age_seconds: i64,
    /// Views, likes, replies, reposts, quotes, shares.
    pub metrics: [i64; 6],
}

/// One daily account snapshot.
#[derive(Debug, Clone)]
pub struct AccountDay {
    /// `YYYY-MM-DD` (UTC day it was taken).
    pub day: String,
    /// Followers then.
    pub followers: i64,
    /// Link clicks Meta counted that day.
    pub clicks: Option<i64>,
}

/// Totals of the posts published in `[start, end)`.
pub async fn post_totals(
    store: &Store,
    profile: &str,
    start: i64,
    end: i64,
) -> StoreResult<PostTotals> {
    let row = with_pool!(store, |p| {
        sqlx::query(
        "SELECT COUNT(*), CAST(COALESCE(SUM(views), 0) AS BIGINT), CAST(COALESCE(SUM(likes), 0) AS BIGINT), \
         CAST(COALESCE(SUM(replies), 0) AS BIGINT), CAST(COALESCE(SUM(reposts), 0) AS BIGINT), \
         CAST(COALESCE(SUM(quotes), 0) AS BIGINT), CAST(COALESCE(SUM(shares), 0) AS BIGINT) \
         FROM posts WHERE profile_id = $1 AND posted_at >= $2 AND posted_at < $3 AND is_repost = $4"
    )
    .bind(profile)
    .bind(start)
    .bind(end)
    .bind(false)
    .fetch_one(p)
    .await
    .and_then(|r| {
        let mut metrics = [0; 6];
        for (i, m) in metrics.iter_mut().enumerate() {
            *m = r.try_get(i + 1)?;
        }
        Ok(PostTotals { posts: r.try_get(0)?, metrics })
    })
    })?;
    Ok(row)
}

/// Every post published in `[start, end)` with its facts, oldest first.
pub async fn posts_in(
    store: &Store,
    profile: &str,
    start: i64,
    end: i64,
) -> StoreResult<Vec<PostFacts>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {FACT_COLUMNS} FROM posts WHERE profile_id = $1 AND posted_at >= $2 AND posted_at < $3 ORDER BY posted_at, media_id"
    ));
    let rows = with_pool!(store, |p| async {
        let rows = sqlx::query(sql)
            .bind(profile)
            .bind(start)
            .bind(end)
            .fetch_all(p)
            .await?;
        rows.iter()
            .map(|r| facts_from_row!(r))
            .collect::<Result<Vec<_>, _>>()
    }
    .await)?;
    Ok(rows)
}

/// One post.
pub async fn post(store: &Store, profile: &str, media_id: &str) -> StoreResult<Option<PostFacts>> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {FACT_COLUMNS} FROM posts WHERE profile_id = $1 AND media_id = $2"
    ));
    let row = with_pool!(store, |p| async {
        match sqlx::query(sql)
            .bind(profile)
            .bind(media_id)
            .fetch_optional(p)
            .await?
        {
            Some(r) => facts_from_row!(&r).map(Some),
            None => Ok(None),
        }
    }
    .await)?;
    Ok(row)
}

/// A post's metric snapshots, oldest first.
pub async fn snapshots(store: &Store, profile: &str, media_id: &str) -> StoreResult<Vec<Snapshot>> {
    let rows = with_pool!(store, |p| {
        async {
        let rows = sqlx::query(
            "SELECT taken_at, age_seconds, views, likes, replies, reposts, quotes, shares FROM post_metric_snapshots \
             WHERE profile_id = $1 AND media_id = $2 ORDER BY taken_at",
        )
        .bind(profile)
        .bind(media_id)
        .fetch_all(p)
        .await?;
        rows.iter()
            .map(|r| {
                let mut metrics = [0; 6];
                for (i, m) in metrics.iter_mut().enumerate() {
                    *m = r.try_get(i + 2)?;
                }
                Ok(Snapshot { taken_at: r.try_get(0)?, age_seconds: r.try_get(1)?, metrics })
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await
    })?;
    Ok(rows)
}

/// Account snapshots of days `from..=to` (`YYYY-MM-DD`), oldest first.
pub async fn account_days(
    store: &Store,
    profile: &str,
    from: &str,
    to: &str,
) -> StoreResult<Vec<AccountDay>> {
    let rows = with_pool!(store, |p| {
        async {
        let rows = sqlx::query(
            "SELECT day, followers_count, clicks FROM account_snapshots WHERE profile_id = $1 AND day >= $2 AND day <= $3 ORDER BY day",
        )
        .bind(profile)
        .bind(from)
        .bind(to)
        .fetch_all(p)
        .await?;
        rows.iter()
            .map(|r| Ok(AccountDay { day: r.try_get(0)?, followers: r.try_get(1)?, clicks: r.try_get(2)? }))
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await
    })?;
    Ok(rows)
}

/// The latest follower count recorded on a day before `day` (the baseline of a period).
pub async fn followers_before(store: &Store, profile: &str, day: &str) -> StoreResult<Option<i64>> {
    let n = with_pool!(store, |p| {
        sqlx::query_scalar(
        "SELECT followers_count FROM account_snapshots WHERE profile_id = $1 AND day < $2 ORDER BY day DESC LIMIT 1"
    )
    .bind(profile)
    .bind(day)
    .fetch_optional(p)
    .await
    })?;
    Ok(n)
}

/// Daily profile views of days `from..=to`, oldest first.
pub async fn daily_views(
    store: &Store,
    profile: &str,
    from: &str,
    to: &str,
) -> StoreResult<Vec<(String, i64)>> {
    let rows = with_pool!(store, |p| {
        async {
        let rows = sqlx::query("SELECT day, views FROM daily_views WHERE profile_id = $1 AND day >= $2 AND day <= $3 ORDER BY day")
            .bind(profile)
            .bind(from)
            .bind(to)
            .fetch_all(p)
            .await?;
        rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await
    })?;
    Ok(rows)
}

/// Where a profile's history starts: its first post, account snapshot or daily view.
pub async fn first_activity(
    store: &Store,
    profile: &str,
) -> StoreResult<(Option<i64>, Option<String>)> {
    let first_post: Option<i64> = with_pool!(store, |p| sqlx::query_scalar(
        "SELECT MIN(posted_at) FROM posts WHERE profile_id = $1"
    )
    .bind(profile)
    .fetch_one(p)
    .await)?;
    let first_day: Option<String> = with_pool!(store, |p| {
        sqlx::query_scalar(
        "SELECT MIN(day) FROM (SELECT MIN(day) AS day FROM account_snapshots WHERE profile_id = $1 UNION ALL SELECT MIN(day) FROM daily_views WHERE profile_id = $1) AS d"
    )
    .bind(profile)
    .fetch_one(p)
    .await
    })?;
    Ok((first_post, first_day))
}

/// Posts by id among those published in `[start, end)`, in the order of `ids` (the explorer pages
/// by id first so it never sorts blobs). The period bound is redundant for the result but not for
/// the plan: without fresh statistics (right after a large backfill) PostgreSQL otherwise read
/// every post of the profile through an index on `profile_id` alone to pick out the page's ids.
pub async fn posts_by_ids(
    store: &Store,
    profile: &str,
    (start, end): (i64, i64),
    ids: &[String],
) -> StoreResult<Vec<PostFacts>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let marks: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 4)).collect();
    let sql = format!(
        "SELECT {FACT_COLUMNS} FROM posts WHERE profile_id = $1 AND posted_at >= $2 AND posted_at < $3 AND media_id IN ({})",
        marks.join(", ")
    );
    let mut rows = with_pool!(store, |p| async {
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
            .bind(profile)
            .bind(start)
            .bind(end);
        for id in ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(p).await?;
        rows.iter()
            .map(|r| facts_from_row!(r))
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await)?;
    rows.sort_by_key(|r| ids.iter().position(|i| *i == r.media_id));
    Ok(rows)
}

/// Sets the user's time zone (an already validated IANA name).
pub async fn set_timezone(store: &Store, user_id: &str, tz: &str) -> StoreResult<()> {
    with_pool!(store, |p| sqlx::query(
        "UPDATE users SET timezone = $1 WHERE id = $2"
    )
    .bind(tz)
    .bind(user_id)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}
