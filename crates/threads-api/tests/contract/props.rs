//! Property: whatever valid container the builder accepts, the sandbox accepts too; whatever
//! the builder rejects is never sent, and when it is rejected for its text length or link count
//! the sandbox, given the same raw parameters, refuses it as well (both count the same way).
//!
//! One sandbox serves every case of a test; the case count is kept modest so the suite is fast.

use std::cell::Cell;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};
use threads_api::{
    ContainerBuilder, ContainerId, Created, MediaId, ReplyControl, Session, ThreadsClient,
    ValidationError,
};
use threads_sandbox::tokens::ALL_SCOPES;

use crate::helpers::{Harness, spawn};

const CASES: u32 = 64;

/// Characters of every width class: ASCII, accented and CJK (1 each), BMP emoji (3), emoji
/// outside the BMP (4) and joiners (3).
const ALPHABET: &[char] = &[
    'a', 'b', 'Z', '7', '_', '-', '!', '#', '@', 'é', 'ß', '日', '本', '😀', '🚀', '👍', '☀', '⭐',
    '➡', '©', '\u{FE0F}', '\u{200D}',
];

fn word(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(prop::sample::select(ALPHABET), 1..=max)
        .prop_map(|chars| chars.into_iter().collect())
}

/// A link in one of the forms people write, sometimes followed by punctuation.
fn link() -> impl Strategy<Value = String> {
    (
        0..4usize,
        0..3u32,
        prop::sample::select(vec!["", ".", ",", ")", ";", "!"]),
    )
        .prop_map(|(form, n, punct)| {
            let url = match form {
                0 => format!("https://example.com/p{n}"),
                1 => format!("HTTPS://Example.COM/p{n}"),
                2 => format!("www.example.org/Doc{n}"),
                _ => format!("http://example.net/a?q={n}"),
            };
            format!("{url}{punct}")
        })
}

#[derive(Debug, Clone)]
enum Kind {
    Text {
        poll: Option<Vec<String>>,
        attachment: Option<String>,
        quote: bool,
        reply: bool,
    },
    Image {
        alt: Option<String>,
    },
    Video {
        alt: Option<String>,
    },
    Carousel(usize),
}

#[derive(Debug, Clone)]
struct Input {
    kind: Kind,
    words: Vec<String>,
    links: Vec<String>,
    topic: Option<String>,
    reply_control: Option<ReplyControl>,
}

fn reply_control() -> impl Strategy<Value = Option<ReplyControl>> {
    prop::option::of(prop::sample::select(vec![
        ReplyControl::Everyone,
        ReplyControl::AccountsYouFollow,
        ReplyControl::MentionedOnly,
        ReplyControl::ParentPostAuthorOnly,
        ReplyControl::FollowersOnly,
    ]))
}

fn kind() -> impl Strategy<Value = Kind> {
    let alt = || prop::option::of(word(40).prop_map(|w| w.repeat(3)));
    prop_oneof![
        4 => (
            prop::option::of(prop::collection::vec(word(8), 1..=5)),
            prop::option::of(link()),
            any::<bool>(),
            any::<bool>(),
        )
            .prop_map(|(poll, attachment, quote, reply)| Kind::Text {
                poll,
                attachment: attachment.map(|l| l.trim_end_matches([',', ')', ';', '!', '.']).to_owned()),
                quote,
                reply,
            }),
        1 => alt().prop_map(|alt| Kind::Image { alt }),
        1 => alt().prop_map(|alt| Kind::Video { alt }),
        1 => (1..=21usize).prop_map(Kind::Carousel),
    ]
}

fn input() -> impl Strategy<Value = Input> {
    (
        kind(),
        prop::collection::vec(word(14), 0..40),
        prop::collection::vec(link(), 0..=6),
        prop::option::of(word(30)),
        reply_control(),
    )
        .prop_map(|(kind, words, links, topic, reply_control)| Input {
            kind,
            words,
            links,
            topic,
            reply_control,
        })
}

/// Ids the inputs refer to: carousel items, a post to quote, a post to reply to.
struct Fixtures {
    items: Vec<ContainerId>,
    post: MediaId,
}

impl Input {
    fn text(&self) -> String {
        let mut parts = self.words.clone();
        for (i, l) in self.links.iter().enumerate() {
            let at = (i * 7).min(parts.len());
            parts.insert(at, l.clone());
        }
        parts.join(" ")
    }

    fn builder(&self, fx: &Fixtures) -> ContainerBuilder {
        let text = self.text();
        let mut b = match &self.kind {
            Kind::Text {
                poll,
                attachment,
                quote,
                reply,
            } => {
                let mut b = ContainerBuilder::text(text);
                if let Some(options) = poll {
                    b = b.poll(options.clone());
                }
                if let Some(a) = attachment {
                    b = b.link_attachment(a.clone());
                }
                if *quote {
                    b = b.quote(fx.post.clone());
                }
                if *reply {
                    b = b.reply_to(fx.post.clone());
                }
                b
            }
            Kind::Image { alt } | Kind::Video { alt } => {
                let mut b = if matches!(self.kind, Kind::Image { .. }) {
                    ContainerBuilder::image("https://cdn.example.org/photo.jpg")
                } else {
                    ContainerBuilder::video("https://cdn.example.org/clip.mp4")
                };
                if !text.is_empty() {
                    b = b.caption(text);
                }
                if let Some(alt) = alt {
                    b = b.alt_text(alt.clone());
                }
                b
            }
            Kind::Carousel(n) => {
                let mut b = ContainerBuilder::carousel(fx.items.iter().cycle().take(*n).cloned());
                if !text.is_empty() {
                    b = b.caption(text);
                }
                b
            }
        };
        if let Some(tag) = &self.topic {
            b = b.topic_tag(tag.clone());
        }
        if let Some(rc) = &self.reply_control {
            b = b.reply_control(rc.clone());
        }
        b
    }
}

