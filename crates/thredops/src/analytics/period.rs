//! Periods of analysis in the user's time zone: the last 7/30/90/365 local days, a custom range of
//! local dates, or all time, each with the period of equal length just before it.

use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Longest custom range accepted (ten years), so a typo cannot ask for a millennium.
const MAX_DAYS: i64 = 3660;

/// The period query string every analytics route accepts.
#[derive(Debug, Clone, Default, Deserialize, Serialize, schemars::JsonSchema)]
#[serde(default)]
pub struct PeriodQuery {
    /// `7d`, `30d` (default), `90d`, `365d`, `all` or `custom`.
    pub period: Option<String>,
    /// First local date of a custom period, `YYYY-MM-DD`.
    pub from: Option<String>,
    /// Last local date (inclusive) of a custom period, `YYYY-MM-DD`.
    pub to: Option<String>,
}

/// A run of whole local days and the UTC instants that bound them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Window {
    /// First local date.
    pub from: NaiveDate,
    /// Last local date (inclusive).
    pub to: NaiveDate,
    /// Local midnight starting `from`, as Unix seconds.
    pub start: i64,
    /// Local midnight after `to`, as Unix seconds (exclusive).
    pub end: i64,
}

impl Window {
    /// The window of local dates `from..=to` in `tz`.
    pub fn new(tz: Tz, from: NaiveDate, to: NaiveDate) -> Self {
        Self {
            from,
            to,
            start: local_midnight(tz, from),
            end: local_midnight(tz, to + Duration::days(1)),
        }
    }

    /// Number of days.
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }

    /// `from` as the `YYYY-MM-DD` key of day-keyed tables.
    pub fn first_day_key(&self) -> String {
        self.from.format("%Y-%m-%d").to_string()
    }

    /// `to` as the `YYYY-MM-DD` key of day-keyed tables.
    pub fn last_day_key(&self) -> String {
        self.to.format("%Y-%m-%d").to_string()
    }

    /// Every date of the window, in order.
    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let from = self.from;
        (0..self.days()).map(move |i| from + Duration::days(i))
    }
}

/// A resolved period and the one it is compared with.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Period {
    /// `7d`, `30d`, `90d`, `365d`, `custom` or `all`.
    pub key: String,
    /// The user's time zone.
    #[serde(serialize_with = "tz_name")]
    #[schemars(with = "String")]
    pub tz: Tz,
    /// The period shown.
    pub current: Window,
    /// The same number of days just before it (none for all time).
    pub previous: Option<Window>,
    /// Set when the plan's history limit shortened the period or dropped its comparison: the
    /// number of days the plan shows (null when nothing was cut).
    pub history_limited_to_days: Option<u32>,
}

impl Period {
    /// Keeps the period within the last `days` local days up to `today` (today included): the
    /// period shown starts no earlier, and a comparison period reaching further back is dropped.
    /// Older data stays stored; it is only not shown.
    pub fn limit_history(mut self, days: u32, today: NaiveDate) -> Self {
        let first = first_shown(days, today);
        let mut cut = false;
        if self.current.from < first {
            self.current = Window::new(self.tz, first, self.current.to.max(first));
            cut = true;
        }
        if self.previous.is_some_and(|w| w.from < first) {
            self.previous = None;
            cut = true;
        }
        if cut {
            self.history_limited_to_days = Some(days);
        }
        self
    }
}

fn tz_name<S: serde::Serializer>(tz: &Tz, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(tz.name())
}

/// The first local date of the last `days` days up to `today` (at least today itself).
pub fn first_shown(days: u32, today: NaiveDate) -> NaiveDate {
    today - Duration::days(i64::from(days.max(1)) - 1)
}

/// Local midnight of `date` in `tz`; where a DST jump skips midnight, the first instant of the day.
pub fn local_midnight(tz: Tz, date: NaiveDate) -> i64 {
    let midnight = date.and_hms_opt(0, 0, 0).expect("midnight exists");
    (0..=3)
        .find_map(|h| {
            tz.from_local_datetime(&(midnight + Duration::hours(h)))
                .earliest()
        })
        .map_or_else(|| midnight.and_utc().timestamp(), |t| t.timestamp())
}

