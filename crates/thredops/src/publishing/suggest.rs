//! Suggested posting times: the next free hours at the profile's best weekday × hour cells in the
//! user's zone, or its posting slots while its history is too thin to tell.
//!
//! The cells are the analytics heatmap's (each post in the weekday and hour it went out, in the
//! user's zone, from the stored snapshots). They are ranked by typical rather than mean views:
//! each post scores ln(1 + views) against the profile's median, capped at [`CAP`]x either way, so
//! one post that went viral does not make its hour the best. A cell holds few posts, so its
//! estimate is pulled towards what its weekday and its hour show across the whole history (an
//! empirical-Bayes shrinkage): a cell needs consistent evidence of its own to rise above an hour
//! that is good every day.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::Serialize;

use super::when;
use crate::analytics::content::WEEKDAYS;
use crate::analytics::{period, queries};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};

/// Posts with settled metrics needed before best times are suggested.
pub const MIN_POSTS: usize = 30;
/// Posts a cell needs of its own to be suggested.
pub const MIN_CELL_POSTS: usize = 2;
/// How far one post may count above or below the profile's median (as a multiple of views).
pub const CAP: f64 = 4.0;
/// How many posts' worth of weight the weekday-and-hour expectation has in a cell's estimate.
const SHRINK: f64 = 3.0;
/// Cells suggested at most (about one a day over a fortnight).
const BEST_CELLS: usize = 10;
/// The history looked at.
const HISTORY: Duration = Duration::days(365);
/// Views keep growing for two days; younger posts would make their hours look worse.
const SETTLED: Duration = Duration::days(2);
/// How far ahead times are suggested.
const HORIZON_DAYS: u32 = 14;
/// Suggestions start at least this far ahead, so there is time to finish the post.
const NOTICE: Duration = Duration::minutes(10);

/// One weekday × hour cell of the user's zone and how its posts did.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Cell {
    /// 0 = Monday.
    pub weekday: usize,
    /// 0-23, local time.
    pub hour: usize,
    /// Posts published in it.
    pub posts: usize,
    /// Its typical views as a multiple of the profile's typical post.
    pub views_vs_typical: f64,
}

