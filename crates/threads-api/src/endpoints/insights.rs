//! Media and user insights (§4 of the reference).

use chrono::{DateTime, Utc};
use reqwest::Method;

use crate::error::Result;
use crate::ids::MediaId;
use crate::models::{
    DemographicBreakdown, Demographics, InsightMetric, Insights, MEDIA_METRICS, MediaMetrics,
};
use crate::session::Session;
use crate::validation::{EARLIEST_INSIGHTS_SINCE, ValidationError};

/// A user-level metric that accepts a time range (or, for `FollowersCount`, none).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UserMetric {
    /// Profile views, a daily time series.
    Views,
    /// Likes, a total.
    Likes,
    /// Top-level replies, a total.
    Replies,
    /// Reposts, a total.
    Reposts,
    /// Quotes, a total.
    Quotes,
    /// Link clicks, one total per URL.
    Clicks,
    /// Current follower count; rejects `since`/`until`.
    FollowersCount,
}

impl UserMetric {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Views => "views",
            Self::Likes => "likes",
            Self::Replies => "replies",
            Self::Reposts => "reposts",
            Self::Quotes => "quotes",
            Self::Clicks => "clicks",
            Self::FollowersCount => "followers_count",
        }
    }
}

/// Parameters of `GET /{user-id}/threads_insights`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInsightsQuery {
    metrics: Vec<UserMetric>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
}

impl UserInsightsQuery {
    /// The given metrics over Meta's default range (yesterday through today).
    pub fn new(metrics: impl IntoIterator<Item = UserMetric>) -> Self {
        Self {
            metrics: metrics.into_iter().collect(),
            since: None,
            until: None,
        }
    }

    /// Sets the range. `since` must not precede 2024-04-13 (1712991600).
    pub fn range(mut self, since: DateTime<Utc>, until: DateTime<Utc>) -> Self {
        self.since = Some(since);
        self.until = Some(until);
        self
    }

    fn to_pairs(&self) -> Result<Vec<(String, String)>, ValidationError> {
        if self.metrics.is_empty() {
            return Err(ValidationError::TimeRange(
                "at least one metric is required",
            ));
        }
        let ranged = self.since.is_some() || self.until.is_some();
        if ranged && self.metrics.contains(&UserMetric::FollowersCount) {
            return Err(ValidationError::TimeRange(
                "followers_count rejects since/until",
            ));
        }
        if self
            .since
            .is_some_and(|s| s.timestamp() < EARLIEST_INSIGHTS_SINCE)
        {
            return Err(ValidationError::TimeRange(
                "insights since is before 2024-04-13",
            ));
        }
        if let (Some(s), Some(u)) = (self.since, self.until)
            && s >= u
        {
            return Err(ValidationError::TimeRange("since must be before until"));
        }
        let metric: Vec<_> = self.metrics.iter().map(|m| m.as_str()).collect();
        let mut pairs = vec![("metric".to_owned(), metric.join(","))];
        if let Some(s) = self.since {
            pairs.push(("since".to_owned(), s.timestamp().to_string()));
        }
        if let Some(u) = self.until {
            pairs.push(("until".to_owned(), u.timestamp().to_string()));
        }
        Ok(pairs)
    }
}

impl Session {
    /// `GET /{media-id}/insights` for views, likes, replies, reposts, quotes and shares.
    pub async fn media_insights(&self, media: &MediaId) -> Result<MediaMetrics> {
        let call = self
            .call(Method::GET, &[media.as_str(), "insights"])
            .query("metric", MEDIA_METRICS.join(","));
        let insights: Insights = self.client().call(&call).await?;
        Ok(MediaMetrics::from(&insights))
    }

    /// `GET /{user-id}/threads_insights` for the chosen metrics. Read each with
    /// [`Insights::metric`]: `values` for views, `total_value` for totals, `link_total_values`
    /// for clicks.
    pub async fn user_insights(&self, query: &UserInsightsQuery) -> Result<Insights> {
        let pairs = query.to_pairs()?;
        let call = self
            .call(Method::GET, &[self.user_id().as_str(), "threads_insights"])
            .queries(pairs);
        self.client().call(&call).await
    }

    /// The current follower count (`followers_count`, no range).
    pub async fn followers_count(&self) -> Result<Option<u64>> {
        let insights = self
            .user_insights(&UserInsightsQuery::new([UserMetric::FollowersCount]))
            .await?;
        Ok(insights
            .metric("followers_count")
            .and_then(InsightMetric::total))
    }

    /// `follower_demographics` along one dimension. Meta requires at least 100 followers.
    pub async fn follower_demographics(
        &self,
        breakdown: DemographicBreakdown,
    ) -> Result<Demographics> {
        let call = self
            .call(Method::GET, &[self.user_id().as_str(), "threads_insights"])
            .query("metric", "follower_demographics")
            .query("breakdown", breakdown.as_str());
        let insights: Insights = self.client().call(&call).await?;
        Ok(Demographics::from_insights(breakdown, &insights))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn followers_count_with_a_range_is_rejected() {
        let since = Utc.timestamp_opt(1_720_000_000, 0).unwrap();
        let until = Utc.timestamp_opt(1_720_086_400, 0).unwrap();
        let q = UserInsightsQuery::new([UserMetric::Views, UserMetric::FollowersCount])
            .range(since, until);
        assert!(q.to_pairs().is_err());
        let q = UserInsightsQuery::new([UserMetric::Views, UserMetric::Clicks]).range(since, until);
        let pairs = q.to_pairs().unwrap();
        assert_eq!(pairs[0], ("metric".to_owned(), "views,clicks".to_owned()));
    }

    #[test]
    fn ranges_before_2024_04_13_are_rejected() {
        let since = Utc.timestamp_opt(1_712_991_599, 0).unwrap();
        let until = Utc.timestamp_opt(1_720_000_000, 0).unwrap();
        assert!(
            UserInsightsQuery::new([UserMetric::Likes])
                .range(since, until)
                .to_pairs()
                .is_err()
        );
    }
}
