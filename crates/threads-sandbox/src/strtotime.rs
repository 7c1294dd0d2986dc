//! `since`/`until` values as Graph reads them.
//!
//! Meta passes these parameters through PHP's `strtotime`, so any string it can read works,
//! including Graph's own timestamp format (`2024-05-01T00:00:00+0000`). The sandbox reads the
//! forms clients actually send: Unix seconds, dates, ISO date-times with or without an offset,
//! and the relative words `now`, `today`, `yesterday`, `tomorrow` and `-N days` style offsets.
//! Times without an offset, and the day boundaries of `today`/`yesterday`, are UTC: the
//! sandbox's clock and every timestamp it renders are UTC.

use chrono::{NaiveDate, NaiveDateTime};

const DAY: i64 = 86_400;

/// Reads `raw` as Unix seconds, relative to `now` (Unix seconds) for relative forms.
/// `None` when strtotime would not read it either.
pub fn parse(raw: &str, now: i64) -> Option<i64> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    let unix = s.strip_prefix('@').unwrap_or(s);
    if let Ok(ts) = unix.parse::<i64>() {
        return Some(ts);
    }
    absolute(s).or_else(|| relative(&s.to_ascii_lowercase(), now))
}

/// A date or a date-time with an optional offset.
fn absolute(s: &str) -> Option<i64> {
    if let Ok(date) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return date.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp());
    }
    // `2024-05-01 10:00:00` and `2024-05-01T10:00:00` are the same instant to strtotime.
    let s = s.replacen(' ', "T", 1);
    let (body, offset) = split_offset(&s)?;
    let naive = ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(body.trim_end(), format).ok())?;
    Some(naive.and_utc().timestamp() - offset)
}

/// Splits a trailing `Z`, `+0000`, `+00:00` or `+00` offset (in seconds east of UTC) off a
/// date-time; no offset means UTC.
fn split_offset(s: &str) -> Option<(&str, i64)> {
    if let Some(body) = s.strip_suffix(['Z', 'z']) {
        return Some((body, 0));
    }
    let time_start = s.find('T')?;
    let Some(at) = s[time_start..].rfind(['+', '-']) else {
        return Some((s, 0));
    };
    let (body, offset) = s.split_at(time_start + at);
    Some((body, offset_seconds(offset)?))
}

fn offset_seconds(offset: &str) -> Option<i64> {
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let digits: String = offset[1..].chars().filter(|c| *c != ':').collect();
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let (hours, minutes) = match digits.len() {
        2 => (digits.parse::<i64>().ok()?, 0),
        4 => (
            digits[..2].parse::<i64>().ok()?,
            digits[2..].parse::<i64>().ok()?,
        ),
        _ => return None,
    };
    (hours <= 14 && minutes < 60).then_some(sign * (hours * 3_600 + minutes * 60))
}

/// `now`, `today`, `yesterday`, `tomorrow`, `-3 days`, `+2 hours`, `90 minutes ago`.
fn relative(s: &str, now: i64) -> Option<i64> {
    let today = now - now.rem_euclid(DAY);
    match s {
        "now" => Some(now),
        "today" | "midnight" => Some(today),
        "yesterday" => Some(today - DAY),
        "tomorrow" => Some(today + DAY),
        _ => now.checked_add(shift(s)?),
    }
}

/// A signed amount of a unit, in seconds; `ago` negates it.
fn shift(s: &str) -> Option<i64> {
    let (s, ago) = match s.strip_suffix("ago") {
        Some(rest) => (rest.trim_end(), true),
        None => (s, false),
    };
    let unit_start = s.find(|c: char| c.is_ascii_alphabetic())?;
    let (amount, unit) = s.split_at(unit_start);
    let amount: i64 = amount.trim().parse().ok()?;
    let unit_seconds = match unit.trim() {
        "sec" | "secs" | "second" | "seconds" => 1,
        "min" | "mins" | "minute" | "minutes" => 60,
        "hour" | "hours" => 3_600,
        "day" | "days" => DAY,
        "week" | "weeks" => 7 * DAY,
        _ => return None,
    };
    let seconds = amount.checked_mul(unit_seconds)?;
    Some(if ago { -seconds } else { seconds })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-15T12:00:00Z.
    const NOW: i64 = 1_768_478_400;
    /// 2024-05-01T00:00:00Z.
    const MAY_FIRST: i64 = 1_714_521_600;

    #[test]
    fn unix_seconds_and_dates() {
        assert_eq!(parse("1714521600", NOW), Some(MAY_FIRST));
        assert_eq!(parse("@1714521600", NOW), Some(MAY_FIRST));
        assert_eq!(parse("2024-05-01", NOW), Some(MAY_FIRST));
    }

    #[test]
    fn date_times_in_every_offset_spelling() {
        for raw in [
            "2024-05-01T00:00:00+0000",
            "2024-05-01T00:00:00+00:00",
            "2024-05-01T00:00:00Z",
            "2024-05-01T00:00:00.000Z",
            "2024-05-01T00:00:00",
            "2024-05-01 00:00:00",
            "2024-05-01 00:00",
            "2024-05-01T02:00:00+0200",
            "2024-04-30T17:00:00-07:00",
        ] {
            assert_eq!(parse(raw, NOW), Some(MAY_FIRST), "{raw}");
        }
    }

    #[test]
    fn relative_words_count_from_now() {
        let today = NOW - 12 * 3_600;
        assert_eq!(parse("now", NOW), Some(NOW));
        assert_eq!(parse("Today", NOW), Some(today));
        assert_eq!(parse("yesterday", NOW), Some(today - DAY));
        assert_eq!(parse("-7 days", NOW), Some(NOW - 7 * DAY));
        assert_eq!(parse("-1 day", NOW), Some(NOW - DAY));
        assert_eq!(parse("-3 hours", NOW), Some(NOW - 3 * 3_600));
        assert_eq!(parse("-90 minutes", NOW), Some(NOW - 90 * 60));
        assert_eq!(parse("2 weeks ago", NOW), Some(NOW - 14 * DAY));
        assert_eq!(parse("+1 hour", NOW), Some(NOW + 3_600));
    }

    #[test]
    fn garbage_is_refused() {
        for raw in [
            "",
            "soon",
            "2024-13-01",
            "2024-05-01T25:00:00Z",
            "2024-05-01T00:00:00+99",
            "-3 fortnights",
            "days",
            "2024/05/01x",
        ] {
            assert_eq!(parse(raw, NOW), None, "{raw}");
        }
    }
}
