//! Recurrence rules: which local dates a series falls on, and the instant of each occurrence.
//!
//! A rule is daily, weekly on chosen weekdays, or monthly on the nth (or last) weekday, at one
//! wall-clock time in the owner's zone, from a first date with an optional end (a last date or
//! a number of occurrences, skipped ones included). Instants are derived per date, so 09:00
//! stays 09:00 local across DST changes; a time that does not exist that day (clocks went
//! forward) moves to the next minute that does, and a time that happens twice (clocks went
//! back) is the first of the two, once.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone,
    Timelike, Utc,
};
use chrono_tz::Tz;

use crate::error::AppError;

/// How often a series recurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frequency {
    /// Every day.
    Daily,
    /// On the chosen weekdays of every week.
    Weekly,
    /// On the nth (or last) chosen weekday of every month.
    Monthly,
}

impl Frequency {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Frequency::Daily => "daily",
            Frequency::Weekly => "weekly",
            Frequency::Monthly => "monthly",
        }
    }

    /// Reads a stored or typed name.
    pub fn parse(s: &str) -> Option<Frequency> {
        match s.trim().to_ascii_lowercase().as_str() {
            "daily" => Some(Frequency::Daily),
            "weekly" => Some(Frequency::Weekly),
            "monthly" => Some(Frequency::Monthly),
            _ => None,
        }
    }
}

crate::store::decode_by_name!(Frequency, "series frequency");

/// Short weekday names, Monday first (bit 0 of a weekday mask).
pub const DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const DAY_NAMES: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];
/// Monday to Friday.
pub const WEEKDAYS: u8 = 0b0001_1111;
/// Rules never look further than this many years past their first date.
const MAX_YEARS: i64 = 20;

/// A recurrence rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Daily, weekly or monthly.
    pub frequency: Frequency,
    /// Weekdays (bit 0 = Monday): the days of a weekly rule, the one day of a monthly rule.
    pub weekdays: u8,
    /// Monthly rules: 1-4, or -1 for the last such weekday of the month.
    pub nth: Option<i8>,
    /// Wall-clock time.
    pub time: NaiveTime,
    /// First local date.
    pub starts_on: NaiveDate,
    /// Last local date, if any.
    pub ends_on: Option<NaiveDate>,
    /// Number of occurrences, if limited.
    pub max_count: Option<u32>,
}

/// The index of a weekday name (`mon`..`sun`, or the full name), Monday = 0.
pub fn weekday_index(name: &str) -> Option<usize> {
    let n = name.trim().to_ascii_lowercase();
    if n.len() < 3 {
        return None;
    }
    DAYS.iter().position(|d| n.starts_with(d))
}

impl Rule {
    /// Checks the rule's own consistency; errors name the field to fix.
    pub fn validate(&self) -> Result<(), AppError> {
        match self.frequency {
            Frequency::Daily => {}
            Frequency::Weekly if self.weekdays & 0x7f == 0 => {
                return Err(AppError::field(
                    "days",
                    "Choose at least one weekday to post on.",
                ));
            }
            Frequency::Weekly => {}
            Frequency::Monthly => {
                if (self.weekdays & 0x7f).count_ones() != 1 {
                    return Err(AppError::field(
                        "weekday",
                        "Choose the weekday of the month to post on (e.g. Monday).",
                    ));
                }
                if !matches!(self.nth, Some(1..=4 | -1)) {
                    return Err(AppError::field(
                        "nth",
                        "Choose first, second, third, fourth or last.",
                    ));
                }
            }
        }
        if let Some(end) = self.ends_on
            && end < self.starts_on
        {
            return Err(AppError::field(
                "ends_on",
                "The last date is before the first one. Choose a later date.",
            ));
        }
        if self.max_count == Some(0) || self.max_count.is_some_and(|n| n > 1000) {
            return Err(AppError::field(
                "count",
                "Give a number of posts between 1 and 1000, or no end.",
            ));
        }
        if self.ends_on.is_some() && self.max_count.is_some() {
            return Err(AppError::field(
                "count",
                "End either on a date or after a number of posts, not both.",
            ));
        }
        Ok(())
    }