/// The local date of a Unix time in `tz`.
pub fn local_date(tz: Tz, unix: i64) -> NaiveDate {
    to_local(tz, unix).date_naive()
}

/// A Unix time in `tz`.
pub fn to_local(tz: Tz, unix: i64) -> DateTime<Tz> {
    DateTime::<Utc>::from_timestamp(unix, 0)
        .unwrap_or_default()
        .with_timezone(&tz)
}

/// Parses an IANA time zone name (`Europe/Paris`); a user without one gets UTC.
pub fn parse_tz(name: Option<&str>) -> Tz {
    name.and_then(|n| n.parse().ok()).unwrap_or(Tz::UTC)
}

fn parse_date(field: &str, value: Option<&str>) -> Result<NaiveDate, AppError> {
    let value = value
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .ok_or_else(|| AppError::field(field, "Choose a date (YYYY-MM-DD) for a custom period."))?;
    NaiveDate::parse_from_str(value, "%Y-%m-%d")
        .map_err(|_| AppError::field(field, format!("'{value}' is not a date like 2026-03-31.")))
}

impl PeriodQuery {
    /// Resolves the query against today in `tz`; `first_day` is where the profile's history starts
    /// (used by "all time").
    pub fn resolve(
        &self,
        tz: Tz,
        now: i64,
        first_day: Option<NaiveDate>,
    ) -> Result<Period, AppError> {
        let today = local_date(tz, now);
        let key = self.period.as_deref().unwrap_or("30d");
        // A date given is a date even when the period does not use it: a typo is named, not ignored.
        for (field, value) in [("from", &self.from), ("to", &self.to)] {
            if value.as_deref().is_some_and(|v| !v.trim().is_empty()) {
                parse_date(field, value.as_deref())?;
            }
        }
        let last = |n: i64| (today - Duration::days(n - 1), today);
        let (from, to) = match key {
            "" | "30d" => last(30),
            "7d" => last(7),
            "90d" => last(90),
            "365d" => last(365),
            "all" => (first_day.unwrap_or(today).min(today), today),
            "custom" => {
                let from = parse_date("from", self.from.as_deref())?;
                let to = parse_date("to", self.to.as_deref())?;
                if to < from {
                    return Err(AppError::field(
                        "to",
                        "The end date is before the start date.",
                    ));
                }
                if (to - from).num_days() >= MAX_DAYS {
                    return Err(AppError::field(
                        "from",
                        "Choose a range of at most ten years.",
                    ));
                }
                (from, to)
            }
            other => {
                return Err(AppError::field(
                    "period",
                    format!("'{other}' is not a period: use 7d, 30d, 90d, 365d, all or custom."),
                ));
            }
        };
        let current = Window::new(tz, from, to);
        let previous = (key != "all").then(|| {
            let len = current.days();
            Window::new(tz, from - Duration::days(len), from - Duration::days(1))
        });
        Ok(Period {
            key: if key.is_empty() {
                "30d".into()
            } else {
                key.to_owned()
            },
            tz,
            current,
            previous,
            history_limited_to_days: None,
        })
    }
}

