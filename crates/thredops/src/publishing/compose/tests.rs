use super::*;

fn text(t: &str) -> Composition {
    Composition {
        parts: vec![Part {
            text: t.into(),
            ..Part::default()
        }],
        ..Composition::default()
    }
}

fn image(_: &str) -> Option<MediaFacts> {
    Some(MediaFacts {
        kind: crate::publishing::media::MediaKind::Image,
    })
}

fn problems(c: &Composition) -> BTreeMap<String, String> {
    preflight(c, &image).problems
}

#[test]
fn a_plain_post_passes_and_is_counted_like_threads() {
    let p = preflight(&text("Hello 😀 https://a.com"), &image);
    assert!(p.ok(), "{:?}", p.problems);
    assert_eq!(p.counts[0].length, 6 + 4 + 1 + 13);
    assert_eq!(p.counts[0].links, 1);
}

#[test]
fn each_rule_breach_names_its_field() {
    let long = problems(&text(&"a".repeat(501)));
    assert!(long["parts[0].text"].contains("Remove 1 characters"));
    let links = problems(&text(
        "https://a.com https://b.com https://c.com https://d.com https://e.com https://f.com",
    ));
    assert!(links["parts[0].text"].contains("at most 5 different links"));
    let mut tagged = text("hi");
    tagged.topic_tag = Some("R&D".into());
    assert!(problems(&tagged)["topic_tag"].contains("\"&\""));
    tagged.topic_tag = Some("a.b".into());
    assert!(problems(&tagged)["topic_tag"].contains("\".\""));
    let mut poll = text("Which?");
    poll.parts[0].poll_options = Some(vec!["only one".into()]);
    assert!(problems(&poll)["parts[0].poll_options"].contains("2 to 4 options"));
    poll.parts[0].poll_options = Some(vec!["a".into(), "x".repeat(26)]);
    assert!(problems(&poll)["parts[0].poll_options"].contains("Poll option 2 is 26"));
    let mut carousel = text("album");
    carousel.parts[0].media = (0..21)
        .map(|n| MediaItem {
            id: n.to_string().into(),
            alt_text: None,
        })
        .collect();
    assert!(problems(&carousel)["parts[0].media"].contains("2 to 20"));
    let mut rc = text("hi");
    rc.reply_control = Some("nobody".into());
    assert!(problems(&rc).contains_key("reply_control"));
}

#[test]
fn chains_need_text_in_every_part_and_unknown_uploads_are_reported() {
    let mut chain = text("first");
    chain.parts.push(Part::default());
    assert!(problems(&chain)["parts[1].text"].contains("Post 2 of the chain is empty"));
    let mut missing = text("pic");
    missing.parts[0].media.push(MediaItem {
        id: "gone".into(),
        alt_text: None,
    });
    let p = preflight(&missing, &|_| None);
    assert!(p.problems["parts[0].media[0]"].contains("Upload the file again"));
}

#[test]
fn kinds_are_labelled_for_the_calendar() {
    let mut c = text("x");
    assert_eq!(kind_of(&c, &image).to_string(), "text");
    c.parts.push(Part {
        text: "y".into(),
        ..Part::default()
    });
    assert_eq!(kind_of(&c, &image).to_string(), "text chain");
}
