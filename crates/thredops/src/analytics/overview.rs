//! The overview (period totals against the previous period) and the daily series behind the charts.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use bytes::Bytes;
use chrono::{Datelike, Duration, NaiveDate};
use chrono_tz::Tz;
use serde::Serialize;
use serde_json::{Value, json};

use super::cache::VersionedCache;
use super::period::{Period, PeriodQuery, Window, local_date};
use super::store::PostTotals;
use super::table::Table;
use super::{ENGAGEMENT_RATE, POST_METRICS, Scope, engagement_rate, round2};
use crate::domain::{ProfileId, WorkspaceId};
use crate::error::AppResult;
use crate::store::StoreResult;

/// Every number of one window.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct WindowTotals {
    /// Followers at the window's last account snapshot.
    pub followers: Option<i64>,
    /// Followers at the end minus the baseline (the last snapshot before the window, else its first).
    pub net_followers: Option<i64>,
    /// Profile views Meta counted on the window's days.
    pub views: i64,
    /// Link clicks Meta counted on the window's days.
    pub link_clicks: i64,
    /// Totals of the posts published in the window, at their latest snapshot.
    pub posts: PostTotals,
}

/// One line of the overview.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct MetricLine {
    /// Machine name.
    pub key: &'static str,
    /// What the UI calls it.
    pub label: &'static str,
    /// This period.
    pub current: Value,
    /// The previous period (null for all time or without data).
    pub previous: Value,
    /// current − previous.
    pub change: Value,
    /// Change in percent of previous (null when previous is 0 or unknown).
    pub change_pct: Value,
    /// "up", "down" or "flat" (null when there is nothing to compare).
    pub direction: Option<&'static str>,
}

/// The overview of a period.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Overview {
    /// The period and the one it is compared with.
    pub period: Period,
    /// The lines, in display order.
    pub metrics: Vec<MetricLine>,
}

/// Computes every number of one window.
pub async fn window_totals(scope: &Scope, w: &Window) -> StoreResult<WindowTotals> {
    let store = &scope.state.store;
    let (from, to) = (w.first_day_key(), w.last_day_key());
    let days = store.account_days(scope.id(), &from, &to).await?;
    let baseline = match store.followers_before(scope.id(), &from).await? {
        Some(n) => Some(n),
        None => days.first().map(|d| d.followers),
    };
    let followers = days.last().map(|d| d.followers);
    let views = store.daily_views(scope.id(), &from, &to).await?;
    Ok(WindowTotals {
        followers,
        net_followers: followers.zip(baseline).map(|(end, start)| end - start),
        views: views.iter().map(|(_, v)| v).sum(),
        link_clicks: days.iter().filter_map(|d| d.clicks).sum(),
        posts: store.post_totals(scope.id(), w.start, w.end).await?,
    })
}

fn lines(t: &WindowTotals) -> Vec<(&'static str, &'static str, Value)> {
    let m = t.posts.metrics;
    let engagements: i64 = m[1..].iter().sum();
    vec![
        ("followers", "Followers", json!(t.followers)),
        (
            "net_followers",
            "Net follower change",
            json!(t.net_followers),
        ),
        ("views", "Profile views", json!(t.views)),
        ("post_views", "Views of posts published", json!(m[0])),
        ("likes", "Likes", json!(m[1])),
        ("replies", "Replies", json!(m[2])),
        ("reposts", "Reposts", json!(m[3])),
        ("quotes", "Quotes", json!(m[4])),
        ("shares", "Shares", json!(m[5])),
        ("link_clicks", "Link clicks", json!(t.link_clicks)),
        ("posts", "Posts published", json!(t.posts.posts)),
        (
            "engagement_rate",
            "Engagement rate (%)",
            json!(engagement_rate(engagements, m[0])),
        ),
    ]
}

fn compare(current: &Value, previous: &Value) -> (Value, Value, Option<&'static str>) {
    match (current.as_f64(), previous.as_f64()) {
        (Some(c), Some(p)) => {
            let change = if current.is_i64() && previous.is_i64() {
                json!(current.as_i64().unwrap_or(0) - previous.as_i64().unwrap_or(0))
            } else {
                json!(round2(c - p))
            };
            let pct = (p != 0.0).then(|| round2((c - p) * 100.0 / p.abs()));
            let dir = if c > p {
                "up"
            } else if c < p {
                "down"
            } else {
                "flat"
            };
            (change, json!(pct), Some(dir))
        }
        _ => (Value::Null, Value::Null, None),
    }
}

