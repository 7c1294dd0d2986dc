//! Wall-clock times in the user's zone, turned into UTC instants.
//!
//! A post scheduled for 09:00 keeps the wall-clock time and the zone it was chosen in; the UTC
//! instant is derived from them, so a DST change between scheduling and publishing still
//! publishes at 09:00 local, and a timezone change re-derives it (see `publisher`).
//!
//! Times that do not exist (the hour skipped when clocks go forward) move forward by the length
//! of the gap, as calendars do (02:30 becomes 03:30); times that happen twice (the repeated hour
//! when clocks go back) mean the first of the two.

use chrono::{
    DateTime, Datelike, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Timelike, Utc, Weekday,
};
use chrono_tz::Tz;

/// The user's zone: their IANA name when valid, UTC otherwise.
pub fn zone(name: Option<&str>) -> Tz {
    name.and_then(|n| n.parse::<Tz>().ok()).unwrap_or(Tz::UTC)
}

/// Parses `2026-03-29T09:00` (the value of an HTML `datetime-local` field; seconds optional).
pub fn parse_local(value: &str) -> Option<NaiveDateTime> {
    let v = value.trim();
    NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M")
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M"))
        .ok()
}

/// The instant a wall-clock time in `tz` denotes (gaps move forward, repeats take the first).
pub fn to_utc(local: NaiveDateTime, tz: Tz) -> DateTime<Utc> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => t.with_timezone(&Utc),
        LocalResult::Ambiguous(first, _) => first.with_timezone(&Utc),
        LocalResult::None => {
            // Inside a gap: read the time with the offset in force just before it, which lands
            // the same distance past the gap's end (02:30 in a 02:00-03:00 gap becomes 03:30).
            let before = tz
                .from_local_datetime(&(local - Duration::hours(6)))
                .earliest()
                .map_or(0, |b| b.offset().fix().local_minus_utc());
            Utc.from_utc_datetime(&local) - Duration::seconds(i64::from(before))
        }
    }
}

/// Formats an instant in `tz` for people, e.g. `Mon 30 Mar 2026, 09:00 CEST`.
pub fn show(t: DateTime<Utc>, tz: Tz) -> String {
    crate::domain::format::instant(t, tz)
}

/// The `datetime-local` value of an instant in `tz`.
pub fn local_value(t: DateTime<Utc>, tz: Tz) -> String {
    t.with_timezone(&tz).format("%Y-%m-%dT%H:%M").to_string()
}

/// A weekly posting slot: a weekday (0 = Monday) and minutes after midnight, local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Slot {
    /// 0 = Monday .. 6 = Sunday.
    pub weekday: u8,
    /// Minutes after local midnight.
    pub minute: u16,
}

impl Slot {
    /// Parses `"mon"`..`"sun"` (or 0-6) and `"HH:MM"`.
    pub fn parse(weekday: &str, time: &str) -> Option<Slot> {
        let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let w = weekday.trim().to_ascii_lowercase();
        let weekday = days
            .iter()
            .position(|d| w.starts_with(d))
            .or_else(|| w.parse::<usize>().ok().filter(|n| *n < 7))?;
        let t = NaiveTime::parse_from_str(time.trim(), "%H:%M").ok()?;
        Some(Slot {
            weekday: weekday as u8,
            minute: (t.hour() * 60 + t.minute()) as u16,
        })
    }

    /// `"HH:MM"`.
    pub fn time(&self) -> String {
        format!("{:02}:{:02}", self.minute / 60, self.minute % 60)
    }

    /// Short weekday name.
    pub fn day_name(&self) -> &'static str {
        ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][usize::from(self.weekday % 7)]
    }
}

/// Upcoming slot times after `after`, in order, for `weeks` weeks (wall-clock times in `tz`).
pub fn upcoming(slots: &[Slot], tz: Tz, after: DateTime<Utc>, weeks: u32) -> Vec<NaiveDateTime> {
    let start: NaiveDate = after.with_timezone(&tz).date_naive();
    let mut out = Vec::new();
    for day in 0..(i64::from(weeks) * 7 + 1) {
        let date = start + Duration::days(day);
        let weekday = date.weekday().num_days_from_monday() as u8;
        let mut todays: Vec<_> = slots.iter().filter(|s| s.weekday == weekday).collect();
        todays.sort();
        for s in todays {
            let time =
                NaiveTime::from_hms_opt(u32::from(s.minute / 60), u32::from(s.minute % 60), 0)
                    .unwrap_or_default();
            let local = date.and_time(time);
            if to_utc(local, tz) > after {
                out.push(local);
            }
        }
    }
    out
}

/// Monday of the week holding `date`.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    date - Duration::days(i64::from(date.weekday().num_days_from_monday()))
}

/// Whether `w` is a weekend day (for the calendar's shading).
pub fn is_weekend(w: Weekday) -> bool {
    matches!(w, Weekday::Sat | Weekday::Sun)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        parse_local(s).unwrap()
    }

    #[test]
    fn nine_local_stays_nine_local_across_dst() {
        let berlin = zone(Some("Europe/Berlin"));
        // Winter (UTC+1) and summer (UTC+2) around the 29 March 2026 change.
        assert_eq!(
            to_utc(at("2026-03-28T09:00"), berlin).to_rfc3339(),
            "2026-03-28T08:00:00+00:00"
        );
        assert_eq!(
            to_utc(at("2026-03-30T09:00"), berlin).to_rfc3339(),
            "2026-03-30T07:00:00+00:00"
        );
    }

    #[test]
    fn skipped_times_move_forward_and_repeated_times_take_the_first() {
        let ny = zone(Some("America/New_York"));
        // 8 March 2026: 02:00 -> 03:00 EDT. 02:30 does not exist; it becomes 03:30 EDT (07:30 UTC).
        assert_eq!(
            to_utc(at("2026-03-08T02:30"), ny).to_rfc3339(),
            "2026-03-08T07:30:00+00:00"
        );
        // 1 November 2026: 01:30 happens twice; the first is EDT (05:30 UTC).
        assert_eq!(
            to_utc(at("2026-11-01T01:30"), ny).to_rfc3339(),
            "2026-11-01T05:30:00+00:00"
        );
    }

    #[test]
    fn unknown_zones_fall_back_to_utc() {
        assert_eq!(zone(Some("Mars/Olympus")), Tz::UTC);
        assert_eq!(zone(None), Tz::UTC);
    }

    #[test]
    fn slots_parse_and_list_upcoming_times() {
        let s = Slot::parse("Mon", "09:00").unwrap();
        assert_eq!((s.weekday, s.minute, s.time()), (0, 540, "09:00".into()));
        assert!(Slot::parse("Funday", "09:00").is_none());
        assert!(Slot::parse("tue", "25:00").is_none());
        let after = Utc.with_ymd_and_hms(2026, 11, 30, 10, 0, 0).unwrap(); // a Monday
        let next = upcoming(
            &[s, Slot::parse("wed", "17:30").unwrap()],
            Tz::UTC,
            after,
            1,
        );
        assert_eq!(next[0], at("2026-12-02T17:30"));
        assert_eq!(next[1], at("2026-12-07T09:00"));
    }
}
