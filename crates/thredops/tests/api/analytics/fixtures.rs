//! Hand-made analytics data written straight into the store of a connected profile, so tests can
//! compare the numbers with values computed by hand.

use chrono::{TimeZone, Utc};
use serde_json::json;
use thredops::store::synced::{Measured, Metrics, PostRow};

use crate::connect::{PASSWORD, connect, creator, wait_for_backfill};
use crate::helpers::TestApp;

/// Never refreshed by sync: the fixture posts do not exist on the Threads side.
const NEVER: i64 = i64::MAX / 2;

/// Unix seconds of a UTC time.
pub fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> i64 {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0)
        .unwrap()
        .timestamp()
}

/// A fixture post.
pub struct Post {
    pub id: &'static str,
    pub at: i64,
    pub views: i64,
    pub likes: i64,
    pub repost: bool,
    pub topic: Option<&'static str>,
    pub text: &'static str,
}

impl Post {
    pub fn new(id: &'static str, at: i64, views: i64, likes: i64) -> Self {
        Self {
            id,
            at,
            views,
            likes,
            repost: false,
            topic: None,
            text: "A fixture post",
        }
    }
}

/// Signs up `email`, connects a sandbox creator with no posts and returns (profile id, user id).
pub async fn empty_profile(app: &TestApp, email: &str, followers: u64) -> (String, String) {
    app.signup(email, PASSWORD).await;
    let c = creator(app, &email.replace(['@', '.'], "_"), 0, followers);
    let id = connect(app, c.user_id).await;
    wait_for_backfill(app, &id).await;
    let user_id = app
        .state
        .store
        .profile(&thredops::domain::ProfileId::from(id.as_str()))
        .await
        .unwrap()
        .unwrap()
        .user_id;
    (id, user_id.into())
}

/// Stores posts with two snapshots each: an early one (half the numbers) and the latest.
pub async fn add_posts(app: &TestApp, profile: &str, user_id: &str, posts: &[Post]) {
    let key = app
        .state
        .vault
        .existing_key(&thredops::domain::WorkspaceId::from(user_id))
        .await
        .unwrap()
        .unwrap();
    let store = &app.state.store;
    for p in posts {
        let content = json!({"text": p.text, "permalink": format!("https://www.threads.net/@fixture/post/{}", p.id), "topic_tag": p.topic});
        let row = PostRow {
            media_id: thredops::domain::MediaId::from(p.id.to_owned()),
            media_type: if p.repost {
                "REPOST_FACADE"
            } else {
                "TEXT_POST"
            }
            .to_owned(),
            posted_at: p.at,
            content_enc: key.seal(
                "post",
                &format!("{profile}/{}", p.id),
                content.to_string().as_bytes(),
            ),
            text_len: p.text.chars().count() as i64,
            link_count: 0,
            has_question: p.text.contains('?'),
            has_poll: false,
            is_quote: false,
            is_repost: p.repost,
            carousel_size: 0,
        };
        assert!(
            store
                .insert_post(&thredops::domain::ProfileId::from(profile), &row, p.at)
                .await
                .unwrap()
        );
        if p.repost {
            store
                .set_next_refresh(
                    &thredops::domain::ProfileId::from(profile),
                    &thredops::domain::MediaId::from(p.id),
                    NEVER,
                )
                .await
                .unwrap();
            continue;
        }
        let m = |f: i64| Metrics {
            views: p.views / f,
            likes: p.likes / f,
            replies: 1,
            reposts: 2 / f,
            quotes: 0,
            shares: 1,
        };
        store
            .record_post_metrics(
                &thredops::domain::ProfileId::from(profile),
                &[Measured {
                    media_id: thredops::domain::MediaId::from(p.id.to_owned()),
                    posted_at: p.at,
                    metrics: m(2),
                    taken_at: p.at + 3600,
                    next_refresh_at: NEVER,
                }],
            )
            .await
            .unwrap();
        store
            .record_post_metrics(
                &thredops::domain::ProfileId::from(profile),
                &[Measured {
                    media_id: thredops::domain::MediaId::from(p.id.to_owned()),
                    posted_at: p.at,
                    metrics: m(1),
                    taken_at: p.at + 86_400,
                    next_refresh_at: NEVER,
                }],
            )
            .await
            .unwrap();
    }
}

/// Stores daily account snapshots: (day, followers, clicks).
pub async fn add_days(app: &TestApp, profile: &str, days: &[(&str, i64, Option<i64>)]) {
    for (day, followers, clicks) in days {
        let at = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d")
            .unwrap()
            .and_hms_opt(12, 0, 0)
            .unwrap()
            .and_utc()
            .timestamp();
        assert!(
            app.state
                .store
                .insert_account_snapshot(
                    &thredops::domain::ProfileId::from(profile),
                    day,
                    at,
                    *followers,
                    [None, None, None, None, *clicks]
                )
                .await
                .unwrap()
        );
    }
}

/// Replaces the daily profile views sync stored with these.
pub async fn add_views(app: &TestApp, profile: &str, days: &[(&str, i64)]) {
    use thredops::with_pool;
    // The delete is written behind the store's back: say the analytics data changed, as every
    // store write does, or an overview computed before would still be served.
    for sql in [
        "DELETE FROM daily_views WHERE profile_id = $1",
        "UPDATE threads_profiles SET data_version = data_version + 1 WHERE id = $1",
    ] {
        with_pool!(app.state.store, |p| sqlx::query(sql)
            .bind(profile)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))
        .unwrap();
    }
    for (day, views) in days {
        app.state
            .store
            .upsert_daily_views(&thredops::domain::ProfileId::from(profile), day, *views, 0)
            .await
            .unwrap();
    }
}

/// Sets the signed-in user's time zone through the API.
pub async fn set_tz(app: &TestApp, tz: &str) {
    let r = app
        .client
        .put(app.url("/api/v1/me/timezone"))
        .json(&json!({"timezone": tz}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
}