/// The overview of `period` compared with the previous one.
pub async fn overview(scope: &Scope, period: Period) -> StoreResult<Overview> {
    let current = window_totals(scope, &period.current).await?;
    let previous = match &period.previous {
        Some(w) => Some(window_totals(scope, w).await?),
        None => None,
    };
    let prev_lines = previous.as_ref().map(lines);
    let metrics = lines(&current)
        .into_iter()
        .enumerate()
        .map(|(i, (key, label, value))| {
            let prev = prev_lines.as_ref().map_or(Value::Null, |p| p[i].2.clone());
            let (change, change_pct, direction) = compare(&value, &prev);
            MetricLine {
                key,
                label,
                current: value,
                previous: prev,
                change,
                change_pct,
                direction,
            }
        })
        .collect();
    Ok(Overview { period, metrics })
}

/// The overview as the API serves it: the numbers and where the stored history starts.
#[derive(Debug, Clone, Serialize)]
pub struct OverviewReport {
    /// The overview.
    pub overview: Overview,
    /// The first local date with stored data.
    pub history_starts: Option<NaiveDate>,
    /// The API's JSON of this report, rendered on its first request: the cache then serves
    /// the bytes themselves.
    #[serde(skip)]
    api_json: OnceLock<Bytes>,
}

impl OverviewReport {
    /// The report as `GET .../analytics/overview` answers it.
    pub fn api_json(&self) -> Bytes {
        self.api_json
            .get_or_init(|| {
                let body = OverviewBody {
                    period: &self.overview.period,
                    metrics: &self.overview.metrics,
                    history_starts: self.history_starts,
                    definitions: Definitions {
                        engagement_rate: ENGAGEMENT_RATE,
                        post_metrics: POST_METRICS,
                    },
                };
                Bytes::from(serde_json::to_vec(&body).unwrap_or_default())
            })
            .clone()
    }
}

/// `GET .../analytics/overview`: a period's numbers against the previous period.
#[derive(Serialize, schemars::JsonSchema)]
pub struct OverviewBody<'a> {
    /// The period and the one it is compared with.
    pub period: &'a Period,
    /// The lines, in display order.
    pub metrics: &'a [MetricLine],
    /// The first local date with stored data.
    pub history_starts: Option<NaiveDate>,
    /// How the numbers are computed.
    pub definitions: Definitions,
}

/// How the overview's numbers are computed, in words.
#[derive(Serialize, schemars::JsonSchema)]
pub struct Definitions {
    /// The engagement rate's formula.
    pub engagement_rate: &'static str,
    /// Which posts and snapshots the post metrics count.
    pub post_metrics: &'static str,
}

/// Overview reports kept per process: about 2 KB each, so at most a few MB.
pub const CACHE_CAPACITY: usize = 2048;

/// Computed overview reports, valid while their profile's data version is unchanged.
pub type OverviewCache = VersionedCache<OverviewKey, OverviewReport>;

/// Everything besides the stored data that an overview report depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OverviewKey {
    // The owner too, so an entry can never answer anyone else even if ownership changed hands.
    workspace_id: WorkspaceId,
    profile_id: ProfileId,
    period: Option<String>,
    from: Option<String>,
    to: Option<String>,
    tz: Tz,
    history_days: Option<u32>,
    // Periods end today: a new local day is a new report even without new data.
    today: NaiveDate,
}

/// The overview report of the period `q`, reused while the profile's analytics data, the user's
/// time zone, the plan's history limit and the local day stay the same.
pub async fn report(scope: &Scope, q: &PeriodQuery) -> AppResult<Arc<OverviewReport>> {
    let key = OverviewKey {
        workspace_id: scope.profile.user_id.clone(),
        profile_id: scope.profile.id.clone(),
        period: q.period.clone(),
        from: q.from.clone(),
        to: q.to.clone(),
        tz: scope.tz,
        history_days: scope.history.as_ref().map(|h| h.days),
        today: scope.today(),
    };
    // Read with the profile row, before any data: see analytics/cache.rs for why.
    let version = scope.profile.data_version;
    let cache = &scope.state.overview_cache;
    if let Some(hit) = cache.get(&key, version) {
        return Ok(hit);
    }
    let period = scope.period(q).await?;
    let report = Arc::new(OverviewReport {
        overview: overview(scope, period).await?,
        history_starts: scope.history_start().await?,
        api_json: OnceLock::new(),
    });
    cache.insert(key, version, report.clone());
    Ok(report)
}

