//! One sync run for one profile: open the token, call the API, store what comes back.

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use futures_util::{StreamExt, TryStreamExt, stream};
use serde_json::json;
use threads_api::{
    DemographicBreakdown, ErrorClass, ListQuery, Media, MediaId, MediaType, Session, ThreadsClient,
    UserInsightsQuery, UserMetric,
};

use super::{decay, features};
use crate::app::AppState;
use crate::crypto::DataKey;
use crate::domain::{self, ProfileId};
use crate::jobs::JobError;
use crate::services::profiles::access_token;
use crate::store::profiles::ProfileRecord;
use crate::store::profiles::ProfileStatus;
use crate::store::synced::{Measured, Metrics, PostRow};

/// Fields read for every post: what the analytics and the privacy policy need, nothing more.
pub const POST_FIELDS: &[&str] = &[
    "id",
    "media_type",
    "media_url",
    "permalink",
    "text",
    "timestamp",
    "shortcode",
    "thumbnail_url",
    "children",
    "is_quote_post",
    "quoted_post",
    "reposted_post",
    "alt_text",
    "link_attachment_url",
    "poll_attachment",
    "topic_tag",
];

/// Insight calls in flight at once for one profile.
pub const INSIGHT_CONCURRENCY: usize = 8;

/// Vault purpose of post content and demographics.
pub const POST_PURPOSE: &str = "post";
/// Vault purpose of demographic snapshots.
pub const DEMOGRAPHICS_PURPOSE: &str = "demographics";

/// Meta accepts user insights from this moment on (2024-04-13).
const EARLIEST_INSIGHTS: i64 = 1_712_991_600;

/// A sync run bound to one active profile.
pub struct SyncRun {
    pub(super) state: AppState,
    pub(super) profile: ProfileRecord,
    key: DataKey,
    client: ThreadsClient,
    session: Session,
}

impl SyncRun {
    /// Opens a run; `None` when the profile is gone, disconnected or needs reconnecting.
    pub async fn open(state: &AppState, profile_id: &ProfileId) -> Result<Option<Self>, JobError> {
        let Some(profile) = state.store.profile(profile_id).await? else {
            return Ok(None);
        };
        if profile.status != ProfileStatus::Active {
            return Ok(None);
        }
        let token = access_token(state, &profile)
            .await
            .map_err(|e| JobError::retry(e.to_string()))?;
        let Some(token) = token else { return Ok(None) };
        let key = state
            .vault
            .existing_key(&profile.user_id)
            .await
            .map_err(|e| JobError::retry(e.to_string()))?
            .ok_or_else(|| JobError::permanent("the owner's data key is gone"))?;
        // A client per run so its call counter is this profile's alone.
        let client = state.threads.fresh_client();
        let session = client.session(token);
        Ok(Some(Self {
            state: state.clone(),
            profile,
            key,
            client,
            session,
        }))
    }

    /// The time the Threads side lives in (the sandbox clock in sandbox mode).
    pub fn now(&self) -> DateTime<Utc> {
        self.state.threads.now()
    }

    /// The profile this run is for.
    pub fn profile(&self) -> &ProfileRecord {
        &self.profile
    }

    /// The profile's API session (its calls count towards this run).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The owner's data key, to seal what the run stores.
    pub fn key(&self) -> &DataKey {
        &self.key
    }

    /// Calls made by this run so far, retries included.
    pub fn calls(&self) -> u64 {
        self.client.calls_made()
    }

    /// Records this run's API calls against the profile's budget.
    pub async fn record_usage(&self) {
        let calls = self.calls() as i64;
        if let Err(e) = self
            .state
            .store
            .add_api_calls(&self.profile.id, self.now().timestamp(), calls)
            .await
        {
            tracing::warn!(error = %e, "could not record API usage");
        }
    }

