//! Small validation rules for container parameters (§5.1).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::errors::{ApiError, ApiResult};
use crate::params::Params;

/// Length as Threads counts it: emoji count by their UTF-8 bytes, everything else as 1.
pub fn threads_len(text: &str) -> usize {
    text.chars()
        .map(|c| if is_emoji(c) { c.len_utf8() } else { 1 })
        .sum()
}

/// Characters that can render as emoji: everything outside the Basic Multilingual Plane, the
/// BMP blocks that hold emoji (arrows, technical, enclosed alphanumerics, shapes, symbols,
/// dingbats, supplemental arrows, symbols and arrows) and the joiners that build sequences.
fn is_emoji(c: char) -> bool {
    matches!(
        c as u32,
        0x1_0000..
            | 0x200D
            | 0x20E3
            | 0xFE00..=0xFE0F
            | 0x00A9
            | 0x00AE
            | 0x203C
            | 0x2049
            | 0x2122
            | 0x2139
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

/// Words in `text` that are links: they start with `http://`, `https://` or `www.` in any
/// case, with surrounding brackets, quotes and trailing punctuation removed.
pub fn urls_in(text: &str) -> impl Iterator<Item = &str> {
    const TRAILING: &[char] = &['.', ',', ';', ':', '!', '?', ')', ']', '}', '"', '\'', '>'];
    text.split_whitespace()
        .map(|w| w.trim_start_matches(['(', '[', '<', '"', '\'']))
        .map(|w| w.trim_end_matches(TRAILING))
        .filter(|w| {
            let lower = w.to_ascii_lowercase();
            ["http://", "https://", "www."]
                .iter()
                .any(|p| lower.starts_with(p) && lower.len() > p.len())
        })
}

/// Unique links across `text` and the link attachment, compared as URLs are: scheme and host
/// ignore case, the rest does not.
pub fn unique_links(text: Option<&str>, attachment: Option<&str>) -> BTreeSet<String> {
    text.into_iter()
        .flat_map(urls_in)
        .chain(attachment)
        .map(|link| {
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
        })
        .collect()
}

/// Whether `text` is an http(s) URL.
pub fn is_url(text: &str) -> bool {
    url::Url::parse(text).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// A code 100 parameter error.
pub fn bad(message: &str) -> ApiError {
    ApiError::invalid_param(message)
}

/// One topic tag of 1-50 characters without `.` or `&`.
pub fn topic(params: &Params) -> ApiResult<Option<String>> {
    if params.count("topic_tag") > 1 {
        return Err(bad("Only one topic_tag is allowed per post"));
    }
    let Some(tag) = params.get("topic_tag") else {
        return Ok(None);
    };
    let len = tag.chars().count();
    if !(1..=50).contains(&len) || tag.contains(['.', '&']) {
        return Err(bad(
            "Param topic_tag must be 1-50 characters and cannot contain '.' or '&'",
        ));
    }
    Ok(Some(tag.to_owned()))
}

/// Poll options: JSON with option_a and option_b (c, d optional), 1-25 characters each.
pub fn poll(raw: &str, is_text: bool) -> ApiResult<Vec<String>> {
    if !is_text {
        return Err(bad(
            "Param poll_attachment is only allowed for media_type TEXT",
        ));
    }
    let value: Value = serde_json::from_str(raw)
        .map_err(|_| bad("Param poll_attachment must be a JSON object"))?;
    let mut options = Vec::new();
    for key in ["option_a", "option_b", "option_c", "option_d"] {
        match value.get(key).and_then(Value::as_str) {
            Some(o) if (1..=25).contains(&o.chars().count()) => options.push(o.to_owned()),
            Some(_) => return Err(bad("Poll options must be 1-25 characters")),
            None if options.len() < 2 => {
                return Err(bad("Param poll_attachment needs option_a and option_b"));
            }
            None => break,
        }
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_count_their_utf8_bytes_including_bmp_symbols_and_joiners() {
        assert_eq!(threads_len("héllo"), 5);
        assert_eq!(threads_len("😀"), 4);
        assert_eq!(threads_len("⭐"), 3);
        assert_eq!(threads_len("☀\u{FE0F}"), 6);
        assert_eq!(threads_len("👩\u{200D}💻"), 11);
    }

    #[test]
    fn links_are_found_in_any_case_and_trimmed_like_prose() {
        let links = unique_links(
            Some(
                "see (HTTPS://Example.com/A), https://example.com/A; www.b.org/x. and https://example.com/a",
            ),
            Some("https://EXAMPLE.com/A"),
        );
        let links: Vec<_> = links.into_iter().collect();
        assert_eq!(
            links,
            [
                "https://example.com/A",
                "https://example.com/a",
                "www.b.org/x"
            ]
        );
    }
}
