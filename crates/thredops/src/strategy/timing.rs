//! When to post: hours of the day and days of the week, in the audience's timezone.
//!
//! Each hour (and each weekday) is compared with all other posts; only hours that pass the
//! report's multiple-comparison control are claimed. The advised window is built from those
//! hours alone: it starts at the best one and grows to neighbouring hours that passed too, so a
//! weak hour next to two strong ones is not swept into the advice (a fixed 3-hour window would
//! be, and would put half the weekly plan in it).

use serde_json::{Value, json};

use super::analysis::{
    MIN_GROUP, Recommendation, Scored, WINDOW_HOURS, comparison_json, effect_text, split,
    split_robust,
};
use super::audience::{self, Audience};
use super::multiple::Gate;
use super::stats::{Comparison, median, round};

/// Hours an advised window holds at most.
pub const MAX_WINDOW: usize = 4;
/// Weekday names, 0 = Monday.
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// The hours of the advised window: the best passing hour, grown to adjacent passing hours
/// (the stronger neighbour first), wrapping past midnight.
pub fn window(passing: &[(u32, Comparison)]) -> Vec<u32> {
    let Some(best) = passing
        .iter()
        .max_by(|a, b| a.1.lift.total_cmp(&b.1.lift).then(b.0.cmp(&a.0)))
    else {
        return Vec::new();
    };
    let lift = |h: u32| passing.iter().find(|p| p.0 == h).map(|p| p.1.lift);
    let (mut start, mut len) = (best.0, 1usize);
    while len < MAX_WINDOW {
        let before = (start + 23) % 24;
        let after = (start + len as u32) % 24;
        match (lift(before), lift(after)) {
            (Some(b), Some(a)) if b > a => start = before,
            (_, Some(_)) => {}
            (Some(_), None) => start = before,
            (None, None) => break,
        }
        len += 1;
    }
    (0..len as u32).map(|i| (start + i) % 24).collect()
}

/// Best posting hours in the audience's timezone.
pub fn timing(
    scored: &[Scored<'_>],
    audience: &Audience,
    user_tz: chrono_tz::Tz,
    at: i64,
    gate: &Gate,
) -> Recommendation {
    let title = "Best posting times";
    let hour_of = |s: &Scored<'_>| audience::local_hour(audience.tz, s.post.posted_at);
    let mut by_hour = Vec::new();
    let mut tested = Vec::new();
    for h in 0..24u32 {
        let c = gate.tested(split_robust(scored, |s| hour_of(s) == h));
        by_hour.push(row(
            scored,
            |s| hour_of(s) == h,
            json!({"hour": h}),
            c,
            gate,
        ));
        if let Some(c) = c {
            tested.push((h, c));
        }
    }
    if tested.is_empty() {
        return Recommendation::not_enough(
            "timing",
            title,
            format!(
                "Each hour needs at least {MIN_GROUP} posts with settled metrics to be compared."
            ),
            scored.len(),
        );
    }
    let passing: Vec<(u32, Comparison)> = tested
        .iter()
        .filter(|(_, c)| c.lift > 1.0 && gate.passes(c.p_value))
        .copied()
        .collect();
    let hours = window(&passing);
    let in_window = |s: &Scored<'_>| hours.contains(&hour_of(s));
    let (Some(&start), Some(c)) = (hours.first(), split(scored, in_window)) else {
        return Recommendation {
            key: "timing",
            status: "no_effect",
            title: "No posting time clearly beats the others yet".to_owned(),
            detail: format!(
                "None of the {} hours compared does better than chance explains once every test of this report is accounted for ({} tests).",
                tested.len(),
                gate.tests()
            ),
            sample_size: scored.len(),
            confidence: Some("not significant"),
            expected_effect: None,
            evidence: json!({"audience": audience, "by_hour": by_hour}),
            experiment: None,
        };
    };
    let end = (start + hours.len() as u32) % 24;
    let best_p = passing
        .iter()
        .filter(|(h, _)| hours.contains(h))
        .map(|(_, c)| c.p_value)
        .fold(1.0, f64::min);
    let user_start = shift_hour(start, audience, user_tz, at);
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
        key: "timing",
        status: "advice",
        title: format!("Post between {start:02}:00 and {end:02}:00 {where_from}"),
        detail: format!(
            "{} posts published {start:02}:00-{end:02}:00 in {} got {} compared with {} posts at other times; each of these hours beats the rest on its own. That is {user_start:02}:00 in your timezone ({}).",
            c.n_a,
            audience.timezone,
            effect_text(&c),
            c.n_b,
            user_tz.name()
        ),
        sample_size: c.n_a + c.n_b,
        confidence: Some(gate.confidence(best_p)),
        expected_effect: Some(effect_text(&c)),
        evidence: json!({"audience": audience, "best_window": {"start_hour": start, "hours": hours,
            "user_start_hour": user_start, "user_timezone": user_tz.name()},
            "comparison": comparison_json(&c, gate), "by_hour": by_hour}),
        // A time-window experiment tests WINDOW_HOURS hours; it is offered only when that is the
        // advised window, so it never tests hours the advice left out.
        experiment: (hours.len() == WINDOW_HOURS as usize).then(|| {
            json!({"kind": "time_window", "value": start.to_string(), "days": 14,
            "title": format!("Two weeks of posts at {start:02}:00-{end:02}:00 audience time")})
        }),
    }
}

