//! Every write: containers of each type and option, publishing, replies, reposts, deletes,
//! hidden replies, processing errors and the daily quota.

use std::time::Duration;

use chrono::Timelike;
use futures_util::TryStreamExt;
use threads_api::{
    ContainerBuilder, ContainerId, ContainerState, Created, ErrorClass, HideStatus, ListQuery,
    Media, MediaId, MediaType, ReplyAudience, ReplyControl, Session,
};
use threads_sandbox::SandboxConfig;

use crate::helpers::{Harness, all_posts, assert_class, config, invalid, spawn, spawn_with};

/// Creates a container that must be processed first, and returns its id.
async fn create(session: &Session, builder: ContainerBuilder) -> ContainerId {
    match session
        .create_container(&builder.build().unwrap())
        .await
        .unwrap()
    {
        Created::Container(id) => id,
        Created::Published(id) => panic!("published at once as {id}"),
    }
}

/// Publishing before processing ends is NotReady; after the clock moves on it succeeds.
async fn process_and_publish(h: &Harness, session: &Session, id: &ContainerId) -> MediaId {
    let status = session.container_status(id).await.unwrap();
    assert_eq!(status.status, ContainerState::InProgress);
    let err = session.publish(id).await.unwrap_err();
    assert_class(&err, &ErrorClass::NotReady);
    h.advance(Duration::from_secs(6));
    let status = session
        .wait_for_container(id, Duration::from_millis(5), Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(status.status, ContainerState::Finished);
    let media = session.publish(id).await.unwrap();
    let status = session.container_status(id).await.unwrap();
    assert_eq!(
        status.status,
        ContainerState::Published,
        "the container keeps answering after publishing"
    );
    let err = session
        .container_status(&ContainerId::new(media.as_str().to_owned()))
        .await
        .unwrap_err();
    assert_class(&err, &invalid());
    assert!(
        err.to_string().contains("nonexisting field (status)"),
        "the published post's own id has no status: {err}"
    );
    media
}

/// The newest post in the listing, checking that `id` appears exactly once.
async fn listed_once(session: &Session, id: &MediaId) -> Media {
    let posts = all_posts(session).await;
    let found: Vec<_> = posts.iter().filter(|p| &p.id == id).collect();
    assert_eq!(found.len(), 1, "{id} listed {} times", found.len());
    assert_eq!(&posts[0].id, id, "the newest post comes first");
    found[0].clone()
}

#[tokio::test]
async fn a_text_post_with_every_option_appears_once_with_its_fields() {
    let h = spawn().await;
    let user = h.creator(2);
    let session = h.session(user);
    let before = all_posts(&session).await.len();
    let id = create(
        &session,
        ContainerBuilder::text("Shipping the new release today 🚀 https://example.org/notes")
            .reply_control(ReplyControl::FollowersOnly)
            .topic_tag("Rust Lang")
            .link_attachment("https://example.org/release"),
    )
    .await;
    let media_id = process_and_publish(&h, &session, &id).await;
    let post = listed_once(&session, &media_id).await;
    assert_eq!(all_posts(&session).await.len(), before + 1);
    assert_eq!(post.media_type, Some(MediaType::TextPost));
    assert_eq!(
        post.text.as_deref(),
        Some("Shipping the new release today 🚀 https://example.org/notes")
    );
    assert_eq!(post.topic_tag.as_deref(), Some("Rust Lang"));
    assert_eq!(
        post.link_attachment_url.as_deref(),
        Some("https://example.org/release")
    );
    assert_eq!(post.reply_audience, Some(ReplyAudience::FollowersOnly));
    assert_eq!(
        post.owner.as_ref().map(|o| o.id.to_string()),
        Some(user.to_string())
    );
    assert_eq!(post.timestamp, Some(h.now().with_nanosecond(0).unwrap()));
    assert_eq!(post.is_quote_post, Some(false));
    let limit = session.publishing_limit().await.unwrap();
    assert_eq!(limit.quota_usage, Some(1));
}

#[tokio::test]
async fn image_and_video_posts_keep_their_media_and_alt_text() {
    let h = spawn().await;
    let session = h.session(h.creator(2));
    let image = create(
        &session,
        ContainerBuilder::image("https://cdn.example.org/cat.jpg")
            .caption("A cat")
            .alt_text("A grey cat asleep on a keyboard")
            .reply_control(ReplyControl::MentionedOnly),
    )
    .await;
    let image = process_and_publish(&h, &session, &image).await;
    let post = listed_once(&session, &image).await;
    assert_eq!(post.media_type, Some(MediaType::Image));
    assert_eq!(
        post.media_url.as_deref(),
        Some("https://cdn.example.org/cat.jpg")
    );
    assert_eq!(
        post.alt_text.as_deref(),
        Some("A grey cat asleep on a keyboard")
    );
    assert_eq!(post.reply_audience, Some(ReplyAudience::MentionedOnly));

    let video = create(
        &session,
        ContainerBuilder::video("https://cdn.example.org/clip.mp4")
            .alt_text("A ten-second clip")
            .allowlisted_countries(["us", "CA"]),
    )
    .await;
    let video = process_and_publish(&h, &session, &video).await;
    let post = session.media(&video).await.unwrap();
    assert_eq!(post.media_type, Some(MediaType::Video));
    assert_eq!(
        post.media_url.as_deref(),
        Some("https://cdn.example.org/clip.mp4")
    );
    assert!(post.thumbnail_url.is_some());
    assert_eq!(post.alt_text.as_deref(), Some("A ten-second clip"));
    assert_eq!(
        post.allowlisted_country_codes,
        Some(vec!["US".to_owned(), "CA".to_owned()])
    );
}

#[tokio::test]
async fn a_carousel_publishes_its_items_in_order() {
    let h = spawn().await;
    let session = h.session(h.creator(2));
    let urls = [
        "https://cdn.example.org/1.jpg",
        "https://cdn.example.org/2.mp4",
        "https://cdn.example.org/3.png",
    ];
    let mut items = Vec::new();
    for url in urls {
        let item = if url.ends_with(".mp4") {
            ContainerBuilder::video(url)
        } else {
            ContainerBuilder::image(url)
        };
        items.push(create(&session, item.carousel_item().alt_text("item")).await);
    }
    // An item cannot be published on its own.
    h.advance(Duration::from_secs(6));
    let err = session.publish(&items[0]).await.unwrap_err();
    assert_class(&err, &invalid());

    let carousel = create(
        &session,
        ContainerBuilder::carousel(items.clone())
            .caption("Three shots")
            .topic_tag("Photography"),
    )
    .await;
    let media = process_and_publish(&h, &session, &carousel).await;
    let post = listed_once(&session, &media).await;
    assert_eq!(post.media_type, Some(MediaType::CarouselAlbum));
    assert_eq!(post.text.as_deref(), Some("Three shots"));
    assert_eq!(post.topic_tag.as_deref(), Some("Photography"));
    let children = post.child_ids();
    assert_eq!(children.len(), 3);
    for (child, url) in children.into_iter().zip(urls) {
        let item = session.media(child).await.unwrap();
        assert_eq!(item.media_url.as_deref(), Some(url));
        let expected = if url.ends_with(".mp4") {
            MediaType::Video
        } else {
            MediaType::Image
        };
        assert_eq!(item.media_type, Some(expected));
    }
    let limit = session.publishing_limit().await.unwrap();
    assert_eq!(limit.quota_usage, Some(1), "a carousel counts once");
}

#[tokio::test]
async fn polls_quotes_and_replies_read_back_with_their_links() {
    let h = spawn().await;
    let user = h.creator(2);
    let session = h.session(user);
    let poll = create(
        &session,
        ContainerBuilder::text("Tabs or spaces?").poll(["Tabs", "Spaces", "Both 🙃"]),
    )
    .await;
    let poll = process_and_publish(&h, &session, &poll).await;
    let post = listed_once(&session, &poll).await;
    let results = post.poll_attachment.expect("poll");
    assert_eq!(results.option_a.as_deref(), Some("Tabs"));
    assert_eq!(results.option_b.as_deref(), Some("Spaces"));
    assert_eq!(results.option_c.as_deref(), Some("Both 🙃"));
    assert_eq!(results.option_d, None);
    assert_eq!(
        post.media_type,
        Some(MediaType::TextPost),
        "polls are text posts"
    );

    let quote = create(
        &session,
        ContainerBuilder::text("This aged well").quote(poll.clone()),
    )
    .await;
    let quote = process_and_publish(&h, &session, &quote).await;
    let post = listed_once(&session, &quote).await;
    assert_eq!(post.is_quote_post, Some(true));
    assert_eq!(post.quoted_post.map(|q| q.id), Some(poll.clone()));

    let reply = create(
        &session,
        ContainerBuilder::text("Spaces, obviously").reply_to(poll.clone()),
    )
    .await;
    let reply = process_and_publish(&h, &session, &reply).await;
    // A reply is not a top-level post, and is listed under the post and the user's replies.
    let posts = all_posts(&session).await;
    assert!(posts.iter().all(|p| p.id != reply));
    let under: Vec<_> = session
        .replies(&poll, &ListQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(under.len(), 1);
    assert_eq!(under[0].id, reply);
    assert_eq!(under[0].root_post.as_ref().map(|r| &r.id), Some(&poll));
    assert_eq!(under[0].replied_to.as_ref().map(|r| &r.id), Some(&poll));
    let mine: Vec<_> = session
        .user_replies_pages(&ListQuery::new())
        .map_ok(|p| p.data)
        .try_concat()
        .await
        .unwrap();
    assert_eq!(mine[0].id, reply);
    let limit = session.publishing_limit().await.unwrap();
    assert_eq!(limit.quota_usage, Some(2), "the reply is not a post");
    assert_eq!(limit.reply_quota_usage, Some(1));
}

#[tokio::test]
async fn auto_published_text_is_live_at_once_and_can_be_deleted() {
    let h = spawn().await;
    let session = h.session(h.creator(1));
    let container = ContainerBuilder::text("Straight out")
        .auto_publish_text()
        .build()
        .unwrap();
    let Created::Published(media) = session.create_container(&container).await.unwrap() else {
        panic!("auto_publish_text returns the media id");
    };
    let post = listed_once(&session, &media).await;
    assert_eq!(post.text.as_deref(), Some("Straight out"));

    let deleted = session.delete(&media).await.unwrap();
    assert!(deleted.success);
    assert_eq!(deleted.deleted_id, Some(media.clone()));
    assert!(all_posts(&session).await.iter().all(|p| p.id != media));
    let err = session.media(&media).await.unwrap_err();
    assert_class(&err, &invalid());
    let limit = session.publishing_limit().await.unwrap();
    assert_eq!(limit.delete_quota_usage, Some(1));
}

#[tokio::test]
async fn a_repost_reads_back_as_a_repost_facade() {
    let h = spawn().await;
    let session = h.session(h.creator(2));
    let original = all_posts(&session)
        .await
        .into_iter()
        .find(|p| p.media_type == Some(MediaType::TextPost))
        .unwrap();
    let repost = session.repost(&original.id).await.unwrap();
    let post = listed_once(&session, &repost).await;
    assert_eq!(post.media_type, Some(MediaType::RepostFacade));
    assert_eq!(post.reposted_post.map(|r| r.id), Some(original.id));
    let metrics = session.media_insights(&repost).await.unwrap();
    assert_eq!(metrics, Default::default(), "reposts have no insights");
}

#[tokio::test]
async fn hiding_a_reply_shows_in_its_hide_status() {
    let h = spawn().await;
    let session = h.session(h.creator(2));
    let posts = all_posts(&session).await;
    let mut target = None;
    for p in posts
        .iter()
        .filter(|p| p.has_replies == Some(true))
        .take(20)
    {
        let replies: Vec<_> = session
            .replies(&p.id, &ListQuery::new())
            .try_collect()
            .await
            .unwrap();
        if let Some(r) = replies
            .into_iter()
            .find(|r| r.is_reply_owned_by_me == Some(false))
        {
            target = Some((p.id.clone(), r));
            break;
        }
    }
    let (post, reply) = target.expect("a reply from someone else");
    assert_eq!(reply.hide_status, Some(HideStatus::NotHushed));
    assert!(session.hide_reply(&reply.id, true).await.unwrap().success);
    let status = |session: Session, post: MediaId, id: MediaId| async move {
        let replies: Vec<Media> = session
            .replies(&post, &ListQuery::new().limit(100))
            .try_collect()
            .await
            .unwrap();
        replies
            .into_iter()
            .find(|r| r.id == id)
            .unwrap()
            .hide_status
    };
    assert_eq!(
        status(session.clone(), post.clone(), reply.id.clone()).await,
        Some(HideStatus::Hidden)
    );
    assert!(session.hide_reply(&reply.id, false).await.unwrap().success);
    assert_eq!(
        status(session.clone(), post, reply.id.clone()).await,
        Some(HideStatus::NotHushed)
    );
}

#[tokio::test]
async fn a_media_url_that_fails_processing_surfaces_its_error_message() {
    let h = spawn().await;
    let session = h.session(h.creator(2));
    let image = create(
        &session,
        ContainerBuilder::image("https://cdn.example.org/fail.jpg"),
    )
    .await;
    let video = create(
        &session,
        ContainerBuilder::video("https://cdn.example.org/will-fail.mp4"),
    )
    .await;
    h.advance(Duration::from_secs(6));
    for id in [image, video] {
        let status = session
            .wait_for_container(&id, Duration::from_millis(5), Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(status.status, ContainerState::Error);
        assert_eq!(
            status.error_message.as_deref(),
            Some("FAILED_DOWNLOADING_VIDEO")
        );
        let err = session.publish(&id).await.unwrap_err();
        assert_class(&err, &ErrorClass::NotReady);
    }

    // An unpublished container expires after 24 h.
    let fresh = create(&session, ContainerBuilder::text("Never published")).await;
    h.advance(Duration::from_secs(24 * 3_600));
    let status = session.container_status(&fresh).await.unwrap();
    assert_eq!(status.status, ContainerState::Expired);
}

#[tokio::test]
async fn wait_for_container_polls_until_processing_ends_in_real_time() {
    // A running clock and short processing: the client's own polling sees the change.
    let mut cfg: SandboxConfig = config();
    cfg.frozen_clock = false;
    cfg.processing.image_ms = 1_000;
    let h = spawn_with(cfg, "").await;
    let session = h.session(h.creator(1));
    let id = create(
        &session,
        ContainerBuilder::image("https://cdn.example.org/a.jpg"),
    )
    .await;
    let status = session
        .wait_for_container(&id, Duration::from_millis(50), Duration::from_secs(10))
        .await
        .unwrap();
    assert_eq!(status.status, ContainerState::Finished);
    assert!(session.client().calls_made() >= 3, "it polled");
    session.publish(&id).await.unwrap();
}

#[tokio::test]
async fn the_250_post_quota_is_exhausted_then_recovers_after_a_day() {
    let h = spawn().await;
    let session = h.session(h.creator(1));
    for i in 0..250 {
        let container = ContainerBuilder::text(format!("Post number {i}"))
            .auto_publish_text()
            .build()
            .unwrap();
        session.create_container(&container).await.unwrap();
    }
    let limit = session.publishing_limit().await.unwrap();
    assert_eq!(limit.posts_remaining(), Some(0));
    let calls = session.client().calls_made();
    let one_more = ContainerBuilder::text("One too many")
        .auto_publish_text()
        .build()
        .unwrap();
    let err = session.create_container(&one_more).await.unwrap_err();
    assert_class(&err, &ErrorClass::QuotaExhausted);
    assert_eq!(session.client().calls_made(), calls + 1, "not retried");

    // Publishing a processed container an hour later hits the same rolling limit.
    h.advance(Duration::from_secs(3_600));
    let id = create(&session, ContainerBuilder::text("Waiting")).await;
    h.advance(Duration::from_secs(2));
    assert_class(
        &session.publish(&id).await.unwrap_err(),
        &ErrorClass::QuotaExhausted,
    );

    // A day after the 250 posts (and before the container expires) both work again.
    h.advance(Duration::from_secs(86_400 - 3_602));
    session.publish(&id).await.unwrap();
    session.create_container(&one_more).await.unwrap();
    let limit = session.publishing_limit().await.unwrap();
    assert_eq!(limit.quota_usage, Some(2));
}
