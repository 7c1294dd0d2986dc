//! Meta's timestamp format: `2023-10-17T05:42:03+0000` (an offset without a colon).
//!
//! Use with `#[serde(with = "threads_api::time::meta_time")]` or `meta_time::option`.

use chrono::{DateTime, FixedOffset, Utc};

/// The `strftime` pattern Meta uses for timestamps.
pub const META_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%z";

/// Parses a Meta timestamp into UTC.
///
/// RFC 3339 (`+00:00` or `Z`) is accepted as well, so a proxy or simulator that normalises the
/// offset does not break parsing.
pub fn parse_meta_timestamp(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::<FixedOffset>::parse_from_str(s, META_FORMAT)
        .or_else(|_| DateTime::parse_from_rfc3339(s))
        .map(|t| t.with_timezone(&Utc))
}

/// Formats a UTC time the way Meta does (`+0000`).
pub fn format_meta_timestamp(t: &DateTime<Utc>) -> String {
    t.format(META_FORMAT).to_string()
}

/// Serde adapter for a required Meta timestamp.
pub mod meta_time {
    use chrono::{DateTime, Utc};
    use serde::{Deserialize, Deserializer, Serializer, de};

    /// Serialises as `2023-10-17T05:42:03+0000`.
    pub fn serialize<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_meta_timestamp(t))
    }

    /// Deserialises from `2023-10-17T05:42:03+0000` (or RFC 3339).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let raw = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        super::parse_meta_timestamp(&raw).map_err(de::Error::custom)
    }

    /// Serde adapter for an optional Meta timestamp (absent or `null` is `None`).
    pub mod option {
        use chrono::{DateTime, Utc};
        use serde::{Deserialize, Deserializer, Serializer, de};

        /// Serialises `Some` as a Meta timestamp and `None` as `null`.
        pub fn serialize<S: Serializer>(
            t: &Option<DateTime<Utc>>,
            s: S,
        ) -> Result<S::Ok, S::Error> {
            match t {
                Some(t) => s.serialize_str(&super::super::format_meta_timestamp(t)),
                None => s.serialize_none(),
            }
        }

        /// Deserialises an optional Meta timestamp.
        pub fn deserialize<'de, D: Deserializer<'de>>(
            d: D,
        ) -> Result<Option<DateTime<Utc>>, D::Error> {
            let raw = Option::<std::borrow::Cow<'de, str>>::deserialize(d)?;
            raw.map(|s| super::super::parse_meta_timestamp(&s).map_err(de::Error::custom))
                .transpose()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn plus_zero_zero_zero_zero_parses_to_utc() {
        let t = parse_meta_timestamp("2023-10-17T05:42:03+0000").unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2023, 10, 17, 5, 42, 3).unwrap());
    }

    #[test]
    fn a_non_utc_offset_is_converted() {
        let t = parse_meta_timestamp("2024-07-12T10:00:00+0200").unwrap();
        assert_eq!(t, Utc.with_ymd_and_hms(2024, 7, 12, 8, 0, 0).unwrap());
    }

    #[test]
    fn rfc3339_is_accepted_and_format_round_trips() {
        let t = parse_meta_timestamp("2024-07-12T08:00:00Z").unwrap();
        assert_eq!(format_meta_timestamp(&t), "2024-07-12T08:00:00+0000");
        assert!(parse_meta_timestamp("yesterday").is_err());
    }
}
