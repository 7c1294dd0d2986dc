//! The pure rules of evergreen posts: when the next re-share may go out, which variation it
//! uses, whether its results dropped, and whether a post's text is bound to a time.
//!
//! Intervals are counted in local calendar days of the owner's zone, so "every 7 days at 09:00"
//! stays at 09:00 across a DST change (one real interval is then 167 or 169 hours) and "never
//! twice within 30 days" means 30 calendar days on the owner's calendar.

use chrono::{Datelike, NaiveDate};

/// How a re-share did against the original over the same age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Results {
    /// Views.
    pub views: i64,
    /// Likes, replies, reposts and quotes.
    pub engagement: i64,
}

/// The variation (0-based) of re-share number `seq` (1-based) among `count`: the original text
/// (variation 0) went out first, so re-shares start with the second and rotate.
pub fn variation_for(seq: i64, count: usize) -> usize {
    if count == 0 {
        return 0;
    }
    (seq.max(0) as usize) % count
}

/// The first local date the next re-share may use: `every` days after the last appearance, and
/// never within `min_interval` days of any appearance (the original included).
pub fn earliest_date(
    appearances: &[NaiveDate],
    every: i64,
    min_interval: i64,
) -> Option<NaiveDate> {
    let last = appearances.iter().max()?;
    let candidate = *last + chrono::Duration::days(every.max(min_interval).max(1));
    Some(candidate)
}

/// Whether `date` keeps at least `min_interval` days from every appearance.
pub fn respects_interval(appearances: &[NaiveDate], date: NaiveDate, min_interval: i64) -> bool {
    appearances
        .iter()
        .all(|d| (date - *d).num_days().abs() >= min_interval)
}

/// Whether a re-share's results dropped below `threshold` percent of the original's views or
/// engagement (an original without engagement is judged on views alone).
pub fn dropped(reshare: Results, original: Results, threshold: i64) -> bool {
    let below = |got: i64, base: i64| base > 0 && got * 100 < base * threshold;
    below(reshare.views, original.views) || below(reshare.engagement, original.engagement)
}

/// `part` as a percentage of `whole`, rounded down (0 when `whole` is 0).
pub fn percent(part: i64, whole: i64) -> i64 {
    if whole <= 0 { 0 } else { part * 100 / whole }
}

const TIME_WORDS: &[&str] = &[
    "today",
    "tonight",
    "tomorrow",
    "yesterday",
    "this morning",
    "this afternoon",
    "this evening",
    "this week",
    "this weekend",
    "next week",
    "last week",
    "this month",
    "next month",
    "last month",
    "this year",
    "right now",
    "just now",
    "live now",
    "now live",
    "happening now",
    "starts in",
    "ends soon",
    "last chance",
    "countdown",
    "happy new year",
    "merry christmas",
    "black friday",
    "cyber monday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];

/// Whether a text reads as bound to its moment (a date, a weekday, "today", "this week", a
/// year, a holiday): re-sharing it later would be wrong, so it is never proposed.
pub fn time_bound(text: &str) -> bool {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric() && c != '/' && c != '-' && c != '.')
        .filter(|w| !w.is_empty())
        .collect();
    let joined = format!(" {} ", words.join(" "));
    if TIME_WORDS
        .iter()
        .any(|w| joined.contains(&format!(" {w} ")))
    {
        return true;
    }
    let this_year = crate::clock::now().year();
    words.iter().any(|w| {
        let year = w
            .parse::<i32>()
            .is_ok_and(|y| (2000..=this_year + 5).contains(&y));
        // 12/05, 2026-03-29, 29.03.
        let date = w.chars().filter(|c| c.is_ascii_digit()).count() >= 2
            && w.chars().any(|c| matches!(c, '/' | '-' | '.'))
            && w.chars()
                .all(|c| c.is_ascii_digit() || matches!(c, '/' | '-' | '.'));
        year || date
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn variations_rotate_starting_after_the_original() {
        let seq: Vec<usize> = (1..=7).map(|s| variation_for(s, 3)).collect();
        assert_eq!(seq, [1, 2, 0, 1, 2, 0, 1]);
        assert_eq!(variation_for(5, 1), 0);
    }

    #[test]
    fn the_next_date_keeps_the_cadence_and_the_minimum_interval() {
        let shown = [d("2027-01-01"), d("2027-02-10")];
        assert_eq!(earliest_date(&shown, 7, 30), Some(d("2027-03-12")));
        assert_eq!(earliest_date(&shown, 45, 30), Some(d("2027-03-27")));
        assert!(respects_interval(&shown, d("2027-03-12"), 30));
        assert!(!respects_interval(&shown, d("2027-03-11"), 30));
        // A re-share moved earlier by hand still counts.
        assert!(!respects_interval(
            &[d("2027-03-01"), d("2027-02-20")],
            d("2027-03-15"),
            30
        ));
    }

    #[test]
    fn results_drop_below_the_threshold_of_views_or_engagement() {
        let original = Results {
            views: 1000,
            engagement: 100,
        };
        let held = Results {
            views: 600,
            engagement: 50,
        };
        assert!(!dropped(held, original, 50));
        assert!(dropped(
            Results {
                views: 499,
                engagement: 90
            },
            original,
            50
        ));
        assert!(dropped(
            Results {
                views: 900,
                engagement: 49
            },
            original,
            50
        ));
        let no_engagement = Results {
            views: 1000,
            engagement: 0,
        };
        assert!(!dropped(held, no_engagement, 50));
        assert_eq!(percent(310, 1000), 31);
    }

    #[test]
    fn dated_and_seasonal_texts_are_time_bound() {
        for t in [
            "Live now on my channel!",
            "Sale ends Friday",
            "Today I learned about lifetimes",
            "My 2025 in review",
            "See you on 12/05",
            "Happy New Year, everyone",
            "Webinar tomorrow at 5",
        ] {
            assert!(time_bound(t), "{t}");
        }
        for t in [
            "Write the test first, then the code.",
            "Three habits that doubled my reach",
            "Tip: name variables after what they mean",
            "May your builds be green",
        ] {
            assert!(!time_bound(t), "{t}");
        }
    }
}
