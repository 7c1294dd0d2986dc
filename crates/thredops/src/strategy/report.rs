//! The strategist's answer for one profile, and the weekly plan built from it.

use chrono::{Datelike, Duration, TimeZone};
use serde::Serialize;

use super::analysis::{self, MIN_POSTS, Recommendation, Scored};
use super::audience::{self, Audience};
use super::cadence::{self, Cadence};
use super::content::{self, Content};
use super::data::Dataset;
use super::formats;
use super::multiple::Gate;
use super::timing;
use crate::domain::ProfileId;

/// Everything the strategist says about a profile.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct StrategyReport {
    /// The profile.
    pub profile_id: ProfileId,
    /// The moment the data describes (Unix seconds).
    pub as_of: i64,
    /// Whether there was enough data for advice at all.
    pub enough_data: bool,
    /// Plain summary.
    pub message: String,
    /// Stored posts.
    pub posts_stored: usize,
    /// Posts with settled metrics that comparisons use.
    pub posts_analysed: usize,
    /// The audience's clock.
    pub audience: Audience,
    /// Posting rhythm.
    pub cadence: Cadence,
    /// Statistical tests the report made; every finding is corrected for all of them.
    pub tests: usize,
    /// Advice, strongest first.
    pub recommendations: Vec<Recommendation>,
}

/// Every analysis of a report, deciding significance with `gate`.
fn analyse(
    data: &Dataset,
    scored: &[Scored<'_>],
    audience: &Audience,
    cadence: &Cadence,
    gate: &Gate,
) -> Vec<Recommendation> {
    let content = Content::new(scored, data.as_of);
    vec![
        timing::timing(scored, audience, data.user_tz, data.as_of, gate),
        timing::weekdays(scored, audience, gate),
        formats::formats(scored, data.as_of, gate),
        formats::lengths(scored, data.as_of, gate),
        content::topics(&content, gate),
        content::keywords(&content, gate),
        cadence::advice(data, cadence),
        content::conversation(&content, gate),
        content::links(&content, gate),
        cadence::follower_jumps(data),
    ]
}

/// Runs every analysis over `data`.
pub fn build(data: &Dataset) -> StrategyReport {
    let scored = analysis::score(data);
    let audience = audience::of(data);
    let cadence = cadence::measure(data);
    let enough = scored.len() >= MIN_POSTS;
    // Two passes: the first only collects every p-value the analyses compute, the second
    // decides each finding against all of them (so the decision cannot depend on which tests
    // happened to be significant).
    let (mut recommendations, tests) = if enough {
        let first = Gate::collecting();
        analyse(data, &scored, &audience, &cadence, &first);
        let gate = Gate::new(first.into_seen());
        (
            analyse(data, &scored, &audience, &cadence, &gate),
            gate.tests(),
        )
    } else {
        (Vec::new(), 0)
    };
    // Advice first, then findings of no effect, then what lacks data; stable within each.
    recommendations.sort_by_key(|r| match r.status {
        "advice" => 0,
        "no_effect" => 1,
        _ => 2,
    });
    let message = if enough {
        format!(
            "{} findings from {} posts with settled metrics.",
            recommendations
                .iter()
                .filter(|r| r.status == "advice")
                .count(),
            scored.len()
        )
    } else {
        format!(
            "Not enough data yet: the strategist needs at least {MIN_POSTS} posts whose metrics have settled (two days old); this profile has {}. Advice from fewer posts would be guesswork.",
            scored.len()
        )
    };
    StrategyReport {
        profile_id: data.profile_id.clone(),
        as_of: data.as_of,
        enough_data: enough,
        message,
        posts_stored: data.posts.len(),
        posts_analysed: scored.len(),
        audience,
        cadence,
        tests,
        recommendations,
    }
}

impl StrategyReport {
    /// The recommendation with `key`, if it was made.
    pub fn get(&self, key: &str) -> Option<&Recommendation> {
        self.recommendations.iter().find(|r| r.key == key)
    }
}

/// Next week's suggested slots and content mix.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct WeeklyPlan {
    /// The profile.
    pub profile_id: ProfileId,
    /// Whether the strategist had enough data (without, the plan follows defaults).
    pub enough_data: bool,
    /// The Monday the week starts, `YYYY-MM-DD` (audience time).
    pub week_start: String,
    /// The user's time zone, which `local_time` is shown in.
    pub timezone: String,
    /// The audience's time zone, which the slots are chosen in.
    pub audience_timezone: String,
    /// Posts planned for the week.
    pub posts: usize,
    /// Posts per media type.
    pub mix: std::collections::BTreeMap<String, usize>,
    /// The slots, in order.
    pub slots: Vec<PlanSlot>,
    /// The same slots in the shape the composer pre-fills.
    pub composer_prefill: Vec<Prefill>,
}

