//! What the posts are about and how they invite replies: topic tags, keywords, conversation
//! starters, questions and links. Every group is compared within comparable length and format
//! (see [`super::adjust`]): links only sit in text posts, and text posts are longer than captions,
//! so a raw comparison would credit a link with a length or format effect.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::adjust::{Adjusted, Controls};
use super::analysis::{MIN_GROUP, Recommendation, Scored, comparison_json, effect_text};
use super::multiple::Gate;
use super::stats::{Comparison, median};

const BOTH: Controls = Controls {
    length: true,
    format: true,
};

/// The fit every content comparison of a report is made against.
pub struct Content<'s, 'a> {
    scored: &'s [Scored<'a>],
    engagement: Option<Adjusted>,
    replies: Option<Adjusted>,
}

impl<'s, 'a> Content<'s, 'a> {
    /// Fits length, format and age once for engagement and for replies.
    pub fn new(scored: &'s [Scored<'a>], as_of: i64) -> Self {
        Content {
            scored,
            engagement: Adjusted::new(scored, BOTH, as_of, |s| s.rel),
            replies: Adjusted::new(scored, BOTH, as_of, |s| s.rel_replies),
        }
    }

    fn split(&self, gate: &Gate, pick: impl Fn(&Scored<'_>) -> bool) -> Option<Comparison> {
        gate.tested(
            self.engagement
                .as_ref()
                .and_then(|a| a.compare(self.scored, pick)),
        )
    }
}

/// A keyword must appear in at least this many posts to be judged.
const MIN_KEYWORD_POSTS: usize = 15;

