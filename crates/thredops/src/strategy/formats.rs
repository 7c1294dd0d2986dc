//! Formats and text lengths that over- or under-perform.

use serde_json::json;

use super::analysis::{MIN_GROUP, Recommendation, Scored, comparison_json, effect_text, split};
use super::stats::{self, confidence, is_significant, median, round};

/// Formats that over- or under-perform, and text lengths.
pub fn formats(scored: &[Scored<'_>]) -> Recommendation {
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
        let vs_rest = split(scored, |s| s.post.format() == f);
        let rel: Vec<f64> = group.iter().map(|s| s.rel).collect();
        let vs_text = (f != "TEXT" && rel.len() >= MIN_GROUP && text.len() >= MIN_GROUP)
            .then(|| stats::welch(&rel, &text))
            .flatten();
        rows.push(json!({"format": f, "posts": group.len(),
            "share_of_posts": round(group.len() as f64 / scored.len().max(1) as f64, 3),
            "median_engagements": median(&eng),
            "vs_rest": vs_rest.map(|c| comparison_json(&c, FORMATS.len())),
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
    let n = FORMATS.len();
    let good = best.filter(|(_, c)| c.lift > 1.0 && is_significant(c.p_value, n));
    let bad = worst.filter(|(_, c)| c.lift < 1.0 && is_significant(c.p_value, n));
    let (status, title, detail, conf, effect) = match (good, bad) {
        (Some((f, c)), bad) => (
            "advice",
            format!("Post more {}", f.to_lowercase()),
            format!(
                "{} {f} posts got {}{}",
                c.n_a,
                effect_text(&c),
                bad.map(|(b, bc)| format!(
                    "; {b} posts got only {:.1}x, so use them less.",
                    bc.lift
                ))
                .unwrap_or_else(|| ".".into())
            ),
            Some(confidence(c.p_value, n)),
            Some(effect_text(&c)),
        ),
        (None, Some((f, c))) => (
            "advice",
            format!("Use fewer {} posts", f.to_lowercase()),
            format!("{} {f} posts got only {}.", c.n_a, effect_text(&c)),
            Some(confidence(c.p_value, n)),
            None,
        ),
        _ => (
            "no_effect",
            "No format clearly beats the others".to_owned(),
            "The differences between formats are within what chance produces with this many posts."
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
/// nature, which would mix the format effect into the length effect).
pub fn lengths(scored: &[Scored<'_>]) -> Recommendation {
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
    let mut rows = Vec::new();
    let mut tested = Vec::new();
    for (name, lo, hi) in BUCKETS {
        let inside = |s: &Scored<'_>| s.post.text_len >= lo && s.post.text_len < hi;
        let c = split(&texts, inside);
        rows.push(
            json!({"bucket": name, "posts": texts.iter().filter(|s| inside(s)).count(),
            "vs_rest": c.map(|c| comparison_json(&c, BUCKETS.len()))}),
        );
        if let Some(c) = c {
            tested.push((name, c));
        }
    }
    let best = tested
        .iter()
        .filter(|(_, c)| c.lift > 1.0 && is_significant(c.p_value, BUCKETS.len()))
        .max_by(|a, b| a.1.lift.total_cmp(&b.1.lift));
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
            evidence: json!({"buckets": rows}),
            experiment: None,
        },
        Some((name, c)) => Recommendation {
            key: "length",
            status: "advice",
            title: format!("Write {name} text posts"),
            detail: format!("{} {name} text posts got {}.", c.n_a, effect_text(c)),
            sample_size: texts.len(),
            confidence: Some(confidence(c.p_value, BUCKETS.len())),
            expected_effect: Some(effect_text(c)),
            evidence: json!({"buckets": rows, "best": name}),
            experiment: None,
        },
    }
}
