//! The schedule as the calendar page shows it: a month, a week or a day time grid, or the queue
//! of what comes next, all in the user's zone, with drafts, unacknowledged failures and each
//! profile's posting slots.
//!
//! Every post is read once per page and decrypted only when it is shown.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime};
use chrono_tz::Tz;
use serde::Serialize;

use super::service::{self, user_zone};
use super::store::PostRecord;
use super::{PostState, when};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::AppResult;

/// How the schedule is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// Weeks of day cells.
    Month,
    /// Seven days by hour.
    Week,
    /// One day by hour.
    Day,
    /// Everything still to be published, in order.
    Queue,
}

impl Layout {
    /// Reads the page's `view` parameter (month when absent or unknown).
    pub fn parse(value: Option<&str>) -> Layout {
        match value {
            Some("week") => Layout::Week,
            Some("day") => Layout::Day,
            Some("queue") => Layout::Queue,
            _ => Layout::Month,
        }
    }
}

/// A post as a calendar entry.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    /// Post id.
    pub id: String,
    /// Local date, `2026-12-04` (empty for drafts).
    pub date: String,
    /// Local time, `09:00` (empty for drafts).
    pub time: String,
    /// Where it is in its life.
    pub state: PostState,
    /// `text`, `image`, ...
    pub kind: super::PostKind,
    /// The first words of its text.
    pub preview: String,
    /// The profile it publishes on.
    pub profile: String,
    /// Whether it can be dragged to another time (scheduled posts and drafts).
    pub movable: bool,
    /// Whether it re-shares an evergreen post.
    pub evergreen: bool,
}

/// A day of the month grid.
#[derive(Debug, Serialize)]
pub struct DayCell {
    /// `2026-12-04`.
    pub date: String,
    /// `Fri 4 Dec`.
    pub label: String,
    /// Day of the month.
    pub day: u32,
    /// Outside the shown month.
    pub outside: bool,
    /// Today in the user's zone.
    pub today: bool,
    /// Saturday or Sunday.
    pub weekend: bool,
    /// Its posts, in time order.
    pub posts: Vec<Entry>,
}

/// One hour of the week or day grid, across its days.
#[derive(Debug, Serialize)]
pub struct HourRow {
    /// `09:00`.
    pub label: String,
    /// The hour, 0-23.
    pub hour: u32,
    /// One cell per shown day.
    pub cells: Vec<HourCell>,
}

/// A day's hour in the time grid.
#[derive(Debug, Serialize)]
pub struct HourCell {
    /// `2026-12-04`.
    pub date: String,
    /// `Fri 4 Dec, 09:00`.
    pub label: String,
    /// Today in the user's zone.
    pub today: bool,
    /// Posts in this hour.
    pub posts: Vec<Entry>,
}

/// A day of the queue.
#[derive(Debug, Serialize)]
pub struct QueueDay {
    /// `Friday 4 December 2026`.
    pub label: String,
    /// Its posts in order.
    pub posts: Vec<Entry>,
}

/// A profile's weekly posting slots, for the slots editor.
#[derive(Debug, Serialize)]
pub struct ProfileSlots {
    /// Profile id.
    pub id: String,
    /// Username.
    pub name: String,
    /// Each slot as (weekday key `mon`..`sun`, `HH:MM`), in week order.
    pub slots: Vec<SlotEntry>,
    /// The week at a glance: seven columns (Monday first) of slot times.
    pub week: Vec<Vec<String>>,
}

/// One posting slot.
#[derive(Debug, Serialize)]
pub struct SlotEntry {
    /// `mon`..`sun`.
    pub day: &'static str,
    /// `HH:MM`.
    pub time: String,
}

/// The whole page.
#[derive(Debug, Serialize)]
pub struct Calendar {
    /// Chosen layout.
    pub layout: Layout,
    /// `December 2026`, `Week of 30 November 2026`, ...
    pub title: String,
    /// The user's zone name.
    pub timezone: String,
    /// The date the page is about, `2026-12-04`.
    pub anchor: String,
    /// Dates of the previous and next page.
    pub prev: String,
    /// See `prev`.
    pub next: String,
    /// Month layout: weeks of days.
    pub weeks: Vec<Vec<DayCell>>,
    /// Week and day layouts: the shown days (column heads).
    pub days: Vec<DayCell>,
    /// Week and day layouts: the hours.
    pub hours: Vec<HourRow>,
    /// Queue layout: days with posts still to publish.
    pub queue: Vec<QueueDay>,
    /// Posts without a time.
    pub drafts: Vec<Entry>,
    /// Failed posts the user has not dismissed.
    pub failed: usize,
    /// Posting slots per profile.
    pub profiles: Vec<ProfileSlots>,
}

