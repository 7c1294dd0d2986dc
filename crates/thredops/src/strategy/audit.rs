//! The Deep Audit: a 0-100 score in nine sections, each with findings, evidence and the next
//! action. A pure function of the [`Dataset`], so the same data always gives the same audit.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::analysis::{self, Scored};
use super::audit_sections::{
    completeness, consistency, conversation, engagement_quality, format_mix, growth, links_topics,
    reliability, timing_fit,
};
use super::data::Dataset;
use super::report;

const DAY: i64 = 86_400;

/// One scored section.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Section {
    /// Stable key.
    pub key: String,
    /// Heading.
    pub title: String,
    /// 0-100.
    pub score: u32,
    /// Weight in the overall score.
    pub weight: u32,
    /// What the audit found.
    pub findings: Vec<String>,
    /// The numbers.
    pub evidence: Value,
    /// The one thing to do next.
    pub next_action: String,
}

/// Posts with settled metrics below which the overall score is not given: the performance
/// sections would rest on a handful of posts, so a number would look more certain than it is.
/// The same floor as the strategist's ([`analysis::MIN_POSTS`]).
pub const MIN_SCORED_POSTS: usize = analysis::MIN_POSTS;

/// A finished audit.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct AuditReport {
    /// 0-100, the weighted mean of the sections; null while there is too little data for it to
    /// mean anything (see `score_note`).
    pub score: Option<u32>,
    /// Why there is no overall score yet, when there is none.
    #[serde(default)]
    pub score_note: Option<String>,
    /// The moment the data describes.
    pub as_of: i64,
    /// Posts stored when it ran.
    pub posts: usize,
    /// Whether there was enough data for the performance sections.
    pub enough_data: bool,
    /// The sections in a fixed order.
    pub sections: Vec<Section>,
    /// What changed since the previous audit, when there was one.
    pub changes: Option<Value>,
}

pub(super) fn pct(x: f64) -> u32 {
    (x.clamp(0.0, 1.0) * 100.0).round() as u32
}

pub(super) fn section(
    key: &str,
    title: &str,
    weight: u32,
    score: u32,
    findings: Vec<String>,
    evidence: Value,
    next: &str,
) -> Section {
    Section {
        key: key.into(),
        title: title.into(),
        score: score.min(100),
        weight,
        findings,
        evidence,
        next_action: next.into(),
    }
}

/// Runs the audit; `step` is called after each section (progress for large profiles).
pub fn run(data: &Dataset, mut step: impl FnMut(usize, usize)) -> AuditReport {
    let strategy = report::build(data);
    let scored = analysis::score(data);
    let recent: Vec<&Scored<'_>> = scored
        .iter()
        .filter(|s| data.as_of - s.post.posted_at <= 90 * DAY)
        .collect();
    let builders: [&dyn Fn() -> Section; 9] = [
        &|| consistency(&strategy),
        &|| format_mix(&strategy, &recent),
        &|| engagement_quality(&recent),
        &|| conversation(&recent),
        &|| growth(data),
        &|| timing_fit(&strategy, data, &recent),
        &|| links_topics(&strategy, &recent),
        &|| reliability(data, &strategy),
        &|| completeness(data),
    ];
    let mut sections = Vec::with_capacity(builders.len());
    for (i, b) in builders.iter().enumerate() {
        sections.push(b());
        step(i + 1, builders.len());
    }
    let weights: u32 = sections.iter().map(|s| s.weight).sum();
    let score = (sections
        .iter()
        .map(|s| f64::from(s.score * s.weight))
        .sum::<f64>()
        / f64::from(weights.max(1)))
    .round() as u32;
    let meaningful = strategy.posts_analysed >= MIN_SCORED_POSTS;
    AuditReport {
        score: meaningful.then_some(score),
        score_note: (!meaningful).then(|| {
            format!(
                "Not yet meaningful: a score needs at least {MIN_SCORED_POSTS} posts with settled metrics (two days old); this profile has {}. The sections below describe what there is, but their numbers rest on too few posts to grade the account.",
                strategy.posts_analysed
            )
        }),
        as_of: data.as_of,
        posts: data.posts.len(),
        enough_data: strategy.enough_data,
        sections,
        changes: None,
    }
}

/// What moved between `previous` and `current`: overall and per-section score changes.
pub fn changes(previous: &AuditReport, previous_at: i64, current: &AuditReport) -> Value {
    let sections: Vec<Value> = current
        .sections
        .iter()
        .map(|s| {
            let before = previous
                .sections
                .iter()
                .find(|p| p.key == s.key)
                .map(|p| p.score);
            json!({"key": s.key, "title": s.title, "before": before, "after": s.score,
               "delta": before.map(|b| i64::from(s.score) - i64::from(b))})
        })
        .collect();
    let delta = previous
        .score
        .zip(current.score)
        .map(|(b, a)| i64::from(a) - i64::from(b));
    json!({"previous_created_at": previous_at, "score_before": previous.score, "score_after": current.score,
           "delta": delta, "posts_before": previous.posts,
           "posts_after": current.posts, "sections": sections})
}
