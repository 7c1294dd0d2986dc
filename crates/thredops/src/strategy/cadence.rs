//! How often the creator posts (frequency, gaps, streaks) and what preceded follower jumps.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::json;

use super::analysis::Recommendation;
use super::data::Dataset;
use super::stats::{median, round};

const DAY: i64 = 86_400;
const WEEK: i64 = 7 * DAY;
/// Weeks the recent cadence is measured over.
pub const RECENT_WEEKS: usize = 12;
/// A break longer than this many days is called out.
pub const LONG_GAP_DAYS: f64 = 7.0;

/// Posting rhythm facts.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Cadence {
    /// Posts (reposts included) in each of the last 12 weeks, oldest first.
    pub weekly_counts: Vec<usize>,
    /// Average posts per week over those weeks.
    pub posts_per_week: f64,
    /// Weeks of the last 12 with at least one post.
    pub active_weeks: usize,
    /// Longest break between two posts in the whole history, in days.
    pub longest_gap_days: f64,
    /// When that break started and ended (Unix seconds).
    pub longest_gap_from: Option<i64>,
    /// End of the longest break.
    pub longest_gap_to: Option<i64>,
    /// Longest break in the last 90 days, in days.
    pub recent_longest_gap_days: f64,
    /// Breaks longer than a week in the whole history.
    pub gaps_over_a_week: usize,
    /// Consecutive days with a post, ending on the last day with data.
    pub current_streak_days: usize,
    /// Longest run of consecutive days with a post.
    pub longest_streak_days: usize,
}

/// Measures the rhythm of `data`.
pub fn measure(data: &Dataset) -> Cadence {
    let times: Vec<i64> = data.posts.iter().map(|p| p.posted_at).collect();
    let mut weekly_counts = vec![0; RECENT_WEEKS];
    for t in &times {
        let age = data.as_of - t;
        if age >= 0 && age < WEEK * RECENT_WEEKS as i64 {
            weekly_counts[RECENT_WEEKS - 1 - (age / WEEK) as usize] += 1;
        }
    }
    let mut longest = (0.0, None, None);
    let mut recent = 0.0f64;
    let mut over_week = 0;
    for w in times.windows(2) {
        let gap = (w[1] - w[0]) as f64 / DAY as f64;
        if gap > longest.0 {
            longest = (gap, Some(w[0]), Some(w[1]));
        }
        if gap > LONG_GAP_DAYS {
            over_week += 1;
        }
        if data.as_of - w[1] <= 90 * DAY {
            recent = recent.max(gap);
        }
    }
    let days: BTreeSet<i64> = times.iter().map(|t| t.div_euclid(DAY)).collect();
    let (mut run, mut best, mut prev) = (0usize, 0usize, None);
    for d in &days {
        run = if prev == Some(d - 1) { run + 1 } else { 1 };
        best = best.max(run);
        prev = Some(*d);
    }
    let last_day = data.as_of.div_euclid(DAY);
    let current = (0..).take_while(|i| days.contains(&(last_day - i))).count();
    Cadence {
        posts_per_week: round(
            weekly_counts.iter().sum::<usize>() as f64 / RECENT_WEEKS as f64,
            2,
        ),
        active_weeks: weekly_counts.iter().filter(|c| **c > 0).count(),
        weekly_counts,
        longest_gap_days: round(longest.0, 1),
        longest_gap_from: longest.1,
        longest_gap_to: longest.2,
        recent_longest_gap_days: round(recent, 1),
        gaps_over_a_week: over_week,
        current_streak_days: current,
        longest_streak_days: best,
    }
}

/// Advice on posting rhythm.
pub fn advice(data: &Dataset, c: &Cadence) -> Recommendation {
    if data.posts.len() < 10 {
        return Recommendation::not_enough(
            "cadence",
            "Posting rhythm",
            "At least 10 posts are needed to judge a rhythm.".into(),
            data.posts.len(),
        );
    }
    let when = |t: Option<i64>| {
        t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|d| {
                d.with_timezone(&data.user_tz)
                    .format("%-d %b %Y")
                    .to_string()
            })
            .unwrap_or_default()
    };
    let target = median(
        &c.weekly_counts
            .iter()
            .filter(|n| **n > 0)
            .map(|n| *n as f64)
            .collect::<Vec<_>>(),
    )
    .max(3.0)
    .round();
    let (status, title) =
        if c.recent_longest_gap_days > LONG_GAP_DAYS || c.active_weeks < RECENT_WEEKS {
            (
                "advice",
                format!("Post every week: aim for {target:.0} posts a week without breaks"),
            )
        } else if c.posts_per_week < 3.0 {
            ("advice", "Post at least 3 times a week".to_owned())
        } else {
            (
                "no_effect",
                format!(
                    "Your rhythm is steady ({:.1} posts a week): keep it",
                    c.posts_per_week
                ),
            )
        };
    Recommendation {
        key: "cadence",
        status,
        title,
        detail: format!(
            "Over the last {RECENT_WEEKS} weeks you posted {:.1} times a week and were active in {} of {RECENT_WEEKS} weeks. Your longest break was {:.1} days ({} to {}); {} breaks lasted over a week. Current streak: {} days; longest: {} days.",
            c.posts_per_week,
            c.active_weeks,
            c.longest_gap_days,
            when(c.longest_gap_from),
            when(c.longest_gap_to),
            c.gaps_over_a_week,
            c.current_streak_days,
            c.longest_streak_days
        ),
        sample_size: data.posts.len(),
        confidence: None,
        expected_effect: (status == "advice")
            .then(|| "steadier reach: followers see you every week".to_owned()),
        evidence: json!(c),
        experiment: None,
    }
}