    /// Translates an API failure into what the job should do, recording what the user must see.
    pub async fn api_error(&self, e: threads_api::Error) -> JobError {
        let now = self.now().timestamp();
        let store = &self.state.store;
        match e.class() {
            ErrorClass::RetryLater { after } => {
                JobError::retry_after(format!("Threads asked us to slow down: {e}"), after)
            }
            ErrorClass::QuotaExhausted => JobError::retry_after(
                format!("Threads quota used up: {e}"),
                std::time::Duration::from_secs(3600),
            ),
            ErrorClass::Reauth => {
                // Meta's subcode 463 says the token expired; anything else (460 and the rest)
                // means the access was withdrawn.
                let expired = e.api_error().and_then(|a| a.subcode) == Some(463);
                let message = if expired {
                    "Threads access for this profile expired. Reconnect it to resume syncing and publishing; your history is kept."
                } else {
                    "Threads no longer accepts ThredOps' access for this profile. Reconnect it to resume syncing and publishing; your history is kept."
                };
                match store
                    .mark_needs_reconnect(&self.profile.id, message, expired, now)
                    .await
                {
                    Ok(true) => {
                        if let Err(err) = crate::notifications::profile_needs_reconnect(
                            &self.state,
                            &self.profile,
                            now,
                        )
                        .await
                        {
                            tracing::warn!(error = %err, profile_id = %self.profile.id, "could not record the reconnect notification; the sweep will");
                        }
                    }
                    Ok(false) => {}
                    Err(err) => {
                        tracing::warn!(error = %err, profile_id = %self.profile.id, "could not record the profile's sync error");
                    }
                }
                JobError::permanent(format!("needs reconnect: {e}"))
            }
            ErrorClass::Permission => {
                let message = format!(
                    "Threads refused a permission ThredOps needs ({e}). Reconnect and allow every requested permission."
                );
                if let Err(err) = store
                    .record_profile_error(&self.profile.id, &message, false, now)
                    .await
                {
                    tracing::warn!(error = %err, profile_id = %self.profile.id, "could not record the profile's sync error");
                }
                JobError::permanent(message)
            }
            ErrorClass::NotReady | ErrorClass::Invalid { .. } => {
                if let Err(err) = store
                    .record_profile_error(
                        &self.profile.id,
                        &format!("Threads rejected a sync request: {e}"),
                        false,
                        now,
                    )
                    .await
                {
                    tracing::warn!(error = %err, profile_id = %self.profile.id, "could not record the profile's sync error");
                }
                JobError::permanent(e.to_string())
            }
        }
    }

    /// Stores new posts of a page; returns the ones whose metrics should be read now.
    pub async fn store_posts(
        &self,
        page: &[Media],
    ) -> Result<Vec<(domain::MediaId, i64)>, JobError> {
        let now = self.now().timestamp();
        let mut rows = Vec::with_capacity(page.len());
        let mut reposts = Vec::new();
        let mut to_measure = Vec::new();
        for media in page {
            let posted_at = media.timestamp.map_or(now, |t| t.timestamp());
            let f = features::of(media);
            let content = json!({
                "text": media.text, "permalink": media.permalink, "shortcode": media.shortcode,
                "media_url": media.media_url, "thumbnail_url": media.thumbnail_url, "alt_text": media.alt_text,
                "topic_tag": media.topic_tag, "link_attachment_url": media.link_attachment_url,
                "children": media.children.as_ref().map(|c| c.data.iter().map(|r| r.id.as_str().to_owned()).collect::<Vec<_>>()),
                "poll": media.poll_attachment, "quoted_post": media.quoted_post.as_ref().map(|r| r.id.as_str().to_owned()),
                "reposted_post": media.reposted_post.as_ref().map(|r| r.id.as_str().to_owned()),
            });
            let media_id = domain::MediaId::new(media.id.as_str());
            let row = PostRow {
                content_enc: self.key.seal(
                    POST_PURPOSE,
                    &format!("{}/{media_id}", self.profile.id),
                    content.to_string().as_bytes(),
                ),
                media_id: media_id.clone(),
                media_type: media
                    .media_type
                    .as_ref()
                    .map_or("TEXT_POST".to_owned(), |t| t.as_str().to_owned()),
                posted_at,
                text_len: f.text_len,
                link_count: f.link_count,
                has_question: f.has_question,
                has_poll: f.has_poll,
                is_quote: f.is_quote,
                is_repost: f.is_repost,
                carousel_size: f.carousel_size,
            };
            rows.push(row);
            if media.media_type == Some(MediaType::RepostFacade) {
                reposts.push(media_id);
            } else {
                to_measure.push((media_id, posted_at));
            }
        }
        let store = &self.state.store;
        store.insert_posts(&self.profile.id, &rows, now).await?;
        for media_id in reposts {
            // A repost has no metrics of its own (Meta answers an empty list): never refresh it.
            store
                .set_next_refresh(&self.profile.id, &media_id, i64::MAX)
                .await?;
        }
        Ok(to_measure)
    }

