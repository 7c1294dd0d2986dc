//! Every read endpoint against the sandbox's ground truth.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use futures_util::TryStreamExt;
use serde_json::Value;
use threads_api::{
    DemographicBreakdown, ErrorClass, ListQuery, Media, MediaId, MediaType, ReplyAudience,
    UserInsightsQuery, UserMetric,
};
use threads_sandbox::CreatorTraits;

use crate::helpers::{all_posts, assert_class, assert_matches_truth, invalid, spawn};

fn truth_posts(truth: &Value) -> &Vec<Value> {
    truth["posts"].as_array().expect("posts")
}

fn id_of(v: &Value) -> MediaId {
    MediaId::new(v["id"].as_str().expect("id"))
}

#[tokio::test]
async fn the_profile_is_the_creators() {
    let h = spawn().await;
    let summary = &h.sandbox.creators()[5];
    let profile = h.session(summary.user_id).profile().await.unwrap();
    assert_eq!(profile.id.as_str(), summary.id);
    assert_eq!(profile.username.as_deref(), Some(summary.username.as_str()));
    assert_eq!(profile.name.as_deref(), Some(summary.name.as_str()));
    assert_eq!(profile.is_verified, Some(true));
    assert!(profile.threads_biography.is_some());
    assert!(profile.threads_profile_picture_url.is_some());
}

#[tokio::test]
async fn paging_every_post_with_limit_100_returns_exactly_the_truth() {
    let h = spawn().await;
    let user = h.creator(2);
    let session = h.session(user);
    let posts = all_posts(&session).await;
    let truth = h.truth(user).await;
    let expected = truth_posts(&truth);
    assert_eq!(posts.len(), expected.len());
    assert!(posts.len() > 1_000, "a long history: {}", posts.len());
    for (media, truth) in posts.iter().zip(expected) {
        assert_matches_truth(media, truth);
    }
    // Every shape of post is present, so the comparison above covered each of them.
    let has = |t: MediaType| posts.iter().any(|p| p.media_type.as_ref() == Some(&t));
    for t in [
        MediaType::TextPost,
        MediaType::Image,
        MediaType::Video,
        MediaType::CarouselAlbum,
        MediaType::Audio,
        MediaType::RepostFacade,
    ] {
        assert!(has(t.clone()), "no {t} post");
    }
    assert!(posts.iter().any(|p| p.quoted_post.is_some()));
    assert!(posts.iter().any(|p| p.poll_attachment.is_some()));
    // GIF and poll posts read back as TEXT_POST (§3.1).
    let gifs: Vec<&Media> = posts.iter().filter(|p| p.gif_url.is_some()).collect();
    assert!(!gifs.is_empty(), "no GIF post");
    assert!(
        gifs.iter()
            .all(|p| p.media_type == Some(MediaType::TextPost))
    );
    assert!(
        posts
            .iter()
            .filter(|p| p.poll_attachment.is_some())
            .all(|p| p.media_type == Some(MediaType::TextPost))
    );
    // Every reply audience is known to the client, none falls back to `Other`.
    let audiences: BTreeSet<&str> = posts
        .iter()
        .filter_map(|p| p.reply_audience.as_ref())
        .map(|a| {
            assert!(!matches!(a, ReplyAudience::Other(_)), "unknown {a}");
            a.as_str()
        })
        .collect();
    assert_eq!(audiences.len(), 5, "{audiences:?}");
    assert!(posts.iter().any(|p| p.topic_tag.is_some()));
    assert!(posts.iter().any(|p| p.link_attachment_url.is_some()));
    // Pages were full until the last one: ceil(n / 100) calls.
    assert_eq!(
        session.client().calls_made(),
        posts.len().div_ceil(100) as u64
    );
}

