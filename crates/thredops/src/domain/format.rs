//! How numbers and dates read to a person: thousands separators, compact numbers (12.3k),
//! percentages and dates, in the reader's locale (English or German separators, chosen from the
//! browser's `Accept-Language`) and time zone. Small on purpose: two locales, no i18n crate.
//!
//! The web layer runs each request inside [`with_locale`], so templates and charts rendered
//! while answering it format with [`current`] without passing the locale around.

use chrono_tz::Tz;

/// Which separators a reader expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Locale {
    /// 1,598,672.5
    #[default]
    En,
    /// 1.598.672,5
    De,
}

tokio::task_local! {
    static LOCALE: Locale;
}

impl Locale {
    /// The first language of an `Accept-Language` header we know (quality order respected);
    /// English when none is known.
    pub fn from_accept_language(header: &str) -> Self {
        let mut langs: Vec<(f32, &str)> = header
            .split(',')
            .filter_map(|part| {
                let mut it = part.trim().split(';');
                let tag = it.next()?.trim();
                let q = it
                    .find_map(|p| p.trim().strip_prefix("q="))
                    .and_then(|q| q.parse::<f32>().ok())
                    .unwrap_or(1.0);
                (!tag.is_empty()).then_some((q, tag))
            })
            .collect();
        // A stable sort keeps the header's order among equal qualities.
        langs.sort_by(|a, b| b.0.total_cmp(&a.0));
        langs
            .iter()
            .filter(|(q, _)| *q > 0.0)
            .find_map(|(_, tag)| {
                let primary = tag.split(['-', '_']).next()?.to_ascii_lowercase();
                match primary.as_str() {
                    "de" => Some(Self::De),
                    "en" => Some(Self::En),
                    _ => None,
                }
            })
            .unwrap_or_default()
    }

    fn separators(self) -> (char, char) {
        match self {
            Self::En => (',', '.'),
            Self::De => ('.', ','),
        }
    }
}

/// The locale of the request being answered (English outside a request).
pub fn current() -> Locale {
    LOCALE.try_with(|l| *l).unwrap_or_default()
}

/// Runs `fut` with `locale` as the [`current`] one.
pub async fn with_locale<F: std::future::Future>(locale: Locale, fut: F) -> F::Output {
    LOCALE.scope(locale, fut).await
}

/// `v` with at most `decimals` decimals (trailing zeros dropped) and grouped thousands.
pub fn number_in(v: f64, decimals: usize, locale: Locale) -> String {
    if !v.is_finite() {
        return "—".to_owned();
    }
    let (group, point) = locale.separators();
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = text.split_once('.').unwrap_or((&text, ""));
    let frac = frac.trim_end_matches('0');
    let mut out = String::new();
    // "-0" is not a number anyone wants to read.
    if v < 0.0 && (int.chars().any(|c| c != '0') || !frac.is_empty()) {
        out.push('-');
    }
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i).is_multiple_of(3) {
            out.push(group);
        }
        out.push(c);
    }
    if !frac.is_empty() {
        out.push(point);
        out.push_str(frac);
    }
    out
}

/// [`number_in`] in the current locale.
pub fn number(v: f64, decimals: usize) -> String {
    number_in(v, decimals, current())
}

/// A whole number with grouped thousands: 1,598,672.
pub fn integer(v: i64) -> String {
    number(v as f64, 0)
}

/// Short form for charts and tight spaces: 950, 9,500, 12.3k, 1.6M. `decimals` is how many
/// decimals the k/M part keeps at most.
pub fn compact_with(v: f64, decimals: usize) -> String {
    let a = v.abs();
    if a >= 1_000_000.0 {
        format!("{}M", number(v / 1_000_000.0, decimals))
    } else if a >= 10_000.0 {
        format!("{}k", number(v / 1000.0, decimals))
    } else {
        number(v, decimals.max(if a < 10.0 { 1 } else { 0 }))
    }
}

/// [`compact_with`] one decimal: 12.3k.
pub fn compact(v: f64) -> String {
    compact_with(v, 1)
}

