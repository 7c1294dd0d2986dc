//! Recommendations over a profile's own history. Every post is scored by its engagement relative
//! to the posts around it (so follower growth over the years does not make old posts look bad),
//! and groups are compared with Welch's t-test on those log-scores.

use serde::Serialize;
use serde_json::{Value, json};

use super::data::{Dataset, PostFacts};
use super::multiple::Gate;
use super::stats::{self, Comparison, median, round};

/// Posts with settled metrics needed before any advice is given.
pub const MIN_POSTS: usize = 30;
/// Posts needed in each compared group.
pub const MIN_GROUP: usize = 8;
/// Metrics younger than this are still growing; such posts are left out of comparisons.
pub const SETTLED_SECS: i64 = 2 * 86_400;
/// Posts on each side of a post that make its baseline.
const NEIGHBOURS: usize = 25;
/// Hours in a posting-window experiment.
pub const WINDOW_HOURS: u32 = 3;

/// One piece of advice with the evidence behind it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Recommendation {
    /// Stable key: timing, weekdays, formats, length, topics, keywords, cadence, conversation,
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

/// [`split`] decided by the rank-sum test (see [`stats::robust`]): for small groups such as
/// hours and weekdays.
pub fn split_robust(
    scored: &[Scored<'_>],
    pick: impl Fn(&Scored<'_>) -> bool,
) -> Option<Comparison> {
    let (a, b): (Vec<&Scored<'_>>, Vec<&Scored<'_>>) = scored.iter().partition(|s| pick(s));
    if a.len() < MIN_GROUP || b.len() < MIN_GROUP {
        return None;
    }
    let a: Vec<f64> = a.iter().map(|s| s.rel).collect();
    let b: Vec<f64> = b.iter().map(|s| s.rel).collect();
    stats::robust(&a, &b)
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

/// JSON of a comparison with its confidence after the report's multiple-comparison control.
pub fn comparison_json(c: &Comparison, gate: &Gate) -> Value {
    json!({"posts": c.n_a, "other_posts": c.n_b, "lift": c.lift, "ci_low": c.ci_low, "ci_high": c.ci_high,
           "p_value": round(c.p_value, 6), "p_adjusted": round(gate.adjusted(c.p_value), 6),
           "confidence": gate.confidence(c.p_value)})
}