#[tokio::test]
async fn single_media_objects_read_back_as_in_the_listing() {
    let h = spawn().await;
    let user = h.creator(2);
    let session = h.session(user);
    let truth = h.truth(user).await;
    let posts = truth_posts(&truth);
    let pick = |pred: &dyn Fn(&Value) -> bool| posts.iter().find(|p| pred(p)).expect("a post");
    let samples = [
        pick(&|p| p["media_type"] == "CAROUSEL_ALBUM"),
        pick(&|p| p["media_type"] == "REPOST_FACADE"),
        pick(&|p| p["is_quote_post"] == true),
        pick(&|p| p["poll_attachment"].is_object()),
        pick(&|p| p["link_attachment_url"].is_string()),
        pick(&|p| p["media_type"] == "VIDEO"),
        pick(&|p| p["media_type"] == "AUDIO"),
        pick(&|p| p["gif_url"].is_string()),
    ];
    for expected in samples {
        let media = session.media(&id_of(expected)).await.unwrap();
        assert_matches_truth(&media, expected);
        assert_eq!(media.media_product_type.as_deref(), Some("THREADS"));
    }
    let carousel = session.media(&id_of(samples[0])).await.unwrap();
    for child in carousel.child_ids() {
        let item = session.media(child).await.unwrap();
        assert!(matches!(
            item.media_type,
            Some(MediaType::Image | MediaType::Video)
        ));
        assert!(item.media_url.is_some());
    }
    let video = session.media(&id_of(samples[5])).await.unwrap();
    assert!(video.thumbnail_url.is_some() && video.media_url.is_some());
    let audio = session.media(&id_of(samples[6])).await.unwrap();
    assert_eq!(audio.media_type, Some(MediaType::Audio));
    assert!(audio.media_url.is_some());
    let poll = session.media(&id_of(samples[3])).await.unwrap();
    let results = poll.poll_attachment.expect("poll results");
    assert!(results.option_a.is_some() && results.option_b.is_some());
    let shares = [
        results.option_a_votes_percentage,
        results.option_b_votes_percentage,
        results.option_c_votes_percentage,
        results.option_d_votes_percentage,
    ];
    assert!(shares.iter().flatten().all(|s| (0.0..=1.0).contains(s)));
    assert!(results.total_votes.is_some() && results.expiration_timestamp.is_some());
}

#[tokio::test]
async fn media_insights_equal_the_truth_metrics() {
    let h = spawn().await;
    let user = h.creator(3);
    let session = h.session(user);
    let truth = h.truth(user).await;
    for expected in truth_posts(&truth).iter().step_by(97).take(25) {
        let metrics = session.media_insights(&id_of(expected)).await.unwrap();
        let m = &expected["metrics"];
        if expected["media_type"] == "REPOST_FACADE" {
            assert_eq!(metrics, Default::default(), "a repost has no insights");
            continue;
        }
        assert_eq!(metrics.views, m["views"].as_u64());
        assert_eq!(metrics.likes, m["likes"].as_u64());
        assert_eq!(metrics.replies, m["replies"].as_u64());
        assert_eq!(metrics.reposts, m["reposts"].as_u64());
        assert_eq!(metrics.quotes, m["quotes"].as_u64());
        assert_eq!(metrics.shares, m["shares"].as_u64());
    }
}