/// A share as a percentage; `v` is already in percent (12.5 → "12.5%").
pub fn percent(v: f64) -> String {
    format!("{}%", number(v, 1))
}

/// The time zone named `name`, UTC when unknown or absent.
pub fn zone(name: Option<&str>) -> Tz {
    name.and_then(|n| n.parse().ok()).unwrap_or(Tz::UTC)
}

/// "Wed 4 Mar 2026, 09:05 CET": an instant in the reader's time zone, one format everywhere.
pub fn instant(t: chrono::DateTime<chrono::Utc>, tz: Tz) -> String {
    t.with_timezone(&tz)
        .format("%a %-d %b %Y, %H:%M %Z")
        .to_string()
}

/// [`instant`] of a Unix time.
pub fn datetime(unix: i64, tz: Tz) -> String {
    chrono::DateTime::from_timestamp(unix, 0).map_or_else(String::new, |t| instant(t, tz))
}

/// "Sun 29 Mar 2026, 09:00": a wall-clock time as a `datetime-local` field holds it
/// (2026-03-29T09:00); other text as it is.
pub fn wall_clock(local: &str) -> String {
    chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M")
        .or_else(|_| chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M:%S"))
        .map_or_else(
            |_| local.to_owned(),
            |t| t.format("%a %-d %b %Y, %H:%M").to_string(),
        )
}

/// "4 Mar 2026": the day of a Unix time in the reader's time zone.
pub fn date(unix: i64, tz: Tz) -> String {
    chrono::DateTime::from_timestamp(unix, 0).map_or_else(String::new, |t| {
        t.with_timezone(&tz).format("%-d %b %Y").to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_group_thousands_in_the_readers_locale() {
        assert_eq!(number_in(1_598_672.0, 0, Locale::En), "1,598,672");
        assert_eq!(number_in(1_598_672.0, 0, Locale::De), "1.598.672");
        assert_eq!(number_in(22_413.13, 2, Locale::En), "22,413.13");
        assert_eq!(number_in(22_413.13, 2, Locale::De), "22.413,13");
        assert_eq!(number_in(-1234.5, 1, Locale::En), "-1,234.5");
        assert_eq!(number_in(-0.01, 1, Locale::En), "0");
        assert_eq!(number_in(999.0, 0, Locale::En), "999");
        assert_eq!(number_in(4.50, 2, Locale::En), "4.5");
    }

    #[test]
    fn compact_numbers_stay_short() {
        assert_eq!(compact(950.0), "950");
        assert_eq!(compact(9_500.0), "9,500");
        assert_eq!(compact(12_345.0), "12.3k");
        assert_eq!(compact(40_000.0), "40k");
        assert_eq!(compact(1_598_672.0), "1.6M");
        assert_eq!(compact(0.5), "0.5");
        assert_eq!(percent(12.34), "12.3%");
    }

    #[test]
    fn the_browsers_first_known_language_wins() {
        assert_eq!(
            Locale::from_accept_language("de-DE,de;q=0.9,en;q=0.8"),
            Locale::De
        );
        assert_eq!(Locale::from_accept_language("en-US,en;q=0.9"), Locale::En);
        assert_eq!(Locale::from_accept_language("fr-FR, de;q=0.5"), Locale::De);
        assert_eq!(Locale::from_accept_language("en;q=0.4, de"), Locale::De);
        assert_eq!(Locale::from_accept_language("ja"), Locale::En);
        assert_eq!(Locale::from_accept_language(""), Locale::En);
    }

    #[test]
    fn times_read_in_the_readers_zone() {
        // 2026-03-04 08:05 UTC is 09:05 in Berlin.
        let berlin = zone(Some("Europe/Berlin"));
        assert_eq!(datetime(1_772_611_500, berlin), "Wed 4 Mar 2026, 09:05 CET");
        assert_eq!(
            datetime(1_772_611_500, zone(None)),
            "Wed 4 Mar 2026, 08:05 UTC"
        );
        assert_eq!(wall_clock("2026-03-29T09:00"), "Sun 29 Mar 2026, 09:00");
        assert_eq!(date(1_772_611_500, berlin), "4 Mar 2026");
    }
}
