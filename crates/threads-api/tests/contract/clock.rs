//! Clock jumps: metrics grow as sandbox time passes; tokens expire on schedule.

use std::time::Duration;

use threads_api::{AccessToken, ContainerBuilder, Created, ErrorClass, MediaMetrics};

use crate::helpers::{assert_class, spawn};

const HOUR: u64 = 3_600;

#[tokio::test]
async fn a_fresh_posts_metrics_grow_as_the_clock_advances() {
    let h = spawn().await;
    let user = h.creator(4);
    let session = h.session(user);
    let container = ContainerBuilder::text("Good morning, Tokyo")
        .auto_publish_text()
        .build()
        .unwrap();
    let Created::Published(media) = session.create_container(&container).await.unwrap() else {
        panic!("auto publish");
    };
    let mut seen: Vec<MediaMetrics> = Vec::new();
    for step in [0, HOUR, 5 * HOUR, 24 * HOUR, 10 * 24 * HOUR] {
        h.advance(Duration::from_secs(step));
        let metrics = session.media_insights(&media).await.unwrap();
        // The sandbox's truth agrees at every step.
        let truth = h.truth(user).await;
        let post = truth["posts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["id"] == media.as_str())
            .unwrap();
        assert_eq!(metrics.views, post["metrics"]["views"].as_u64());
        assert_eq!(metrics.likes, post["metrics"]["likes"].as_u64());
        seen.push(metrics);
    }
    assert_eq!(seen[0].views, Some(0), "nobody has seen it yet");
    for pair in seen.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        for (x, y) in [
            (a.views, b.views),
            (a.likes, b.likes),
            (a.replies, b.replies),
            (a.reposts, b.reposts),
            (a.quotes, b.quotes),
            (a.shares, b.shares),
        ] {
            assert!(x <= y, "metrics never shrink: {a:?} then {b:?}");
        }
        assert!(a.views < b.views, "views keep growing: {a:?} then {b:?}");
    }
    // After the ten-day accrual window the values are final.
    h.advance(Duration::from_secs(30 * 24 * HOUR));
    assert_eq!(
        session.media_insights(&media).await.unwrap(),
        *seen.last().unwrap()
    );
}

#[tokio::test]
async fn a_long_lived_token_expires_after_60_days() {
    let h = spawn().await;
    let client = h.client();
    let token = h.sandbox.mint_token(h.creator(1), &["threads_basic"]);
    let session = client.session(AccessToken::new(token.clone()));
    h.advance(Duration::from_secs(60 * 24 * HOUR - 1));
    session.profile().await.unwrap();
    h.advance(Duration::from_secs(1));
    let err = session.profile().await.unwrap_err();
    assert_class(&err, &ErrorClass::Reauth);
    assert_eq!(err.api_error().and_then(|e| e.subcode), Some(463));
    // An expired token can no longer be refreshed either.
    let err = client
        .refresh_long_lived(&AccessToken::new(token), h.now())
        .await
        .unwrap_err();
    assert_class(&err, &ErrorClass::Reauth);
}

#[tokio::test]
async fn a_refreshed_token_lives_60_days_from_the_refresh() {
    let h = spawn().await;
    let client = h.client();
    let token = AccessToken::new(h.sandbox.mint_token(h.creator(1), &["threads_basic"]));
    h.advance(Duration::from_secs(50 * 24 * HOUR));
    let refreshed = client.refresh_long_lived(&token, h.now()).await.unwrap();
    h.advance(Duration::from_secs(59 * 24 * HOUR));
    assert_class(
        &client.session(token).profile().await.unwrap_err(),
        &ErrorClass::Reauth,
    );
    client
        .session(refreshed.access_token)
        .profile()
        .await
        .unwrap();
}