impl Overview {
    /// The overview as an exportable table.
    pub fn table(&self) -> Table {
        let mut t = Table::new(&[
            "metric",
            "label",
            "current",
            "previous",
            "change",
            "change_pct",
        ]);
        for m in &self.metrics {
            t.push(vec![
                json!(m.key),
                json!(m.label),
                m.current.clone(),
                m.previous.clone(),
                m.change.clone(),
                m.change_pct.clone(),
            ]);
        }
        t
    }
}

/// One local day of the series.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
pub struct DayPoint {
    /// Local date.
    pub date: String,
    /// Followers recorded that day.
    pub followers: Option<i64>,
    /// Change since the previous recorded day.
    pub follower_change: Option<i64>,
    /// Profile views that day.
    pub views: Option<i64>,
    /// Link clicks that day.
    pub clicks: Option<i64>,
    /// Posts published that local day (reposts excluded).
    pub posts: i64,
    /// Views of those posts (latest snapshot).
    pub post_views: i64,
    /// Engagements of those posts.
    pub engagements: i64,
}

/// The daily series of a window. Day-keyed data (followers, views, clicks) is stored by the day
/// Meta reports it for; it is placed on the same calendar date here.
pub async fn series(scope: &Scope, w: &Window) -> StoreResult<Vec<DayPoint>> {
    let store = &scope.state.store;
    let (from, to) = (w.first_day_key(), w.last_day_key());
    let days = store.account_days(scope.id(), &from, &to).await?;
    let mut last = store.followers_before(scope.id(), &from).await?;
    let views: HashMap<String, i64> = store
        .daily_views(scope.id(), &from, &to)
        .await?
        .into_iter()
        .collect();
    let by_day: HashMap<&str, _> = days.iter().map(|d| (d.day.as_str(), d)).collect();
    let mut points: Vec<DayPoint> = Vec::with_capacity(w.days() as usize);
    let index: HashMap<NaiveDate, usize> = w.dates().enumerate().map(|(i, d)| (d, i)).collect();
    for date in w.dates() {
        let key = date.format("%Y-%m-%d").to_string();
        let snap = by_day.get(key.as_str());
        let followers = snap.map(|d| d.followers);
        let follower_change = followers.zip(last).map(|(now, before)| now - before);
        if followers.is_some() {
            last = followers;
        }
        points.push(DayPoint {
            followers,
            follower_change,
            views: views.get(&key).copied(),
            clicks: snap.and_then(|d| d.clicks),
            date: key,
            ..Default::default()
        });
    }
    for p in store.posts_in(scope.id(), w.start, w.end).await? {
        if p.is_repost {
            continue;
        }
        if let Some(&i) = index.get(&local_date(scope.tz, p.posted_at)) {
            points[i].posts += 1;
            points[i].post_views += p.views.unwrap_or(0);
            points[i].engagements += p.engagements();
        }
    }
    Ok(points)
}

/// The series as an exportable table.
pub fn series_table(points: &[DayPoint]) -> Table {
    let mut t = Table::new(&[
        "date",
        "followers",
        "follower_change",
        "views",
        "clicks",
        "posts",
        "post_views",
        "engagements",
    ]);
    for p in points {
        t.push(vec![
            json!(p.date),
            json!(p.followers),
            json!(p.follower_change),
            json!(p.views),
            json!(p.clicks),
            json!(p.posts),
            json!(p.post_views),
            json!(p.engagements),
        ]);
    }
    t
}

/// Posting cadence: posts per ISO week (Monday start) when the window is long, else per day.
pub fn cadence(points: &[DayPoint]) -> Vec<(String, i64)> {
    if points.len() <= 45 {
        return points.iter().map(|p| (p.date.clone(), p.posts)).collect();
    }
    let mut weeks: Vec<(String, i64)> = Vec::new();
    for p in points {
        let Ok(date) = NaiveDate::parse_from_str(&p.date, "%Y-%m-%d") else {
            continue;
        };
        let monday = date - Duration::days(date.weekday().num_days_from_monday() as i64);
        let label = format!("week of {}", monday.format("%Y-%m-%d"));
        match weeks.last_mut() {
            Some((l, n)) if *l == label => *n += p.posts,
            _ => weeks.push((label, p.posts)),
        }
    }
    weeks
}
