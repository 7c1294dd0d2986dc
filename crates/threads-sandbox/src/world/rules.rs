//! Small validation rules for container parameters (§5.1).

use serde_json::Value;

use crate::errors::{ApiError, ApiResult};
use crate::params::Params;

/// Length as Threads counts it: emoji count by their UTF-8 bytes, everything else as 1.
pub fn threads_len(text: &str) -> usize {
    text.chars()
        .map(|c| if is_emoji(c) { c.len_utf8() } else { 1 })
        .sum()
}

fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F000..=0x1FAFF | 0x2600..=0x27BF)
}

/// Words in `text` that look like links.
pub fn urls_in(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace()
        .filter(|w| w.starts_with("http://") || w.starts_with("https://") || w.starts_with("www."))
        .map(|w| w.trim_end_matches(['.', ',', ')', '!', '?']))
}

/// Whether `text` is an http(s) URL.
pub fn is_url(text: &str) -> bool {
    url::Url::parse(text).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
}

/// A code 100 parameter error.
pub fn bad(message: &str) -> ApiError {
    ApiError::invalid_param(message.to_owned())
}

/// Whether a boolean parameter is true.
pub fn flag(params: &Params, name: &str) -> bool {
    params
        .get(name)
        .is_some_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
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
