//! Experiments: a concrete test ("two weeks of videos"), tracked against what was actually
//! published, with the measured result once the period is over.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::analysis::{self, WINDOW_HOURS, comparison_json};
use super::audience;
use super::data::{Dataset, PostFacts};
use super::stats::{confidence, is_significant, round};
use crate::error::AppError;

const DAY: i64 = 86_400;
/// Posts of the test needed before a result is reported.
pub const MIN_TEST_POSTS: usize = 3;
/// Formats an experiment can test.
pub const FORMATS: [&str; 5] = ["TEXT", "IMAGE", "VIDEO", "CAROUSEL", "QUOTE"];

/// What the creator asked to test (the API body).
#[derive(Debug, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ExperimentInput {
    /// format | time_window | topic | question.
    pub kind: String,
    /// The format, the window's start hour (audience time), or the topic tag.
    pub value: Option<Value>,
    /// Length in days (7-56, default 14).
    pub days: Option<i64>,
    /// Start (Unix seconds); defaults to now. May lie up to 90 days back to evaluate a test
    /// already run.
    pub starts_at: Option<i64>,
}

/// A validated experiment.
#[derive(Debug, Clone, Serialize, Deserialize, schemars::JsonSchema)]
pub struct Spec {
    /// format | time_window | topic | question.
    pub kind: String,
    /// Normalised value.
    pub value: String,
    /// Length in days.
    pub days: i64,
    /// One-line description.
    pub title: String,
    /// The audience timezone hours are judged in.
    pub audience_timezone: String,
}

/// Validates `input`; every problem is reported by field.
pub fn parse(
    input: &ExperimentInput,
    audience_tz: &str,
    now: i64,
) -> Result<(Spec, i64), AppError> {
    let mut fields = BTreeMap::new();
    let raw = match &input.value {
        Some(Value::String(s)) => s.trim().to_owned(),
        // An hour is a whole number; anything else is no format, hour or tag.
        Some(Value::Number(n)) if n.is_i64() => n.to_string(),
        None | Some(Value::Null) => String::new(),
        Some(_) => {
            return Err(AppError::field(
                "value",
                "Give a format, a start hour or a topic tag.",
            ));
        }
    };
    let days = input.days.unwrap_or(14);
    if !(7..=56).contains(&days) {
        fields.insert(
            "days".to_owned(),
            "Run an experiment for 7 to 56 days.".to_owned(),
        );
    }
    let (value, title) = match input.kind.as_str() {
        "format" => {
            let f = raw.to_uppercase();
            if !FORMATS.contains(&f.as_str()) {
                fields.insert(
                    "value".into(),
                    format!("Choose a format: {}.", FORMATS.join(", ")),
                );
            }
            (
                f.clone(),
                format!("{days} days of {} posts", f.to_lowercase()),
            )
        }
        "time_window" => match raw.parse::<u32>() {
            Ok(h) if h < 24 => (
                h.to_string(),
                format!(
                    "{days} days posting at {h:02}:00-{:02}:00 ({audience_tz})",
                    (h + WINDOW_HOURS) % 24
                ),
            ),
            _ => {
                fields.insert(
                    "value".into(),
                    "Give the window's start hour, 0 to 23.".into(),
                );
                (String::new(), String::new())
            }
        },
        "topic" => {
            if raw.is_empty() || raw.chars().count() > 50 {
                fields.insert(
                    "value".into(),
                    "Give a topic tag of 1 to 50 characters.".into(),
                );
            }
            (raw.clone(), format!("{days} days tagging posts \"{raw}\""))
        }
        "question" => (
            "yes".into(),
            format!("{days} days ending posts with a question"),
        ),
        _ => {
            fields.insert(
                "kind".into(),
                "Choose format, time_window, topic or question.".into(),
            );
            (String::new(), String::new())
        }
    };
    let starts_at = input.starts_at.unwrap_or(now);
    if starts_at < now - 90 * DAY || starts_at > now + 30 * DAY {
        fields.insert(
            "starts_at".into(),
            "Start within the last 90 days or the next 30.".into(),
        );
    }
    if !fields.is_empty() {
        let message = "The experiment was not started: check the highlighted fields.".to_owned();
        return Err(AppError::Validation { message, fields });
    }
    let spec = Spec {
        kind: input.kind.clone(),
        value,
        days,
        title,
        audience_timezone: audience_tz.to_owned(),
    };
    Ok((spec, starts_at))
}

