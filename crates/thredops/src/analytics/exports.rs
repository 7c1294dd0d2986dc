//! Every table and series by name, for the CSV and JSON exports.

use serde::{Deserialize, Serialize};

use serde_json::json;

use super::explorer::{self, ExplorerQuery, PostRowView};
use super::table::Table;
use super::{Scope, attribution, content, demographics, overview};
use crate::domain::MediaId;
use crate::error::{AppError, AppResult};

/// Names of the exportable tables.
pub const TABLES: &[&str] = &[
    "overview",
    "series",
    "heatmap",
    "breakdown",
    "demographics",
    "attribution",
    "posts",
    "post_history",
];

/// The export query: the explorer's filters (period included), the format and, for
/// `post_history`, the post.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct ExportQuery {
    /// Filters and period.
    #[serde(flatten)]
    pub filters: ExplorerQuery,
    /// `csv` (default) or `json`.
    pub format: Option<String>,
    /// The post of `post_history`.
    pub media_id: Option<MediaId>,
}

/// Builds the table `name`.
pub async fn table(
    scope: &Scope,
    name: &str,
    q: &ExplorerQuery,
    media_id: Option<&MediaId>,
) -> AppResult<Table> {
    let period = scope.period(&q.period).await?;
    let w = period.current;
    Ok(match name {
        "overview" => overview::overview(scope, period).await?.table(),
        "series" => overview::series_table(&overview::series(scope, &w).await?),
        "heatmap" => content::heatmap_table(&content::heatmap(
            scope,
            &scope
                .state
                .store
                .posts_in(scope.id(), w.start, w.end)
                .await?,
        )),
        "breakdown" => content::breakdown_table(&content::breakdown(
            scope,
            &scope
                .state
                .store
                .posts_in(scope.id(), w.start, w.end)
                .await?,
        )),
        "demographics" => demographics::demographics(scope, &w).await?.table(),
        "attribution" => attribution::attribution(scope, &w).await?.table(),
        "posts" => posts_table(&explorer::explore_with(scope, q, true).await?.rows),
        "post_history" => {
            let id = media_id.filter(|m| !m.is_empty()).ok_or_else(|| {
                AppError::field("media_id", "Name the post whose history to export.")
            })?;
            explorer::post_detail(scope, id).await?.history
        }
        _ => return Err(AppError::NotFound),
    })
}

/// Rows as an exportable table.
pub fn posts_table(rows: &[PostRowView]) -> Table {
    let mut t = Table::new(&[
        "media_id",
        "posted_at",
        "posted_local",
        "format",
        "topic_tag",
        "text",
        "views",
        "likes",
        "replies",
        "reposts",
        "quotes",
        "shares",
        "engagement_rate",
        "permalink",
    ]);
    for r in rows {
        t.push(vec![
            json!(r.media_id),
            json!(r.posted_at),
            json!(r.posted_local),
            json!(r.format),
            json!(r.topic_tag),
            json!(r.text),
            json!(r.views),
            json!(r.likes),
            json!(r.replies),
            json!(r.reposts),
            json!(r.quotes),
            json!(r.shares),
            json!(r.engagement_rate),
            json!(r.permalink),
        ]);
    }
    t
}
