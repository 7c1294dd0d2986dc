//! Suggested posting times: the next free hours at the times the profile's history shows to be
//! better than its typical post, in the user's zone; when nothing stands out, hours its audience
//! is usually active, labelled as such; its posting slots while its history is too thin.
//!
//! The question "when do my posts do best?" is asked of 199 groups at once (24 hours, 7
//! weekdays and up to 168 weekday × hour cells, each with [`MIN_CELL_POSTS`] posts of its own,
//! each compared with all other posts by Welch's t-test). Asked that often, chance alone gives a
//! few "best hours" on any account, so the groups pass the same Benjamini-Hochberg control the
//! strategist uses ([`crate::strategy::multiple::Gate`]); only groups that pass are suggested.
//! Each post scores ln(1 + views) against the median of the posts around it (follower growth
//! lifts later posts; that is not a time effect), capped at [`CAP`]x either way so one viral
//! post cannot carry an hour.

use chrono::{DateTime, Datelike, Duration, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::when;
use crate::analytics::content::WEEKDAYS;
use crate::analytics::period;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::strategy::multiple::Gate;
use crate::strategy::stats::{self, Comparison, median};

/// Posts with settled metrics needed before best times are looked for.
pub const MIN_POSTS: usize = 30;
/// Posts a group (a cell, an hour, a weekday) needs to be tested; fewer would make any cell
/// with two lucky posts look like a best time.
pub const MIN_CELL_POSTS: usize = 8;
/// How far one post may count above or below its neighbours (as a multiple of views).
pub const CAP: f64 = 4.0;
/// Audience-local hours offered when no time stands out: lunchtime and the evening, when most
/// people read their feeds. A convention, always labelled as such, never a measured best time.
pub const ACTIVE_HOURS: [u32; 3] = [12, 18, 20];
/// Posts on each side of a post that make its baseline.
const NEIGHBOURS: usize = 25;
/// Cells suggested at most (three a day).
const BEST_CELLS: usize = 21;
/// The history looked at.
const HISTORY: Duration = Duration::days(365);
/// Views keep growing for two days; younger posts would make their hours look worse.
const SETTLED: Duration = Duration::days(2);
/// How far ahead times are suggested.
const HORIZON_DAYS: u32 = 14;
/// Suggestions start at least this far ahead, so there is time to finish the post.
const NOTICE: Duration = Duration::minutes(10);

/// One weekday × hour cell of the user's zone that beats the profile's typical post.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Cell {
    /// 0 = Monday.
    pub weekday: usize,
    /// 0-23, local time.
    pub hour: usize,
    /// Posts published in it.
    pub posts: usize,
    /// Views of posts at this time as a multiple of the profile's other posts.
    pub views_vs_typical: f64,
    /// What stood out: `hour` (this hour on any day), `weekday` (this day at any hour),
    /// `weekday_and_hour` (both) or `weekday_hour` (this very cell).
    pub basis: &'static str,
    /// Posts of the group that stood out.
    pub evidence_posts: usize,
}

/// What the history shows about times.
#[derive(Debug, Clone, PartialEq)]
pub struct TimeFindings {
    /// Groups tested (hours, weekdays and cells with enough posts).
    pub tests: usize,
    /// Cells that stand out after the correction, best first.
    pub cells: Vec<Cell>,
}

/// Relative scores of `posts` (publication time, views), oldest first.
fn relative(posts: &[(i64, i64)]) -> Vec<(i64, f64)> {
    let mut sorted = posts.to_vec();
    sorted.sort_unstable();
    let logs: Vec<f64> = sorted
        .iter()
        .map(|p| (1.0 + p.1.max(0) as f64).ln())
        .collect();
    (0..sorted.len())
        .map(|i| {
            let lo = i.saturating_sub(NEIGHBOURS);
            let hi = (i + NEIGHBOURS + 1).min(logs.len());
            let rel = (logs[i] - median(&logs[lo..hi])).clamp(-CAP.ln(), CAP.ln());
            (sorted[i].0, rel)
        })
        .collect()
}

fn compare(rel: &[(i64, f64)], inside: impl Fn(usize) -> bool) -> Option<Comparison> {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for (i, (_, r)) in rel.iter().enumerate() {
        if inside(i) { a.push(*r) } else { b.push(*r) }
    }
    if a.len() < MIN_CELL_POSTS || b.len() < MIN_CELL_POSTS {
        return None;
    }
    stats::robust(&a, &b)
}