    /// Reads lifetime metrics of posts (several requests in flight) and appends a snapshot of
    /// each, written in one transaction.
    pub async fn measure(&self, posts: Vec<(domain::MediaId, i64)>) -> Result<usize, JobError> {
        let results: Vec<Result<Measured, JobError>> = stream::iter(posts)
            .map(|(media_id, posted_at)| async move {
                let metrics = match self
                    .session
                    .media_insights(&MediaId::new(media_id.to_string()))
                    .await
                {
                    Ok(m) => m,
                    Err(e) => return Err(self.api_error(e).await),
                };
                let n = |v: Option<u64>| v.unwrap_or(0) as i64;
                let taken_at = self.now().timestamp();
                Ok(Measured {
                    metrics: Metrics {
                        views: n(metrics.views),
                        likes: n(metrics.likes),
                        replies: n(metrics.replies),
                        reposts: n(metrics.reposts),
                        quotes: n(metrics.quotes),
                        shares: n(metrics.shares),
                    },
                    next_refresh_at: decay::next_refresh_at(posted_at, taken_at),
                    media_id,
                    posted_at,
                    taken_at,
                })
            })
            .buffer_unordered(INSIGHT_CONCURRENCY)
            .collect()
            .await;
        // Keep what was read even when one call failed: the retry then has less to do.
        let mut measured = Vec::with_capacity(results.len());
        let mut first_error = None;
        for r in results {
            match r {
                Ok(m) => measured.push(m),
                Err(e) => {
                    first_error.get_or_insert(e);
                }
            }
        }
        self.state
            .store
            .record_post_metrics(&self.profile.id, &measured)
            .await?;
        match first_error {
            Some(e) => Err(e),
            None => Ok(measured.len()),
        }
    }

    /// Walks the post history from `after` (a saved cursor) to the end, calling `on_page` with
    /// each page's cursor and counts after it is stored and measured.
    pub async fn walk_posts(
        &self,
        after: Option<String>,
        limit: u32,
        stop_at_known: bool,
        mut on_page: impl AsyncPageHook,
    ) -> Result<(usize, Option<i64>), JobError> {
        let mut query = ListQuery::new().limit(limit).fields(POST_FIELDS);
        if let Some(cursor) = after {
            query = query.after(cursor);
        }
        let mut pages = self.session.posts_pages(&query);
        let mut stored = 0;
        let mut newest = None;
        let mut next = pages.try_next().await;
        loop {
            let page = match next {
                Ok(Some(page)) => page,
                Ok(None) => break,
                Err(e) => return Err(self.api_error(e).await),
            };
            let mut fresh = Vec::with_capacity(page.data.len());
            let mut reached_known = false;
            for media in &page.data {
                if stop_at_known
                    && self
                        .state
                        .store
                        .has_post(&self.profile.id, &domain::MediaId::new(media.id.as_str()))
                        .await?
                {
                    reached_known = true;
                    continue;
                }
                fresh.push(media.clone());
            }
            newest = newest.max(
                page.data
                    .iter()
                    .filter_map(|m| m.timestamp.map(|t| t.timestamp()))
                    .max(),
            );
            let to_measure = self.store_posts(&fresh).await?;
            // The listing walks a cursor one page at a time, the insights do not: fetch the next
            // page while this one's posts are measured. Its error, if any, surfaces after this
            // page is checkpointed.
            let fetched = if reached_known {
                self.measure(to_measure).await?;
                None
            } else {
                let (measured, fetched) = tokio::join!(self.measure(to_measure), pages.try_next());
                measured?;
                Some(fetched)
            };
            stored += fresh.len();
            on_page
                .page_done(
                    page.after_cursor().map(str::to_owned),
                    stored,
                    page.data.last().and_then(|m| m.timestamp),
                )
                .await?;
            match fetched {
                Some(fetched) => next = fetched,
                None => break,
            }
        }
        Ok((stored, newest))
    }

    /// Refreshes the metrics of posts that are due, at most `limit` of them.
    pub async fn refresh_due(&self, limit: i64) -> Result<usize, JobError> {
        let due = self
            .state
            .store
            .posts_due(&self.profile.id, self.now().timestamp(), limit)
            .await?;
        self.measure(due.into_iter().map(|d| (d.media_id, d.posted_at)).collect())
            .await
    }