struct Bench {
    rt: tokio::runtime::Runtime,
    h: Harness,
    client: ThreadsClient,
    session: Session,
    token: String,
    fixtures: Fixtures,
}

/// One sandbox for all cases, on a runtime that keeps serving between cases.
fn bench() -> Bench {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (h, client, session, token, fixtures) = rt.block_on(async {
        let h = spawn().await;
        let client = h.client();
        let user = h.creator(2);
        let token = h.sandbox.mint_token(user, ALL_SCOPES);
        let session = client.session(threads_api::AccessToken::new(token.clone()));
        let mut items = Vec::new();
        for i in 0..20 {
            let item = ContainerBuilder::image(format!("https://cdn.example.org/{i}.jpg"))
                .carousel_item()
                .build()
                .unwrap();
            match session.create_container(&item).await.unwrap() {
                Created::Container(id) => items.push(id),
                Created::Published(_) => unreachable!(),
            }
        }
        let post = crate::helpers::all_posts(&session)
            .await
            .into_iter()
            .find(|p| p.media_type == Some(threads_api::MediaType::TextPost))
            .unwrap()
            .id;
        (h, client, session, token, Fixtures { items, post })
    });
    Bench {
        rt,
        h,
        client,
        session,
        token,
        fixtures,
    }
}

/// A runner with a fixed seed, so every run tries the same cases.
fn runner() -> TestRunner {
    let config = Config {
        cases: CASES,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

#[test]
fn every_container_the_builder_accepts_is_accepted_by_the_sandbox() {
    let b = bench();
    let accepted = Cell::new(0);
    runner()
        .run(&input(), |input| {
            let built = input.builder(&b.fixtures).build();
            let before = b.client.calls_made();
            match built {
                Ok(container) => {
                    let answer = b.rt.block_on(b.session.create_container(&container));
                    prop_assert!(
                        answer.is_ok(),
                        "the sandbox refused {:?}: {:?}",
                        container.params(),
                        answer.err()
                    );
                    accepted.set(accepted.get() + 1);
                }
                Err(_) => prop_assert_eq!(b.client.calls_made(), before, "rejected, never sent"),
            }
            Ok(())
        })
        .unwrap();
    let accepted = accepted.get();
    assert!(
        accepted >= CASES / 4,
        "only {accepted} valid inputs generated"
    );
}

/// Posts raw TEXT parameters to the sandbox; true when it accepts them.
fn sandbox_accepts(b: &Bench, text: &str, attachment: Option<&str>) -> bool {
    let mut form = vec![
        ("media_type", "TEXT"),
        ("text", text),
        ("access_token", b.token.as_str()),
    ];
    if let Some(a) = attachment {
        form.push(("link_attachment", a));
    }
    b.rt.block_on(async {
        b.h.http
            .post(format!("{}/v1.0/me/threads", b.h.base))
            .form(&form)
            .send()
            .await
            .unwrap()
            .status()
            .is_success()
    })
}

#[test]
fn text_length_and_link_count_agree_exactly_with_the_sandbox() {
    let b = bench();
    let strategy = (
        // Short texts reach the link check; long ones the length check.
        prop_oneof![
            prop::collection::vec(word(14), 1..12),
            prop::collection::vec(word(14), 30..80),
        ],
        prop::collection::vec(link(), 0..=7),
        prop::option::of(link()),
    );
    let (long, linky) = (Cell::new(0), Cell::new(0));
    runner()
        .run(&strategy, |(words, links, attachment)| {
            let attachment =
                attachment.map(|l| l.trim_end_matches([',', ')', ';', '!', '.']).to_owned());
            let input = Input {
                kind: Kind::Text {
                    poll: None,
                    attachment: attachment.clone(),
                    quote: false,
                    reply: false,
                },
                words,
                links,
                topic: None,
                reply_control: None,
            };
            let text = input.text();
            let verdict = input.builder(&b.fixtures).build();
            let accepted = sandbox_accepts(&b, &text, attachment.as_deref());
            match verdict {
                Ok(_) => prop_assert!(accepted, "sandbox refused what the builder accepts"),
                Err(ValidationError::TextTooLong { .. }) => {
                    long.set(long.get() + 1);
                    prop_assert!(!accepted, "sandbox took text the builder finds too long");
                }
                Err(ValidationError::TooManyLinks { .. }) => {
                    linky.set(linky.get() + 1);
                    prop_assert!(!accepted, "sandbox took links the builder counts as > 5");
                }
                Err(other) => return Err(TestCaseError::reject(other.to_string())),
            }
            Ok(())
        })
        .unwrap();
    let (long, linky) = (long.get(), linky.get());
    assert!(
        long > 0 && linky > 0,
        "too long: {long}, too many links: {linky}"
    );
}
