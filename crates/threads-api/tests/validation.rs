//! Container and query limits are enforced before anything is sent.

use proptest::prelude::*;
use threads_api::{ContainerBuilder, ContainerId, MediaId, ReplyControl, ValidationError};

fn ids(n: usize) -> Vec<ContainerId> {
    (0..n)
        .map(|i| ContainerId::new(format!("{}", 9000 + i)))
        .collect()
}

#[test]
fn text_of_500_chars_passes_and_501_is_rejected() {
    assert!(ContainerBuilder::text("a".repeat(500)).build().is_ok());
    let err = ContainerBuilder::text("a".repeat(501)).build().unwrap_err();
    assert_eq!(err, ValidationError::TextTooLong { len: 501, max: 500 });
}

#[test]
fn emoji_count_by_their_utf8_bytes() {
    // 124 emoji × 4 bytes = 496, plus 4 letters = 500.
    assert!(
        ContainerBuilder::text(format!("{}abcd", "😀".repeat(124)))
            .build()
            .is_ok()
    );
    assert!(matches!(
        ContainerBuilder::text(format!("{}abcde", "😀".repeat(124))).build(),
        Err(ValidationError::TextTooLong { len: 501, .. })
    ));
}

#[test]
fn a_text_post_needs_text() {
    assert_eq!(
        ContainerBuilder::text("   ").build().unwrap_err(),
        ValidationError::MissingText
    );
}

#[test]
fn six_unique_links_are_rejected_but_five_pass() {
    let five = (1..=5)
        .map(|i| format!("https://e{i}.com"))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(ContainerBuilder::text(&five).build().is_ok());
    assert!(
        ContainerBuilder::text(format!("{five} https://E1.com"))
            .build()
            .is_ok(),
        "duplicates count once"
    );
    let err = ContainerBuilder::text(format!("{five} https://e6.com"))
        .build()
        .unwrap_err();
    assert_eq!(err, ValidationError::TooManyLinks { count: 6, max: 5 });
    let err = ContainerBuilder::text(&five)
        .link_attachment("https://e6.com")
        .build()
        .unwrap_err();
    assert_eq!(err, ValidationError::TooManyLinks { count: 6, max: 5 });
}

#[test]
fn topic_tags_with_dot_or_ampersand_are_rejected() {
    let build = |tag: &str| ContainerBuilder::text("hi").topic_tag(tag).build();
    assert!(build("Rust").is_ok());
    assert_eq!(
        build("v1.0").unwrap_err(),
        ValidationError::TopicTagForbiddenChar('.')
    );
    assert_eq!(
        build("R&D").unwrap_err(),
        ValidationError::TopicTagForbiddenChar('&')
    );
    assert!(matches!(
        build(""),
        Err(ValidationError::TopicTagLength { len: 0, .. })
    ));
    assert!(matches!(
        build(&"t".repeat(51)),
        Err(ValidationError::TopicTagLength { len: 51, .. })
    ));
}

#[test]
fn carousels_need_2_to_20_children() {
    assert_eq!(
        ContainerBuilder::carousel(ids(1)).build().unwrap_err(),
        ValidationError::CarouselChildren(1)
    );
    assert_eq!(
        ContainerBuilder::carousel(ids(21)).build().unwrap_err(),
        ValidationError::CarouselChildren(21)
    );
    let ok = ContainerBuilder::carousel(ids(2))
        .caption("two")
        .build()
        .unwrap();
    assert_eq!(ok.param("children"), Some("9000,9001"));
    assert!(ContainerBuilder::carousel(ids(20)).build().is_ok());
}

