//! Injected faults: a full sync of a 1,000-post creator still returns exactly the truth when
//! every retryable kind of fault hits 20% of listing and insights calls; non-retryable faults
//! surface at once; slow answers still succeed.
//!
//! Requests are made one at a time so each seed gives the same fault sequence on every run.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::Duration as Span;
use futures_util::TryStreamExt;
use serde_json::Value;
use threads_api::{
    Error, ErrorClass, ListQuery, Media, MediaId, MediaMetrics, RetryPolicy, Session,
    UserInsightsQuery, UserMetric,
};
use threads_sandbox::{CreatorTraits, FaultRule};

use crate::helpers::{Harness, assert_class, assert_matches_truth, rule, spawn};

/// Routes whose calls get faults: the listing and both insights endpoints.
const ROUTES: [&str; 3] = ["/{id}/threads", "/{id}/insights", "/{id}/threads_insights"];
/// Every tenth post's insights are fetched during a sync.
const INSIGHTS_EVERY: usize = 10;

/// Enough attempts that 20% faults essentially never exhaust them (0.2^12 per call).
fn patient() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 12,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(4),
        max_retry_after: Duration::from_secs(1),
    }
}

struct Synced {
    posts: Vec<Media>,
    insights: Vec<(MediaId, MediaMetrics)>,
    likes_total: u64,
    followers: Option<u64>,
}

/// What a backfill job would do: every post, sampled media insights, user totals.
async fn sync(session: &Session, since: chrono::DateTime<chrono::Utc>) -> Result<Synced, Error> {
    let posts: Vec<Media> = session
        .posts(&ListQuery::new().limit(100))
        .try_collect()
        .await?;
    let mut insights = Vec::new();
    for post in posts.iter().step_by(INSIGHTS_EVERY) {
        insights.push((post.id.clone(), session.media_insights(&post.id).await?));
    }
    let now = since + Span::days(30);
    let user = session
        .user_insights(&UserInsightsQuery::new([UserMetric::Likes]).range(since, now))
        .await?;
    Ok(Synced {
        posts,
        insights,
        likes_total: user.metric("likes").and_then(|m| m.total()).unwrap_or(0),
        followers: session.followers_count().await?,
    })
}

struct World {
    h: Harness,
    user: u64,
    truth: Value,
    clean: Synced,
    since: chrono::DateTime<chrono::Utc>,
}

/// A sandbox with a 1,000-post creator, and a sync of it without faults as the reference.
async fn world() -> World {
    let h = spawn().await;
    let user = h.add_creator(CreatorTraits {
        posts: Some(1_000),
        followers: Some(20_000),
        history_days: Some(25),
        ..CreatorTraits::default()
    });
    let truth = h.truth(user).await;
    let since = h.now() - Span::days(30);
    let session = h.session(user);
    let clean = sync(&session, since).await.unwrap();
    World {
        h,
        user,
        truth,
        clean,
        since,
    }
}

impl World {
    /// Syncs with `faults` on every faulted route and checks the result is exactly the truth.
    async fn sync_with(&self, seed: u64, fault: FaultRule, timeout: Duration) -> u64 {
        let rules = ROUTES
            .iter()
            .map(|r| FaultRule {
                route: (*r).to_owned(),
                ..fault.clone()
            })
            .collect();
        self.h.faults(seed, rules);
        let client = self
            .h
            .builder()
            .retry(patient())
            .request_timeout(timeout)
            .build()
            .unwrap();
        let session = self
            .h
            .session_with(&client, self.user, threads_sandbox::tokens::ALL_SCOPES);
        let synced = sync(&session, self.since).await.unwrap();
        self.h.faults(0, Vec::new());

        let expected = self.truth["posts"].as_array().unwrap();
        assert_eq!(synced.posts.len(), 1_000, "complete");
        assert_eq!(expected.len(), 1_000);
        for (media, truth) in synced.posts.iter().zip(expected) {
            assert_matches_truth(media, truth);
        }
        let distinct: BTreeMap<_, _> = synced.posts.iter().map(|p| (&p.id, ())).collect();
        assert_eq!(distinct.len(), 1_000, "no duplicates");
        assert_eq!(synced.insights, self.clean.insights);
        assert_eq!(synced.likes_total, self.clean.likes_total);
        assert_eq!(synced.followers, self.clean.followers);
        let calls = client.calls_made();
        let clean_calls = (10 + 100 + 2) as u64;
        assert!(calls >= clean_calls, "{calls} calls");
        calls - clean_calls
    }
}