    /// Stores Meta's daily profile views from `since` to now, 30 days per call.
    pub async fn sync_views(&self, since: DateTime<Utc>) -> Result<(), JobError> {
        let now = self.now();
        let floor = DateTime::from_timestamp(EARLIEST_INSIGHTS, 0).expect("valid constant");
        let mut from = since.max(floor);
        while from < now {
            let to = (from + ChronoDuration::days(30)).min(now);
            let query = UserInsightsQuery::new([UserMetric::Views]).range(from, to);
            let insights = match self.session.user_insights(&query).await {
                Ok(i) => i,
                Err(e) => return Err(self.api_error(e).await),
            };
            if let Some(values) = insights.metric("views").and_then(|m| m.values.as_ref()) {
                let days: Vec<(String, i64)> = values
                    .iter()
                    .filter_map(|v| Some((views_day(v.end_time?), v.value as i64)))
                    .collect();
                self.state
                    .store
                    .upsert_daily_views_many(&self.profile.id, &days, now.timestamp())
                    .await?;
            }
            from = to;
        }
        Ok(())
    }

    /// The daily account snapshot: followers, the day's totals, and demographics (Meta only
    /// gives current values, so history exists only because ThredOps keeps these).
    pub async fn snapshot_account(&self) -> Result<i64, JobError> {
        let now = self.now();
        let day = now.format("%Y-%m-%d").to_string();
        let followers = match self.session.followers_count().await {
            Ok(n) => n.unwrap_or(0) as i64,
            Err(e) => return Err(self.api_error(e).await),
        };
        let totals_query = UserInsightsQuery::new([
            UserMetric::Likes,
            UserMetric::Replies,
            UserMetric::Reposts,
            UserMetric::Quotes,
            UserMetric::Clicks,
        ])
        .range(now - ChronoDuration::days(1), now);
        let totals = match self.session.user_insights(&totals_query).await {
            Ok(i) => i,
            Err(e) => return Err(self.api_error(e).await),
        };
        let get = |name: &str| {
            totals
                .metric(name)
                .and_then(|m| m.total())
                .map(|v| v as i64)
        };
        let store = &self.state.store;
        store
            .insert_account_snapshot(
                &self.profile.id,
                &day,
                now.timestamp(),
                followers,
                [
                    get("likes"),
                    get("replies"),
                    get("reposts"),
                    get("quotes"),
                    get("clicks"),
                ],
            )
            .await?;
        if followers >= 100 {
            for breakdown in DemographicBreakdown::ALL {
                let demographics = match self.session.follower_demographics(breakdown).await {
                    Ok(d) => d,
                    Err(e) => return Err(self.api_error(e).await),
                };
                let payload = json!(
                    demographics
                        .buckets
                        .iter()
                        .map(|(k, v)| json!({"value": k, "followers": v}))
                        .collect::<Vec<_>>()
                );
                let sealed = self.key.seal(
                    DEMOGRAPHICS_PURPOSE,
                    &format!("{}/{day}/{}", self.profile.id, breakdown.as_str()),
                    payload.to_string().as_bytes(),
                );
                store
                    .insert_demographics(
                        &self.profile.id,
                        &day,
                        breakdown.as_str(),
                        now.timestamp(),
                        &sealed,
                    )
                    .await?;
            }
        }
        Ok(followers)
    }
}

/// Called after each stored page (progress reporting and resume cursors).
pub trait AsyncPageHook {
    /// `after` is the cursor to resume from; `stored` counts posts so far; `reached` is the oldest
    /// post time on the page.
    fn page_done(
        &mut self,
        after: Option<String>,
        stored: usize,
        reached: Option<DateTime<Utc>>,
    ) -> impl Future<Output = Result<(), JobError>> + Send;
}

/// The day a daily value stamped `end_time` counts for. Meta stamps a day's value at the end of
/// that day, and its days end at Pacific midnight (08:00 or 07:00 UTC): the day is the one that
/// began 24 hours before the stamp, not the UTC date of the stamp.
fn views_day(end: DateTime<Utc>) -> String {
    (end - ChronoDuration::days(1))
        .format("%Y-%m-%d")
        .to_string()
}

#[cfg(test)]
mod views_day_tests {
    use super::*;

    #[test]
    fn a_value_stamped_at_pacific_midnight_counts_for_the_day_before() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        assert_eq!(views_day(at("2026-11-30T08:00:00Z")), "2026-11-29");
        assert_eq!(views_day(at("2026-07-12T07:00:00Z")), "2026-07-11");
        assert_eq!(views_day(at("2026-11-30T00:00:00Z")), "2026-11-29");
    }
}
