//! What works and when: the weekday × hour heatmap and the content breakdown.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::json;

use super::period::weekday_hour;
use super::store::PostFacts;
use super::table::Table;
use super::{Scope, engagement_rate, round2};

/// Weekday names, Monday first.
pub const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// One weekday × hour cell.
#[derive(Debug, Clone, Copy, Default, Serialize, schemars::JsonSchema)]
pub struct Cell {
    /// 0 = Monday.
    pub weekday: usize,
    /// 0–23, local time.
    pub hour: usize,
    /// Posts published in this slot (how much evidence the cell has).
    pub posts: i64,
    /// Their views.
    pub views: i64,
    /// Their engagements.
    pub engagements: i64,
}

impl Cell {
    /// Mean views per post (none without posts).
    pub fn avg_views(&self) -> Option<f64> {
        (self.posts > 0).then(|| round2(self.views as f64 / self.posts as f64))
    }
}

/// The 7 × 24 cells (Monday 00h first) of posts published in the user's time zone; reposts
/// are not the creator's content and are left out.
pub fn heatmap(scope: &Scope, posts: &[PostFacts]) -> Vec<Cell> {
    let mut cells: Vec<Cell> = (0..7 * 24)
        .map(|i| Cell {
            weekday: i / 24,
            hour: i % 24,
            ..Default::default()
        })
        .collect();
    for p in posts.iter().filter(|p| !p.is_repost) {
        let (d, h) = weekday_hour(scope.tz, p.posted_at);
        let c = &mut cells[d * 24 + h];
        c.posts += 1;
        c.views += p.views.unwrap_or(0);
        c.engagements += p.engagements();
    }
    cells
}

/// The heatmap as an exportable table.
pub fn heatmap_table(cells: &[Cell]) -> Table {
    let mut t = Table::new(&[
        "weekday",
        "hour",
        "posts",
        "views",
        "engagements",
        "avg_views",
        "engagement_rate",
    ]);
    for c in cells {
        t.push(vec![
            json!(WEEKDAYS[c.weekday]),
            json!(c.hour),
            json!(c.posts),
            json!(c.views),
            json!(c.engagements),
            json!(c.avg_views()),
            json!(engagement_rate(c.engagements, c.views)),
        ]);
    }
    t
}

/// One group of one dimension of the breakdown.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct Group {
    /// `format`, `link`, `length`, `question` or `topic`.
    pub dimension: &'static str,
    /// The group's name.
    pub group: String,
    /// Posts.
    pub posts: i64,
    /// Their views.
    pub views: i64,
    /// Their engagements.
    pub engagements: i64,
}

/// Length bucket of a post's text, in characters (Threads allows 500).
pub fn length_bucket(chars: i64) -> &'static str {
    match chars {
        0 => "no text",
        1..=100 => "short (1-100)",
        101..=280 => "medium (101-280)",
        _ => "long (281+)",
    }
}

/// Groups the posts by format, link, length, question and topic tag (topic tags are sealed:
/// each post's content is opened with the owner's key).
pub fn breakdown(scope: &Scope, posts: &[PostFacts]) -> Vec<Group> {
    let mut groups: BTreeMap<(usize, String), Group> = BTreeMap::new();
    for p in posts.iter().filter(|p| !p.is_repost) {
        let topic = scope
            .content(&p.media_id, &p.content_enc)
            .topic_tag
            .unwrap_or_else(|| "(no topic)".into());
        let keys: [(&'static str, String); 5] = [
            ("format", p.format().to_owned()),
            (
                "link",
                if p.link_count > 0 {
                    "with link"
                } else {
                    "without link"
                }
                .to_owned(),
            ),
            ("length", length_bucket(p.text_len).to_owned()),
            (
                "question",
                if p.has_question {
                    "asks a question"
                } else {
                    "no question"
                }
                .to_owned(),
            ),
            ("topic", topic),
        ];
        for (i, (dimension, group)) in keys.into_iter().enumerate() {
            let g = groups.entry((i, group.clone())).or_insert_with(|| Group {
                dimension,
                group,
                ..Default::default()
            });
            g.posts += 1;
            g.views += p.views.unwrap_or(0);
            g.engagements += p.engagements();
        }
    }
    groups.into_values().collect()
}

/// The breakdown as an exportable table.
pub fn breakdown_table(groups: &[Group]) -> Table {
    let mut t = Table::new(&[
        "dimension",
        "group",
        "posts",
        "views",
        "engagements",
        "avg_views",
        "engagement_rate",
    ]);
    for g in groups {
        t.push(vec![
            json!(g.dimension),
            json!(g.group),
            json!(g.posts),
            json!(g.views),
            json!(g.engagements),
            json!((g.posts > 0).then(|| round2(g.views as f64 / g.posts as f64))),
            json!(engagement_rate(g.engagements, g.views)),
        ]);
    }
    t
}