/// Whether a post follows the experiment's rule.
pub fn matches(spec: &Spec, p: &PostFacts) -> bool {
    match spec.kind.as_str() {
        "format" => p.format() == spec.value,
        "time_window" => {
            let tz = spec.audience_timezone.parse().unwrap_or(chrono_tz::Tz::UTC);
            let start: u32 = spec.value.parse().unwrap_or(0);
            (audience::local_hour(tz, p.posted_at) + 24 - start) % 24 < WINDOW_HOURS
        }
        "topic" => p
            .topic
            .as_deref()
            .is_some_and(|t| t.eq_ignore_ascii_case(&spec.value)),
        "question" => p.has_question,
        _ => false,
    }
}

/// Progress and (once there are enough posts) the measured effect: the test's posts against
/// other posts of the same period and the 60 days before it.
pub fn evaluate(data: &Dataset, spec: &Spec, starts_at: i64, ends_at: i64, now: i64) -> Value {
    let until = ends_at.min(now.max(data.as_of));
    let during: Vec<&PostFacts> = data
        .posts
        .iter()
        .filter(|p| !p.is_repost && p.posted_at >= starts_at && p.posted_at < ends_at)
        .collect();
    let following = during.iter().filter(|p| matches(spec, p)).count();
    let scored = analysis::score(data);
    let test: Vec<f64> = scored
        .iter()
        .filter(|s| {
            s.post.posted_at >= starts_at && s.post.posted_at < ends_at && matches(spec, s.post)
        })
        .map(|s| s.rel)
        .collect();
    let control: Vec<f64> = scored
        .iter()
        .filter(|s| {
            s.post.posted_at >= starts_at - 60 * DAY
                && s.post.posted_at < ends_at
                && !matches(spec, s.post)
        })
        .map(|s| s.rel)
        .collect();
    let elapsed_days = ((until - starts_at).max(0) as f64 / DAY as f64).min(spec.days as f64);
    let mut out = json!({
        "elapsed_days": round(elapsed_days, 1),
        "posts_during": during.len(),
        "posts_following_plan": following,
        "adherence": if during.is_empty() { 0.0 } else { round(following as f64 / during.len() as f64, 3) },
        "test_posts_with_settled_metrics": test.len(),
        "control_posts": control.len(),
    });
    let cmp = (test.len() >= MIN_TEST_POSTS && control.len() >= analysis::MIN_GROUP)
        .then(|| super::stats::welch(&test, &control))
        .flatten();
    let (verdict, summary) = match cmp {
        None => (
            "not_enough_posts",
            format!(
                "{} test posts with settled metrics so far; at least {MIN_TEST_POSTS} are needed to measure a result.",
                test.len()
            ),
        ),
        Some(c) if is_significant(c.p_value, 1) && c.lift > 1.0 => (
            "worked",
            format!(
                "It worked: test posts got {:.1}x the engagement of your other posts (95% CI {:.1}-{:.1}x, {} confidence).",
                c.lift,
                c.ci_low,
                c.ci_high,
                confidence(c.p_value, 1)
            ),
        ),
        Some(c) if is_significant(c.p_value, 1) => (
            "did_not_work",
            format!(
                "It did not work: test posts got {:.1}x the engagement of your other posts (95% CI {:.1}-{:.1}x).",
                c.lift, c.ci_low, c.ci_high
            ),
        ),
        Some(c) => (
            "inconclusive",
            format!(
                "No clear difference: {:.1}x (95% CI {:.1}-{:.1}x); more posts would tell.",
                c.lift, c.ci_low, c.ci_high
            ),
        ),
    };
    out["verdict"] = json!(verdict);
    out["summary"] = json!(summary);
    out["comparison"] = cmp.map_or(Value::Null, |c| {
        comparison_json(&c, &super::multiple::Gate::new(vec![c.p_value]))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_input_is_reported_per_field() {
        let input = ExperimentInput {
            kind: "format".into(),
            value: Some(json!("gif")),
            days: Some(3),
            starts_at: None,
        };
        let Err(AppError::Validation { fields, .. }) = parse(&input, "UTC", 1_000_000_000) else {
            panic!("accepted")
        };
        assert!(fields.contains_key("value") && fields.contains_key("days"));
        let ok = ExperimentInput {
            kind: "time_window".into(),
            value: Some(json!(19)),
            ..Default::default()
        };
        let (spec, start) = parse(&ok, "Asia/Tokyo", 1_000_000_000).unwrap();
        assert_eq!(
            (spec.value.as_str(), spec.days, start),
            ("19", 14, 1_000_000_000)
        );
    }
}
