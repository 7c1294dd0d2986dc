//! The nine scored sections of the Deep Audit.

use serde_json::json;

use super::analysis::Scored;
use super::audience;
use super::audit::{Section, pct, section};
use super::data::Dataset;
use super::report::StrategyReport;
use super::stats::{median, round};

const DAY: i64 = 86_400;

pub(super) fn consistency(r: &StrategyReport) -> Section {
    let c = &r.cadence;
    let gap_penalty = ((c.recent_longest_gap_days - 7.0).max(0.0) * 2.0).min(40.0);
    let score = (100.0 * c.active_weeks as f64 / 12.0 - gap_penalty)
        .max(0.0)
        .round() as u32;
    let mut f = vec![format!(
        "Active in {} of the last 12 weeks, {:.1} posts a week.",
        c.active_weeks, c.posts_per_week
    )];
    if c.recent_longest_gap_days > 7.0 {
        f.push(format!(
            "A {:.1}-day break in the last 90 days.",
            c.recent_longest_gap_days
        ));
    }
    f.push(format!(
        "Longest break ever: {:.1} days; {} breaks over a week.",
        c.longest_gap_days, c.gaps_over_a_week
    ));
    let next = if score >= 85 {
        "Keep posting every week."
    } else {
        "Post at least three times every week; schedule posts ahead for busy weeks."
    };
    section("consistency", "Consistency", 15, score, f, json!(c), next)
}