/// One suggested post of the week.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct PlanSlot {
    /// When (Unix seconds).
    pub scheduled_at: i64,
    /// The same, RFC 3339.
    pub scheduled_at_iso: String,
    /// In the user's time zone, e.g. "Tue 9 Dec 18:00".
    pub local_time: String,
    /// In the audience's time zone, e.g. "Tue 18:00".
    pub audience_time: String,
    /// TEXT, IMAGE, VIDEO or CAROUSEL.
    pub media_type: String,
    /// A topic that does well, when one does.
    pub topic_tag: Option<String>,
    /// Whether to end with a question (questions start replies for this profile).
    pub ask_question: bool,
    /// Why this slot, in words.
    pub why: String,
}

/// A slot as the composer takes it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Prefill {
    /// RFC 3339.
    pub scheduled_at: String,
    /// TEXT, IMAGE, VIDEO or CAROUSEL.
    pub media_type: String,
    /// Topic tag, if any.
    pub topic_tag: Option<String>,
    /// A starting text ("…?" when the slot asks a question).
    pub text: String,
}

/// Suggested slots and content mix for the week after `now`, in a shape the composer can
/// pre-fill (`composer_prefill`: scheduled time, media type, topic tag, a prompt).
pub fn weekly_plan(report: &StrategyReport, user_tz: chrono_tz::Tz, now: i64) -> WeeklyPlan {
    let timing = report.get("timing").filter(|r| r.status == "advice");
    // Slots go to the hours of the advised window (only hours that beat the rest on their own);
    // without one, to early evening.
    let hours: Vec<u32> = timing
        .and_then(|t| t.evidence["best_window"]["hours"].as_array())
        .map(|h| {
            h.iter()
                .filter_map(|h| h.as_u64())
                .map(|h| h as u32)
                .collect()
        })
        .filter(|h: &Vec<u32>| !h.is_empty())
        .unwrap_or_else(|| vec![18, 19]);
    let formats = report.get("formats");
    let best_format = formats.and_then(|f| f.evidence["best"].as_str());
    let worst_format = formats.and_then(|f| f.evidence["worst"].as_str());
    let mut mix: Vec<(String, f64)> = formats
        .and_then(|f| f.evidence["formats"].as_array())
        .map(|rows| {
            rows.iter()
                .filter_map(|r| {
                    Some((
                        r["format"].as_str()?.to_owned(),
                        r["share_of_posts"].as_f64()?,
                    ))
                })
                .filter(|(f, _)| Some(f.as_str()) != worst_format)
                .collect()
        })
        .unwrap_or_default();
    if mix.is_empty() {
        mix.push(("TEXT".into(), 1.0));
    }
    let posts = (report.cadence.posts_per_week.round() as usize).clamp(3, 14);
    // Half the week goes to the best format when one clearly wins; the rest follows the mix.
    let mut slots_formats: Vec<String> = Vec::new();
    if let Some(best) = best_format {
        slots_formats.extend(std::iter::repeat_n(best.to_owned(), posts.div_ceil(2)));
    }
    let total: f64 = mix.iter().map(|m| m.1).sum::<f64>().max(1e-9);
    let remaining = posts - slots_formats.len();
    for j in 0..remaining {
        // Evenly spaced points through the cumulative mix pick formats in proportion to it.
        let target = (j as f64 + 0.5) / remaining as f64 * total;
        let mut acc = 0.0;
        let pick = mix
            .iter()
            .find(|(_, w)| {
                acc += w;
                acc > target
            })
            .unwrap_or(&mix[0]);
        slots_formats.push(pick.0.clone());
    }
    let topics: Vec<String> = report
        .get("topics")
        .and_then(|t| t.evidence["winners"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|t| t.as_str().map(str::to_owned))
        .collect();
    let questions = report
        .get("conversation")
        .is_some_and(|c| c.status == "advice");
    let atz = report.audience.tz;
    let today = chrono::DateTime::from_timestamp(now, 0)
        .unwrap_or_default()
        .with_timezone(&atz)
        .date_naive();
    let monday = today + Duration::days(7 - i64::from(today.weekday().num_days_from_monday()));
    let days = plan_days(report, posts);
    let best_days = !day_list(report, "best").is_empty();
    let mut slots = Vec::new();
    for (n, format) in slots_formats.iter().enumerate() {
        let day = monday + Duration::days(days[n]);
        let hour = hours[n % hours.len()];
        let local = day.and_hms_opt(hour % 24, 0, 0).unwrap_or_default();
        let at = atz
            .from_local_datetime(&local)
            .earliest()
            .map(|d| d.timestamp())
            .unwrap_or(now);
        let topic = (!topics.is_empty()).then(|| topics[n % topics.len()].clone());
        let ask = questions && n % 2 == 0;
        let user_local = chrono::DateTime::from_timestamp(at, 0)
            .unwrap_or_default()
            .with_timezone(&user_tz);
        slots.push(PlanSlot {
            scheduled_at: at,
            scheduled_at_iso: chrono::DateTime::from_timestamp(at, 0)
                .unwrap_or_default()
                .to_rfc3339(),
            local_time: user_local.format("%a %-d %b %H:%M").to_string(),
            audience_time: local.format("%a %H:%M").to_string(),
            media_type: format.clone(),
            topic_tag: topic,
            ask_question: ask,
            why: slot_reason(
                timing.is_some(),
                best_days && day_list(report, "best").contains(&days[n]),
                Some(format.as_str()) == best_format,
                ask,
            ),
        });
    }
    let mut counts = std::collections::BTreeMap::new();
    for f in &slots_formats {
        *counts.entry(f.clone()).or_insert(0) += 1;
    }
    let composer_prefill = slots
        .iter()
        .map(|s| Prefill {
            scheduled_at: s.scheduled_at_iso.clone(),
            media_type: s.media_type.clone(),
            topic_tag: s.topic_tag.clone(),
            text: if s.ask_question { "…?" } else { "" }.to_owned(),
        })
        .collect();
    WeeklyPlan {
        profile_id: report.profile_id.clone(),
        enough_data: report.enough_data,
        week_start: monday.to_string(),
        timezone: user_tz.name().to_owned(),
        audience_timezone: atz.name().to_owned(),
        posts,
        mix: counts,
        slots,
        composer_prefill,
    }
}

/// Weekdays (0 = Monday) the weekday advice lists under `which` ("best" or "weaker").
fn day_list(report: &StrategyReport, which: &str) -> Vec<i64> {
    report
        .get("weekdays")
        .filter(|r| r.status == "advice")
        .and_then(|r| r.evidence[which].as_array())
        .map(|d| d.iter().filter_map(serde_json::Value::as_i64).collect())
        .unwrap_or_default()
}

/// The day of the week (0 = Monday) of each of `posts` slots, in order: every clearly better
/// weekday first gets a slot, the rest spread evenly over the days that are not clearly worse.
fn plan_days(report: &StrategyReport, posts: usize) -> Vec<i64> {
    let (best, weaker) = (day_list(report, "best"), day_list(report, "weaker"));
    let mut days: Vec<i64> = best.iter().copied().take(posts).collect();
    let mut others: Vec<i64> = (0..7)
        .filter(|d| !best.contains(d) && !weaker.contains(d))
        .collect();
    if others.is_empty() {
        others = (0..7).collect();
    }
    let remaining = posts - days.len();
    days.extend((0..remaining).map(|j| others[j * others.len() / remaining.max(1)]));
    days.sort_unstable();
    days
}

fn slot_reason(timing: bool, best_day: bool, best_format: bool, ask: bool) -> String {
    let mut why = Vec::new();
    why.push(if timing {
        "your best window for your audience"
    } else {
        "early evening for your audience (no clear best time yet)"
    });
    if best_day {
        why.push("your best day of the week");
    }
    if best_format {
        why.push("your best-performing format");
    }
    if ask {
        why.push("a question to start replies");
    }
    why.join("; ")
}
