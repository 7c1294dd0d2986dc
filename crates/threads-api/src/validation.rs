//! Documented input limits, checked before anything is sent (§5.1 and §4.2 of the reference).
//!
//! ## How text length is counted
//! Meta counts at most 500 characters and says emoji count by their UTF-8 bytes. We count one per
//! Unicode scalar value, except characters that can render as emoji, which count their UTF-8 byte
//! length: everything outside the Basic Multilingual Plane (4), the BMP symbol blocks that hold
//! emoji (arrows, misc technical, enclosed alphanumerics, geometric shapes, misc symbols,
//! dingbats, supplemental arrows, misc symbols and arrows: 3), and the joiners that build emoji
//! sequences (ZWJ, variation selectors, keycap: 3). This may reject a post slightly before Meta
//! would, never after, so a post we accept is never refused for length.
//!
//! ## How links are counted
//! A link is a whitespace-separated word of `text` starting with `http://`, `https://` or `www.`
//! (case-insensitive), with trailing punctuation trimmed, plus `link_attachment`. Unique links are
//! compared as URLs are (RFC 3986 §6.2.2.1): scheme and host ignore case, the path and query do
//! not, so `https://A.com/x` and `https://a.com/x` are one link but `https://a.com/X` is another.
//! Bare domains (`example.com`) are not counted, to avoid rejecting words such as `node.js`.

use std::collections::HashSet;

/// Maximum weighted length of a post's text.
pub const MAX_TEXT_LEN: usize = 500;
/// Maximum number of unique links across text and link attachment.
pub const MAX_LINKS: usize = 5;
/// Maximum length of a topic tag.
pub const MAX_TOPIC_TAG_LEN: usize = 50;
/// Maximum length of alt text.
pub const MAX_ALT_TEXT_LEN: usize = 1000;
/// Maximum length of one poll option.
pub const MAX_POLL_OPTION_LEN: usize = 25;
/// Fewest and most carousel children.
pub const CAROUSEL_CHILDREN: std::ops::RangeInclusive<usize> = 2..=20;
/// Fewest and most poll options.
pub const POLL_OPTIONS: std::ops::RangeInclusive<usize> = 2..=4;
/// Largest page size a list endpoint accepts.
pub const MAX_PAGE_LIMIT: u32 = 100;
/// Earliest `since` the user-insights endpoint accepts (2024-04-13).
pub const EARLIEST_INSIGHTS_SINCE: i64 = 1_712_991_600;

