//! Where the audience is: the timezone posting times are judged in, from the follower countries
//! Meta reports (or the owner's own timezone when there are none).

use chrono_tz::Tz;
use serde::Serialize;

use super::data::Dataset;
use super::stats::round;

/// A country's most populous timezone (what "evening" means for most of its people).
const COUNTRY_TZ: &[(&str, &str)] = &[
    ("AR", "America/Argentina/Buenos_Aires"),
    ("AU", "Australia/Sydney"),
    ("BR", "America/Sao_Paulo"),
    ("CA", "America/Toronto"),
    ("CL", "America/Santiago"),
    ("CN", "Asia/Shanghai"),
    ("CO", "America/Bogota"),
    ("DE", "Europe/Berlin"),
    ("EG", "Africa/Cairo"),
    ("ES", "Europe/Madrid"),
    ("FR", "Europe/Paris"),
    ("GB", "Europe/London"),
    ("ID", "Asia/Jakarta"),
    ("IE", "Europe/Dublin"),
    ("IN", "Asia/Kolkata"),
    ("IT", "Europe/Rome"),
    ("JP", "Asia/Tokyo"),
    ("KR", "Asia/Seoul"),
    ("MX", "America/Mexico_City"),
    ("MY", "Asia/Kuala_Lumpur"),
    ("NG", "Africa/Lagos"),
    ("NL", "Europe/Amsterdam"),
    ("NZ", "Pacific/Auckland"),
    ("PH", "Asia/Manila"),
    ("PK", "Asia/Karachi"),
    ("PL", "Europe/Warsaw"),
    ("PT", "Europe/Lisbon"),
    ("SA", "Asia/Riyadh"),
    ("SE", "Europe/Stockholm"),
    ("SG", "Asia/Singapore"),
    ("TH", "Asia/Bangkok"),
    ("TR", "Europe/Istanbul"),
    ("TW", "Asia/Taipei"),
    ("UA", "Europe/Kyiv"),
    ("US", "America/New_York"),
    ("VN", "Asia/Ho_Chi_Minh"),
    ("ZA", "Africa/Johannesburg"),
];

/// The timezone of a country code, when known.
pub fn country_tz(code: &str) -> Option<Tz> {
    COUNTRY_TZ
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(code))
        .and_then(|(_, tz)| tz.parse().ok())
}

/// One audience country with its share of followers.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct CountryShare {
    /// ISO code.
    pub country: String,
    /// Share of followers (0-1).
    pub share: f64,
    /// The timezone ThredOps assumes for it.
    pub timezone: Option<String>,
}

/// The audience's clock.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Audience {
    /// IANA timezone posting hours are judged in.
    pub timezone: String,
    /// Its UTC offset at the data's time, in hours.
    pub utc_offset_hours: f64,
    /// Where the timezone came from: "demographics", "your timezone" or "default".
    pub source: &'static str,
    /// Largest audience countries.
    pub top_countries: Vec<CountryShare>,
    #[serde(skip)]
    /// Parsed timezone.
    pub tz: Tz,
}

/// Works out the audience timezone: the top follower country's, else the owner's.
pub fn of(data: &Dataset) -> Audience {
    from_countries(&data.countries, data.user_tz, data.as_of)
}

/// The audience of follower `countries` (ISO code, followers; largest first) for an owner in
/// `user_tz`, at `as_of`.
pub fn from_countries(countries: &[(String, i64)], user_tz: Tz, as_of: i64) -> Audience {
    let total: i64 = countries.iter().map(|c| c.1).sum();
    let top_countries: Vec<CountryShare> = countries
        .iter()
        .take(5)
        .map(|(c, n)| CountryShare {
            country: c.clone(),
            share: round(*n as f64 / total.max(1) as f64, 3),
            timezone: country_tz(c).map(|t| t.name().to_owned()),
        })
        .collect();
    let from_demographics = top_countries.first().and_then(|c| country_tz(&c.country));
    let (tz, source) = match from_demographics {
        Some(tz) => (tz, "demographics"),
        None if user_tz != Tz::UTC => (user_tz, "your timezone"),
        None => (Tz::UTC, "default"),
    };
    Audience {
        timezone: tz.name().to_owned(),
        utc_offset_hours: offset_hours(tz, as_of),
        source,
        top_countries,
        tz,
    }
}

/// The UTC offset of `tz` at `at`, in hours.
pub fn offset_hours(tz: Tz, at: i64) -> f64 {
    use chrono::{Offset, TimeZone};
    let off = tz.offset_from_utc_datetime(
        &chrono::DateTime::from_timestamp(at, 0)
            .unwrap_or_default()
            .naive_utc(),
    );
    f64::from(off.fix().local_minus_utc()) / 3600.0
}

/// The local hour (0-23) of `at` in `tz`.
pub fn local_hour(tz: Tz, at: i64) -> u32 {
    use chrono::Timelike;
    chrono::DateTime::from_timestamp(at, 0)
        .unwrap_or_default()
        .with_timezone(&tz)
        .hour()
}

/// The local weekday (0 = Monday) of `at` in `tz`.
pub fn local_weekday(tz: Tz, at: i64) -> usize {
    use chrono::Datelike;
    chrono::DateTime::from_timestamp(at, 0)
        .unwrap_or_default()
        .with_timezone(&tz)
        .weekday()
        .num_days_from_monday() as usize
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japan_is_nine_hours_ahead_and_hours_wrap() {
        let tz = country_tz("jp").unwrap();
        assert_eq!(offset_hours(tz, 1_700_000_000), 9.0);
        // 2023-11-14 22:13 UTC is 07:13 the next morning in Tokyo.
        assert_eq!(local_hour(tz, 1_700_000_000), 7);
        assert!(country_tz("XX").is_none());
    }
}
