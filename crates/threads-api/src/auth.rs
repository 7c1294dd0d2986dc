//! OAuth types: scopes, the authorization request and callback, and token grants (§1).

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use url::Url;

use crate::ids::UserId;
use crate::secret::{AccessToken, ClientSecret};

/// Documented lifetime of a short-lived token, used when `expires_in` is absent.
pub const SHORT_LIVED_LIFETIME: Duration = Duration::from_secs(3600);
/// Documented lifetime of a long-lived token, used when `expires_in` is absent.
pub const LONG_LIVED_LIFETIME: Duration = Duration::from_secs(60 * 24 * 3600);

/// A Threads permission scope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Required for everything.
    Basic,
    /// Create and publish posts; read the quota.
    ContentPublish,
    /// Read replies and conversations.
    ReadReplies,
    /// Hide replies; reply quota fields.
    ManageReplies,
    /// Media and user insights.
    ManageInsights,
    /// Delete posts.
    Delete,
    /// Keyword search.
    KeywordSearch,
    /// Mentions.
    ManageMentions,
    /// Location search and tagging.
    LocationTagging,
    /// Public profile lookup.
    ProfileDiscovery,
}

impl Scope {
    /// The wire name, e.g. `threads_basic`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Basic => "threads_basic",
            Self::ContentPublish => "threads_content_publish",
            Self::ReadReplies => "threads_read_replies",
            Self::ManageReplies => "threads_manage_replies",
            Self::ManageInsights => "threads_manage_insights",
            Self::Delete => "threads_delete",
            Self::KeywordSearch => "threads_keyword_search",
            Self::ManageMentions => "threads_manage_mentions",
            Self::LocationTagging => "threads_location_tagging",
            Self::ProfileDiscovery => "threads_profile_discovery",
        }
    }
}

/// The Threads app's id and secret (the *Threads* app id, not the Facebook one).
#[derive(Debug, Clone)]
pub struct AppCredentials {
    /// Threads app id.
    pub client_id: String,
    /// Threads app secret.
    pub client_secret: ClientSecret,
}

/// Parameters of the authorization window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeRequest {
    /// Threads app id.
    pub client_id: String,
    /// Must exactly match a configured redirect URI.
    pub redirect_uri: String,
    /// Requested scopes; `threads_basic` is added if missing.
    pub scopes: Vec<Scope>,
    /// Anti-CSRF value, returned unchanged on the callback.
    pub state: Option<String>,
}

/// What the redirect URI received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthorizeCallback {
    /// The single-use authorization code (valid 1 h), with Meta's `#_` suffix removed.
    pub code: String,
    /// The `state` sent in the request.
    pub state: Option<String>,
}

/// Why the callback carries no code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallbackError {
    /// The user declined (`error=access_denied`).
    #[error("authorization refused: {error} ({description})")]
    Denied {
        /// `error`, e.g. `access_denied`.
        error: String,
        /// `error_description`.
        description: String,
    },
    /// Neither `code` nor `error` was present.
    #[error("callback has no code")]
    MissingCode,
}

impl AuthorizeCallback {
    /// Reads `code`/`state` (or `error`) from the callback URL's query.
    pub fn from_url(url: &Url) -> Result<Self, CallbackError> {
        let get = |key: &str| {
            url.query_pairs()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.into_owned())
        };
        if let Some(error) = get("error") {
            return Err(CallbackError::Denied {
                error,
                description: get("error_description").unwrap_or_default(),
            });
        }
        let code = get("code").ok_or(CallbackError::MissingCode)?;
        // Meta appends `#_`; it is usually a fragment but strip it if it leaked into the value.
        let code = code.trim_end_matches("#_").to_owned();
        if code.is_empty() {
            return Err(CallbackError::MissingCode);
        }
        Ok(Self {
            code,
            state: get("state"),
        })
    }
}

/// A short-lived token from the code exchange.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShortLivedToken {
    /// The token (1 h).
    pub access_token: AccessToken,
    /// The user who authorised the app.
    pub user_id: UserId,
    /// `token_type`, when sent.
    pub token_type: Option<String>,
    /// `expires_in`, when sent.
    pub expires_in: Option<Duration>,
    /// `now + expires_in`, or `now + 1 h` (the documented lifetime) when not sent.
    pub expires_at: DateTime<Utc>,
}

/// A long-lived token from the exchange or a refresh.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LongLivedToken {
    /// The token (60 days).
    pub access_token: AccessToken,
    /// `token_type` (`bearer`), when sent.
    pub token_type: Option<String>,
    /// `expires_in`, when sent.
    pub expires_in: Option<Duration>,
    /// `now + expires_in`, or `now + 60 d` (the documented lifetime) when not sent.
    pub expires_at: DateTime<Utc>,
}

/// The token endpoints' JSON, with every documented-or-plausible field optional.
#[derive(Debug, Deserialize)]
pub(crate) struct RawToken {
    pub(crate) access_token: AccessToken,
    pub(crate) user_id: Option<UserId>,
    pub(crate) token_type: Option<String>,
    /// Seconds, as a number or a string of digits.
    #[serde(default, deserialize_with = "crate::lenient::int")]
    expires_in: Option<u64>,
}

impl RawToken {
    pub(crate) fn expires_in(&self) -> Option<Duration> {
        self.expires_in.map(Duration::from_secs)
    }

    pub(crate) fn expires_at(&self, now: DateTime<Utc>, default: Duration) -> DateTime<Utc> {
        let lifetime = self.expires_in().unwrap_or(default);
        now + chrono::Duration::from_std(lifetime).unwrap_or(chrono::Duration::MAX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_callback_code_loses_its_hash_underscore() {
        let url = Url::parse("https://app.example/cb?code=AQBx123%23_&state=s1").unwrap();
        let cb = AuthorizeCallback::from_url(&url).unwrap();
        assert_eq!(cb.code, "AQBx123");
        assert_eq!(cb.state.as_deref(), Some("s1"));
        let url = Url::parse("https://app.example/cb?code=AQBx#_").unwrap();
        assert_eq!(AuthorizeCallback::from_url(&url).unwrap().code, "AQBx");
    }

    #[test]
    fn a_denied_callback_is_an_error() {
        let url = Url::parse(
            "https://app.example/cb?error=access_denied&error_reason=user_denied&error_description=The+user+denied+your+request",
        )
        .unwrap();
        let err = AuthorizeCallback::from_url(&url).unwrap_err();
        assert_eq!(
            err,
            CallbackError::Denied {
                error: "access_denied".into(),
                description: "The user denied your request".into()
            }
        );
    }
}