/// A request broke a documented limit. Returned before any HTTP request is made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    /// A TEXT post needs text.
    #[error("a TEXT post needs non-empty text")]
    MissingText,
    /// The text is longer than 500 (weighted) characters.
    #[error("text must be at most {max} characters, got {len}")]
    TextTooLong {
        /// Weighted length of the text.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// More than five unique links across text and link attachment.
    #[error("at most {max} unique links are allowed, got {count}")]
    TooManyLinks {
        /// Number of unique links found.
        count: usize,
        /// The limit.
        max: usize,
    },
    /// The topic tag is empty or longer than 50 characters.
    #[error("topic tag must be 1 to {max} characters, got {len}")]
    TopicTagLength {
        /// Length of the tag.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The topic tag contains `.` or `&`.
    #[error("topic tag must not contain {0:?}")]
    TopicTagForbiddenChar(char),
    /// Alt text is longer than 1,000 characters.
    #[error("alt text must be at most {max} characters, got {len}")]
    AltTextTooLong {
        /// Length of the alt text.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A poll needs 2 to 4 options.
    #[error("a poll needs 2 to 4 options, got {0}")]
    PollOptionCount(usize),
    /// A poll option is empty or longer than 25 characters.
    #[error("poll option {index} must be 1 to {max} characters, got {len}")]
    PollOptionLength {
        /// Zero-based position of the option.
        index: usize,
        /// Length of the option.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// A carousel needs 2 to 20 children.
    #[error("a carousel needs 2 to 20 children, got {0}")]
    CarouselChildren(usize),
    /// The parameter is only allowed on some media types.
    #[error("{param} is not allowed on a {media_type} container")]
    NotAllowedFor {
        /// The offending parameter.
        param: &'static str,
        /// The container's media type.
        media_type: &'static str,
    },
    /// A URL parameter is not an absolute http(s) URL.
    #[error("{param} must be an absolute http(s) URL")]
    BadUrl {
        /// The offending parameter.
        param: &'static str,
    },
    /// A country code is not two ASCII letters.
    #[error("country code {0:?} is not an ISO 3166-1 alpha-2 code")]
    BadCountryCode(String),
    /// A list `limit` outside 1..=100.
    #[error("limit must be 1 to 100, got {0}")]
    PageLimit(u32),
    /// A time range that the endpoint rejects.
    #[error("invalid time range: {0}")]
    TimeRange(&'static str),
    /// A required parameter is missing or blank, e.g. the `q` of a keyword search.
    #[error("{0} is required")]
    MissingParam(&'static str),
    /// A number outside its documented range, e.g. a latitude beyond ±90.
    #[error("{0} is out of range")]
    OutOfRange(&'static str),
}

/// Weighted length of text as described in the module docs.
pub fn threads_len(text: &str) -> usize {
    text.chars()
        .map(|c| if is_emoji_capable(c) { c.len_utf8() } else { 1 })
        .sum()
}

fn is_emoji_capable(c: char) -> bool {
    let u = u32::from(c);
    u > 0xFFFF
        || matches!(
            u,
            0x200D | 0x20E3 | 0xFE00..=0xFE0F | 0x00A9 | 0x00AE | 0x203C | 0x2049 | 0x2122 | 0x2139
                | 0x2190..=0x21FF
                | 0x2300..=0x23FF
                | 0x2460..=0x24FF
                | 0x25A0..=0x27BF
                | 0x2900..=0x297F
                | 0x2B00..=0x2BFF
                | 0x3030
                | 0x303D
                | 0x3297
                | 0x3299
        )
}

/// Unique links in `text` plus an optional link attachment (see module docs).
pub fn unique_links(text: &str, link_attachment: Option<&str>) -> HashSet<String> {
    let trim: &[char] = &['.', ',', ';', ':', '!', '?', ')', ']', '}', '"', '\'', '>'];
    text.split_whitespace()
        .map(|w| w.trim_start_matches(['(', '[', '<', '"', '\'']))
        .map(|w| w.trim_end_matches(trim))
        .filter(|w| {
            let lower = w.to_ascii_lowercase();
            ["http://", "https://", "www."]
                .iter()
                .any(|p| lower.starts_with(p) && lower.len() > p.len())
        })
        .chain(link_attachment)
        .map(normalise_link)
        .collect()
}

/// Lowercases a link's scheme and host, keeping the case of everything after the host.
fn normalise_link(link: &str) -> String {
    let (scheme, rest) = match link.find("://") {
        Some(i) => link.split_at(i + 3),
        None => ("", link),
    };
    let host_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (host, tail) = rest.split_at(host_end);
    format!(
        "{}{}{tail}",
        scheme.to_ascii_lowercase(),
        host.to_lowercase()
    )
}

/// Checks a topic tag: 1–50 characters, no `.` or `&`.
pub fn check_topic_tag(tag: &str) -> Result<(), ValidationError> {
    let len = threads_len(tag);
    if !(1..=MAX_TOPIC_TAG_LEN).contains(&len) {
        return Err(ValidationError::TopicTagLength {
            len,
            max: MAX_TOPIC_TAG_LEN,
        });
    }
    match tag.chars().find(|c| matches!(c, '.' | '&')) {
        Some(c) => Err(ValidationError::TopicTagForbiddenChar(c)),
        None => Ok(()),
    }
}

/// Checks a public http(s) URL parameter.
pub(crate) fn check_url(param: &'static str, raw: &str) -> Result<(), ValidationError> {
    match url::Url::parse(raw) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(()),
        _ => Err(ValidationError::BadUrl { param }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_and_accented_text_count_one_per_character() {
        assert_eq!(threads_len("héllo wörld"), 11);
        assert_eq!(threads_len("日本語 — “quotes”…"), 15);
    }

    #[test]
    fn emoji_count_by_utf8_bytes() {
        assert_eq!(threads_len("😀"), 4);
        assert_eq!(threads_len("☀\u{FE0F}"), 6);
        assert_eq!(threads_len("👍🏽"), 8);
    }

    #[test]
    fn links_are_deduplicated_and_trimmed() {
        let links = unique_links(
            "see https://a.com/x, (https://A.com/x) and www.b.org. not node.js or http://",
            Some("https://c.net"),
        );
        let mut links: Vec<_> = links.into_iter().collect();
        links.sort();
        assert_eq!(links, ["https://a.com/x", "https://c.net", "www.b.org"]);
    }

    #[test]
    fn links_differing_only_in_path_case_are_distinct() {
        let links = unique_links(
            "HTTPS://Example.COM/Path https://example.com/Path https://example.com/path WWW.B.org/A",
            None,
        );
        let mut links: Vec<_> = links.into_iter().collect();
        links.sort();
        assert_eq!(
            links,
            [
                "https://example.com/Path",
                "https://example.com/path",
                "www.b.org/A"
            ]
        );
    }

    #[test]
    fn topic_tags_follow_the_rules() {
        assert!(check_topic_tag("Mondays").is_ok());
        assert!(check_topic_tag(&"a".repeat(50)).is_ok());
        assert!(matches!(
            check_topic_tag(""),
            Err(ValidationError::TopicTagLength { len: 0, .. })
        ));
        assert!(matches!(
            check_topic_tag(&"a".repeat(51)),
            Err(ValidationError::TopicTagLength { len: 51, .. })
        ));
        assert_eq!(
            check_topic_tag("a.b"),
            Err(ValidationError::TopicTagForbiddenChar('.'))
        );
        assert_eq!(
            check_topic_tag("R&D"),
            Err(ValidationError::TopicTagForbiddenChar('&'))
        );
    }
}