/// Days of the week that do better or worse, in the audience's timezone.
pub fn weekdays(scored: &[Scored<'_>], audience: &Audience, gate: &Gate) -> Recommendation {
    let day_of = |s: &Scored<'_>| audience::local_weekday(audience.tz, s.post.posted_at);
    let mut by_day = Vec::new();
    let mut tested = Vec::new();
    for (d, name) in WEEKDAYS.iter().enumerate() {
        let c = gate.tested(split_robust(scored, |s| day_of(s) == d));
        by_day.push(row(
            scored,
            |s| day_of(s) == d,
            json!({"weekday": d, "name": name}),
            c,
            gate,
        ));
        if let Some(c) = c {
            tested.push((d, c));
        }
    }
    if tested.is_empty() {
        return Recommendation::not_enough(
            "weekdays",
            "Best days",
            format!("Each weekday needs at least {MIN_GROUP} posts with settled metrics."),
            scored.len(),
        );
    }
    let pass = |up: bool| -> Vec<(usize, Comparison)> {
        tested
            .iter()
            .filter(|(_, c)| (c.lift > 1.0) == up && gate.passes(c.p_value))
            .copied()
            .collect()
    };
    // Next to a clearly better day every other day looks worse only because that day is in its
    // "rest": weaker days are claimed only when no day is better.
    let better = pass(true);
    let worse = if better.is_empty() {
        pass(false)
    } else {
        Vec::new()
    };
    let names = |v: &[(usize, Comparison)]| {
        v.iter()
            .map(|(d, _)| format!("{}s", WEEKDAYS[*d]))
            .collect::<Vec<_>>()
            .join(" and ")
    };
    let cells = cells(scored, audience, gate, &better);
    let evidence = json!({"audience_timezone": audience.timezone, "by_weekday": by_day,
        "best": better.iter().map(|b| b.0).collect::<Vec<_>>(),
        "weaker": worse.iter().map(|b| b.0).collect::<Vec<_>>(),
        "best_cells": cells.iter().map(|(d, h, c)| json!({"weekday": d, "name": WEEKDAYS[*d], "hour": h,
            "vs_rest": comparison_json(c, gate)})).collect::<Vec<_>>()});
    if better.is_empty()
        && let Some(&(d, h, c)) = cells.iter().max_by(|a, b| a.2.lift.total_cmp(&b.2.lift))
    {
        return Recommendation {
            key: "weekdays",
            status: "advice",
            title: format!("Post on {}s at {h:02}:00", WEEKDAYS[d]),
            detail: format!(
                "{} posts on {} at {h:02}:00-{:02}:00 ({} time) got {}, though neither that day nor that hour stands out on its own.",
                c.n_a,
                WEEKDAYS[d],
                (h + 1) % 24,
                audience.timezone,
                effect_text(&c)
            ),
            sample_size: scored.len(),
            confidence: Some(gate.confidence(c.p_value)),
            expected_effect: Some(effect_text(&c)),
            evidence,
            experiment: None,
        };
    }
    let strongest = better
        .iter()
        .max_by(|a, b| a.1.lift.total_cmp(&b.1.lift))
        .or_else(|| worse.iter().min_by(|a, b| a.1.lift.total_cmp(&b.1.lift)));
    let Some(&(day, c)) = strongest else {
        return Recommendation {
            key: "weekdays",
            status: "no_effect",
            title: "No day of the week clearly beats the others".into(),
            detail:
                "Differences between weekdays are within what chance produces with this many posts."
                    .into(),
            sample_size: scored.len(),
            confidence: Some("not significant"),
            expected_effect: None,
            evidence,
            experiment: None,
        };
    };
    let (title, effect) = if better.is_empty() {
        (format!("Post less on {}", names(&worse)), None)
    } else {
        (
            format!("Post more on {}", names(&better)),
            Some(effect_text(&c)),
        )
    };
    Recommendation {
        key: "weekdays",
        status: "advice",
        title,
        detail: format!(
            "{} posts on {} ({} time) got {}.{}",
            c.n_a,
            WEEKDAYS[day],
            audience.timezone,
            effect_text(&c),
            if better.is_empty() || worse.is_empty() {
                String::new()
            } else {
                format!(" Weaker: {}.", names(&worse))
            }
        ),
        sample_size: scored.len(),
        confidence: Some(gate.confidence(c.p_value)),
        expected_effect: effect,
        evidence,
        experiment: None,
    }
}

/// Weekday x hour cells with [`MIN_GROUP`] posts of their own, each tested against the rest
/// (where the data supports it: most profiles have too few posts per cell for any). Returns the
/// cells that beat the rest and that neither a better day nor a better hour already explains.
fn cells(
    scored: &[Scored<'_>],
    audience: &Audience,
    gate: &Gate,
    better_days: &[(usize, Comparison)],
) -> Vec<(usize, u32, Comparison)> {
    let at = |s: &Scored<'_>| {
        (
            audience::local_weekday(audience.tz, s.post.posted_at),
            audience::local_hour(audience.tz, s.post.posted_at),
        )
    };
    // The hours' own tests are timing's (already counted by the gate); asked again here only to
    // see whether an hour explains a cell.
    let hour_passes: Vec<bool> = (0..24u32)
        .map(|h| {
            split_robust(scored, |s| at(s).1 == h)
                .is_some_and(|hc| hc.lift > 1.0 && gate.passes(hc.p_value))
        })
        .collect();
    let mut out = Vec::new();
    for d in 0..7usize {
        for h in 0..24u32 {
            let Some(c) = gate.tested(split_robust(scored, |s| at(s) == (d, h))) else {
                continue;
            };
            let day_passes = better_days.iter().any(|b| b.0 == d);
            if c.lift > 1.0 && gate.passes(c.p_value) && !hour_passes[h as usize] && !day_passes {
                out.push((d, h, c));
            }
        }
    }
    out
}

fn row(
    scored: &[Scored<'_>],
    pick: impl Fn(&Scored<'_>) -> bool,
    mut head: Value,
    c: Option<Comparison>,
    gate: &Gate,
) -> Value {
    let inside: Vec<&Scored<'_>> = scored.iter().filter(|s| pick(s)).collect();
    let eng: Vec<f64> = inside
        .iter()
        .map(|s| s.post.engagements().unwrap_or(0) as f64)
        .collect();
    let rel: Vec<f64> = inside.iter().map(|s| s.rel).collect();
    head["posts"] = json!(inside.len());
    head["median_engagements"] = json!(median(&eng));
    head["relative"] = json!(round(super::stats::mean(&rel).exp(), 3));
    head["vs_rest"] = c.map_or(Value::Null, |c| comparison_json(&c, gate));
    head
}

/// The hour in the owner's timezone that is `hour` in the audience's (at the data's time).
fn shift_hour(hour: u32, audience: &Audience, user_tz: chrono_tz::Tz, at: i64) -> u32 {
    let diff = audience::offset_hours(user_tz, at) - audience.utc_offset_hours;
    ((f64::from(hour) + diff).rem_euclid(24.0)).floor() as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::strategy::data::PostFacts;

    fn c(lift: f64) -> Comparison {
        Comparison {
            n_a: 20,
            n_b: 200,
            lift,
            ci_low: lift * 0.8,
            ci_high: lift * 1.2,
            p_value: 1e-6,
        }
    }

    /// 12 posts in each of 7 days x 12 hours (08:00-19:00 UTC, 2026-01-05 is a Monday) with
    /// normal noise; posts in `boosted` cells get 3x.
    fn posts(boosted: &[(usize, u32)]) -> Vec<PostFacts> {
        let mut state = 42u64;
        let mut uniform = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        };
        let monday = 1_767_571_200;
        let mut out = Vec::new();
        for week in 0..12i64 {
            for d in 0..7usize {
                for h in 8..20u32 {
                    let noise = (-2.0 * uniform().max(1e-12).ln()).sqrt()
                        * (std::f64::consts::TAU * uniform()).cos()
                        * 0.5;
                    let boost = if boosted.contains(&(d, h)) {
                        3f64.ln()
                    } else {
                        0.0
                    };
                    out.push(PostFacts {
                        media_id: out.len().to_string().into(),
                        posted_at: monday
                            + week * 7 * 86_400
                            + d as i64 * 86_400
                            + i64::from(h) * 3_600,
                        // The relative score rides in the views (see `scored`).
                        metrics: Some([((noise + boost) * 1e6) as i64, 0, 0, 0, 0, 0]),
                        ..Default::default()
                    });
                }
            }
        }
        out
    }

    fn scored(posts: &[PostFacts]) -> Vec<Scored<'_>> {
        posts
            .iter()
            .map(|p| Scored {
                post: p,
                rel: p.views().unwrap_or(0) as f64 / 1e6,
                rel_replies: 0.0,
            })
            .collect()
    }

    fn decide(scored: &[Scored<'_>]) -> Recommendation {
        let audience = audience::from_countries(&[], chrono_tz::Tz::UTC, 0);
        let first = Gate::collecting();
        timing(scored, &audience, chrono_tz::Tz::UTC, 0, &first);
        weekdays(scored, &audience, &first);
        let gate = Gate::new(first.into_seen());
        weekdays(scored, &audience, &gate)
    }

    #[test]
    fn a_single_weekday_hour_cell_is_found_when_the_data_supports_it() {
        let cell = posts(&[(1, 14)]);
        let r = decide(&scored(&cell));
        assert_eq!(r.status, "advice", "{}", r.evidence);
        assert_eq!(r.title, "Post on Tuesdays at 14:00");
        assert_eq!(r.evidence["best"], json!([]));
        let none = posts(&[]);
        let r = decide(&scored(&none));
        assert_eq!(r.status, "no_effect", "{}", r.evidence);
    }

    #[test]
    fn the_window_holds_only_hours_that_passed() {
        // 20 and 21 strong; 19 did not pass, so it is not in the window.
        assert_eq!(window(&[(20, c(2.04)), (21, c(2.14))]), vec![20, 21]);
        // A window wraps past midnight and stops at MAX_WINDOW hours.
        let night = [
            (22, c(1.5)),
            (23, c(1.6)),
            (0, c(1.7)),
            (1, c(1.4)),
            (2, c(1.3)),
        ];
        assert_eq!(window(&night), vec![22, 23, 0, 1]);
        // Two separate runs: the one with the best hour wins.
        assert_eq!(window(&[(9, c(1.5)), (19, c(2.0))]), vec![19]);
        assert!(window(&[]).is_empty());
    }
}
