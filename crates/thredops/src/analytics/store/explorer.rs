//! The explorer's queries: sorting, the period, the format and the minimum views run in SQL with
//! an index-backed range. Sort keys and formats are whitelisted: never user text in SQL.

use super::{FACT_COLUMNS, FactsRow, PostFacts, facts};
use crate::domain::MediaId;
use crate::store::{Store, StoreResult, with_pool};

/// Sort keys and their SQL.
const SORTS: &[(&str, &str)] = &[
    ("posted_at", "posted_at"),
    ("views", "COALESCE(views, -1)"),
    ("likes", "COALESCE(likes, -1)"),
    ("replies", "COALESCE(replies, -1)"),
    ("reposts", "COALESCE(reposts, -1)"),
    ("quotes", "COALESCE(quotes, -1)"),
    ("shares", "COALESCE(shares, -1)"),
    (
        "engagement_rate",
        "CASE WHEN COALESCE(views, 0) > 0 THEN (COALESCE(likes, 0) + COALESCE(replies, 0) + COALESCE(reposts, 0) + COALESCE(quotes, 0) + COALESCE(shares, 0)) * 1.0 / views ELSE -1 END",
    ),
];

/// Formats and their SQL condition.
pub const FORMATS: &[(&str, &str)] = &[
    (
        "text",
        "is_repost = FALSE AND has_poll = FALSE AND is_quote = FALSE AND media_type NOT IN ('IMAGE', 'VIDEO', 'CAROUSEL_ALBUM', 'AUDIO')",
    ),
    (
        "image",
        "is_repost = FALSE AND has_poll = FALSE AND is_quote = FALSE AND media_type = 'IMAGE'",
    ),
    (
        "video",
        "is_repost = FALSE AND has_poll = FALSE AND is_quote = FALSE AND media_type = 'VIDEO'",
    ),
    (
        "carousel",
        "is_repost = FALSE AND has_poll = FALSE AND is_quote = FALSE AND media_type = 'CAROUSEL_ALBUM'",
    ),
    (
        "audio",
        "is_repost = FALSE AND has_poll = FALSE AND is_quote = FALSE AND media_type = 'AUDIO'",
    ),
    (
        "quote",
        "is_repost = FALSE AND has_poll = FALSE AND is_quote = TRUE",
    ),
    ("poll", "is_repost = FALSE AND has_poll = TRUE"),
    ("repost", "is_repost = TRUE"),
];

/// A known sort key (its SQL is only ever one of [`SORTS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort(&'static str);

impl Sort {
    /// The sort of a key, if it is one.
    pub fn parse(key: &str) -> Option<Sort> {
        SORTS.iter().find(|(k, _)| *k == key).map(|(_, s)| Sort(s))
    }
}

/// A known format (its SQL is only ever one of [`FORMATS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format(&'static str);

impl Format {
    /// The format of a key, if it is one.
    pub fn parse(key: &str) -> Option<Format> {
        FORMATS
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, s)| Format(s))
    }
}

/// What the explorer selects: the profile's posts of a period, filtered and sorted.
#[derive(Debug, Clone, Copy)]
pub struct Selection<'a> {
    /// The profile.
    pub profile: &'a str,
    /// Published in `[start, end)`.
    pub window: (i64, i64),
    /// At least this many views (none counts as 0).
    pub min_views: i64,
    /// Only this format.
    pub format: Option<Format>,
    /// The order.
    pub sort: Sort,
    /// Smallest first.
    pub ascending: bool,
}

impl Selection<'_> {
    fn filter(&self) -> String {
        let mut filter = String::from(
            "profile_id = $1 AND posted_at >= $2 AND posted_at < $3 AND COALESCE(views, 0) >= $4",
        );
        if let Some(f) = self.format {
            filter.push_str(" AND ");
            filter.push_str(f.0);
        }
        filter
    }

    fn order(&self) -> String {
        let order = if self.ascending { "asc" } else { "desc" };
        format!("{} {order}, posted_at DESC, media_id", self.sort.0)
    }

    fn paging(page: Option<(i64, i64)>) -> String {
        page.map(|(limit, offset)| format!(" LIMIT {limit} OFFSET {offset}"))
            .unwrap_or_default()
    }
}

impl Store {
    /// Every post of the selection, in its order.
    pub(crate) async fn explorer_posts(&self, s: &Selection<'_>) -> StoreResult<Vec<PostFacts>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {FACT_COLUMNS} FROM posts WHERE {} ORDER BY {}",
            s.filter(),
            s.order()
        ));
        let rows: Vec<FactsRow> = with_pool!(self, |p| sqlx::query_as(sql)
            .bind(s.profile)
            .bind(s.window.0)
            .bind(s.window.1)
            .bind(s.min_views)
            .fetch_all(p)
            .await)?;
        Ok(facts(rows))
    }

    /// The ids of one page of the selection, `(limit, offset)`, read from the covering index.
    pub(crate) async fn explorer_page_ids(
        &self,
        s: &Selection<'_>,
        page: (i64, i64),
    ) -> StoreResult<Vec<MediaId>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT media_id FROM posts WHERE {} ORDER BY {}{}",
            s.filter(),
            s.order(),
            Selection::paging(Some(page))
        ));
        Ok(with_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(s.profile)
            .bind(s.window.0)
            .bind(s.window.1)
            .bind(s.min_views)
            .fetch_all(p)
            .await)?)
    }

    /// How many posts the selection holds.
    pub(crate) async fn explorer_count(&self, s: &Selection<'_>) -> StoreResult<i64> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) FROM posts WHERE {}", s.filter()));
        Ok(with_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(s.profile)
            .bind(s.window.0)
            .bind(s.window.1)
            .bind(s.min_views)
            .fetch_one(p)
            .await)?)
    }
}
