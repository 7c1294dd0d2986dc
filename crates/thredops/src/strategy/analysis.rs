//! Recommendations over a profile's own history. Every post is scored by its engagement relative
//! to the posts around it (so follower growth over the years does not make old posts look bad),
//! and groups are compared with Welch's t-test on those log-scores.

use serde::Serialize;
use serde_json::{Value, json};

use super::audience::{self, Audience};
use super::data::{Dataset, PostFacts};
use super::stats::{self, Comparison, confidence, is_significant, median, round};

/// Posts with settled metrics needed before any advice is given.
pub const MIN_POSTS: usize = 30;
/// Posts needed in each compared group.
pub const MIN_GROUP: usize = 8;
/// Metrics younger than this are still growing; such posts are left out of comparisons.
pub const SETTLED_SECS: i64 = 2 * 86_400;
/// Posts on each side of a post that make its baseline.
const NEIGHBOURS: usize = 25;
/// Hours in a recommended posting window.
pub const WINDOW_HOURS: u32 = 3;

/// One piece of advice with the evidence behind it.
#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    /// Stable key: timing, formats, length, topics, keywords, cadence, conversation, questions,
    /// links, follower_jumps.
    pub key: &'static str,
    /// "advice" (act on it), "no_effect" (nothing stands out) or "not_enough_data".
    pub status: &'static str,
    /// The advice in one line.
    pub title: String,
    /// Why, in plain words with the numbers.
    pub detail: String,
    /// Posts the finding rests on.
    pub sample_size: usize,
    /// "high", "medium", "low", "not significant", or null when no test applies.
    pub confidence: Option<&'static str>,
    /// What following the advice should do, e.g. "about 2.4x the engagement".
    pub expected_effect: Option<String>,
    /// The numbers.
    pub evidence: Value,
    /// A concrete test the creator can run to check this advice, when one fits.
    pub experiment: Option<Value>,
}

impl Recommendation {
    /// An honest "not enough data" with what is missing.
    pub fn not_enough(key: &'static str, title: &str, detail: String, n: usize) -> Self {
        Recommendation {
            key,
            status: "not_enough_data",
            title: title.to_owned(),
            detail,
            sample_size: n,
            confidence: None,
            expected_effect: None,
            evidence: json!({}),
            experiment: None,
        }
    }
}

/// A post that can be compared: settled metrics and its relative scores.
#[derive(Debug, Clone)]
pub struct Scored<'a> {
    /// The post.
    pub post: &'a PostFacts,
    /// ln(1 + engagements) minus the median of its neighbours.
    pub rel: f64,
    /// The same for replies.
    pub rel_replies: f64,
}

/// Scores the comparable posts (not reposts, metrics read, at least two days old when read).
pub fn score(data: &Dataset) -> Vec<Scored<'_>> {
    let eligible: Vec<&PostFacts> = data
        .posts
        .iter()
        .filter(|p| !p.is_repost && p.metrics.is_some())
        .filter(|p| p.metrics_at.unwrap_or(0) - p.posted_at >= SETTLED_SECS)
        .collect();
    let eng: Vec<f64> = eligible
        .iter()
        .map(|p| (1.0 + p.engagements().unwrap_or(0) as f64).ln())
        .collect();
    let rep: Vec<f64> = eligible
        .iter()
        .map(|p| (1.0 + p.replies().unwrap_or(0) as f64).ln())
        .collect();
    let baseline = |xs: &[f64], i: usize| {
        let lo = i.saturating_sub(NEIGHBOURS);
        let hi = (i + NEIGHBOURS + 1).min(xs.len());
        median(&xs[lo..hi])
    };
    eligible
        .iter()
        .enumerate()
        .map(|(i, p)| Scored {
            post: p,
            rel: eng[i] - baseline(&eng, i),
            rel_replies: rep[i] - baseline(&rep, i),
        })
        .collect()
}

/// Compares posts matching `pick` with the rest on relative engagement.
pub fn split(scored: &[Scored<'_>], pick: impl Fn(&Scored<'_>) -> bool) -> Option<Comparison> {
    split_on(scored, pick, |s| s.rel)
}

