//! Secrets that must never reach logs: access tokens and the app secret.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A Threads access token (user tokens start with `TH`).
///
/// `Debug` prints `AccessToken(***)` and there is deliberately no `Display`: the only way to the
/// raw value is [`AccessToken::expose`], which makes every leak greppable.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AccessToken(String);

impl AccessToken {
    /// Wraps a raw token.
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    /// The raw token, for sending it to Meta or storing it encrypted.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AccessToken(***)")
    }
}

/// The Threads app secret (`client_secret`). Only ever sent server-side.
#[derive(Clone, PartialEq, Eq)]
pub struct ClientSecret(String);

impl ClientSecret {
    /// Wraps the app secret.
    pub fn new(secret: impl Into<String>) -> Self {
        Self(secret.into())
    }

    /// The raw secret, for sending it to Meta.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ClientSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ClientSecret(***)")
    }
}

/// Query and form keys whose values are secrets.
const SECRET_KEYS: [&str; 4] = ["access_token", "client_secret", "code", "input_token"];

/// Replaces the values of secret-bearing `key=value` pairs in free text with `***`.
///
/// Used on every message that may echo a URL or body (transport errors, undecodable bodies),
/// as a second line of defence after URLs are stripped.
pub fn redact(text: &str) -> String {
    let mut out = text.to_owned();
    for key in SECRET_KEYS {
        out = redact_key(&out, key);
    }
    out
}

fn redact_key(text: &str, key: &str) -> String {
    let needle = format!("{key}=");
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(&needle) {
        let boundary_ok = pos == 0
            || !rest[..pos]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
        let value_start = pos + needle.len();
        out.push_str(&rest[..value_start]);
        let tail = &rest[value_start..];
        let value_len = tail
            .find(['&', ' ', '"', '\'', ')', '#', '\n', ','])
            .unwrap_or(tail.len());
        if boundary_ok && value_len > 0 {
            out.push_str("***");
        } else {
            out.push_str(&tail[..value_len]);
        }
        rest = &tail[value_len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let t = AccessToken::new("THQVJsecret");
        assert_eq!(format!("{t:?}"), "AccessToken(***)");
        assert_eq!(
            format!("{:?}", ClientSecret::new("s3")),
            "ClientSecret(***)"
        );
    }

    #[test]
    fn redact_hides_tokens_in_urls() {
        let s = "error sending request for url (http://h/me?fields=id&access_token=THabc&client_secret=xyz)";
        let r = redact(s);
        assert!(!r.contains("THabc") && !r.contains("xyz"), "{r}");
        assert!(
            r.contains("fields=id&access_token=***&client_secret=***"),
            "{r}"
        );
    }

    #[test]
    fn redact_leaves_lookalike_keys_alone() {
        assert_eq!(redact("error_code=5 zipcode=7"), "error_code=5 zipcode=7");
    }
}