/// Weekday keys, Monday first, as the slots editor submits them.
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// The earliest hour the time grid always shows; earlier rows appear only when a post is there.
const GRID_FIRST_HOUR: u32 = 6;

/// Builds the calendar page around `anchor` (today when absent).
pub async fn build(
    state: &AppState,
    auth: &CurrentUser,
    layout: Layout,
    anchor: Option<NaiveDate>,
) -> AppResult<Calendar> {
    let tz = user_zone(auth);
    let now = crate::clock::now();
    let today = now.with_timezone(&tz).date_naive();
    let anchor = anchor.unwrap_or(today);
    let (first, last) = span(layout, anchor, today);
    let from = day_start(first, tz);
    let to = match layout {
        // Everything still to come, however far ahead it is planned.
        Layout::Queue => i64::MAX,
        _ => day_start(last + Duration::days(1), tz),
    };

    let named: Vec<(String, String)> =
        crate::services::profiles::usernames(state, auth.workspace_id())
            .await?
            .into_iter()
            .map(|(id, name)| (id.into(), name))
            .collect();
    let names: BTreeMap<String, String> = named.iter().cloned().collect();
    let posts = state
        .store
        .planned_posts_of(auth.workspace_id(), None)
        .await?;
    let reshares = state.store.evergreen_post_ids(auth.workspace_id()).await?;
    let failed = posts
        .iter()
        .filter(|p| p.state == PostState::Failed && !p.acknowledged)
        .count();
    let mut shown = Vec::new();
    let mut drafts = Vec::new();
    for p in &posts {
        match p.scheduled_at {
            None => drafts.push(entry(state, p, tz, &names, &reshares).await?),
            Some(at) if at >= from && at < to => {
                shown.push(entry(state, p, tz, &names, &reshares).await?)
            }
            Some(_) => {}
        }
    }
    if layout == Layout::Queue {
        shown.retain(|e| e.state.is_underway());
    }

    let mut calendar = Calendar {
        layout,
        title: title(layout, anchor, first),
        timezone: tz.name().to_owned(),
        anchor: anchor.to_string(),
        prev: step(layout, anchor, false).to_string(),
        next: step(layout, anchor, true).to_string(),
        weeks: Vec::new(),
        days: Vec::new(),
        hours: Vec::new(),
        queue: Vec::new(),
        drafts,
        failed,
        profiles: slots_of(state, &named).await?,
    };
    match layout {
        Layout::Month => calendar.weeks = month(first, last, anchor, today, shown),
        Layout::Week | Layout::Day => {
            calendar.days = days(first, last, anchor, today, layout, &mut Vec::new());
            calendar.hours = grid(first, last, today, shown);
        }
        Layout::Queue => calendar.queue = queue(shown),
    }
    Ok(calendar)
}

/// The first and last local day a layout shows.
fn span(layout: Layout, anchor: NaiveDate, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    match layout {
        Layout::Month => {
            let month = anchor.with_day(1).unwrap_or(anchor);
            let end = step(Layout::Month, month, true) - Duration::days(1);
            (
                when::week_start(month),
                when::week_start(end) + Duration::days(6),
            )
        }
        Layout::Week => {
            let start = when::week_start(anchor);
            (start, start + Duration::days(6))
        }
        Layout::Day => (anchor, anchor),
        // The queue is everything from today on (see `build`).
        Layout::Queue => (today, today),
    }
}

/// The anchor of the previous (`forward == false`) or next page.
fn step(layout: Layout, anchor: NaiveDate, forward: bool) -> NaiveDate {
    let sign = if forward { 1 } else { -1 };
    match layout {
        Layout::Month | Layout::Queue => {
            let month = anchor.with_day(1).unwrap_or(anchor);
            if forward {
                (month + Duration::days(32)).with_day(1).unwrap_or(month)
            } else {
                (month - Duration::days(1)).with_day(1).unwrap_or(month)
            }
        }
        Layout::Week => anchor + Duration::days(7 * sign),
        Layout::Day => anchor + Duration::days(sign),
    }
}

fn title(layout: Layout, anchor: NaiveDate, first: NaiveDate) -> String {
    match layout {
        Layout::Month => anchor.format("%B %Y").to_string(),
        Layout::Week => format!("Week of {}", first.format("%-d %B %Y")),
        Layout::Day => anchor.format("%A %-d %B %Y").to_string(),
        Layout::Queue => "Queue".to_owned(),
    }
}

