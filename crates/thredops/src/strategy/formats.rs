//! Formats and text lengths that over- or under-perform. Formats are compared within comparable
//! length (see [`super::adjust`]): image captions are short by nature, so a creator whose short
//! posts do well would otherwise be told to post more images.

use serde_json::json;

use super::adjust::{Adjusted, Controls};
use super::analysis::{MIN_GROUP, Recommendation, Scored, comparison_json, effect_text, split};
use super::multiple::Gate;
use super::stats::{self, median, round};

/// Formats that over- or under-perform, adjusted for length and the age of the post.
pub fn formats(scored: &[Scored<'_>], as_of: i64, gate: &Gate) -> Recommendation {
    let by_length = Controls {
        length: true,
        format: false,
    };
    let adjusted = Adjusted::new(scored, by_length, as_of, |s| s.rel);
    const FORMATS: [&str; 5] = ["TEXT", "IMAGE", "VIDEO", "CAROUSEL", "QUOTE"];
    let text: Vec<f64> = scored
        .iter()
        .filter(|s| s.post.format() == "TEXT")
        .map(|s| s.rel)
        .collect();
    let mut rows = Vec::new();
    let mut tested = Vec::new();
    for f in FORMATS {
        let group: Vec<&Scored<'_>> = scored.iter().filter(|s| s.post.format() == f).collect();
        if group.is_empty() {
            continue;
        }
        let eng: Vec<f64> = group
            .iter()
            .map(|s| s.post.engagements().unwrap_or(0) as f64)
            .collect();
        let raw = split(scored, |s| s.post.format() == f);
        let vs_rest = gate.tested(
            adjusted
                .as_ref()
                .and_then(|a| a.compare(scored, |s| s.post.format() == f)),
        );
        let rel: Vec<f64> = group.iter().map(|s| s.rel).collect();
        let vs_text = (f != "TEXT" && rel.len() >= MIN_GROUP && text.len() >= MIN_GROUP)
            .then(|| stats::welch(&rel, &text))
            .flatten();
        rows.push(json!({"format": f, "posts": group.len(),
            "share_of_posts": round(group.len() as f64 / scored.len().max(1) as f64, 3),
            "median_engagements": median(&eng),
            "vs_rest": vs_rest.map(|c| comparison_json(&c, gate)),
            "unadjusted_lift": raw.map(|c| c.lift),
            "lift_vs_text": vs_text.map(|c| c.lift)}));
        if let Some(c) = vs_rest {
            tested.push((f, c));
        }
    }
    if tested.is_empty() {
        return Recommendation::not_enough(
            "formats",
            "Formats",
            format!("Each format needs at least {MIN_GROUP} posts with settled metrics."),
            scored.len(),
        );
    }
    let best = tested
        .iter()
        .max_by(|a, b| a.1.lift.total_cmp(&b.1.lift))
        .copied();
    let worst = tested
        .iter()
        .min_by(|a, b| a.1.lift.total_cmp(&b.1.lift))
        .copied();
    let good = best.filter(|(_, c)| c.lift > 1.0 && gate.passes(c.p_value));
    // Each format is compared with the rest, so next to a clear winner every other format looks
    // worse only because the winner sits in its "rest": a loser is claimed only without one.
    let bad = worst.filter(|(_, c)| good.is_none() && c.lift < 1.0 && gate.passes(c.p_value));
    let (status, title, detail, conf, effect) = match (good, bad) {
        (Some((f, c)), bad) => (
            "advice",
            format!("Post more {}", f.to_lowercase()),
            format!(
                "{} {f} posts got {} at comparable length{}",
                c.n_a,
                effect_text(&c),
                bad.map(|(b, bc)| format!(
                    "; {b} posts got only {:.1}x, so use them less.",
                    bc.lift
                ))
                .unwrap_or_else(|| ".".into())
            ),
            Some(gate.confidence(c.p_value)),
            Some(effect_text(&c)),
        ),
        (None, Some((f, c))) => (
            "advice",
            format!("Use fewer {} posts", f.to_lowercase()),
            format!(
                "{} {f} posts got only {} at comparable length.",
                c.n_a,
                effect_text(&c)
            ),
            Some(gate.confidence(c.p_value)),
            None,
        ),
        _ => (
            "no_effect",
            "No format clearly beats the others".to_owned(),
            "Compared at comparable length, the differences between formats are within what chance produces with this many posts."
                .to_owned(),
            Some("not significant"),
            None,
        ),
    };
    Recommendation {
        key: "formats",
        status,
        title,
        detail,
        sample_size: scored.len(),
        confidence: conf,
        expected_effect: effect,
        evidence: json!({"formats": rows, "best": good.map(|g| g.0), "worst": bad.map(|b| b.0)}),
        experiment: good.map(|(f, _)| {
            json!({"kind": "format", "value": f, "days": 14,
            "title": format!("Two weeks of {} posts", f.to_lowercase())})
        }),
    }
}

/// Text length buckets of text posts (media posts are left out: their captions are shorter by
/// nature, which would mix the format effect into the length effect; quotes are told apart
/// from plain text by a covariate).
pub fn lengths(scored: &[Scored<'_>], as_of: i64, gate: &Gate) -> Recommendation {
    const BUCKETS: [(&str, i64, i64); 4] = [
        ("short (under 80 characters)", 0, 80),
        ("medium (80-199)", 80, 200),
        ("long (200-349)", 200, 350),
        ("very long (350+)", 350, i64::MAX),
    ];
    let texts: Vec<Scored<'_>> = scored
        .iter()
        .filter(|s| matches!(s.post.format(), "TEXT" | "QUOTE"))
        .cloned()
        .collect();
    let by_format = Controls {
        length: false,
        format: true,
    };
    let adjusted = Adjusted::new(&texts, by_format, as_of, |s| s.rel);
    let mut rows = Vec::new();
    let mut tested = Vec::new();
    for (name, lo, hi) in BUCKETS {
        let inside = |s: &Scored<'_>| s.post.text_len >= lo && s.post.text_len < hi;
        let c = gate.tested(adjusted.as_ref().and_then(|a| a.compare(&texts, inside)));
        rows.push(
            json!({"bucket": name, "posts": texts.iter().filter(|s| inside(s)).count(),
            "vs_rest": c.map(|c| comparison_json(&c, gate))}),
        );
        if let Some(c) = c {
            tested.push((name, c));
        }
    }
    // The trend over length: per 100 characters more. A steady effect ("shorter is better")
    // shows here even when the bucket that wins against the rest is a middle one by chance.
    let trend = gate.tested(
        adjusted
            .as_ref()
            .and_then(|a| a.slope(&texts, |s| s.post.text_len.min(1_000) as f64 / 100.0)),
    );
    let best = tested
        .iter()
        .filter(|(_, c)| c.lift > 1.0 && gate.passes(c.p_value))
        .max_by(|a, b| a.1.lift.total_cmp(&b.1.lift));
    if let Some(t) = trend.filter(|t| gate.passes(t.p_value)) {
        let (direction, per_100) = if t.lift < 1.0 {
            ("shorter", 1.0 / t.lift)
        } else {
            ("longer", t.lift)
        };
        let effect = format!(
            "about {per_100:.2}x the engagement per 100 characters {}",
            if direction == "shorter" {
                "fewer"
            } else {
                "more"
            }
        );
        return Recommendation {
            key: "length",
            status: "advice",
            title: format!("Write {direction} text posts"),
            detail: format!(
                "Across {} text posts, each 100 characters {} went with {per_100:.2}x the engagement (95% CI {:.2}-{:.2}x){}.",
                texts.len(),
                if direction == "shorter" {
                    "fewer"
                } else {
                    "more"
                },
                if direction == "shorter" {
                    1.0 / t.ci_high
                } else {
                    t.ci_low
                },
                if direction == "shorter" {
                    1.0 / t.ci_low
                } else {
                    t.ci_high
                },
                best.map(|(name, c)| format!("; {name} posts did best at {:.1}x", c.lift))
                    .unwrap_or_default()
            ),
            sample_size: texts.len(),
            confidence: Some(gate.confidence(t.p_value)),
            expected_effect: Some(effect),
            evidence: json!({"buckets": rows, "direction": direction, "best": best.map(|b| b.0),
                "trend_per_100_chars": comparison_json(&t, gate)}),
            experiment: None,
        };
    }
    match best {
        None if tested.is_empty() => Recommendation::not_enough(
            "length",
            "Post length",
            format!("Each length needs at least {MIN_GROUP} text posts with settled metrics."),
            texts.len(),
        ),
        None => Recommendation {
            key: "length",
            status: "no_effect",
            title: "Length does not change much for you".into(),
            detail:
                "Short and long text posts perform about the same; write as long as the idea needs."
                    .into(),
            sample_size: texts.len(),
            confidence: Some("not significant"),
            expected_effect: None,
            evidence: json!({"buckets": rows, "trend_per_100_chars": trend.map(|t| comparison_json(&t, gate))}),
            experiment: None,
        },
        Some((name, c)) => Recommendation {
            key: "length",
            status: "advice",
            title: format!("Write {name} text posts"),
            detail: format!("{} {name} text posts got {}.", c.n_a, effect_text(c)),
            sample_size: texts.len(),
            confidence: Some(gate.confidence(c.p_value)),
            expected_effect: Some(effect_text(c)),
            evidence: json!({"buckets": rows, "best": name, "direction": null,
                "trend_per_100_chars": trend.map(|t| comparison_json(&t, gate))}),
            experiment: None,
        },
    }
}