    /// Whether the rule falls on `date` (ignoring its start and end).
    pub fn falls_on(&self, date: NaiveDate) -> bool {
        let bit = 1u8 << date.weekday().num_days_from_monday();
        match self.frequency {
            Frequency::Daily => true,
            Frequency::Weekly => self.weekdays & bit != 0,
            Frequency::Monthly => {
                if self.weekdays & bit == 0 {
                    return false;
                }
                match self.nth {
                    Some(-1) => (date + Duration::days(7)).month() != date.month(),
                    Some(n) if n > 0 => (date.day() as i8 - 1) / 7 + 1 == n,
                    _ => false,
                }
            }
        }
    }

    /// Every date of the series in order, each with its number (1-based), within its end.
    pub fn dates(&self) -> impl Iterator<Item = (u32, NaiveDate)> + '_ {
        let last = self
            .ends_on
            .unwrap_or(self.starts_on + Duration::days(366 * MAX_YEARS));
        self.starts_on
            .iter_days()
            .take_while(move |d| *d <= last)
            .filter(|d| self.falls_on(*d))
            .zip(1u32..)
            .map(|(d, n)| (n, d))
            .take_while(|(n, _)| self.max_count.is_none_or(|max| *n <= max))
    }

    /// The occurrences whose instant is within `(after, until]`: (number, date, local time as
    /// it happens that day, instant).
    pub fn between(
        &self,
        tz: Tz,
        after: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Vec<(u32, NaiveDate, NaiveDateTime, DateTime<Utc>)> {
        let from = after.with_timezone(&tz).date_naive() - Duration::days(1);
        let to = until.with_timezone(&tz).date_naive() + Duration::days(1);
        let mut out = Vec::new();
        for (n, date) in self.dates() {
            if date > to {
                break;
            }
            if date < from {
                continue;
            }
            let (local, at) = resolve(date.and_time(self.time), tz);
            if at > after && at <= until {
                out.push((n, date, local, at));
            }
        }
        out
    }

    /// The rule in words, e.g. "Every weekday at 09:00, 10 times".
    pub fn describe(&self) -> String {
        let time = self.time.format("%H:%M");
        let days: Vec<&str> = (0..7)
            .filter(|i| self.weekdays & (1 << i) != 0)
            .map(|i| DAY_NAMES[i])
            .collect();
        let head = match self.frequency {
            Frequency::Daily => format!("Every day at {time}"),
            Frequency::Weekly if self.weekdays & 0x7f == WEEKDAYS => {
                format!("Every weekday (Monday to Friday) at {time}")
            }
            Frequency::Weekly if days.len() == 7 => format!("Every day at {time}"),
            Frequency::Weekly => format!("Every {} at {time}", join_words(&days)),
            Frequency::Monthly => {
                let nth = match self.nth {
                    Some(1) => "first",
                    Some(2) => "second",
                    Some(3) => "third",
                    Some(4) => "fourth",
                    _ => "last",
                };
                format!(
                    "The {nth} {} of every month at {time}",
                    days.first().copied().unwrap_or("day")
                )
            }
        };
        let start = self.starts_on.format("%-d %b %Y");
        match (self.ends_on, self.max_count) {
            (Some(end), _) => format!("{head}, from {start} until {}", end.format("%-d %b %Y")),
            (_, Some(1)) => format!("{head}, once, from {start}"),
            (_, Some(n)) => format!("{head}, {n} times from {start}"),
            _ => format!("{head}, from {start}"),
        }
    }
}