pub(super) fn format_mix(r: &StrategyReport, recent: &[&Scored<'_>]) -> Section {
    let mut counts = std::collections::BTreeMap::new();
    for s in recent {
        *counts.entry(s.post.format()).or_insert(0usize) += 1;
    }
    let n = recent.len().max(1) as f64;
    let used = counts.values().filter(|c| **c as f64 / n >= 0.05).count();
    let best = r
        .get("formats")
        .and_then(|f| f.evidence["best"].as_str().map(str::to_owned));
    let best_share = best
        .as_deref()
        .map(|b| *counts.get(b).unwrap_or(&0) as f64 / n);
    let base = match used {
        0 => 0,
        1 => 40,
        2 => 65,
        _ => 85,
    };
    let bonus = match best_share {
        Some(s) if s >= 0.2 => 15,
        Some(_) => 0,
        None => 15,
    };
    let mut f = vec![format!(
        "{used} formats make up at least 5% of your last 90 days."
    )];
    if let (Some(b), Some(s)) = (&best, best_share) {
        f.push(format!(
            "{b} is your best format but only {:.0}% of recent posts.",
            s * 100.0
        ));
    }
    // Only what the strategist itself claims (same data, same decision), never a raw split.
    for key in ["formats", "length"] {
        if let Some(rec) = r.get(key).filter(|x| x.status == "advice") {
            f.push(format!(
                "Strategist: {} ({}).",
                rec.title,
                rec.detail.trim_end_matches('.')
            ));
        }
    }
    let next = match (&best, best_share) {
        (Some(b), Some(s)) if s < 0.2 => {
            format!("Make {} a fifth or more of your posts.", b.to_lowercase())
        }
        _ if used < 3 => {
            "Try a third format (images, video or carousels) for a few weeks.".to_owned()
        }
        _ => "Keep the mix; check the strategist for the best format.".to_owned(),
    };
    section(
        "format_mix",
        "Format mix",
        10,
        base + bonus,
        f,
        json!({"recent_formats": counts, "best_format": best, "best_format_share": best_share.map(|s| round(s, 3))}),
        &next,
    )
}

pub(super) fn engagement_quality(recent: &[&Scored<'_>]) -> Section {
    let rates: Vec<f64> = recent
        .iter()
        .filter_map(|s| {
            let v = s.post.views()?;
            (v > 0).then(|| s.post.engagements().unwrap_or(0) as f64 / v as f64)
        })
        .collect();
    if rates.is_empty() {
        return section(
            "engagement_quality",
            "Engagement quality",
            15,
            0,
            vec!["No recent posts with metrics.".into()],
            json!({}),
            "Publish and let ThredOps sync a few weeks of posts.",
        );
    }
    let rate = median(&rates);
    // 8% engagement per view is excellent on Threads; scale linearly to it.
    let score = pct(rate / 0.08);
    section(
        "engagement_quality",
        "Engagement quality",
        15,
        score,
        vec![format!(
            "Median engagement rate {:.2}% of views over {} recent posts.",
            rate * 100.0,
            rates.len()
        )],
        json!({"median_engagement_rate": round(rate, 5), "posts": rates.len(), "definition": "(likes + replies + reposts + quotes + shares) / views"}),
        if score >= 75 {
            "Keep the hooks that work; study your top posts."
        } else {
            "Open with a strong first line and ask for a reaction."
        },
    )
}

pub(super) fn conversation(recent: &[&Scored<'_>]) -> Section {
    let views: i64 = recent.iter().map(|s| s.post.views().unwrap_or(0)).sum();
    let replies: i64 = recent.iter().map(|s| s.post.replies().unwrap_or(0)).sum();
    let with_reply = recent
        .iter()
        .filter(|s| s.post.replies().unwrap_or(0) > 0)
        .count();
    let per_1000 = if views > 0 {
        replies as f64 * 1000.0 / views as f64
    } else {
        0.0
    };
    let share = with_reply as f64 / recent.len().max(1) as f64;
    // 10 replies per 1,000 views is a lively comment section.
    let score = (pct(per_1000 / 10.0) as f64 * 0.7 + pct(share) as f64 * 0.3).round() as u32;
    section(
        "conversation",
        "Conversation",
        10,
        score,
        vec![format!(
            "{per_1000:.1} replies per 1,000 views; {:.0}% of recent posts got a reply.",
            share * 100.0
        )],
        json!({"replies_per_1000_views": round(per_1000, 2), "share_of_posts_with_replies": round(share, 3), "replies": replies}),
        "Ask one specific question per post and answer the first replies within the hour.",
    )
}

pub(super) fn growth(data: &Dataset) -> Section {
    let f = &data.followers;
    if f.len() >= 7 {
        let first = f[f.len().saturating_sub(30)].2 as f64;
        let last = f[f.len() - 1].2 as f64;
        let change = (last - first) / first.max(1.0);
        let score = (50.0 + 50.0 * (change * 20.0).tanh()).round() as u32;
        return section(
            "growth_trend",
            "Growth trend",
            15,
            score,
            vec![format!(
                "Followers {} over the last {} snapshots ({:+.1}%).",
                if change >= 0.0 { "grew" } else { "fell" },
                f.len().min(30),
                change * 100.0
            )],
            json!({"source": "followers", "change": round(change, 4), "from": first, "to": last}),
            if change > 0.0 {
                "Keep the cadence that is growing you."
            } else {
                "Look at the strategist's best format and time, and post there for two weeks."
            },
        );
    }
    // Too few follower snapshots: compare reach of the last 30 days with the 60 before.
    let views = |from: i64, to: i64| {
        let v: Vec<f64> = data
            .posts
            .iter()
            .filter(|p| {
                !p.is_repost && p.posted_at > data.as_of - from && p.posted_at <= data.as_of - to
            })
            .filter_map(|p| p.views().map(|v| v as f64))
            .collect();
        (median(&v), v.len())
    };
    let (now, n_now) = views(30 * DAY, 0);
    let (before, n_before) = views(90 * DAY, 30 * DAY);
    if n_now < 5 || n_before < 5 {
        return section("growth_trend", "Growth trend", 15, 50, vec!["Not enough data: fewer than 5 posts in the last 30 days or the 60 before, and under 7 daily follower snapshots.".into()],
            json!({"source": "none", "follower_snapshots": f.len()}), "Keep ThredOps connected: a follower snapshot is taken every day.");
    }
    let change = now / before.max(1.0) - 1.0;
    let score = (50.0 + 50.0 * (change * 2.0).tanh()).round() as u32;
    section(
        "growth_trend",
        "Growth trend",
        15,
        score,
        vec![format!(
            "Median views per post {now:.0} in the last 30 days vs {before:.0} in the 60 days before ({:+.0}%).",
            change * 100.0
        )],
        json!({"source": "views", "change": round(change, 4), "median_views_recent": now, "median_views_before": before}),
        if change >= 0.0 {
            "Reach is holding up; keep going."
        } else {
            "Reach is slipping: try the strategist's experiment for two weeks."
        },
    )
}

pub(super) fn timing_fit(r: &StrategyReport, data: &Dataset, recent: &[&Scored<'_>]) -> Section {
    let tz = r.audience.tz;
    let hour = |s: &&Scored<'_>| audience::local_hour(tz, s.post.posted_at);
    let best = r
        .get("timing")
        .filter(|t| t.status == "advice")
        .and_then(|t| t.evidence["best_window"]["hours"].as_array().cloned());
    let n = recent.len().max(1) as f64;
    let (score, finding, next) = match best {
        Some(hours) => {
            let hours: Vec<u32> = hours
                .iter()
                .filter_map(|h| h.as_u64().map(|h| h as u32))
                .collect();
            let share = recent.iter().filter(|s| hours.contains(&hour(s))).count() as f64 / n;
            (
                pct(share / 0.5),
                format!(
                    "{:.0}% of recent posts went out in your best window ({:02}:00-{:02}:00 {}).",
                    share * 100.0,
                    hours.first().copied().unwrap_or(0),
                    (hours.first().copied().unwrap_or(0) + hours.len() as u32) % 24,
                    r.audience.timezone
                ),
                "Schedule at least half of your posts in your best window.",
            )
        }
        None => {
            let share = recent.iter().filter(|s| (8..23).contains(&hour(s))).count() as f64 / n;
            (
                pct(share / 0.9),
                format!(
                    "{:.0}% of recent posts went out while your audience is awake (08:00-23:00 {}).",
                    share * 100.0,
                    r.audience.timezone
                ),
                "Post while your audience is awake; the strategist will find your best window as data grows.",
            )
        }
    };
    let mut findings = vec![finding];
    if let Some(days) = r.get("weekdays").filter(|w| w.status == "advice") {
        findings.push(format!(
            "Strategist: {} ({}).",
            days.title,
            days.detail.trim_end_matches('.')
        ));
    }
    let cities = city_shares(data);
    if !cities.is_empty() {
        findings.push(format!(
            "Largest follower cities: {} (shares of all your followers; the rest live elsewhere or were not attributed to a city).",
            cities
                .iter()
                .map(|(c, s)| format!("{c} {:.0}%", s * 100.0))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    section(
        "timing_fit",
        "Timing fit with the audience",
        10,
        score,
        findings,
        json!({"audience": r.audience,
               "top_cities": cities.iter().map(|(c, s)| json!({"city": c, "share_of_all_followers": round(*s, 3)})).collect::<Vec<_>>()}),
        next,
    )
}

/// The three largest follower cities with their share of ALL followers (Meta lists only larger
/// cities, so a share of the listed cities' total would overstate every one of them).
fn city_shares(data: &Dataset) -> Vec<(String, f64)> {
    let from_countries: i64 = data.countries.iter().map(|c| c.1).sum();
    let total = if from_countries > 0 {
        from_countries
    } else {
        data.profile.followers.unwrap_or(0)
    };
    if total <= 0 {
        return Vec::new();
    }
    data.cities
        .iter()
        .take(3)
        .map(|(c, n)| (c.clone(), *n as f64 / total as f64))
        .collect()
}

pub(super) fn links_topics(r: &StrategyReport, recent: &[&Scored<'_>]) -> Section {
    let n = recent.len().max(1) as f64;
    let tagged = recent.iter().filter(|s| s.post.topic.is_some()).count() as f64 / n;
    let linked = recent.iter().filter(|s| s.post.link_count > 0).count() as f64 / n;
    let links_hurt = r.get("links").is_some_and(|l| {
        l.status == "advice" && l.evidence["comparison"]["lift"].as_f64().unwrap_or(1.0) < 1.0
    });
    let link_score = if links_hurt && linked > 0.3 {
        20.0
    } else {
        50.0
    };
    let score = (pct(tagged / 0.5) as f64 * 0.5 + link_score).round() as u32;
    let mut f = vec![format!(
        "{:.0}% of recent posts carry a topic tag; {:.0}% carry a link.",
        tagged * 100.0,
        linked * 100.0
    )];
    if links_hurt {
        f.push("Posts with links get less engagement for you.".into());
    }
    section(
        "link_topic_use",
        "Link and topic use",
        10,
        score,
        f,
        json!({"tagged_share": round(tagged, 3), "link_share": round(linked, 3), "links_hurt": links_hurt}),
        if tagged < 0.5 {
            "Add a topic tag to every post so new readers find it."
        } else if links_hurt {
            "Put links in a reply instead of the post."
        } else {
            "Keep tagging posts."
        },
    )
}

pub(super) fn reliability(data: &Dataset, r: &StrategyReport) -> Section {
    let w: Vec<f64> = r.cadence.weekly_counts.iter().map(|c| *c as f64).collect();
    let mean = w.iter().sum::<f64>() / w.len().max(1) as f64;
    let cv = if mean > 0.0 {
        super::stats::variance(&w).sqrt() / mean
    } else {
        1.0
    };
    let healthy = data.profile.status == "active" && !data.profile.has_error;
    let score = (70.0 * (1.0 - cv.min(1.0)) + if healthy { 30.0 } else { 0.0 }).round() as u32;
    let mut f = vec![format!(
        "Weekly post counts vary by {:.0}% around their mean.",
        cv * 100.0
    )];
    if !healthy {
        f.push(format!(
            "The connection needs attention (status: {}).",
            data.profile.status.replace('_', " ")
        ));
    }
    section(
        "publishing_reliability",
        "Publishing reliability",
        10,
        score,
        f,
        json!({"weekly_counts": r.cadence.weekly_counts, "variation": round(cv, 3), "connection_healthy": healthy}),
        if healthy {
            "Schedule a week ahead so the count stays even."
        } else {
            "Reconnect the profile so syncing and publishing resume."
        },
    )
}

pub(super) fn completeness(data: &Dataset) -> Section {
    let p = &data.profile;
    let score = [
        (p.has_name, 30),
        (p.has_bio, 30),
        (p.has_picture, 30),
        (p.is_verified, 10),
    ]
    .iter()
    .filter(|(ok, _)| *ok)
    .map(|(_, s)| s)
    .sum();
    let missing: Vec<&str> = [
        (p.has_name, "display name"),
        (p.has_bio, "biography"),
        (p.has_picture, "profile picture"),
    ]
    .iter()
    .filter(|(ok, _)| !ok)
    .map(|(_, n)| *n)
    .collect();
    let f = if missing.is_empty() {
        vec!["Name, biography and picture are all set.".to_owned()]
    } else {
        vec![format!("Missing: {}.", missing.join(", "))]
    };
    section(
        "profile_completeness",
        "Profile completeness",
        5,
        score,
        f,
        json!({"name": p.has_name, "biography": p.has_bio, "picture": p.has_picture, "verified": p.is_verified}),
        if missing.is_empty() {
            "Nothing to do."
        } else {
            "Fill in the missing profile fields on Threads."
        },
    )
}
