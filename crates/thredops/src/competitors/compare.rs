//! The benchmark: growth, cadence, formats and engagement per post of the user's profile and
//! each competitor over the same window, as rows for the API and charts with data tables for
//! the page.
//!
//! Method (also in docs/benchmarks.md): the window is the last [`WINDOW_DAYS`] days of Threads
//! time. Growth is the follower change between the oldest and newest daily snapshot inside the
//! window. Posts per week count posts published in the window (a competitor's from its public
//! posts, the user's from the synced history, reposts left out). Formats are the share of each
//! media type among those posts. Engagement per post is likes + replies + reposts + quotes per
//! post published in the last 7 days: for a competitor Meta's 7-day totals of the newest
//! snapshot divided by its posts of those 7 days, for the user the same sums over their own
//! posts' current metrics.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::store::{PostFacts, SnapshotRow};
use crate::analytics::svg::{self, Spec};

/// Days compared.
pub const WINDOW_DAYS: i64 = 28;
const DAY: i64 = 86_400;

/// The formats shown, in order: (stored media types, label).
const FORMATS: &[(&[&str], &str)] = &[
    (&["TEXT_POST"], "text"),
    (&["IMAGE"], "image"),
    (&["VIDEO"], "video"),
    (&["CAROUSEL_ALBUM"], "carousel"),
];

/// One profile's line of the benchmark.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct BenchmarkRow {
    /// `@handle`.
    pub who: String,
    /// Whether this is the user's own profile.
    pub own: bool,
    /// Followers at the newest snapshot.
    pub followers: Option<i64>,
    /// Follower change over the window (needs two snapshots in it).
    pub growth: Option<i64>,
    /// The same as a percentage of the window's first count.
    pub growth_rate: Option<f64>,
    /// Posts per week over the window.
    pub posts_per_week: f64,
    /// Share of each format among the window's posts, in percent (text, image, video,
    /// carousel, other).
    pub formats: BTreeMap<String, f64>,
    /// Engagement per post over the last 7 days.
    pub engagement_per_post: Option<f64>,
}

/// What one profile brings to the benchmark.
pub struct Input<'a> {
    /// `@handle`.
    pub who: String,
    /// Whether it is the user's own profile.
    pub own: bool,
    /// Daily (day, followers), oldest first.
    pub followers: Vec<(String, i64)>,
    /// Posts published in the window.
    pub posts: &'a [PostFacts],
    /// Engagement over the last 7 days from the newest snapshot (competitors only).
    pub engagement_7d: Option<i64>,
}

/// The UTC day (`YYYY-MM-DD`) of a Unix time.
pub fn day_of(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .format("%Y-%m-%d")
        .to_string()
}

/// The competitor's 7-day engagement in its newest snapshot.
pub fn engagement_7d(snapshots: &[SnapshotRow]) -> Option<i64> {
    snapshots
        .last()
        .map(|s| s.likes_7d + s.replies_7d + s.reposts_7d + s.quotes_7d)
}

/// One profile's row at `now`.
pub fn row(input: &Input, now: i64) -> BenchmarkRow {
    let start = day_of(now - WINDOW_DAYS * DAY);
    let inside: Vec<&(String, i64)> = input
        .followers
        .iter()
        .filter(|(d, _)| *d >= start)
        .collect();
    let (growth, growth_rate) = match (inside.first(), inside.last()) {
        (Some(a), Some(b)) if inside.len() >= 2 => {
            let g = b.1 - a.1;
            let rate = (a.1 > 0).then(|| g as f64 * 100.0 / a.1 as f64);
            (Some(g), rate.map(round2))
        }
        _ => (None, None),
    };
    let posts: Vec<&PostFacts> = input
        .posts
        .iter()
        .filter(|p| p.posted_at > now - WINDOW_DAYS * DAY && p.posted_at <= now)
        .collect();
    let mut formats = BTreeMap::new();
    let total = posts.len().max(1) as f64;
    let mut counted = 0;
    for (types, label) in FORMATS {
        let n = posts
            .iter()
            .filter(|p| types.contains(&p.media_type.as_str()))
            .count();
        counted += n;
        formats.insert((*label).to_owned(), round2(n as f64 * 100.0 / total));
    }
    formats.insert(
        "other".to_owned(),
        round2((posts.len() - counted) as f64 * 100.0 / total),
    );
    let week: Vec<&&PostFacts> = posts
        .iter()
        .filter(|p| p.posted_at > now - 7 * DAY)
        .collect();
    let engagement = if input.own {
        let sum: i64 = week.iter().filter_map(|p| p.engagement).sum();
        Some(sum)
    } else {
        input.engagement_7d
    };
    let engagement_per_post = match (engagement, week.len()) {
        (Some(e), n) if n > 0 => Some(round2(e as f64 / n as f64)),
        _ => None,
    };
    BenchmarkRow {
        who: input.who.clone(),
        own: input.own,
        followers: input.followers.last().map(|f| f.1),
        growth,
        growth_rate,
        posts_per_week: round2(posts.len() as f64 * 7.0 / WINDOW_DAYS as f64),
        formats,
        engagement_per_post,
    }
}

fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// One chart with its data table, in the shape the analytics chart macro reads.
fn chart(
    anchor: &str,
    title: &str,
    y_label: &str,
    points: Vec<(String, f64)>,
    columns: &[&str],
    rows: Vec<Value>,
    note: &str,
) -> Value {
    let spec = Spec {
        id: anchor,
        title,
        x_label: "Profile",
        y_label,
    };
    json!({
        "id": anchor, "title": title, "svg": svg::bars(&spec, &points),
        "columns": columns, "rows": rows, "note": note,
    })
}

/// The four comparison charts of the page, each with its data table.
pub fn charts(rows: &[BenchmarkRow]) -> Vec<Value> {
    let growth_note = if rows.iter().any(|r| r.growth.is_none()) {
        "Growth needs two daily snapshots; profiles without them show 0 until the next snapshot."
    } else {
        ""
    };
    let growth = chart(
        "bench-growth",
        "Follower growth, last 28 days",
        "New followers",
        rows.iter()
            .map(|r| (r.who.clone(), r.growth.unwrap_or(0) as f64))
            .collect(),
        &["profile", "followers", "growth", "growth_rate"],
        rows.iter()
            .map(|r| json!([r.who, r.followers, r.growth, r.growth_rate]))
            .collect(),
        growth_note,
    );
    let cadence = chart(
        "bench-cadence",
        "Posts per week, last 28 days",
        "Posts per week",
        rows.iter()
            .map(|r| (r.who.clone(), r.posts_per_week))
            .collect(),
        &["profile", "posts_per_week"],
        rows.iter()
            .map(|r| json!([r.who, r.posts_per_week]))
            .collect(),
        "",
    );
    let media = |r: &BenchmarkRow| 100.0 - r.formats.get("text").copied().unwrap_or(0.0);
    let mut format_columns = vec!["profile"];
    format_columns.extend([
        "text_rate",
        "image_rate",
        "video_rate",
        "carousel_rate",
        "other_rate",
    ]);
    let formats = chart(
        "bench-formats",
        "Posts with media (image, video, carousel), last 28 days",
        "Share of posts (%)",
        rows.iter()
            .map(|r| (r.who.clone(), round2(media(r))))
            .collect(),
        &format_columns,
        rows.iter()
            .map(|r| {
                let f = |k: &str| r.formats.get(k).copied().unwrap_or(0.0);
                json!([
                    r.who,
                    f("text"),
                    f("image"),
                    f("video"),
                    f("carousel"),
                    f("other")
                ])
            })
            .collect(),
        "",
    );
    let engagement = chart(
        "bench-engagement",
        "Engagement per post, last 7 days",
        "Engagement per post",
        rows.iter()
            .map(|r| (r.who.clone(), r.engagement_per_post.unwrap_or(0.0)))
            .collect(),
        &["profile", "engagement_per_post"],
        rows.iter()
            .map(|r| json!([r.who, r.engagement_per_post]))
            .collect(),
        "",
    );
    vec![growth, cadence, formats, engagement]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(media_type: &str, posted_at: i64, engagement: Option<i64>) -> PostFacts {
        PostFacts {
            media_type: media_type.into(),
            posted_at,
            engagement,
        }
    }

    #[test]
    fn a_competitor_row_measures_growth_cadence_formats_and_engagement() {
        let now = 1_750_000_000;
        let posts = [
            post("TEXT_POST", now - DAY, None),
            post("IMAGE", now - 2 * DAY, None),
            post("VIDEO", now - 10 * DAY, None),
            post("TEXT_POST", now - 20 * DAY, None),
            post("TEXT_POST", now - 40 * DAY, None),
        ];
        let input = Input {
            who: "@ada".into(),
            own: false,
            followers: vec![
                (day_of(now - 60 * DAY), 500),
                (day_of(now - 20 * DAY), 1_000),
                (day_of(now), 1_100),
            ],
            posts: &posts,
            engagement_7d: Some(300),
        };
        let r = row(&input, now);
        assert_eq!(r.followers, Some(1_100));
        assert_eq!(r.growth, Some(100));
        assert_eq!(r.growth_rate, Some(10.0));
        assert_eq!(r.posts_per_week, 1.0);
        assert_eq!(r.formats["text"], 50.0);
        assert_eq!(r.formats["image"], 25.0);
        assert_eq!(r.formats["other"], 0.0);
        assert_eq!(r.engagement_per_post, Some(150.0));
    }

    #[test]
    fn one_snapshot_has_no_growth_and_no_posts_no_engagement() {
        let now = 1_750_000_000;
        let input = Input {
            who: "@me".into(),
            own: true,
            followers: vec![(day_of(now), 10)],
            posts: &[],
            engagement_7d: None,
        };
        let r = row(&input, now);
        assert_eq!((r.growth, r.engagement_per_post), (None, None));
        assert_eq!(r.posts_per_week, 0.0);
        let charts = charts(&[r]);
        assert_eq!(charts.len(), 4);
        assert!(charts[0]["svg"].as_str().unwrap().starts_with("<svg"));
    }
}
