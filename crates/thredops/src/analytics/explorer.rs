//! The posts explorer (sortable, filterable, paged) and the post page with its metric history.
//!
//! Sorting, the period, the format and the minimum views run in SQL (`store::explorer`); topic
//! tags and text are sealed, so those two filters open the content of the period's posts.

use serde::{Deserialize, Serialize};
use serde_json::json;

use super::period::{Period, PeriodQuery, to_local};
use super::store::PostFacts;
use super::store::explorer::{Format, Selection, Sort};
use super::table::Table;
use super::{Scope, engagement_rate};
use crate::domain::MediaId;
use crate::error::{AppError, AppResult};

pub use super::store::explorer::FORMATS;

/// The explorer's query string.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(default)]
pub struct ExplorerQuery {
    /// The period.
    #[serde(flatten)]
    pub period: PeriodQuery,
    /// One of [`FORMATS`].
    pub format: Option<String>,
    /// Exact topic tag (case-insensitive).
    pub topic: Option<String>,
    /// Text contained in the post (case-insensitive).
    pub q: Option<String>,
    /// Minimum views.
    pub min_views: Option<String>,
    /// One of the sort keys (default `posted_at`).
    pub sort: Option<String>,
    /// `asc` or `desc` (default).
    pub order: Option<String>,
    /// 1-based page.
    pub page: Option<String>,
    /// Rows per page, 1–200 (default 50).
    pub per_page: Option<String>,
}

/// One row of the explorer.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PostRowView {
    /// Meta media id.
    pub media_id: MediaId,
    /// Unix seconds.
    pub posted_at: i64,
    /// Local time, RFC 3339 with offset.
    pub posted_local: String,
    /// Format.
    pub format: &'static str,
    /// Text (empty when unreadable).
    pub text: String,
    /// Topic tag.
    pub topic_tag: Option<String>,
    /// Views, likes, replies, reposts, quotes, shares (null before the first snapshot).
    pub views: Option<i64>,
    /// Likes.
    pub likes: Option<i64>,
    /// Replies.
    pub replies: Option<i64>,
    /// Reposts.
    pub reposts: Option<i64>,
    /// Quotes.
    pub quotes: Option<i64>,
    /// Shares.
    pub shares: Option<i64>,
    /// Engagement rate, percent.
    pub engagement_rate: Option<f64>,
    /// The post on Threads.
    pub permalink: Option<String>,
}

/// A page of the explorer.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Explorer {
    /// The period.
    pub period: Period,
    /// Rows of this page.
    pub rows: Vec<PostRowView>,
    /// Rows matching the filters.
    pub total: i64,
    /// This page.
    pub page: i64,
    /// Rows per page.
    pub per_page: i64,
    /// Pages.
    pub pages: i64,
    /// Sort key.
    pub sort: String,
    /// `asc` or `desc`.
    pub order: String,
}

fn number(field: &str, v: Option<&str>, default: i64, min: i64, max: i64) -> AppResult<i64> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(default),
        Some(v) => v
            .parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                AppError::field(field, format!("Enter a whole number from {min} to {max}."))
            }),
    }
}

/// Opens a post for display.
pub fn row_view(scope: &Scope, p: &PostFacts) -> PostRowView {
    let c = scope.content(&p.media_id, &p.content_enc);
    let measured = p.views.is_some();
    let m = |i: usize| measured.then_some(p.interactions[i]);
    PostRowView {
        media_id: p.media_id.clone(),
        posted_at: p.posted_at,
        posted_local: to_local(scope.tz, p.posted_at).to_rfc3339(),
        format: p.format(),
        text: c.text,
        topic_tag: c.topic_tag,
        views: p.views,
        likes: m(0),
        replies: m(1),
        reposts: m(2),
        quotes: m(3),
        shares: m(4),
        engagement_rate: p.views.and_then(|v| engagement_rate(p.engagements(), v)),
        permalink: c.permalink,
    }
}

/// Runs the explorer query: one page of it.
pub async fn explore(scope: &Scope, q: &ExplorerQuery) -> AppResult<Explorer> {
    explore_with(scope, q, false).await
}