/// The times that beat the profile's other posts beyond chance; `None` with fewer than
/// [`MIN_POSTS`] posts. `posts` are (publication time, views).
pub fn best_cells(posts: &[(i64, i64)], tz: Tz) -> Option<TimeFindings> {
    if posts.len() < MIN_POSTS {
        return None;
    }
    let rel = relative(posts);
    let at: Vec<(usize, usize)> = rel.iter().map(|p| period::weekday_hour(tz, p.0)).collect();
    let gate = Gate::collecting();
    let hours: Vec<Option<Comparison>> = (0..24)
        .map(|h| gate.tested(compare(&rel, |i| at[i].1 == h)))
        .collect();
    let days: Vec<Option<Comparison>> = (0..7)
        .map(|d| gate.tested(compare(&rel, |i| at[i].0 == d)))
        .collect();
    let cells: Vec<Vec<Option<Comparison>>> = (0..7)
        .map(|d| {
            (0..24)
                .map(|h| gate.tested(compare(&rel, |i| at[i] == (d, h))))
                .collect()
        })
        .collect();
    let gate = Gate::new(gate.into_seen());
    let up = |c: &Option<Comparison>| c.filter(|c| c.lift > 1.0 && gate.passes(c.p_value));
    let down = |c: &Option<Comparison>| c.is_some_and(|c| c.lift < 1.0 && gate.passes(c.p_value));
    let mut best = Vec::new();
    for d in 0..7 {
        for h in 0..24 {
            // Only hours the creator actually posts at are offered, and nothing that stood out
            // as worse.
            if hours[h].is_none() || down(&hours[h]) || down(&days[d]) || down(&cells[d][h]) {
                continue;
            }
            // The broadest group that stood out explains the cell best (a cell compared with
            // the rest also competes with its own hour on other days, which understates it).
            let (lift, basis, evidence) = match (up(&hours[h]), up(&days[d]), up(&cells[d][h])) {
                (Some(hc), Some(dc), _) => {
                    (hc.lift * dc.lift, "weekday_and_hour", hc.n_a.min(dc.n_a))
                }
                (Some(hc), None, _) => (hc.lift, "hour", hc.n_a),
                (None, Some(dc), _) => (dc.lift, "weekday", dc.n_a),
                (None, None, Some(c)) => (c.lift, "weekday_hour", c.n_a),
                (None, None, None) => continue,
            };
            best.push((
                Cell {
                    weekday: d,
                    hour: h,
                    posts: at.iter().filter(|x| **x == (d, h)).count(),
                    views_vs_typical: (lift * 100.0).round() / 100.0,
                    basis,
                    evidence_posts: evidence,
                },
                // Among equally supported cells (a weekday's hours), the hour's own showing.
                hours[h].map_or(0.0, |c| c.lift),
            ));
        }
    }
    best.sort_by(|a, b| {
        b.0.views_vs_typical
            .total_cmp(&a.0.views_vs_typical)
            .then(b.1.total_cmp(&a.1))
            .then((a.0.weekday, a.0.hour).cmp(&(b.0.weekday, b.0.hour)))
    });
    best.truncate(BEST_CELLS);
    Some(TimeFindings {
        tests: gate.tests(),
        cells: best.into_iter().map(|b| b.0).collect(),
    })
}

/// One suggested time.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    /// Wall-clock time in the user's zone, as the composer's schedule field takes it.
    pub local_time: String,
    /// The instant (UTC seconds).
    pub scheduled_at: i64,
    /// For people, e.g. `Tue 2 Jun 2026, 19:00 JST`.
    pub display: String,
    /// Why this time.
    pub why: String,
    /// The best-time cell it comes from (none for posting slots).
    pub cell: Option<Cell>,
}

/// Suggested times for a profile and where they come from.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestions {
    /// The profile.
    pub profile_id: String,
    /// The user's zone the times are in.
    pub timezone: String,
    /// `best_times` (times that beat the profile's other posts beyond chance),
    /// `audience_active_hours` (nothing stood out: hours the audience is usually active, not a
    /// measured best), `posting_slots` (too little history) or `none`.
    pub source: &'static str,
    /// Whether the history was enough to look for best times.
    pub enough_data: bool,
    /// Groups of posts (hours, weekdays, weekday × hour cells) tested together.
    pub tests: usize,
    /// Posts with settled metrics in the last year that were looked at.
    pub posts_analysed: usize,
    /// What the list is, in words (and why it is not best times, when it is not).
    pub message: String,
    /// Soonest first.
    pub suggestions: Vec<Suggestion>,
}