/// Monday-first weekday index (0 = Monday) and hour of a Unix time in `tz`.
pub fn weekday_hour(tz: Tz, unix: i64) -> (usize, usize) {
    use chrono::Timelike;
    let t = to_local(tz, unix);
    (
        t.weekday().num_days_from_monday() as usize,
        t.hour() as usize,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn q(period: &str, from: &str, to: &str) -> PeriodQuery {
        PeriodQuery {
            period: Some(period.into()),
            from: Some(from.into()),
            to: Some(to.into()),
        }
    }

    #[test]
    fn a_week_containing_the_spring_change_is_one_hour_short() {
        let tz: Tz = "Europe/Paris".parse().unwrap();
        // 2026-03-29 is the last Sunday of March: clocks go from 02:00 to 03:00.
        let p = q("custom", "2026-03-23", "2026-03-29")
            .resolve(tz, 1_780_000_000, None)
            .unwrap();
        assert_eq!(p.current.end - p.current.start, 7 * 86_400 - 3600);
        assert_eq!(
            p.current.start,
            Utc.with_ymd_and_hms(2026, 3, 22, 23, 0, 0)
                .unwrap()
                .timestamp()
        );
        assert_eq!(
            p.current.end,
            Utc.with_ymd_and_hms(2026, 3, 29, 22, 0, 0)
                .unwrap()
                .timestamp()
        );
        let prev = p.previous.unwrap();
        assert_eq!(
            (prev.from, prev.to),
            (date("2026-03-16"), date("2026-03-22"))
        );
        assert_eq!(prev.end, p.current.start);
    }

    #[test]
    fn the_previous_period_crosses_month_ends_by_days() {
        let p = q("custom", "2026-03-01", "2026-03-31")
            .resolve(Tz::UTC, 0, None)
            .unwrap();
        let prev = p.previous.unwrap();
        assert_eq!(
            (prev.from, prev.to),
            (date("2026-01-29"), date("2026-02-28"))
        );
        assert_eq!(prev.days(), 31);
    }

    #[test]
    fn last_n_days_end_today_in_the_users_zone() {
        // 2026-01-01 03:00 UTC is still 31 December in New York.
        let now = Utc
            .with_ymd_and_hms(2026, 1, 1, 3, 0, 0)
            .unwrap()
            .timestamp();
        let tz: Tz = "America/New_York".parse().unwrap();
        let p = PeriodQuery {
            period: Some("7d".into()),
            ..Default::default()
        }
        .resolve(tz, now, None)
        .unwrap();
        assert_eq!(
            (p.current.from, p.current.to),
            (date("2025-12-25"), date("2025-12-31"))
        );
    }

    #[test]
    fn bad_input_names_the_field() {
        let field = |e: AppError| match e {
            AppError::Validation { fields, .. } => fields.into_keys().next().unwrap(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(q("weekly", "", "").resolve(Tz::UTC, 0, None).unwrap_err()),
            "period"
        );
        assert_eq!(
            field(
                q("custom", "2026-02-30", "2026-03-01")
                    .resolve(Tz::UTC, 0, None)
                    .unwrap_err()
            ),
            "from"
        );
        assert_eq!(
            field(
                q("custom", "2026-03-02", "2026-03-01")
                    .resolve(Tz::UTC, 0, None)
                    .unwrap_err()
            ),
            "to"
        );
    }

    #[test]
    fn a_history_limit_shortens_the_period_and_drops_a_comparison_beyond_it() {
        let now = Utc
            .with_ymd_and_hms(2026, 6, 30, 12, 0, 0)
            .unwrap()
            .timestamp();
        let today = date("2026-06-30");
        let last = |key: &str| {
            PeriodQuery {
                period: Some(key.into()),
                ..Default::default()
            }
            .resolve(Tz::UTC, now, Some(date("2024-01-01")))
            .unwrap()
        };
        let within = last("30d").limit_history(90, today);
        assert_eq!(within.history_limited_to_days, None);
        assert!(within.previous.is_some(), "days 31-60 ago are within 90");
        let year = last("365d").limit_history(90, today);
        assert_eq!(
            (year.current.from, year.current.to),
            (date("2026-04-02"), today)
        );
        assert_eq!(year.current.days(), 90);
        assert!(year.previous.is_none());
        assert_eq!(year.history_limited_to_days, Some(90));
        let quarter = last("90d").limit_history(90, today);
        assert_eq!(quarter.current.days(), 90, "the period itself fits");
        assert!(quarter.previous.is_none(), "its comparison does not");
        assert_eq!(quarter.history_limited_to_days, Some(90));
        let old = q("custom", "2025-01-01", "2025-01-31")
            .resolve(Tz::UTC, now, None)
            .unwrap()
            .limit_history(90, today);
        assert_eq!(
            (old.current.from, old.current.to),
            (date("2026-04-02"), date("2026-04-02"))
        );
    }

    #[test]
    fn all_time_starts_at_the_history_and_has_nothing_before() {
        let p = PeriodQuery {
            period: Some("all".into()),
            ..Default::default()
        }
        .resolve(Tz::UTC, 1_780_000_000, Some(date("2025-01-01")))
        .unwrap();
        assert_eq!(p.current.from, date("2025-01-01"));
        assert!(p.previous.is_none());
    }
}
