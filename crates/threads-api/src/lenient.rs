//! Deserialisers for numbers that Meta (or a proxy) may send as strings of digits.

use std::str::FromStr;

use serde::{Deserialize, Deserializer};

/// An optional integer given as a JSON number or a string of digits; an unparsable string is
/// `None` rather than a failure, so one odd field never loses a whole response.
pub(crate) fn int<'de, D, T>(d: D) -> Result<Option<T>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + FromStr,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumOrStr<T> {
        Num(T),
        Str(String),
    }
    Ok(match Option::<NumOrStr<T>>::deserialize(d)? {
        Some(NumOrStr::Num(n)) => Some(n),
        Some(NumOrStr::Str(s)) => s.trim().parse().ok(),
        None => None,
    })
}
