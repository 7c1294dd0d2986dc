//! Public profile discovery: `profile_lookup` and `profile_posts` against the sandbox.

use futures_util::TryStreamExt;
use threads_api::{ErrorClass, ListQuery, Media};
use threads_sandbox::PublicProfileSummary;

use crate::helpers::{Harness, assert_class, invalid, spawn};

fn discoverable(h: &Harness) -> PublicProfileSummary {
    h.sandbox
        .public_profiles()
        .into_iter()
        .find(|p| p.discoverable)
        .expect("a discoverable profile")
}

#[tokio::test]
async fn profile_lookup_returns_the_public_fields_of_a_large_adult_profile() {
    let h = spawn().await;
    let target = discoverable(&h);
    let me = h.session(h.creator(0));
    let p = me
        .profile_lookup(&format!("@{}", target.username))
        .await
        .unwrap();
    assert_eq!(p.username.as_deref(), Some(target.username.as_str()));
    assert_eq!(p.follower_count, Some(target.followers_count));
    assert!(p.follower_count >= Some(1_000));
    assert!(p.name.is_some() && p.biography.is_some() && p.profile_picture_url.is_some());
    assert!(p.is_verified.is_some());
    for count in [
        p.likes_count,
        p.quotes_count,
        p.replies_count,
        p.reposts_count,
        p.views_count,
    ] {
        assert!(count.is_some());
    }
}

#[tokio::test]
async fn small_and_underage_profiles_and_creators_are_not_found() {
    let h = spawn().await;
    let me = h.session(h.creator(0));
    let hidden: Vec<_> = h
        .sandbox
        .public_profiles()
        .into_iter()
        .filter(|p| !p.discoverable)
        .collect();
    assert!(hidden.iter().any(|p| p.followers_count < 1_000));
    assert!(hidden.iter().any(|p| !p.adult));
    for p in hidden {
        let err = me.profile_lookup(&p.username).await.unwrap_err();
        assert_class(&err, &invalid());
    }
    let creator = h.sandbox.creators()[1].username.clone();
    assert!(me.profile_lookup(&creator).await.is_err());
}

#[tokio::test]
async fn profile_posts_pages_through_every_post_newest_first() {
    let h = spawn().await;
    let target = discoverable(&h);
    let me = h.session(h.creator(0));
    let all: Vec<Media> = me
        .profile_posts(&target.username, &ListQuery::new().limit(7))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(all.len(), target.posts_count);
    assert!(
        all.iter()
            .all(|m| m.username.as_deref() == Some(target.username.as_str()) && m.owner.is_none())
    );
    let times: Vec<_> = all
        .iter()
        .map(|m| m.timestamp.expect("timestamp"))
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "{times:?}");
}

#[tokio::test]
async fn profile_discovery_needs_its_scope_and_allows_1000_requests_a_day() {
    let h = spawn().await;
    let target = discoverable(&h);
    let basic = h.session_with(&h.client(), h.creator(2), &["threads_basic"]);
    let err = basic.profile_lookup(&target.username).await.unwrap_err();
    assert_class(&err, &ErrorClass::Permission);
    let me = h.session(h.creator(2));
    // Lookups and post listings share the one quota.
    for _ in 0..500 {
        me.profile_lookup(&target.username).await.unwrap();
        me.profile_posts_pages(&target.username, &ListQuery::new().limit(1))
            .try_next()
            .await
            .unwrap();
    }
    let err = me.profile_lookup(&target.username).await.unwrap_err();
    assert_class(&err, &ErrorClass::QuotaExhausted);
    h.advance(std::time::Duration::from_secs(86_401));
    me.profile_lookup(&target.username).await.unwrap();
}