/// The rule with one retryable kind at 20%.
fn twenty_percent(kind: &str) -> FaultRule {
    let mut r = rule("*");
    match kind {
        "429" => r.http_429 = 0.2,
        "throttle" => r.throttle = 0.2,
        "5xx" => r.server_error = 0.2,
        "malformed" => r.malformed_json = 0.2,
        "timeout" => {
            r.timeout = 0.2;
            r.timeout_ms = 3_000;
        }
        _ => unreachable!("{kind}"),
    }
    r
}

#[tokio::test]
async fn a_clean_sync_matches_the_truth() {
    let w = world().await;
    let expected = w.truth["posts"].as_array().unwrap();
    assert_eq!(w.clean.posts.len(), expected.len());
    for (media, truth) in w.clean.posts.iter().zip(expected) {
        assert_matches_truth(media, truth);
    }
    for (id, metrics) in &w.clean.insights {
        let t = expected.iter().find(|p| p["id"] == id.as_str()).unwrap();
        if t["media_type"] != "REPOST_FACADE" {
            assert_eq!(metrics.likes, t["metrics"]["likes"].as_u64());
        }
    }
    assert_eq!(w.clean.followers, w.truth["followers_count"].as_u64());
}

#[tokio::test]
async fn twenty_percent_429s_throttles_and_server_errors_are_retried_to_the_exact_truth() {
    let w = world().await;
    for (seed, kind) in [(101, "429"), (102, "throttle"), (103, "5xx")] {
        let retries = w
            .sync_with(seed, twenty_percent(kind), Duration::from_secs(10))
            .await;
        assert!(retries >= 10, "{kind}: only {retries} retries");
    }
}

#[tokio::test]
async fn twenty_percent_malformed_bodies_are_retried_to_the_exact_truth() {
    let w = world().await;
    let retries = w
        .sync_with(104, twenty_percent("malformed"), Duration::from_secs(10))
        .await;
    assert!(retries >= 10, "only {retries} retries");
}

#[tokio::test]
async fn twenty_percent_timeouts_are_retried_to_the_exact_truth() {
    let w = world().await;
    let retries = w
        .sync_with(105, twenty_percent("timeout"), Duration::from_millis(300))
        .await;
    assert!(retries >= 10, "only {retries} retries");
}

#[tokio::test]
async fn a_mix_of_every_retryable_fault_is_retried_to_the_exact_truth() {
    let w = world().await;
    let mut mixed = rule("*");
    mixed.http_429 = 0.04;
    mixed.throttle = 0.04;
    mixed.throttle_status = 403;
    mixed.server_error = 0.04;
    mixed.malformed_json = 0.04;
    mixed.timeout = 0.04;
    mixed.timeout_ms = 3_000;
    let retries = w.sync_with(106, mixed, Duration::from_millis(500)).await;
    assert!(retries >= 10, "only {retries} retries");
}

#[tokio::test]
async fn slow_answers_succeed_within_the_client_timeout_without_retries() {
    let w = world().await;
    let mut slow = rule("*");
    slow.slow = 0.5;
    slow.slow_ms = 150;
    let retries = w.sync_with(107, slow, Duration::from_secs(5)).await;
    assert_eq!(retries, 0);
}

#[tokio::test]
async fn expired_or_revoked_tokens_mid_sync_stop_it_at_once() {
    let w = world().await;
    for (seed, fault) in [
        (
            108,
            FaultRule {
                expired_token: 0.2,
                ..rule("/{id}/threads")
            },
        ),
        (
            109,
            FaultRule {
                revoked_token: 0.2,
                ..rule("/{id}/threads")
            },
        ),
    ] {
        w.h.faults(seed, vec![fault]);
        let client = w.h.builder().retry(patient()).build().unwrap();
        let session =
            w.h.session_with(&client, w.user, threads_sandbox::tokens::ALL_SCOPES);
        // 40 pages of 25: a 20% fault rate is all but certain to strike.
        let mut pages = session.posts_pages(&ListQuery::new().limit(25));
        let mut fetched = 0;
        let err = loop {
            match pages.try_next().await {
                Ok(Some(_)) => fetched += 1,
                Ok(None) => panic!("seed {seed} produced no fault in 40 pages"),
                Err(e) => break e,
            }
        };
        assert_class(&err, &ErrorClass::Reauth);
        assert_eq!(client.calls_made(), fetched + 1, "surfaced, not retried");
        w.h.faults(0, Vec::new());
    }
}