/// Compares posts matching `pick` with the rest on the score `value`.
pub fn split_on(
    scored: &[Scored<'_>],
    pick: impl Fn(&Scored<'_>) -> bool,
    value: impl Fn(&Scored<'_>) -> f64,
) -> Option<Comparison> {
    let (a, b): (Vec<&Scored<'_>>, Vec<&Scored<'_>>) = scored.iter().partition(|s| pick(s));
    if a.len() < MIN_GROUP || b.len() < MIN_GROUP {
        return None;
    }
    let a: Vec<f64> = a.iter().map(|s| value(s)).collect();
    let b: Vec<f64> = b.iter().map(|s| value(s)).collect();
    stats::welch(&a, &b)
}

/// "2.4x (95% CI 2.1-2.8x)".
pub fn effect_text(c: &Comparison) -> String {
    format!(
        "{:.1}x the engagement of your other posts (95% CI {:.1}-{:.1}x)",
        c.lift, c.ci_low, c.ci_high
    )
}

/// JSON of a comparison with its confidence after `tests` comparisons.
pub fn comparison_json(c: &Comparison, tests: usize) -> Value {
    json!({"posts": c.n_a, "other_posts": c.n_b, "lift": c.lift, "ci_low": c.ci_low, "ci_high": c.ci_high,
           "p_value": round(c.p_value, 6), "confidence": confidence(c.p_value, tests)})
}

/// Best posting times in the audience's timezone.
pub fn timing(
    scored: &[Scored<'_>],
    audience: &Audience,
    user_tz: chrono_tz::Tz,
    at: i64,
) -> Recommendation {
    let title = "Best posting times";
    let hour_of = |s: &Scored<'_>| audience::local_hour(audience.tz, s.post.posted_at);
    let mut hours = Vec::new();
    for h in 0..24u32 {
        let rel: Vec<f64> = scored
            .iter()
            .filter(|s| hour_of(s) == h)
            .map(|s| s.rel)
            .collect();
        let eng: Vec<f64> = scored
            .iter()
            .filter(|s| hour_of(s) == h)
            .map(|s| s.post.engagements().unwrap_or(0) as f64)
            .collect();
        hours.push(
            json!({"hour": h, "posts": rel.len(), "median_engagements": median(&eng),
                          "relative": round(stats::mean(&rel).exp(), 3)}),
        );
    }
    // The best window of consecutive hours with enough posts, wrapping past midnight.
    let in_window = |start: u32, h: u32| (h + 24 - start) % 24 < WINDOW_HOURS;
    let best = (0..24u32)
        .filter_map(|start| {
            let c = split(scored, |s| in_window(start, hour_of(s)))?;
            Some((start, c))
        })
        .max_by(|a, b| a.1.lift.total_cmp(&b.1.lift).then(b.0.cmp(&a.0)));
    let Some((start, c)) = best else {
        return Recommendation::not_enough(
            key_timing(),
            title,
            format!(
                "Each {WINDOW_HOURS}-hour window needs at least {MIN_GROUP} posts with settled metrics to be compared."
            ),
            scored.len(),
        );
    };
    let window: Vec<u32> = (0..WINDOW_HOURS).map(|i| (start + i) % 24).collect();
    let end = (start + WINDOW_HOURS) % 24;
    let user_start = shift_hour(start, audience, user_tz, at);
    let tests = 24;
    let significant = is_significant(c.p_value, tests) && c.lift > 1.0;
    let countries = audience
        .top_countries
        .iter()
        .map(|c| format!("{} {:.0}%", c.country, c.share * 100.0))
        .collect::<Vec<_>>()
        .join(", ");
    let where_from = match audience.source {
        "demographics" => format!(
            "your audience's time ({}, from follower countries: {countries})",
            audience.timezone
        ),
        _ => format!("{} ({})", audience.timezone, audience.source),
    };
    Recommendation {
        key: key_timing(),
        status: if significant { "advice" } else { "no_effect" },
        title: if significant {
            format!("Post between {start:02}:00 and {end:02}:00 {where_from}")
        } else {
            "No posting time clearly beats the others yet".to_owned()
        },
        detail: format!(
            "{} posts published {start:02}:00-{end:02}:00 in {} got {} compared with {} posts at other times. That is {user_start:02}:00 in your timezone ({}).",
            c.n_a,
            audience.timezone,
            effect_text(&c),
            c.n_b,
            user_tz.name()
        ),
        sample_size: c.n_a + c.n_b,
        confidence: Some(confidence(c.p_value, tests)),
        expected_effect: significant.then(|| effect_text(&c)),
        evidence: json!({"audience": audience, "best_window": {"start_hour": start, "hours": window,
            "user_start_hour": user_start, "user_timezone": user_tz.name()},
            "comparison": comparison_json(&c, tests), "by_hour": hours}),
        experiment: significant.then(|| {
            json!({"kind": "time_window", "value": start.to_string(), "days": 14,
            "title": format!("Two weeks of posts at {start:02}:00-{end:02}:00 audience time")})
        }),
    }
}

fn key_timing() -> &'static str {
    "timing"
}

/// The hour in the owner's timezone that is `hour` in the audience's (at the data's time).
fn shift_hour(hour: u32, audience: &Audience, user_tz: chrono_tz::Tz, at: i64) -> u32 {
    let diff = audience::offset_hours(user_tz, at) - audience.utc_offset_hours;
    ((f64::from(hour) + diff).rem_euclid(24.0)).floor() as u32
}