/// The next `count` free suggested times of one of the user's profiles (404 for anyone else's).
pub async fn suggested_times(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: &str,
    count: usize,
) -> AppResult<Suggestions> {
    let profile = state
        .store
        .profile_of(
            auth.workspace_id(),
            &crate::domain::ProfileId::from(profile_id),
        )
        .await?
        .ok_or(AppError::NotFound)?;
    let tz = super::service::user_zone(auth);
    let analysed_at = state.threads.now();
    let history = state
        .store
        .posts_in(
            &crate::domain::ProfileId::from(profile_id),
            (analysed_at - HISTORY).timestamp(),
            (analysed_at - SETTLED).timestamp(),
        )
        .await?;
    let posts: Vec<(i64, i64)> = history
        .iter()
        .filter(|p| !p.is_repost)
        .filter_map(|p| Some((p.posted_at, p.views?)))
        .collect();
    let now = crate::clock::now();
    let taken = state.store.taken_times(profile_id, now.timestamp()).await?;
    let mut out = Suggestions {
        profile_id: profile_id.to_owned(),
        timezone: tz.name().to_owned(),
        source: "best_times",
        enough_data: true,
        tests: 0,
        posts_analysed: posts.len(),
        message: String::new(),
        suggestions: Vec::new(),
    };
    let fallback = match best_cells(&posts, tz) {
        Some(found) if !found.cells.is_empty() => {
            out.tests = found.tests;
            out.message = format!(
                "Times when your posts got more views than your other posts beyond chance, from {} of the last year ({} hour, weekday and weekday × hour groups were tested together and only those that stand out after accounting for all of them are listed), in {}.",
                n_posts(posts.len()),
                found.tests,
                tz.name()
            );
            out.suggestions = at_best_cells(&found.cells, tz, now, &taken, count);
            return Ok(out);
        }
        Some(found) => {
            out.tests = found.tests;
            let audience =
                crate::strategy::data::audience(state, &profile, tz, analysed_at.timestamp())
                    .await?;
            out.source = "audience_active_hours";
            let hours = ACTIVE_HOURS
                .iter()
                .map(|h| format!("{h:02}:00"))
                .collect::<Vec<_>>()
                .join(", ");
            out.message = format!(
                "No time stands out in your history yet: none of the {} hour, weekday and weekday × hour groups tested from {} beats your other posts beyond chance. These are hours when your audience is usually active ({hours} in {}, {}), not measured best times.",
                found.tests,
                n_posts(posts.len()),
                audience.timezone,
                match audience.source {
                    "demographics" => "from your follower countries",
                    "your timezone" => "your timezone; no follower countries yet",
                    _ => "no follower countries or timezone yet",
                }
            );
            out.suggestions = at_active_hours(audience.tz, tz, now, &taken, count);
            return Ok(out);
        }
        None => format!(
            "Not enough data yet to find your best times: {} with settled views in the last year, {MIN_POSTS} needed",
            n_posts(posts.len())
        ),
    };
    out.enough_data = false;
    let slots = super::slots(state, profile_id).await?;
    out.suggestions = at_slots(&slots, tz, now, &taken, count);
    (out.source, out.message) = if out.suggestions.is_empty() {
        (
            "none",
            format!(
                "{fallback}, and this profile has no free posting slots. Add slots (e.g. weekdays 09:00) or pick a time."
            ),
        )
    } else {
        (
            "posting_slots",
            format!("{fallback}; these are your posting slots."),
        )
    };
    Ok(out)
}

/// The next free [`ACTIVE_HOURS`] of the audience's zone, soonest first, in the user's zone.
fn at_active_hours(
    audience: Tz,
    tz: Tz,
    now: DateTime<Utc>,
    taken: &[i64],
    count: usize,
) -> Vec<Suggestion> {
    let today = now.with_timezone(&audience).date_naive();
    let mut out = Vec::new();
    for day in 0..=i64::from(HORIZON_DAYS) {
        let date = today + Duration::days(day);
        for h in ACTIVE_HOURS {
            let time = NaiveTime::from_hms_opt(h, 0, 0).unwrap_or_default();
            let Some(at) = audience
                .from_local_datetime(&date.and_time(time))
                .earliest()
                .map(|t| t.with_timezone(&Utc))
            else {
                continue;
            };
            let hour = at.timestamp()..at.timestamp() + 3600;
            if at < now + NOTICE || taken.iter().any(|t| hour.contains(t)) {
                continue;
            }
            out.push(suggestion(
                at,
                tz,
                format!(
                    "{h:02}:00 {} time: your audience is usually active then (not a measured best time)",
                    audience.name()
                ),
                None,
            ));
            if out.len() == count {
                return out;
            }
        }
    }
    out
}

