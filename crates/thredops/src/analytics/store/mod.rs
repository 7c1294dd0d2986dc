//! The analytics reads: portable SQL over the synced tables, bounded by the period shown so cost
//! follows the period and not the whole history (the indexes are in migration 0004).

pub(crate) mod explorer;

use crate::domain::{MediaId, ProfileId, UserId};
use crate::store::{Store, StoreResult, with_pool};

/// Columns of [`PostFacts`], as [`FactsRow`] reads them.
pub(crate) const FACT_COLUMNS: &str = "media_id, posted_at, media_type, is_quote, has_poll, is_repost, link_count, text_len, has_question, carousel_size, views, likes, replies, reposts, quotes, shares, content_enc";

/// The plain facts of one post and its latest metrics (`None` before its first snapshot).
#[derive(Debug, Clone)]
pub struct PostFacts {
    /// Meta media id.
    pub media_id: MediaId,
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

/// A row selected with [`FACT_COLUMNS`]; the interactions are gathered into one array.
#[derive(sqlx::FromRow)]
struct FactsRow {
    media_id: MediaId,
    posted_at: i64,
    media_type: String,
    is_quote: bool,
    has_poll: bool,
    is_repost: bool,
    link_count: i64,
    text_len: i64,
    has_question: bool,
    carousel_size: i64,
    views: Option<i64>,
    likes: Option<i64>,
    replies: Option<i64>,
    reposts: Option<i64>,
    quotes: Option<i64>,
    shares: Option<i64>,
    content_enc: Vec<u8>,
}

impl From<FactsRow> for PostFacts {
    fn from(r: FactsRow) -> Self {
        let n = |v: Option<i64>| v.unwrap_or(0);
        PostFacts {
            media_id: r.media_id,
            posted_at: r.posted_at,
            media_type: r.media_type,
            is_quote: r.is_quote,
            has_poll: r.has_poll,
            is_repost: r.is_repost,
            link_count: r.link_count,
            text_len: r.text_len,
            has_question: r.has_question,
            carousel_size: r.carousel_size,
            views: r.views,
            interactions: [
                n(r.likes),
                n(r.replies),
                n(r.reposts),
                n(r.quotes),
                n(r.shares),
            ],
            content_enc: r.content_enc,
        }
    }
}

fn facts(rows: Vec<FactsRow>) -> Vec<PostFacts> {
    rows.into_iter().map(PostFacts::from).collect()
}

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
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AccountDay {
    /// `YYYY-MM-DD` (UTC day it was taken).
    pub day: String,
    /// Followers then.
    #[sqlx(rename = "followers_count")]
    pub followers: i64,
    /// Link clicks Meta counted that day.
    pub clicks: Option<i64>,
}

/// A count and six sums, in the order of [`PostTotals`].
type TotalsRow = (i64, i64, i64, i64, i64, i64, i64);

/// Time, age and six metrics, in the order of [`Snapshot`].
type SnapshotRow = (i64, i64, i64, i64, i64, i64, i64, i64);

impl Store {
    /// Totals of the posts published in `[start, end)`.
    pub(crate) async fn post_totals(
        &self,
        profile: &ProfileId,
        start: i64,
        end: i64,
    ) -> StoreResult<PostTotals> {
        let r: TotalsRow = with_pool!(self, |p| {
            sqlx::query_as(
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
        })?;
        Ok(PostTotals {
            posts: r.0,
            metrics: [r.1, r.2, r.3, r.4, r.5, r.6],
        })
    }

    /// Every post published in `[start, end)` with its facts, oldest first.
    pub(crate) async fn posts_in(
        &self,
        profile: &ProfileId,
        start: i64,
        end: i64,
    ) -> StoreResult<Vec<PostFacts>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {FACT_COLUMNS} FROM posts WHERE profile_id = $1 AND posted_at >= $2 AND posted_at < $3 ORDER BY posted_at, media_id"
        ));
        let rows = with_pool!(self, |p| sqlx::query_as(sql)
            .bind(profile)
            .bind(start)
            .bind(end)
            .fetch_all(p)
            .await)?;
        Ok(facts(rows))
    }

    /// One post.
    pub(crate) async fn post_facts(
        &self,
        profile: &ProfileId,
        media_id: &MediaId,
    ) -> StoreResult<Option<PostFacts>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {FACT_COLUMNS} FROM posts WHERE profile_id = $1 AND media_id = $2"
        ));
        let row: Option<FactsRow> = with_pool!(self, |p| sqlx::query_as(sql)
            .bind(profile)
            .bind(media_id)
            .fetch_optional(p)
            .await)?;
        Ok(row.map(PostFacts::from))
    }

    /// A post's metric snapshots, oldest first.
    pub(crate) async fn post_snapshots(
        &self,
        profile: &ProfileId,
        media_id: &MediaId,
    ) -> StoreResult<Vec<Snapshot>> {
        let rows: Vec<SnapshotRow> = with_pool!(self, |p| {
            sqlx::query_as(
                "SELECT taken_at, age_seconds, views, likes, replies, reposts, quotes, shares FROM post_metric_snapshots \
                 WHERE profile_id = $1 AND media_id = $2 ORDER BY taken_at",
            )
            .bind(profile)
            .bind(media_id)
            .fetch_all(p)
            .await
        })?;
        Ok(rows
            .into_iter()
            .map(|r| Snapshot {
                taken_at: r.0,
                age_seconds: r.1,
                metrics: [r.2, r.3, r.4, r.5, r.6, r.7],
            })
            .collect())
    }

    /// Account snapshots of days `from..=to` (`YYYY-MM-DD`), oldest first.
    pub(crate) async fn account_days(
        &self,
        profile: &ProfileId,
        from: &str,
        to: &str,
    ) -> StoreResult<Vec<AccountDay>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
                "SELECT day, followers_count, clicks FROM account_snapshots WHERE profile_id = $1 AND day >= $2 AND day <= $3 ORDER BY day",
            )
            .bind(profile)
            .bind(from)
            .bind(to)
            .fetch_all(p)
            .await
        })?)
    }

    /// The latest follower count recorded on a day before `day` (the baseline of a period).
    pub(crate) async fn followers_before(
        &self,
        profile: &ProfileId,
        day: &str,
    ) -> StoreResult<Option<i64>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_scalar(
            "SELECT followers_count FROM account_snapshots WHERE profile_id = $1 AND day < $2 ORDER BY day DESC LIMIT 1"
        )
        .bind(profile)
        .bind(day)
        .fetch_optional(p)
        .await
        })?)
    }

    /// Daily profile views of days `from..=to`, oldest first.
    pub(crate) async fn daily_views(
        &self,
        profile: &ProfileId,
        from: &str,
        to: &str,
    ) -> StoreResult<Vec<(String, i64)>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT day, views FROM daily_views WHERE profile_id = $1 AND day >= $2 AND day <= $3 ORDER BY day"
        )
        .bind(profile)
        .bind(from)
        .bind(to)
        .fetch_all(p)
        .await
        })?)
    }

    /// Where a profile's history starts: its first post, account snapshot or daily view.
    pub(crate) async fn first_activity(
        &self,
        profile: &ProfileId,
    ) -> StoreResult<(Option<i64>, Option<String>)> {
        let first_post: Option<i64> = with_pool!(self, |p| sqlx::query_scalar(
            "SELECT MIN(posted_at) FROM posts WHERE profile_id = $1"
        )
        .bind(profile)
        .fetch_one(p)
        .await)?;
        let first_day: Option<String> = with_pool!(self, |p| {
            sqlx::query_scalar(
            "SELECT MIN(day) FROM (SELECT MIN(day) AS day FROM account_snapshots WHERE profile_id = $1 UNION ALL SELECT MIN(day) FROM daily_views WHERE profile_id = $1) AS d"
        )
        .bind(profile)
        .fetch_one(p)
        .await
        })?;
        Ok((first_post, first_day))
    }

    /// Posts by id among those published in `[start, end)`, in the order of `ids` (the explorer
    /// pages by id first so it never sorts blobs). The period bound is redundant for the result
    /// but not for the plan: without fresh statistics (right after a large backfill) PostgreSQL
    /// otherwise read every post of the profile through an index on `profile_id` alone to pick
    /// out the page's ids.
    pub(crate) async fn posts_by_ids(
        &self,
        profile: &ProfileId,
        (start, end): (i64, i64),
        ids: &[MediaId],
    ) -> StoreResult<Vec<PostFacts>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..ids.len()).map(|i| format!("${}", i + 4)).collect();
        let sql = format!(
            "SELECT {FACT_COLUMNS} FROM posts WHERE profile_id = $1 AND posted_at >= $2 AND posted_at < $3 AND media_id IN ({})",
            marks.join(", ")
        );
        let rows: Vec<FactsRow> = with_pool!(self, |p| async {
            let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql.clone()))
                .bind(profile)
                .bind(start)
                .bind(end);
            for id in ids {
                query = query.bind(id);
            }
            query.fetch_all(p).await
        }
        .await)?;
        let mut rows = facts(rows);
        rows.sort_by_key(|r| ids.iter().position(|i| *i == r.media_id));
        Ok(rows)
    }

    /// Sets the user's time zone (an already validated IANA name).
    pub(crate) async fn set_user_timezone(&self, user_id: &UserId, tz: &str) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE users SET timezone = $1 WHERE id = $2"
        )
        .bind(tz)
        .bind(user_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Days with demographic snapshots in `from..=to`, oldest first.
    pub(crate) async fn demographic_days(
        &self,
        profile: &ProfileId,
        from: &str,
        to: &str,
    ) -> StoreResult<Vec<String>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_scalar(
            "SELECT DISTINCT day FROM demographic_snapshots WHERE profile_id = $1 AND day >= $2 AND day <= $3 ORDER BY day"
        )
        .bind(profile)
        .bind(from)
        .bind(to)
        .fetch_all(p)
        .await
        })?)
    }

    /// The demographic snapshots of one day: (breakdown, sealed payload).
    pub(crate) async fn demographics_on(
        &self,
        profile: &ProfileId,
        day: &str,
    ) -> StoreResult<Vec<(String, Vec<u8>)>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT breakdown, payload_enc FROM demographic_snapshots WHERE profile_id = $1 AND day = $2 ORDER BY breakdown"
        )
        .bind(profile)
        .bind(day)
        .fetch_all(p)
        .await
        })?)
    }
}