/// Midnight of `day` in `tz`, as UTC seconds.
fn day_start(day: NaiveDate, tz: Tz) -> i64 {
    when::to_utc(day.and_time(NaiveTime::MIN), tz).timestamp()
}

async fn entry(
    state: &AppState,
    p: &PostRecord,
    tz: Tz,
    names: &BTreeMap<String, String>,
    reshares: &std::collections::HashSet<String>,
) -> AppResult<Entry> {
    let local = p
        .scheduled_at
        .and_then(|t| DateTime::from_timestamp(t, 0))
        .map(|t| t.with_timezone(&tz));
    let content = service::open(state, p).await?;
    Ok(Entry {
        id: p.id.clone(),
        date: local
            .map(|t| t.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        time: local
            .map(|t| t.format("%H:%M").to_string())
            .unwrap_or_default(),
        state: p.state,
        kind: p.kind,
        preview: preview(&content),
        profile: names.get(&p.profile_id).cloned().unwrap_or_default(),
        movable: matches!(p.state, PostState::Scheduled | PostState::Draft),
        evergreen: reshares.contains(&p.id),
    })
}

/// Short text of a post for the calendar.
pub fn preview(c: &super::compose::Composition) -> String {
    let text = c.parts.first().map(|p| p.text.trim()).unwrap_or("");
    let mut out: String = text.chars().take(60).collect();
    if text.chars().count() > 60 {
        out.push('…');
    }
    if out.is_empty() {
        "(media only)".into()
    } else {
        out
    }
}

fn cell(day: NaiveDate, anchor: NaiveDate, today: NaiveDate, layout: Layout) -> DayCell {
    DayCell {
        date: day.to_string(),
        label: day.format("%a %-d %b").to_string(),
        day: day.day(),
        outside: layout == Layout::Month && day.month() != anchor.month(),
        today: day == today,
        weekend: when::is_weekend(day.weekday()),
        posts: Vec::new(),
    }
}

fn days(
    first: NaiveDate,
    last: NaiveDate,
    anchor: NaiveDate,
    today: NaiveDate,
    layout: Layout,
    posts: &mut Vec<Entry>,
) -> Vec<DayCell> {
    let mut out = Vec::new();
    let mut day = first;
    while day <= last {
        let mut c = cell(day, anchor, today, layout);
        let date = day.to_string();
        c.posts = posts.extract_if(.., |e| e.date == date).collect();
        out.push(c);
        day += Duration::days(1);
    }
    out
}

fn month(
    first: NaiveDate,
    last: NaiveDate,
    anchor: NaiveDate,
    today: NaiveDate,
    mut posts: Vec<Entry>,
) -> Vec<Vec<DayCell>> {
    let all = days(first, last, anchor, today, Layout::Month, &mut posts);
    let mut weeks = Vec::new();
    let mut it = all.into_iter().peekable();
    while it.peek().is_some() {
        weeks.push(it.by_ref().take(7).collect());
    }
    weeks
}

/// Hour rows from 06:00 (or the earliest post) to 23:00, one cell per day.
fn grid(first: NaiveDate, last: NaiveDate, today: NaiveDate, posts: Vec<Entry>) -> Vec<HourRow> {
    let hour_of = |e: &Entry| e.time.get(..2).and_then(|h| h.parse::<u32>().ok());
    let earliest = posts
        .iter()
        .filter_map(hour_of)
        .min()
        .unwrap_or(GRID_FIRST_HOUR);
    let mut by_slot: BTreeMap<(String, u32), Vec<Entry>> = BTreeMap::new();
    for e in posts {
        let hour = hour_of(&e).unwrap_or(0);
        by_slot.entry((e.date.clone(), hour)).or_default().push(e);
    }
    (earliest.min(GRID_FIRST_HOUR)..24)
        .map(|hour| {
            let mut cells = Vec::new();
            let mut day = first;
            while day <= last {
                let time = NaiveTime::from_hms_opt(hour, 0, 0).unwrap_or(NaiveTime::MIN);
                cells.push(HourCell {
                    date: day.to_string(),
                    label: format!("{}, {}", day.format("%a %-d %b"), time.format("%H:%M")),
                    today: day == today,
                    posts: by_slot.remove(&(day.to_string(), hour)).unwrap_or_default(),
                });
                day += Duration::days(1);
            }
            HourRow {
                label: format!("{hour:02}:00"),
                hour,
                cells,
            }
        })
        .collect()
}

fn queue(posts: Vec<Entry>) -> Vec<QueueDay> {
    let mut out: Vec<QueueDay> = Vec::new();
    for e in posts {
        let label = NaiveDate::parse_from_str(&e.date, "%Y-%m-%d")
            .map(|d| d.format("%A %-d %B %Y").to_string())
            .unwrap_or_default();
        match out.last_mut() {
            Some(day) if day.label == label => day.posts.push(e),
            _ => out.push(QueueDay {
                label,
                posts: vec![e],
            }),
        }
    }
    out
}

async fn slots_of(state: &AppState, names: &[(String, String)]) -> AppResult<Vec<ProfileSlots>> {
    let mut out = Vec::new();
    for (id, name) in names {
        let mut slots = super::slots(state, id).await?;
        slots.sort();
        let mut week = vec![Vec::new(); 7];
        for s in &slots {
            week[usize::from(s.weekday % 7)].push(s.time());
        }
        out.push(ProfileSlots {
            id: id.clone(),
            name: name.clone(),
            slots: slots
                .iter()
                .map(|s| SlotEntry {
                    day: WEEKDAYS[usize::from(s.weekday % 7)],
                    time: s.time(),
                })
                .collect(),
            week,
        });
    }
    Ok(out)
}

/// Reads the slots editor's rows (a weekday key, `weekdays` or `daily`, and a time each; rows
/// without a day are removed slots) into slots, or says which row is wrong.
pub fn parse_slot_rows(rows: &[(String, String)]) -> Result<Vec<when::Slot>, String> {
    let mut out = Vec::new();
    for (n, (day, time)) in rows.iter().enumerate() {
        let (day, time) = (day.trim(), time.trim());
        if day.is_empty() {
            continue;
        }
        let chosen: &[&str] = match day {
            "weekdays" => &WEEKDAYS[..5],
            "daily" => &WEEKDAYS,
            other => &[other][..],
        };
        for d in chosen {
            let slot = when::Slot::parse(d, time).ok_or_else(|| {
                if time.is_empty() {
                    format!("Slot {}: choose a time.", n + 1)
                } else {
                    format!("Slot {}: \"{time}\" is not a time like 09:00.", n + 1)
                }
            })?;
            if !out.contains(&slot) {
                out.push(slot);
            }
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_month_page_covers_whole_weeks_around_the_month() {
        let (first, last) = span(Layout::Month, d("2026-12-17"), d("2026-12-04"));
        assert_eq!((first, last), (d("2026-11-30"), d("2027-01-03")));
    }

    #[test]
    fn pages_step_by_their_own_length() {
        assert_eq!(step(Layout::Day, d("2026-12-31"), true), d("2027-01-01"));
        assert_eq!(step(Layout::Week, d("2026-12-04"), false), d("2026-11-27"));
        assert_eq!(step(Layout::Month, d("2026-03-31"), false), d("2026-02-01"));
    }

    #[test]
    fn slot_rows_expand_weekdays_skip_removed_rows_and_name_the_bad_row() {
        let rows = |r: &[(&str, &str)]| {
            r.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        };
        let slots = parse_slot_rows(&rows(&[
            ("weekdays", "09:00"),
            ("", "10:00"),
            ("sat", "11:30"),
        ]))
        .unwrap();
        assert_eq!(slots.len(), 6);
        assert_eq!(slots.last().unwrap().time(), "11:30");
        let err = parse_slot_rows(&rows(&[("mon", "09:00"), ("tue", "25:00")])).unwrap_err();
        assert!(err.starts_with("Slot 2"), "{err}");
    }

    #[test]
    fn the_time_grid_starts_early_only_for_early_posts() {
        let post = |time: &str| Entry {
            id: "p".into(),
            date: "2026-12-04".into(),
            time: time.into(),
            state: PostState::Scheduled,
            kind: crate::publishing::PostKind::default(),
            preview: "x".into(),
            profile: String::new(),
            movable: true,
            evergreen: false,
        };
        let day = d("2026-12-04");
        let rows = grid(day, day, day, vec![post("14:10")]);
        assert_eq!(rows.first().unwrap().label, "06:00");
        assert_eq!(
            rows.iter().find(|r| r.hour == 14).unwrap().cells[0]
                .posts
                .len(),
            1
        );
        let rows = grid(day, day, day, vec![post("03:30")]);
        assert_eq!(rows.first().unwrap().label, "03:00");
    }
}