/// Days when followers jumped, and the posts of the two days before each.
pub fn follower_jumps(data: &Dataset) -> Recommendation {
    let f = &data.followers;
    if f.len() < 14 {
        return Recommendation::not_enough(
            "follower_jumps",
            "What preceded follower jumps",
            format!(
                "Follower jumps need at least 14 daily follower snapshots; ThredOps has {} so far (one is taken each day).",
                f.len()
            ),
            f.len(),
        );
    }
    let deltas: Vec<f64> = f.windows(2).map(|w| (w[1].2 - w[0].2) as f64).collect();
    let med = median(&deltas);
    let mad = median(&deltas.iter().map(|d| (d - med).abs()).collect::<Vec<_>>()).max(1.0);
    let threshold = med + 4.0 * mad;
    let mut jumps = Vec::new();
    let mut formats: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, w) in f.windows(2).enumerate() {
        if deltas[i] <= threshold {
            continue;
        }
        let before: Vec<_> = data
            .posts
            .iter()
            .filter(|p| p.posted_at <= w[1].1 && p.posted_at > w[1].1 - 2 * DAY)
            .collect();
        for p in &before {
            *formats.entry(p.format()).or_default() += 1;
        }
        let top = before.iter().max_by_key(|p| p.views().unwrap_or(0));
        jumps.push(json!({"day": w[1].0, "gained": deltas[i], "posts_before": before.len(),
            "top_post": top.map(|p| json!({"media_id": p.media_id, "format": p.format(), "views": p.views(), "snippet": p.snippet}))}));
    }
    let typical = round(med, 1);
    if jumps.is_empty() {
        return Recommendation {
            key: "follower_jumps",
            status: "no_effect",
            title: "No unusual follower jumps".into(),
            detail: format!(
                "Followers changed by a typical {typical} a day with no day far above it."
            ),
            sample_size: f.len(),
            confidence: None,
            expected_effect: None,
            evidence: json!({"typical_daily_change": typical, "jumps": jumps}),
            experiment: None,
        };
    }
    let lead = formats
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(f, _)| *f)
        .unwrap_or("TEXT");
    Recommendation {
        key: "follower_jumps",
        status: "advice",
        title: format!("Your follower jumps followed {} posts", lead.to_lowercase()),
        detail: format!(
            "{} days gained far more followers than your typical {typical} a day; the posts in the two days before them were mostly {lead}.",
            jumps.len()
        ),
        sample_size: f.len(),
        confidence: Some("low"),
        expected_effect: None,
        evidence: json!({"typical_daily_change": typical, "threshold": round(threshold, 1), "jumps": jumps, "formats_before_jumps": formats}),
        experiment: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::data::{PostFacts, ProfileFacts};

    fn dataset(post_days: &[i64], followers: &[i64]) -> Dataset {
        let start = 1_700_000_000 - 1_700_000_000 % DAY;
        Dataset {
            profile_id: "p".into(),
            as_of: start + post_days.iter().max().copied().unwrap_or(0) * DAY + 3600,
            posts: post_days
                .iter()
                .enumerate()
                .map(|(i, d)| PostFacts {
                    media_id: i.to_string().into(),
                    media_type: if i % 2 == 0 { "VIDEO" } else { "TEXT_POST" }.into(),
                    posted_at: start + d * DAY + 3600,
                    metrics: Some([100 * (i as i64 + 1), 1, 1, 0, 0, 0]),
                    ..Default::default()
                })
                .collect(),
            followers: followers
                .iter()
                .enumerate()
                .map(|(i, f)| (format!("day{i:02}"), start + i as i64 * DAY + 7200, *f))
                .collect(),
            countries: Vec::new(),
            cities: Vec::new(),
            profile: ProfileFacts::default(),
            user_tz: chrono_tz::Tz::UTC,
        }
    }

    #[test]
    fn gaps_and_streaks_are_measured_in_days() {
        // Days 0-4 every day, then nothing until day 30, then days 30-31.
        let d = dataset(&[0, 1, 2, 3, 4, 30, 31], &[]);
        let c = measure(&d);
        assert_eq!(c.longest_gap_days, 26.0);
        assert_eq!(c.gaps_over_a_week, 1);
        assert_eq!(c.longest_streak_days, 5);
        assert_eq!(c.current_streak_days, 2);
        assert_eq!(c.weekly_counts.iter().sum::<usize>(), 7);
    }

    #[test]
    fn a_follower_jump_is_found_with_the_posts_before_it() {
        let mut followers: Vec<i64> = (0..20).map(|i| 1_000 + i * 10).collect();
        for f in followers.iter_mut().skip(12) {
            *f += 500;
        }
        // Posts on day 11 (the day before the jump lands in the day-12 snapshot).
        let d = dataset(&[2, 5, 11, 11, 15], &followers);
        let r = follower_jumps(&d);
        assert_eq!(r.status, "advice", "{}", r.detail);
        assert_eq!(r.evidence["jumps"].as_array().unwrap().len(), 1);
        assert_eq!(r.evidence["jumps"][0]["day"], "day12");
        assert_eq!(r.evidence["jumps"][0]["gained"], 510.0);
        assert_eq!(r.evidence["jumps"][0]["posts_before"], 2);
        assert_eq!(r.evidence["typical_daily_change"], 10.0);
        let few = dataset(&[1, 2], &followers[..5]);
        assert_eq!(follower_jumps(&few).status, "not_enough_data");
    }
}