/// The next free hours at the best cells, soonest first. An hour holding a scheduled post is
/// taken.
fn at_best_cells(
    cells: &[Cell],
    tz: Tz,
    now: DateTime<Utc>,
    taken: &[i64],
    count: usize,
) -> Vec<Suggestion> {
    let today = now.with_timezone(&tz).date_naive();
    let mut out = Vec::new();
    for day in 0..=i64::from(HORIZON_DAYS) {
        let date = today + Duration::days(day);
        let weekday = date.weekday().num_days_from_monday() as usize;
        let mut todays: Vec<&Cell> = cells.iter().filter(|c| c.weekday == weekday).collect();
        todays.sort_by_key(|c| c.hour);
        for cell in todays {
            let time = NaiveTime::from_hms_opt(cell.hour as u32, 0, 0).unwrap_or_default();
            let at = when::to_utc(date.and_time(time), tz);
            let hour = at.timestamp()..at.timestamp() + 3600;
            if at < now + NOTICE || taken.iter().any(|t| hour.contains(t)) {
                continue;
            }
            out.push(suggestion(at, tz, why(cell), Some(*cell)));
            if out.len() == count {
                return out;
            }
        }
    }
    out
}

/// Why a cell is suggested, naming the group that stood out and its posts.
fn why(cell: &Cell) -> String {
    let (day, h) = (WEEKDAYS[cell.weekday], cell.hour);
    let group = match cell.basis {
        "hour" => format!("posts at {h:02}:00 on any day"),
        "weekday" => format!("posts on any {day}"),
        "weekday_and_hour" => format!("posts at {h:02}:00 and posts on {day}s"),
        _ => format!("posts on {day} at {h:02}:00"),
    };
    format!(
        "{day} {h:02}:00-{:02}:00: {:.1}x the views of your other posts ({group}: {}, beyond chance)",
        (h + 1) % 24,
        cell.views_vs_typical,
        n_posts(cell.evidence_posts)
    )
}

/// "1 post", "12 posts".
fn n_posts(n: usize) -> String {
    format!("{n} {}", if n == 1 { "post" } else { "posts" })
}

/// The next free posting slots, soonest first.
fn at_slots(
    slots: &[when::Slot],
    tz: Tz,
    now: DateTime<Utc>,
    taken: &[i64],
    count: usize,
) -> Vec<Suggestion> {
    when::upcoming(slots, tz, now + NOTICE, HORIZON_DAYS.div_ceil(7))
        .into_iter()
        .map(|local| when::to_utc(local, tz))
        .filter(|at| !taken.contains(&at.timestamp()))
        .take(count)
        .map(|at| suggestion(at, tz, "One of your posting slots".to_owned(), None))
        .collect()
}