#[tokio::test]
async fn user_insights_add_up_to_the_truth() {
    let h = spawn().await;
    // A short history, all inside the queried range, so range totals equal lifetime sums.
    let user = h.add_creator(CreatorTraits {
        followers: Some(5_000),
        posts: Some(150),
        history_days: Some(20),
        ..CreatorTraits::default()
    });
    let session = h.session(user);
    let truth = h.truth(user).await;
    let posts = truth_posts(&truth);
    let now = h.now();
    let since = now - chrono::Duration::days(30);
    let insights = session
        .user_insights(
            &UserInsightsQuery::new([
                UserMetric::Views,
                UserMetric::Likes,
                UserMetric::Replies,
                UserMetric::Reposts,
                UserMetric::Quotes,
                UserMetric::Clicks,
            ])
            .range(since, now),
        )
        .await
        .unwrap();
    let sum = |name: &str| -> u64 {
        posts
            .iter()
            .map(|p| p["metrics"][name].as_u64().unwrap())
            .sum()
    };
    let total = |name: &str| insights.metric(name).and_then(|m| m.total()).unwrap();
    assert_eq!(total("likes"), sum("likes"));
    assert_eq!(total("reposts"), sum("reposts"));
    assert_eq!(total("quotes"), sum("quotes"));
    // Post reply counts include the creator's own answers; the user metric counts others'.
    let own_answers = truth["replies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| posts.iter().any(|p| p["id"] == r["root_post"]["id"]))
        .count() as u64;
    assert_eq!(total("replies"), sum("replies") - own_answers);

    let mut expected_clicks: BTreeMap<String, u64> = BTreeMap::new();
    for p in posts
        .iter()
        .filter(|p| p["metrics"]["clicks"].as_u64() > Some(0))
    {
        let url = p["link_attachment_url"].as_str().unwrap().to_owned();
        *expected_clicks.entry(url).or_default() += p["metrics"]["clicks"].as_u64().unwrap();
    }
    let clicks: BTreeMap<String, u64> = insights
        .metric("clicks")
        .and_then(|m| m.link_total_values.clone())
        .unwrap()
        .into_iter()
        .map(|l| (l.link_url, l.value))
        .collect();
    assert!(!clicks.is_empty());
    assert_eq!(clicks, expected_clicks);

    // Views are a daily series on Pacific day boundaries, about 2% of post views.
    let views = insights
        .metric("views")
        .and_then(|m| m.values.clone())
        .unwrap();
    assert!((30..=32).contains(&views.len()), "{} days", views.len());
    for pair in views.windows(2) {
        let (a, b) = (pair[0].end_time.unwrap(), pair[1].end_time.unwrap());
        assert_eq!(b - a, chrono::Duration::days(1));
    }
    let series: u64 = views.iter().map(|v| v.value).sum();
    let expected = sum("views") as f64 * 0.02;
    let days = views.len() as f64;
    assert!(
        series as f64 >= expected - days && series as f64 <= expected + 5.0 * days,
        "series {series} vs 2% of post views {expected}"
    );

    let followers = session.followers_count().await.unwrap();
    assert_eq!(followers, truth["followers_count"].as_u64());
}

#[tokio::test]
async fn demographics_come_in_all_four_breakdowns() {
    let h = spawn().await;
    // Default creator 4 has an audience that is 80% in Japan.
    let user = h.creator(4);
    let session = h.session(user);
    let followers = session.followers_count().await.unwrap().unwrap();
    for breakdown in DemographicBreakdown::ALL {
        let d = session.follower_demographics(breakdown).await.unwrap();
        assert_eq!(d.breakdown, breakdown);
        assert!(!d.buckets.is_empty(), "{breakdown:?}");
        let total: u64 = d.buckets.iter().map(|(_, n)| n).sum();
        if breakdown == DemographicBreakdown::City {
            assert!(total <= followers, "cities cover part of the audience");
        } else {
            assert_eq!(total, followers, "{breakdown:?} adds up");
        }
    }
    let countries = session
        .follower_demographics(DemographicBreakdown::Country)
        .await
        .unwrap();
    assert_eq!(countries.buckets[0].0, "JP");
    assert!(countries.buckets[0].1 as f64 >= followers as f64 * 0.79);
}

#[tokio::test]
async fn demographics_under_100_followers_are_refused_as_invalid() {
    let h = spawn().await;
    let session = h.session(h.creator(0));
    assert!(session.followers_count().await.unwrap().unwrap() < 100);
    let err = session
        .follower_demographics(DemographicBreakdown::Age)
        .await
        .unwrap_err();
    assert_class(&err, &invalid());
    assert!(err.to_string().contains("100 followers"), "{err}");
    assert_eq!(session.client().calls_made(), 2, "not retried");
}

#[tokio::test]
async fn replies_and_conversations_list_every_reply_newest_first() {
    let h = spawn().await;
    let user = h.creator(2);
    let session = h.session(user);
    let truth = h.truth(user).await;
    let own = truth["replies"].as_array().unwrap();
    // A post the creator answered, with enough replies to need several pages.
    let root = truth_posts(&truth)
        .iter()
        .filter(|p| own.iter().any(|r| r["root_post"]["id"] == p["id"]))
        .max_by_key(|p| p["metrics"]["replies"].as_u64())
        .unwrap();
    let root_id = id_of(root);
    let total = root["metrics"]["replies"].as_u64().unwrap() as usize;
    assert!(total > 3, "{total} replies");

    let query = ListQuery::new().limit(3);
    let conversation: Vec<_> = session
        .conversation(&root_id, &query)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(conversation.len(), total, "every reply at any depth");
    let mut ids: Vec<_> = conversation.iter().map(|m| m.id.clone()).collect();
    ids.dedup();
    assert_eq!(ids.len(), total, "no duplicates across pages");
    for pair in conversation.windows(2) {
        assert!(pair[0].timestamp >= pair[1].timestamp, "newest first");
    }
    for m in &conversation {
        assert_eq!(m.is_reply, Some(true));
        assert_eq!(m.root_post.as_ref().map(|r| &r.id), Some(&root_id));
    }
    let answers: Vec<_> = own
        .iter()
        .filter(|r| r["root_post"]["id"] == root["id"])
        .collect();
    for answer in &answers {
        let found = conversation
            .iter()
            .find(|m| m.id.as_str() == answer["id"])
            .expect("own answer in the conversation");
        assert_matches_truth(found, answer);
        assert_eq!(found.is_reply_owned_by_me, Some(true));
    }

    // Top-level replies are the conversation minus answers to replies.
    let top: Vec<_> = session
        .replies(&root_id, &ListQuery::new().limit(100))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(top.len(), total - answers.len());
    assert!(
        top.iter()
            .all(|m| m.replied_to.as_ref().map(|r| &r.id) == Some(&root_id))
    );

    // Oldest first on request.
    let oldest: Vec<_> = session
        .conversation(&root_id, &ListQuery::new().limit(100).reverse(false))
        .try_collect()
        .await
        .unwrap();
    let mut reversed = conversation.clone();
    reversed.reverse();
    assert_eq!(oldest, reversed);

    // The creator's own replies, paged, equal the truth's list.
    let mine: Vec<_> = session
        .user_replies_pages(&ListQuery::new().limit(100))
        .map_ok(|p| p.data)
        .try_concat()
        .await
        .unwrap();
    assert_eq!(mine.len(), own.len());
    for (m, t) in mine.iter().zip(own) {
        assert_matches_truth(m, t);
    }
}

#[tokio::test]
async fn the_publishing_limit_reports_usage_and_configuration() {
    let h = spawn().await;
    let session = h.session(h.creator(1));
    let limit = session.publishing_limit().await.unwrap();
    assert_eq!(limit.quota_usage, Some(0));
    assert_eq!(limit.posts_remaining(), Some(250));
    assert_eq!(limit.replies_remaining(), Some(1_000));
    assert_eq!(limit.deletes_remaining(), Some(100));
    let config = limit.config.unwrap();
    assert_eq!(config.quota_duration, Duration::from_secs(86_400));
}

#[tokio::test]
async fn an_unknown_media_id_is_invalid_not_retried() {
    let h = spawn().await;
    let session = h.session(h.creator(1));
    let err = session
        .media(&MediaId::new("18999999999999999"))
        .await
        .unwrap_err();
    assert_class(&err, &invalid());
    assert_eq!(err.api_error().and_then(|e| e.subcode), Some(33));
    assert_eq!(session.client().calls_made(), 1);
    assert!(!matches!(err.class(), ErrorClass::RetryLater { .. }));
}

#[tokio::test]
async fn an_until_past_the_servers_clock_is_invalid_not_clamped() {
    let h = spawn().await;
    let session = h.session(h.creator(2));
    // The client checks `until` against its own clock; the sandbox's frozen clock stands
    // earlier, as a server's can when clocks disagree, and Meta refuses `until > now`.
    let until = h.now() + chrono::Duration::hours(1);
    assert!(
        until < chrono::Utc::now(),
        "the sandbox clock is in the past"
    );
    let err = session
        .posts(&ListQuery::new().until(until))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_class(&err, &invalid());
    assert_eq!(err.api_error().and_then(|e| e.code), Some(100));
    let within = session
        .posts(
            &ListQuery::new()
                .since(h.now() - chrono::Duration::days(30))
                .until(h.now()),
        )
        .try_collect::<Vec<_>>()
        .await
        .unwrap();
    assert!(!within.is_empty());
}
