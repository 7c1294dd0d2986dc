//! The documented JSON shapes, including the odd ones, decode into the public types.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use threads_api::{
    ApiError, ContainerState, ContainerStatus, DemographicBreakdown, Demographics, Error,
    ErrorClass, HideStatus, Insights, Media, MediaId, MediaMetrics, MediaType, Page,
    PublishingLimit, ReplyAudience, UserId,
};

fn fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse<T: serde::de::DeserializeOwned>(name: &str) -> T {
    serde_json::from_str(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn a_posts_page_decodes_with_plus_zero_timestamps_and_cursors() {
    let page: Page<Media> = parse("posts_page1");
    assert_eq!(page.data.len(), 2);
    let first = &page.data[0];
    assert_eq!(first.id, MediaId::from("1001"));
    assert_eq!(first.media_type, Some(MediaType::TextPost));
    assert_eq!(
        first.owner.as_ref().map(|o| o.id.clone()),
        Some(UserId::from("1234567"))
    );
    assert_eq!(
        first.timestamp,
        Some(Utc.with_ymd_and_hms(2023, 10, 17, 5, 42, 3).unwrap())
    );
    assert_eq!(first.topic_tag.as_deref(), Some("Mondays"));
    assert_eq!(first.reply_audience, Some(ReplyAudience::Everyone));
    let second = &page.data[1];
    assert_eq!(
        second.quoted_post.as_ref().map(|q| q.id.as_str()),
        Some("999")
    );
    assert_eq!(second.owner, None, "owner is omitted, not an error");
    assert_eq!(page.after_cursor(), Some("A1"));
    assert!(page.paging.as_ref().unwrap().next.is_some());
}

#[test]
fn the_last_page_may_have_no_next() {
    let page: Page<Media> = parse("posts_last_page");
    assert_eq!(page.data[0].text.as_deref(), Some("First post!"));
    assert_eq!(page.paging.unwrap().next, None);
    let page: Page<Media> = parse("posts_page2");
    assert_eq!(page.data[0].media_type, Some(MediaType::RepostFacade));
    assert_eq!(
        page.data[0].reposted_post.as_ref().unwrap().id.as_str(),
        "555"
    );
}

#[test]
fn a_full_media_object_keeps_every_field() {
    let m: Media = parse("media_full");
    assert_eq!(m.media_type, Some(MediaType::CarouselAlbum));
    let children: Vec<_> = m.child_ids().into_iter().map(MediaId::as_str).collect();
    assert_eq!(children, ["2101", "2102", "2103"]);
    let poll = m.poll_attachment.as_ref().unwrap();
    assert_eq!(poll.option_a.as_deref(), Some("Yes"));
    assert_eq!(poll.option_a_votes_percentage, Some(0.75));
    assert_eq!(poll.total_votes, Some(4));
    assert_eq!(
        poll.expiration_timestamp,
        Some(Utc.with_ymd_and_hms(2024, 7, 13, 8, 0, 0).unwrap())
    );
    assert_eq!(m.root_post.as_ref().unwrap().id.as_str(), "1900");
    assert_eq!(m.replied_to.as_ref().unwrap().id.as_str(), "1950");
    assert_eq!(m.hide_status, Some(HideStatus::NotHushed));
    assert_eq!(m.reply_audience, Some(ReplyAudience::FollowersOnly));
    assert_eq!(
        m.location_id.as_ref().unwrap().as_str(),
        "123456789",
        "numeric ids are accepted"
    );
    assert_eq!(
        m.allowlisted_country_codes,
        Some(vec!["US".to_owned(), "CA".to_owned()])
    );
    assert_eq!(m.is_verified, Some(true));
    assert_eq!(m.gif_url, None);
}

#[test]
fn media_insights_reduce_to_typed_metrics() {
    let insights: Insights = parse("media_insights");
    let metrics = MediaMetrics::from(&insights);
    assert_eq!(metrics.views, Some(1200));
    assert_eq!(metrics.likes, Some(100));
    assert_eq!(metrics.replies, Some(12));
    assert_eq!(metrics.reposts, Some(3));
    assert_eq!(metrics.quotes, Some(2));
    assert_eq!(metrics.shares, None, "an omitted metric is None, not zero");
    let repost: Insights = parse("media_insights_repost");
    assert_eq!(MediaMetrics::from(&repost), MediaMetrics::default());
}

#[test]
fn user_insights_carry_series_totals_and_link_clicks() {
    let insights: Insights = parse("user_insights");
    let views = insights.metric("views").unwrap();
    let series = views.values.as_ref().unwrap();
    assert_eq!(series.len(), 2);
    assert_eq!(series[1].value, 14);
    assert_eq!(
        series[0].end_time,
        Some(Utc.with_ymd_and_hms(2024, 7, 12, 8, 0, 0).unwrap())
    );
    assert_eq!(views.total(), Some(24));
    assert_eq!(insights.metric("likes").unwrap().total(), Some(42));
    let clicks = insights.metric("clicks").unwrap();
    let links = clicks.link_total_values.as_ref().unwrap();
    assert_eq!(links[0].link_url, "https://ai.meta.com/blog/");
    assert_eq!(links[0].value, 11);
    assert_eq!(clicks.total(), Some(15));
    let followers: Insights = parse("followers_count");
    assert_eq!(
        followers.metric("followers_count").unwrap().total(),
        Some(1523)
    );
}

#[test]
fn each_demographic_breakdown_decodes() {
    let expected = [
        (
            DemographicBreakdown::Country,
            "demographics_country",
            ("US", 900),
        ),
        (
            DemographicBreakdown::City,
            "demographics_city",
            ("Paris, Île-de-France", 300),
        ),
        (
            DemographicBreakdown::Age,
            "demographics_age",
            ("18-24", 150),
        ),
        (
            DemographicBreakdown::Gender,
            "demographics_gender",
            ("F", 700),
        ),
    ];
    for (breakdown, name, (value, count)) in expected {
        let insights: Insights = parse(name);
        let d = Demographics::from_insights(breakdown, &insights);
        assert_eq!(d.buckets.len(), 2, "{name}");
        assert_eq!(d.buckets[0], (value.to_owned(), count), "{name}");
    }
}

#[test]
fn container_status_and_quota_decode() {
    let ok: ContainerStatus = parse("container_status_finished");
    assert_eq!(ok.status, ContainerState::Finished);
    assert_eq!(ok.error_message, None);
    let failed: ContainerStatus = parse("container_status_error");
    assert_eq!(failed.status, ContainerState::Error);
    assert_eq!(
        failed.error_message.as_deref(),
        Some("FAILED_DOWNLOADING_VIDEO")
    );
    let page: Page<PublishingLimit> = parse("publishing_limit");
    let limit = &page.data[0];
    assert_eq!(limit.posts_remaining(), Some(246));
    assert_eq!(limit.replies_remaining(), Some(999));
    assert_eq!(limit.deletes_remaining(), Some(100));
    assert_eq!(
        limit.config.unwrap().quota_duration,
        Duration::from_secs(86_400)
    );
}

fn class_of(name: &str, status: u16) -> (ApiError, ErrorClass) {
    let api = ApiError::from_body(fixture(name).as_bytes()).unwrap_or_else(|| panic!("{name}"));
    let err = Error::Api {
        status,
        api: Box::new(api.clone()),
        retry_after: None,
    };
    (api, err.class())
}

#[test]
fn both_error_envelopes_parse_and_classify() {
    let (api, class) = class_of("error_not_ready", 400);
    assert_eq!((api.code, api.subcode), (Some(24), Some(4_279_009)));
    assert_eq!(api.user_title.as_deref(), Some("Media Not Found"));
    assert_eq!(class, ErrorClass::NotReady);

    let (api, class) = class_of("error_code_reused", 400);
    assert_eq!(api.kind.as_deref(), Some("OAuthException"));
    assert_eq!(
        api.message,
        "Matching code was not found or was already used"
    );
    assert_eq!(class, ErrorClass::Reauth);

    let (api, class) = class_of("error_token_expired", 400);
    assert_eq!((api.code, api.subcode), (Some(190), Some(463)));
    assert_eq!(class, ErrorClass::Reauth);

    let (_, class) = class_of("error_throttled", 403);
    assert!(matches!(class, ErrorClass::RetryLater { .. }));

    let (api, class) = class_of("error_quota", 400);
    assert_eq!((api.code, api.is_transient), (Some(613), Some(false)));
    assert_eq!(class, ErrorClass::QuotaExhausted);

    let (_, class) = class_of("error_permission", 403);
    assert_eq!(class, ErrorClass::Permission);

    let (api, class) = class_of("error_unknown_id", 400);
    assert_eq!(
        class,
        ErrorClass::Invalid {
            message: api.message.clone()
        }
    );
    assert!(api.message.starts_with("Unsupported get request"));
}

#[test]
fn minimal_profiles_decode() {
    let p: threads_api::Profile = parse("profile_minimal");
    assert_eq!(p.id.as_str(), "1234567");
    assert_eq!(p.username, None);
    let p: threads_api::Profile = parse("profile");
    assert_eq!(p.username.as_deref(), Some("threadsapitestuser"));
    assert_eq!(p.is_verified, Some(false));
    assert_eq!(p.is_eligible_for_geo_gating, Some(true));
}
