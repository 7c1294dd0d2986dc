//! Meta's `X-App-Usage` header (§6.2, Graph generic): how much of the rolling 24 h call budget
//! is used, so callers can slow down before Meta throttles them.

use serde::{Deserialize, Serialize};

/// The `X-App-Usage` header: `{"call_count":N,"total_cputime":N,"total_time":N}`, each a
/// percentage from 0 to 100 of the (app, user) budget.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppUsage {
    /// Share of the call budget used.
    #[serde(default, deserialize_with = "percent")]
    pub call_count: u8,
    /// Share of the CPU-time budget used.
    #[serde(default, deserialize_with = "percent")]
    pub total_cputime: u8,
    /// Share of the wall-time budget used.
    #[serde(default, deserialize_with = "percent")]
    pub total_time: u8,
}

impl AppUsage {
    /// Parses the header value; `None` when it is not the JSON object Graph sends.
    pub fn from_header(value: &str) -> Option<Self> {
        serde_json::from_str(value).ok()
    }

    /// The highest of the three shares: Meta throttles when any one reaches 100.
    pub fn highest(&self) -> u8 {
        self.call_count.max(self.total_cputime).max(self.total_time)
    }
}

/// A percentage sent as a number or a string of digits, capped at 100.
fn percent<'de, D: serde::Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
    let value: Option<u64> = crate::lenient::int(d)?;
    Ok(value.map_or(0, |v| v.min(100) as u8))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_is_read_as_graph_writes_it() {
        let usage =
            AppUsage::from_header(r#"{"call_count":28,"total_cputime":9,"total_time":"12"}"#)
                .unwrap();
        assert_eq!(
            usage,
            AppUsage {
                call_count: 28,
                total_cputime: 9,
                total_time: 12
            }
        );
        assert_eq!(usage.highest(), 28);
        assert_eq!(
            AppUsage::from_header(r#"{"call_count":250}"#)
                .unwrap()
                .call_count,
            100
        );
        assert_eq!(AppUsage::from_header("busy"), None);
    }
}