fn suggestion(at: DateTime<Utc>, tz: Tz, why: String, cell: Option<Cell>) -> Suggestion {
    Suggestion {
        local_time: when::local_value(at, tz),
        scheduled_at: at.timestamp(),
        display: when::show(at, tz),
        why,
        cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn post_counts_read_as_words() {
        assert_eq!(n_posts(1), "1 post");
        assert_eq!(
            (n_posts(0), n_posts(12)),
            ("0 posts".into(), "12 posts".into())
        );
    }

    /// Posts every day at 09:00, 13:00 and 19:00 UTC for `days` days; 19:00 gets `boost` x views.
    fn history(days: i64, boost: f64) -> Vec<(i64, i64)> {
        let start = Utc
            .with_ymd_and_hms(2026, 1, 5, 0, 0, 0)
            .unwrap()
            .timestamp();
        let mut out = Vec::new();
        for d in 0..days {
            for (h, m) in [(9, 1.0), (13, 1.0), (19, boost)] {
                // A little spread so cells are not identical.
                let noise = 1.0 + ((d * 7 + h) % 5) as f64 / 20.0;
                out.push((start + d * 86_400 + h * 3600, (100.0 * m * noise) as i64));
            }
        }
        out
    }

    /// `n` posts at pseudo-random hours 07-23 with log-normal views and no time effect at all.
    fn noise(n: usize, seed: u64) -> Vec<(i64, i64)> {
        let mut state = seed;
        let mut uniform = || {
            state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
        };
        let start = 1_767_600_000;
        (0..n)
            .map(|i| {
                let day = (i as i64 * 300) / n as i64;
                let hour = 7 + (uniform() * 17.0) as i64;
                let z = (-2.0 * uniform().max(1e-12).ln()).sqrt()
                    * (std::f64::consts::TAU * uniform()).cos();
                (
                    start + day * 86_400 + hour * 3600,
                    (300.0 * (0.7 * z).exp()) as i64,
                )
            })
            .collect()
    }

    #[test]
    fn the_boosted_hour_is_best_on_every_weekday() {
        let found = best_cells(&history(56, 2.5), Tz::UTC).unwrap();
        let cells = found.cells;
        assert_eq!(cells.len(), 7, "{cells:?}");
        assert!(cells.iter().all(|c| c.hour == 19 && c.posts == 8));
        // 2.5x the views of the posts at other hours.
        assert!(
            cells
                .iter()
                .all(|c| (2.0..3.0).contains(&c.views_vs_typical)),
            "{cells:?}"
        );
        // 24 hours cannot all be tested (3 are posted at), 7 weekdays, 21 cells of 8 posts.
        assert_eq!(found.tests, 3 + 7 + 21);
    }

    #[test]
    fn cells_are_read_in_the_users_zone() {
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        let cells = best_cells(&history(28, 3.0), tokyo).unwrap().cells;
        // 19:00 UTC is 04:00 the next day in Tokyo.
        assert!(
            !cells.is_empty() && cells.iter().all(|c| c.hour == 4),
            "{cells:?}"
        );
    }

    #[test]
    fn one_viral_post_does_not_make_a_best_time() {
        let mut posts = history(28, 1.0);
        posts[3].1 = 1_000_000;
        let cells = best_cells(&posts, Tz::UTC).unwrap().cells;
        assert!(cells.is_empty(), "{cells:?}");
    }

    #[test]
    fn noise_gives_no_best_time() {
        // Ranked by lift alone (as before the correction), each of these had ten "best hours".
        for seed in 1..=10 {
            let found = best_cells(&noise(500, seed), Tz::UTC).unwrap();
            assert!(found.tests >= 24, "{}", found.tests);
            assert!(found.cells.is_empty(), "seed {seed}: {:?}", found.cells);
        }
    }

    #[test]
    fn a_strong_weekday_is_found_without_a_best_hour() {
        // Tuesdays (2026-01-06 is one) get 3x the views.
        let posts: Vec<(i64, i64)> = noise(600, 7)
            .into_iter()
            .map(|(at, v)| {
                let tuesday = period::weekday_hour(Tz::UTC, at).0 == 1;
                (at, if tuesday { v * 3 } else { v })
            })
            .collect();
        let cells = best_cells(&posts, Tz::UTC).unwrap().cells;
        assert!(!cells.is_empty());
        assert!(cells.iter().all(|c| c.weekday == 1), "{cells:?}");
    }

    #[test]
    fn too_few_posts_give_no_best_times() {
        assert!(best_cells(&history(9, 2.0), Tz::UTC).is_none());
        assert!(best_cells(&history(10, 2.0), Tz::UTC).is_some());
    }

    #[test]
    fn suggestions_skip_hours_already_taken_and_come_soonest_first() {
        let cells = best_cells(&history(28, 2.0), Tz::UTC).unwrap().cells;
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 12, 0, 0).unwrap(); // a Monday
        let taken = [Utc
            .with_ymd_and_hms(2026, 6, 1, 19, 30, 0)
            .unwrap()
            .timestamp()];
        let s = at_best_cells(&cells, Tz::UTC, now, &taken, 3);
        let times: Vec<&str> = s.iter().map(|s| s.local_time.as_str()).collect();
        assert_eq!(
            times,
            ["2026-06-02T19:00", "2026-06-03T19:00", "2026-06-04T19:00"]
        );
        assert!(s[0].why.starts_with("Tue 19:00-20:00: 2."), "{}", s[0].why);
        assert!(s[0].why.contains("beyond chance"), "{}", s[0].why);
    }

    #[test]
    fn active_hours_are_the_audiences_and_say_they_are_not_measured() {
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 0, 0, 0).unwrap(); // 09:00 in Tokyo
        let s = at_active_hours(tokyo, Tz::UTC, now, &[], 4);
        let times: Vec<&str> = s.iter().map(|s| s.local_time.as_str()).collect();
        // 12:00, 18:00 and 20:00 in Tokyo are 03:00, 09:00 and 11:00 UTC.
        assert_eq!(
            times,
            [
                "2026-06-01T03:00",
                "2026-06-01T09:00",
                "2026-06-01T11:00",
                "2026-06-02T03:00"
            ]
        );
        assert!(
            s.iter()
                .all(|x| x.why.contains("not a measured best time") && x.cell.is_none())
        );
    }
}