fn join_words(words: &[&str]) -> String {
    match words {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// The instant of a wall-clock time in `tz`, and the wall-clock time it really is: a time in
/// a DST gap moves to the first minute after the gap; a repeated time is the first of the two.
pub fn resolve(local: NaiveDateTime, tz: Tz) -> (NaiveDateTime, DateTime<Utc>) {
    let mut t = local;
    for _ in 0..(26 * 60) {
        match tz.from_local_datetime(&t) {
            LocalResult::Single(x) => return (t, x.with_timezone(&Utc)),
            LocalResult::Ambiguous(first, _) => return (t, first.with_timezone(&Utc)),
            LocalResult::None => {
                t = (t + Duration::minutes(1))
                    .with_second(0)
                    .unwrap_or(t + Duration::minutes(1));
            }
        }
    }
    (local, super::super::when::to_utc(local, tz))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(frequency: Frequency, weekdays: u8, nth: Option<i8>, time: &str, start: &str) -> Rule {
        Rule {
            frequency,
            weekdays,
            nth,
            time: NaiveTime::parse_from_str(time, "%H:%M").unwrap(),
            starts_on: NaiveDate::parse_from_str(start, "%Y-%m-%d").unwrap(),
            ends_on: None,
            max_count: None,
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn berlin_nine_stays_nine_across_both_switches() {
        let r = rule(Frequency::Daily, 0, None, "09:00", "2027-03-26");
        let tz: Tz = "Europe/Berlin".parse().unwrap();
        let got: Vec<String> = r
            .between(tz, utc("2027-03-26T00:00:00Z"), utc("2027-03-30T00:00:00Z"))
            .iter()
            .map(|o| o.3.to_rfc3339())
            .collect();
        assert_eq!(
            got,
            [
                "2027-03-26T08:00:00+00:00",
                "2027-03-27T08:00:00+00:00",
                "2027-03-28T07:00:00+00:00",
                "2027-03-29T07:00:00+00:00"
            ]
        );
        let autumn = r.between(tz, utc("2027-10-30T00:00:00Z"), utc("2027-11-01T00:00:00Z"));
        assert_eq!(autumn[0].3.to_rfc3339(), "2027-10-30T07:00:00+00:00");
        assert_eq!(autumn[1].3.to_rfc3339(), "2027-10-31T08:00:00+00:00");
    }

    #[test]
    fn gaps_move_to_the_next_valid_minute_and_repeats_fire_once() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // 14 March 2027: 02:00 -> 03:00 EDT. 02:30 becomes 03:00 EDT (07:00 UTC).
        let spring = rule(Frequency::Daily, 0, None, "02:30", "2027-03-13");
        let got = spring.between(ny, utc("2027-03-13T00:00:00Z"), utc("2027-03-16T00:00:00Z"));
        assert_eq!(got.len(), 3);
        assert_eq!(got[1].2.format("%H:%M").to_string(), "03:00");
        assert_eq!(got[1].3.to_rfc3339(), "2027-03-14T07:00:00+00:00");
        assert_eq!(got[2].3.to_rfc3339(), "2027-03-15T06:30:00+00:00");
        // 7 November 2027: 01:30 happens twice; it fires once, at the first (EDT, 05:30 UTC).
        let autumn = rule(Frequency::Daily, 0, None, "01:30", "2027-11-06");
        let got = autumn.between(ny, utc("2027-11-06T00:00:00Z"), utc("2027-11-09T00:00:00Z"));
        let on_the_day: Vec<_> = got
            .iter()
            .filter(|o| o.1.to_string() == "2027-11-07")
            .collect();
        assert_eq!(on_the_day.len(), 1);
        assert_eq!(on_the_day[0].3.to_rfc3339(), "2027-11-07T05:30:00+00:00");
    }

    #[test]
    fn weekly_monthly_and_ends() {
        let mut weekdays = rule(Frequency::Weekly, WEEKDAYS, None, "09:00", "2026-12-04");
        weekdays.max_count = Some(3);
        let dates: Vec<String> = weekdays.dates().map(|(_, d)| d.to_string()).collect();
        assert_eq!(dates, ["2026-12-04", "2026-12-07", "2026-12-08"]);
        let first_monday = rule(Frequency::Monthly, 1, Some(1), "09:00", "2026-12-01");
        let dates: Vec<String> = first_monday
            .dates()
            .take(3)
            .map(|(_, d)| d.to_string())
            .collect();
        assert_eq!(dates, ["2026-12-07", "2027-01-04", "2027-02-01"]);
        let last_friday = rule(Frequency::Monthly, 1 << 4, Some(-1), "09:00", "2026-12-01");
        assert_eq!(
            last_friday.dates().next().unwrap().1.to_string(),
            "2026-12-25"
        );
        let mut until = rule(Frequency::Daily, 0, None, "09:00", "2026-12-01");
        until.ends_on = NaiveDate::from_ymd_opt(2026, 12, 3);
        assert_eq!(until.dates().count(), 3);
        assert_eq!(
            weekdays.describe(),
            "Every weekday (Monday to Friday) at 09:00, 3 times from 4 Dec 2026"
        );
        assert_eq!(
            first_monday.describe(),
            "The first Monday of every month at 09:00, from 1 Dec 2026"
        );
        assert!(
            rule(Frequency::Weekly, 0, None, "09:00", "2026-12-01")
                .validate()
                .is_err()
        );
        assert!(
            rule(Frequency::Monthly, 3, Some(1), "09:00", "2026-12-01")
                .validate()
                .is_err()
        );
    }
}
