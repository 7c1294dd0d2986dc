//! Media and user insights (§4 of the reference).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::time::meta_time;

/// Metrics requested by [`crate::Session::media_insights`].
pub const MEDIA_METRICS: &[&str] = &["views", "likes", "replies", "reposts", "quotes", "shares"];

/// The `data` list of an insights response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Insights {
    /// One entry per metric returned.
    #[serde(default)]
    pub data: Vec<InsightMetric>,
}

impl Insights {
    /// The metric called `name`, if returned.
    pub fn metric(&self, name: &str) -> Option<&InsightMetric> {
        self.data.iter().find(|m| m.name == name)
    }
}

/// One metric. Which of `values`, `total_value` and `link_total_values` is set depends on the
/// metric (time series, total, or per-link clicks).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InsightMetric {
    /// Metric name (`views`, `likes`, `clicks`, `follower_demographics`, ...).
    pub name: String,
    /// `lifetime` for media, `day` for user metrics.
    pub period: Option<String>,
    /// Time series (and the single media value, `[{"value":100}]`).
    pub values: Option<Vec<InsightValue>>,
    /// A total, or demographic breakdowns.
    pub total_value: Option<TotalValue>,
    /// Clicks per link.
    pub link_total_values: Option<Vec<LinkTotal>>,
    /// Human title.
    pub title: Option<String>,
    /// Human description.
    pub description: Option<String>,
    /// `<object-id>/insights/<name>/<period>`.
    pub id: Option<String>,
}

impl InsightMetric {
    /// A single number for the metric: `total_value.value`, else the sum of `values`, else the
    /// sum of `link_total_values`.
    pub fn total(&self) -> Option<u64> {
        if let Some(v) = self.total_value.as_ref().and_then(|t| t.value) {
            return Some(v);
        }
        if let Some(values) = &self.values {
            return Some(values.iter().map(|v| v.value).sum());
        }
        self.link_total_values
            .as_ref()
            .map(|links| links.iter().map(|l| l.value).sum())
    }
}

/// One point of a time series.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InsightValue {
    /// The count.
    pub value: u64,
    /// End of the period (absent on media lifetime values).
    #[serde(default, with = "meta_time::option")]
    pub end_time: Option<DateTime<Utc>>,
}

/// `total_value`: a number, or breakdowns for demographics.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotalValue {
    /// The total.
    pub value: Option<u64>,
    /// Demographic breakdowns.
    pub breakdowns: Option<Vec<Breakdown>>,
}

/// One breakdown of `follower_demographics`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Breakdown {
    /// E.g. `["country"]`.
    #[serde(default)]
    pub dimension_keys: Vec<String>,
    /// One row per dimension value.
    #[serde(default)]
    pub results: Vec<BreakdownResult>,
}

/// One row of a breakdown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BreakdownResult {
    /// E.g. `["US"]`.
    #[serde(default)]
    pub dimension_values: Vec<String>,
    /// Followers in this bucket.
    pub value: u64,
}

/// Clicks on one link.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkTotal {
    /// Clicks.
    pub value: u64,
    /// The link.
    pub link_url: String,
}

/// Lifetime metrics of one post, from [`crate::Session::media_insights`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaMetrics {
    /// Views ("in development" at Meta).
    pub views: Option<u64>,
    /// Likes.
    pub likes: Option<u64>,
    /// Replies (all on a root post, direct ones on a reply).
    pub replies: Option<u64>,
    /// Reposts.
    pub reposts: Option<u64>,
    /// Quotes.
    pub quotes: Option<u64>,
    /// Shares ("in development" at Meta).
    pub shares: Option<u64>,
}

impl From<&Insights> for MediaMetrics {
    /// A `REPOST_FACADE` returns `{"data":[]}`, which gives all `None`.
    fn from(insights: &Insights) -> Self {
        let get = |name| insights.metric(name).and_then(InsightMetric::total);
        Self {
            views: get("views"),
            likes: get("likes"),
            replies: get("replies"),
            reposts: get("reposts"),
            quotes: get("quotes"),
            shares: get("shares"),
        }
    }
}

/// Dimension of `follower_demographics`; exactly one is required per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DemographicBreakdown {
    /// By country (ISO code).
    Country,
    /// By city.
    City,
    /// By age bracket.
    Age,
    /// By gender.
    Gender,
}

impl DemographicBreakdown {
    /// All four dimensions.
    pub const ALL: [Self; 4] = [Self::Country, Self::City, Self::Age, Self::Gender];

    /// The wire value of `breakdown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Country => "country",
            Self::City => "city",
            Self::Age => "age",
            Self::Gender => "gender",
        }
    }
}

/// Followers split along one dimension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demographics {
    /// The dimension.
    pub breakdown: DemographicBreakdown,
    /// `(dimension value, followers)` rows, in Meta's order.
    pub buckets: Vec<(String, u64)>,
}

impl Demographics {
    /// Extracts the breakdown rows from a `follower_demographics` response.
    pub fn from_insights(breakdown: DemographicBreakdown, insights: &Insights) -> Self {
        let buckets = insights
            .metric("follower_demographics")
            .and_then(|m| m.total_value.as_ref())
            .and_then(|t| t.breakdowns.as_ref())
            .into_iter()
            .flatten()
            .flat_map(|b| &b.results)
            .map(|r| (r.dimension_values.join(","), r.value))
            .collect();
        Self { breakdown, buckets }
    }
}