#[test]
fn polls_are_text_only_with_2_to_4_short_options() {
    let poll = ContainerBuilder::text("Tea or coffee?")
        .poll(["Tea", "Coffee"])
        .build()
        .unwrap();
    assert_eq!(
        poll.param("poll_attachment"),
        Some(r#"{"option_a":"Tea","option_b":"Coffee"}"#)
    );
    assert_eq!(
        ContainerBuilder::text("q")
            .poll(["only"])
            .build()
            .unwrap_err(),
        ValidationError::PollOptionCount(1)
    );
    assert_eq!(
        ContainerBuilder::text("q")
            .poll(["a", "b", "c", "d", "e"])
            .build()
            .unwrap_err(),
        ValidationError::PollOptionCount(5)
    );
    assert!(matches!(
        ContainerBuilder::text("q")
            .poll(["a", &"b".repeat(26)])
            .build(),
        Err(ValidationError::PollOptionLength {
            index: 1,
            len: 26,
            ..
        })
    ));
    assert!(matches!(
        ContainerBuilder::text("q").poll(["", "b"]).build(),
        Err(ValidationError::PollOptionLength {
            index: 0,
            len: 0,
            ..
        })
    ));
    assert!(matches!(
        ContainerBuilder::image("https://e.com/i.jpg")
            .poll(["a", "b"])
            .build(),
        Err(ValidationError::NotAllowedFor {
            param: "poll_attachment",
            media_type: "IMAGE"
        })
    ));
}

#[test]
fn text_only_parameters_are_refused_elsewhere() {
    assert!(matches!(
        ContainerBuilder::video("https://e.com/v.mp4")
            .link_attachment("https://e.com")
            .build(),
        Err(ValidationError::NotAllowedFor {
            param: "link_attachment",
            ..
        })
    ));
    assert!(matches!(
        ContainerBuilder::image("https://e.com/i.jpg")
            .auto_publish_text()
            .build(),
        Err(ValidationError::NotAllowedFor {
            param: "auto_publish_text",
            ..
        })
    ));
    assert!(matches!(
        ContainerBuilder::text("hi").alt_text("no image").build(),
        Err(ValidationError::NotAllowedFor {
            param: "alt_text",
            ..
        })
    ));
}

#[test]
fn alt_text_is_capped_at_1000() {
    let img = || ContainerBuilder::image("https://e.com/i.jpg");
    assert!(img().alt_text("x".repeat(1000)).build().is_ok());
    assert_eq!(
        img().alt_text("x".repeat(1001)).build().unwrap_err(),
        ValidationError::AltTextTooLong {
            len: 1001,
            max: 1000
        }
    );
}

#[test]
fn media_urls_and_country_codes_are_checked() {
    assert!(matches!(
        ContainerBuilder::image("not a url").build(),
        Err(ValidationError::BadUrl { param: "image_url" })
    ));
    assert!(matches!(
        ContainerBuilder::text("hi").allowlisted_countries(["USA"]).build(),
        Err(ValidationError::BadCountryCode(c)) if c == "USA"
    ));
}

#[test]
fn every_documented_parameter_is_sent() {
    let c = ContainerBuilder::text("Hello https://a.com")
        .reply_control(ReplyControl::MentionedOnly)
        .reply_to(MediaId::from("11"))
        .quote(MediaId::from("22"))
        .topic_tag("Greetings")
        .link_attachment("https://a.com")
        .poll(["Yes", "No"])
        .auto_publish_text()
        .allowlisted_countries(["us", "CA"])
        .location(threads_api::LocationId::from("77"))
        .build()
        .unwrap();
    let keys: Vec<_> = c.params().iter().map(|(k, _)| *k).collect();
    assert_eq!(
        keys,
        [
            "media_type",
            "text",
            "reply_to_id",
            "reply_control",
            "quote_post_id",
            "link_attachment",
            "topic_tag",
            "poll_attachment",
            "auto_publish_text",
            "allowlisted_country_codes",
            "location_id"
        ]
    );
    assert_eq!(c.param("reply_control"), Some("mentioned_only"));
    assert_eq!(c.param("allowlisted_country_codes"), Some("US,CA"));
    assert!(c.auto_publishes());
    let item = ContainerBuilder::video("https://e.com/v.mp4")
        .carousel_item()
        .alt_text("clip")
        .build()
        .unwrap();
    assert_eq!(item.param("is_carousel_item"), Some("true"));
    assert_eq!(item.param("video_url"), Some("https://e.com/v.mp4"));
}

proptest! {
    #[test]
    fn any_text_of_at_most_500_plain_chars_is_accepted(text in "[a-zA-Z0-9 éßñ中文]{1,500}") {
        prop_assume!(!text.trim().is_empty());
        prop_assert!(ContainerBuilder::text(text).build().is_ok());
    }

    #[test]
    fn any_text_over_500_plain_chars_is_rejected(text in "[a-zA-Z0-9 éßñ中文]{501,700}") {
        let len = text.chars().count();
        prop_assert_eq!(
            ContainerBuilder::text(text).build().unwrap_err(),
            ValidationError::TextTooLong { len, max: 500 }
        );
    }

    #[test]
    fn the_builder_never_panics(
        text in any::<String>(),
        tag in proptest::option::of(any::<String>()),
        alt in proptest::option::of(any::<String>()),
        link in proptest::option::of(any::<String>()),
        poll in proptest::option::of(proptest::collection::vec(any::<String>(), 0..6)),
        children in 0usize..25,
        kind in 0u8..4,
    ) {
        let builder = match kind {
            0 => ContainerBuilder::text(text),
            1 => ContainerBuilder::image(text),
            2 => ContainerBuilder::video(text),
            _ => ContainerBuilder::carousel(ids(children)).caption(text),
        };
        let builder = match tag { Some(t) => builder.topic_tag(t), None => builder };
        let builder = match alt { Some(a) => builder.alt_text(a), None => builder };
        let builder = match link { Some(l) => builder.link_attachment(l), None => builder };
        let builder = match poll { Some(p) => builder.poll(p), None => builder };
        let _ = builder.build();
    }

    #[test]
    fn accepted_containers_respect_every_limit(text in "\\PC{0,600}", tag in "\\PC{0,60}") {
        if let Ok(c) = ContainerBuilder::text(text.clone()).topic_tag(tag.clone()).build() {
            prop_assert!(threads_api::validation::threads_len(&text) <= 500);
            prop_assert!(!tag.contains('.') && !tag.contains('&'));
            prop_assert_eq!(c.param("topic_tag"), Some(tag.as_str()));
        }
    }
}