fn grouped(
    key: &'static str,
    what: &str,
    scored: &[Scored<'_>],
    labels: Vec<(String, Option<Comparison>, usize)>,
    gate: &Gate,
) -> Recommendation {
    let tests = labels.iter().filter(|l| l.1.is_some()).count();
    let rows: Vec<Value> = labels
        .iter()
        .map(|(l, c, n)| json!({"label": l, "posts": n, "vs_rest": c.map(|c| comparison_json(&c, gate))}))
        .collect();
    if tests == 0 {
        return Recommendation::not_enough(
            key,
            &format!("{what} that work"),
            format!(
                "Each {} needs at least {MIN_GROUP} posts with settled metrics.",
                what.to_lowercase().trim_end_matches('s')
            ),
            scored.len(),
        );
    }
    let winners: Vec<&(String, Option<Comparison>, usize)> = labels
        .iter()
        .filter(|(_, c, _)| c.is_some_and(|c| c.lift > 1.0 && gate.passes(c.p_value)))
        .collect();
    let losers: Vec<&str> = labels
        .iter()
        .filter(|(_, c, _)| c.is_some_and(|c| c.lift < 1.0 && gate.passes(c.p_value)))
        .map(|(l, _, _)| l.as_str())
        .collect();
    let best = winners.iter().max_by(|a, b| {
        a.1.map_or(0.0, |c| c.lift)
            .total_cmp(&b.1.map_or(0.0, |c| c.lift))
    });
    match best {
        Some((label, Some(c), _)) => Recommendation {
            key,
            status: "advice",
            title: format!("Lean into \"{label}\""),
            detail: format!(
                "{} posts with \"{label}\" got {}.{}",
                c.n_a,
                effect_text(c),
                if losers.is_empty() {
                    String::new()
                } else {
                    format!(" Weaker: {}.", losers.join(", "))
                }
            ),
            sample_size: scored.len(),
            confidence: Some(gate.confidence(c.p_value)),
            expected_effect: Some(effect_text(c)),
            evidence: json!({"items": rows, "winners": winners.iter().map(|w| &w.0).collect::<Vec<_>>(), "weaker": losers}),
            experiment: (key == "topics").then(|| {
                json!({"kind": "topic", "value": label, "days": 14,
                "title": format!("Two weeks tagging posts \"{label}\"")})
            }),
        },
        _ => Recommendation {
            key,
            status: "no_effect",
            title: format!(
                "No {} clearly stands out",
                what.to_lowercase().trim_end_matches('s')
            ),
            detail: format!(
                "Across {tests} {} tested, none performs better than chance would explain.",
                what.to_lowercase()
            ),
            sample_size: scored.len(),
            confidence: Some("not significant"),
            expected_effect: None,
            evidence: json!({"items": rows, "weaker": losers}),
            experiment: None,
        },
    }
}

/// Topic tags that over- or under-perform.
pub fn topics(content: &Content<'_, '_>, gate: &Gate) -> Recommendation {
    let scored = content.scored;
    let mut tags: BTreeMap<String, usize> = BTreeMap::new();
    for s in scored {
        if let Some(t) = &s.post.topic {
            *tags.entry(t.clone()).or_default() += 1;
        }
    }
    let labels = tags
        .into_iter()
        .map(|(t, n)| {
            let c = content.split(gate, |s| s.post.topic.as_deref() == Some(t.as_str()));
            (t, c, n)
        })
        .collect();
    grouped("topics", "Topic tags", scored, labels, gate)
}

/// Words in the text that go with better or worse posts.
pub fn keywords(content: &Content<'_, '_>, gate: &Gate) -> Recommendation {
    let scored = content.scored;
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in scored {
        for w in &s.post.words {
            *counts.entry(w.as_str()).or_default() += 1;
        }
    }
    // Words in most posts carry no signal (and would leave too few posts to compare against).
    let cap = scored.len() * 6 / 10;
    let labels = counts
        .into_iter()
        .filter(|(_, n)| *n >= MIN_KEYWORD_POSTS && *n <= cap)
        .map(|(w, n)| {
            let c = content.split(gate, |s| s.post.words.iter().any(|x| x == w));
            (w.to_owned(), c, n)
        })
        .collect();
    grouped("keywords", "Keywords", scored, labels, gate)
}

/// Posts that start conversations, and whether questions bring replies.
pub fn conversation(content: &Content<'_, '_>, gate: &Gate) -> Recommendation {
    let scored = content.scored;
    let replies: Vec<f64> = scored
        .iter()
        .map(|s| s.post.replies().unwrap_or(0) as f64)
        .collect();
    let views: i64 = scored.iter().map(|s| s.post.views().unwrap_or(0)).sum();
    let total: i64 = replies.iter().sum::<f64>() as i64;
    let mut top: Vec<&Scored<'_>> = scored.iter().collect();
    top.sort_by(|a, b| {
        b.post
            .replies()
            .cmp(&a.post.replies())
            .then(a.post.media_id.cmp(&b.post.media_id))
    });
    let starters: Vec<Value> = top
        .iter()
        .take(5)
        .map(|s| json!({"media_id": s.post.media_id, "replies": s.post.replies(), "format": s.post.format(),
                        "posted_at": s.post.posted_at, "asks_question": s.post.has_question,
                        "snippet": s.post.snippet, "permalink": s.post.permalink}))
        .collect();
    let q = gate.tested(
        content
            .replies
            .as_ref()
            .and_then(|a| a.compare(scored, |s| s.post.has_question)),
    );
    let per_1000 = if views > 0 {
        total as f64 * 1000.0 / views as f64
    } else {
        0.0
    };
    let evidence = json!({"median_replies": median(&replies), "replies_per_1000_views": super::stats::round(per_1000, 2),
        "total_replies": total, "starters": starters, "questions_vs_statements": q.map(|c| comparison_json(&c, gate))});
    match q {
        Some(c) if c.lift > 1.0 && gate.passes(c.p_value) => Recommendation {
            key: "conversation",
            status: "advice",
            title: "End more posts with a question".into(),
            detail: format!(
                "{} posts that ask a question got {:.1}x the replies of posts that do not (95% CI {:.1}-{:.1}x).",
                c.n_a, c.lift, c.ci_low, c.ci_high
            ),
            sample_size: scored.len(),
            confidence: Some(gate.confidence(c.p_value)),
            expected_effect: Some(format!("about {:.1}x the replies", c.lift)),
            evidence,
            experiment: Some(
                json!({"kind": "question", "value": "yes", "days": 14, "title": "Two weeks ending every post with a question"}),
            ),
        },
        Some(c) => Recommendation {
            key: "conversation",
            status: "no_effect",
            title: "Your conversation starters".into(),
            detail: format!(
                "Questions do not bring clearly more replies here ({:.1}x, {}). Your top posts by replies are listed as models.",
                c.lift,
                gate.confidence(c.p_value)
            ),
            sample_size: scored.len(),
            confidence: Some(gate.confidence(c.p_value)),
            expected_effect: None,
            evidence,
            experiment: None,
        },
        None => Recommendation::not_enough(
            "conversation",
            "Conversation starters",
            format!("Comparing questions needs {MIN_GROUP} posts with and without one."),
            scored.len(),
        ),
    }
}

/// Whether posts with links do better or worse than posts of the same format and length.
pub fn links(content: &Content<'_, '_>, gate: &Gate) -> Recommendation {
    let scored = content.scored;
    match content.split(gate, |s| s.post.link_count > 0) {
        None => Recommendation::not_enough(
            "links",
            "Links",
            format!("Comparing links needs {MIN_GROUP} posts with and without one."),
            scored.len(),
        ),
        Some(c) => {
            let sig = gate.passes(c.p_value);
            let (status, title) = match (sig, c.lift < 1.0) {
                (true, true) => (
                    "advice",
                    "Move links out of the post (reply with them instead)".to_owned(),
                ),
                (true, false) => ("advice", "Links work for you: keep sharing them".to_owned()),
                _ => ("no_effect", "Links neither help nor hurt".to_owned()),
            };
            Recommendation {
                key: "links",
                status,
                title,
                detail: format!(
                    "{} posts with a link got {:.1}x the engagement of posts of the same format and length without one (95% CI {:.1}-{:.1}x).",
                    c.n_a, c.lift, c.ci_low, c.ci_high
                ),
                sample_size: c.n_a + c.n_b,
                confidence: Some(gate.confidence(c.p_value)),
                expected_effect: (sig && c.lift < 1.0)
                    .then(|| format!("about {:.1}x the engagement without the link", 1.0 / c.lift)),
                evidence: json!({"comparison": comparison_json(&c, gate)}),
                experiment: None,
            }
        }
    }
}