/// The cells whose posts beat the profile's typical post, best first (at most [`BEST_CELLS`],
/// each with [`MIN_CELL_POSTS`] posts); `None` with fewer than [`MIN_POSTS`] posts.
/// `posts` are (publication time, views).
pub fn best_cells(posts: &[(i64, i64)], tz: Tz) -> Option<Vec<Cell>> {
    if posts.len() < MIN_POSTS {
        return None;
    }
    let mut logs: Vec<f64> = posts
        .iter()
        .map(|p| (1.0 + p.1.max(0) as f64).ln())
        .collect();
    logs.sort_by(f64::total_cmp);
    let median = logs[logs.len() / 2];
    let score = |views: i64| ((1.0 + views.max(0) as f64).ln() - median).clamp(-CAP.ln(), CAP.ln());
    let typical = posts.iter().map(|p| score(p.1)).sum::<f64>() / posts.len() as f64;
    let mut days = [(0.0, 0usize); 7];
    let mut hours = [(0.0, 0usize); 24];
    let mut cells = [[(0.0, 0usize); 24]; 7];
    for &(at, views) in posts {
        let (d, h) = period::weekday_hour(tz, at);
        for sum in [&mut days[d], &mut hours[h], &mut cells[d][h]] {
            sum.0 += score(views);
            sum.1 += 1;
        }
    }
    // A mean of `sum` over `n` posts, pulled towards `prior` as if it held SHRINK more posts.
    let shrunk = |(sum, n): (f64, usize), prior: f64| (sum + SHRINK * prior) / (n as f64 + SHRINK);
    let mut best = Vec::new();
    for (d, row) in cells.iter().enumerate() {
        for (h, &cell) in row.iter().enumerate() {
            if cell.1 < MIN_CELL_POSTS {
                continue;
            }
            let expected = shrunk(days[d], typical) + shrunk(hours[h], typical) - typical;
            let lift = (shrunk(cell, expected) - typical).exp();
            if lift > 1.0 {
                best.push(Cell {
                    weekday: d,
                    hour: h,
                    posts: cell.1,
                    views_vs_typical: (lift * 100.0).round() / 100.0,
                });
            }
        }
    }
    best.sort_by(|a, b| b.views_vs_typical.total_cmp(&a.views_vs_typical));
    best.truncate(BEST_CELLS);
    Some(best)
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
    /// `best_times`, `posting_slots` or `none`.
    pub source: &'static str,
    /// Whether the history was enough to find best times.
    pub enough_data: bool,
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
    state
        .store
        .profile_of(&auth.user.id, profile_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let tz = super::service::user_zone(auth);
    let analysed_at = state.threads.now();
    let history = queries::posts_in(
        &state.store,
        profile_id,
        (analysed_at - HISTORY).timestamp(),
        (analysed_at - SETTLED).timestamp(),
    )
    .await?;
    let posts: Vec<(i64, i64)> = history
        .iter()
        .filter(|p| !p.is_repost)
        .filter_map(|p| Some((p.posted_at, p.views?)))
        .collect();
    let now = Utc::now();
    let taken = state.store.taken_times(profile_id, now.timestamp()).await?;
    let mut out = Suggestions {
        profile_id: profile_id.to_owned(),
        timezone: tz.name().to_owned(),
        source: "best_times",
        enough_data: true,
        posts_analysed: posts.len(),
        message: String::new(),
        suggestions: Vec::new(),
    };
    let fallback = match best_cells(&posts, tz) {
        Some(cells) if !cells.is_empty() => {
            out.message = format!(
                "Your best hours from {} posts of the last year: when your posts got the most views, in {}.",
                posts.len(),
                tz.name()
            );
            out.suggestions = at_best_cells(&cells, tz, now, &taken, count);
            return Ok(out);
        }
        Some(_) => "No hour stands out in your history yet".to_owned(),
        None => format!(
            "Not enough data yet to find your best times: {} posts with settled views in the last year, {MIN_POSTS} needed",
            posts.len()
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
            out.push(suggestion(
                at,
                tz,
                format!(
                    "{} {:02}:00-{:02}:00: {:.1}x the views of your typical post ({} posts)",
                    WEEKDAYS[cell.weekday],
                    cell.hour,
                    (cell.hour + 1) % 24,
                    cell.views_vs_typical,
                    cell.posts
                ),
                Some(*cell),
            ));
            if out.len() == count {
                return out;
            }
        }
    }
    out
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
    use chrono::TimeZone;

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

    #[test]
    fn the_boosted_hour_is_best_on_every_weekday() {
        let cells = best_cells(&history(56, 2.5), Tz::UTC).unwrap();
        assert_eq!(cells.len(), 7);
        assert!(cells.iter().all(|c| c.hour == 19 && c.posts == 8));
        // 2.5x on a third of the posts is 2.5^(2/3) = 1.84x the typical post.
        assert!(
            cells
                .iter()
                .all(|c| (1.6..2.1).contains(&c.views_vs_typical)),
            "{cells:?}"
        );
    }

    #[test]
    fn cells_are_read_in_the_users_zone() {
        let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
        let cells = best_cells(&history(28, 3.0), tokyo).unwrap();
        // 19:00 UTC is 04:00 the next day in Tokyo.
        assert!(cells.iter().all(|c| c.hour == 4), "{cells:?}");
    }

    #[test]
    fn one_viral_post_does_not_make_a_best_time() {
        let mut posts = history(28, 1.0);
        posts[3].1 = 1_000_000;
        let cells = best_cells(&posts, Tz::UTC).unwrap();
        assert!(cells.iter().all(|c| c.views_vs_typical < 1.5), "{cells:?}");
    }

    #[test]
    fn too_few_posts_give_no_best_times() {
        assert!(best_cells(&history(9, 2.0), Tz::UTC).is_none());
        assert!(best_cells(&history(10, 2.0), Tz::UTC).is_some());
    }

    #[test]
    fn suggestions_skip_hours_already_taken_and_come_soonest_first() {
        let cells = best_cells(&history(28, 2.0), Tz::UTC).unwrap();
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
        assert!(s[0].why.starts_with("Tue 19:00-20:00: 1."), "{}", s[0].why);
    }
}