/// Runs the explorer query; `everything` returns all matching rows on one page (exports).
pub async fn explore_with(
    scope: &Scope,
    q: &ExplorerQuery,
    everything: bool,
) -> AppResult<Explorer> {
    let period = scope.period(&q.period).await?;
    let sort = q
        .sort
        .as_deref()
        .filter(|s| !s.is_empty())
        .unwrap_or("posted_at");
    let sort_by = Sort::parse(sort).ok_or_else(|| {
        AppError::field(
            "sort",
            "Sort by posted_at, views, likes, replies, reposts, quotes, shares or engagement_rate.",
        )
    })?;
    let order = match q.order.as_deref().unwrap_or("desc") {
        "desc" | "" => "desc",
        "asc" => "asc",
        _ => return Err(AppError::field("order", "Order is asc or desc.")),
    };
    let format = match q.format.as_deref().filter(|f| !f.is_empty()) {
        None => None,
        Some(f) => Some(Format::parse(f).ok_or_else(|| {
            AppError::field(
                "format",
                "Format is text, image, video, carousel, audio, quote, poll or repost.",
            )
        })?),
    };
    let min_views = number("min_views", q.min_views.as_deref(), 0, 0, i64::MAX / 2)?;
    let page = number("page", q.page.as_deref(), 1, 1, 1_000_000)?;
    let per_page = number("per_page", q.per_page.as_deref(), 50, 1, 200)?;
    let (page, per_page) = if everything {
        (1, i64::MAX / 4)
    } else {
        (page, per_page)
    };
    let topic = q
        .topic
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| t.trim_start_matches('#').to_lowercase());
    let text =
        q.q.as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase);
    let sealed_filter = topic.is_some() || text.is_some();

    let (w, id) = (&period.current, scope.id());
    let selection = Selection {
        profile: id,
        window: (w.start, w.end),
        min_views,
        format,
        sort: sort_by,
        ascending: order == "asc",
    };
    let store = &scope.state.store;
    let rows: Vec<PostFacts> = if sealed_filter || everything {
        store.explorer_posts(&selection).await?
    } else {
        // The page's ids come from the covering index; only those rows' content is read.
        let ids = store
            .explorer_page_ids(&selection, (per_page, (page - 1) * per_page))
            .await?;
        store.posts_by_ids(id, (w.start, w.end), &ids).await?
    };
    let (views, total) = if sealed_filter {
        let matching: Vec<PostRowView> = rows
            .iter()
            .map(|p| row_view(scope, p))
            .filter(|r| {
                topic
                    .as_ref()
                    .is_none_or(|t| r.topic_tag.as_ref().is_some_and(|x| x.to_lowercase() == *t))
            })
            .filter(|r| {
                text.as_ref()
                    .is_none_or(|t| r.text.to_lowercase().contains(t.as_str()))
            })
            .collect();
        let total = matching.len() as i64;
        let skip = ((page - 1) * per_page) as usize;
        (
            matching
                .into_iter()
                .skip(skip)
                .take(per_page.min(total.max(1)) as usize)
                .collect(),
            total,
        )
    } else {
        let total = store.explorer_count(&selection).await?;
        (rows.iter().map(|p| row_view(scope, p)).collect(), total)
    };
    Ok(Explorer {
        period,
        rows: views,
        total,
        page,
        per_page,
        pages: (total + per_page - 1) / per_page,
        sort: sort.to_owned(),
        order: order.to_owned(),
    })
}

/// A post with its metric history.
#[derive(Debug, Clone, Serialize)]
pub struct PostDetail {
    /// The post and its latest metrics.
    pub post: PostRowView,
    /// Every snapshot, oldest first.
    pub history: Table,
}

/// One post of the scope's profile (404 when it is not there; refused when it is older than the
/// plan shows).
pub async fn post_detail(scope: &Scope, media_id: &MediaId) -> AppResult<PostDetail> {
    let store = &scope.state.store;
    let p = store
        .post_facts(scope.id(), media_id)
        .await?
        .ok_or(AppError::NotFound)?;
    scope.check_shown(p.posted_at)?;
    let mut history = Table::new(&[
        "taken_at",
        "taken_local",
        "age_hours",
        "views",
        "likes",
        "replies",
        "reposts",
        "quotes",
        "shares",
    ]);
    for s in store.post_snapshots(scope.id(), media_id).await? {
        let mut row = vec![
            json!(s.taken_at),
            json!(to_local(scope.tz, s.taken_at).to_rfc3339()),
            json!(super::round2(s.age_seconds as f64 / 3600.0)),
        ];
        row.extend(s.metrics.iter().map(|m| json!(m)));
        history.push(row);
    }
    Ok(PostDetail {
        post: row_view(scope, &p),
        history,
    })
}
