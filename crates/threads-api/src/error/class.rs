//! What a caller must do about an error.

use std::time::Duration;

use super::api::ApiError;

/// The action an error calls for. Obtain it with [`crate::Error::class`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ErrorClass {
    /// Transient: try again after at least `after` (Meta's `Retry-After` when sent, otherwise a
    /// conservative default). Throttling, HTTP 429/5xx, `is_transient`, network failures and
    /// undecodable bodies land here.
    RetryLater {
        /// How long to wait before the next attempt.
        after: Duration,
    },
    /// The token is invalid, expired or revoked (code 190, 102, subcodes 458–467, HTTP 401, or a
    /// rejected authorization code): send the user through OAuth again.
    Reauth,
    /// The container is not ready or not found yet (code 24 / subcode 4279009): poll its status
    /// and publish later.
    NotReady,
    /// A daily action quota (posts, replies, deletes) is used up; wait for the 24 h window.
    QuotaExhausted,
    /// The token lacks a permission or scope (code 10, 200–299, HTTP 403).
    Permission,
    /// The request itself is wrong; retrying will not help. Carries Meta's (or the validator's)
    /// message.
    Invalid {
        /// What was wrong, for logs and for showing to the operator.
        message: String,
    },
}

/// Graph throttling codes: app (4), user (17), page (32), custom (613), application (341).
pub(crate) const THROTTLE_CODES: [i64; 5] = [4, 17, 32, 613, 341];
/// Token-invalid subcodes (Graph generic): password change, expired, invalidated, ...
const REAUTH_SUBCODES: [i64; 6] = [458, 459, 460, 463, 464, 467];
/// Wait suggested when Meta gives no `Retry-After` for a throttling code: its windows roll.
pub(crate) const THROTTLE_DEFAULT_WAIT: Duration = Duration::from_secs(60);
/// Wait suggested for other transient failures without `Retry-After`.
pub(crate) const TRANSIENT_DEFAULT_WAIT: Duration = Duration::from_secs(1);

/// Whether the API error is a throttling rejection (the call was refused, nothing happened).
pub(crate) fn is_throttle(api: &ApiError) -> bool {
    api.code.is_some_and(|c| THROTTLE_CODES.contains(&c))
}

/// Classifies an error body Meta returned with HTTP `status`.
pub(crate) fn classify_api(
    status: u16,
    api: &ApiError,
    retry_after: Option<Duration>,
) -> ErrorClass {
    let code = api.code;
    let subcode = api.subcode;
    if is_reauth(status, api) {
        return ErrorClass::Reauth;
    }
    // The daily-quota error is unconfirmed (§9): accept the Instagram-style code 9 / subcode
    // 2207042, and any error (a throttling code 613 included) whose text names a quota or a
    // limit over a 24-hour window, before the generic throttle check.
    if code == Some(9) || subcode == Some(2_207_042) || mentions_quota(api) {
        return ErrorClass::QuotaExhausted;
    }
    if is_throttle(api) {
        return ErrorClass::RetryLater {
            after: retry_after.unwrap_or(THROTTLE_DEFAULT_WAIT),
        };
    }
    if code == Some(24) || subcode == Some(4_279_009) {
        return ErrorClass::NotReady;
    }
    if api.is_transient == Some(true) || status == 429 || status >= 500 {
        return ErrorClass::RetryLater {
            after: retry_after.unwrap_or(TRANSIENT_DEFAULT_WAIT),
        };
    }
    if code == Some(10) || code.is_some_and(|c| (200..=299).contains(&c)) || status == 403 {
        return ErrorClass::Permission;
    }
    ErrorClass::Invalid {
        message: api.message.clone(),
    }
}

/// Classifies a response whose body was neither the expected type nor an error envelope.
pub(crate) fn classify_status(
    status: u16,
    retry_after: Option<Duration>,
    message: &str,
) -> ErrorClass {
    match status {
        401 => ErrorClass::Reauth,
        403 => ErrorClass::Permission,
        // A 2xx with a malformed body (the sandbox injects these), 429 and 5xx are transient.
        200..=299 | 429 | 500..=599 => ErrorClass::RetryLater {
            after: retry_after.unwrap_or(TRANSIENT_DEFAULT_WAIT),
        },
        _ => ErrorClass::Invalid {
            message: message.to_owned(),
        },
    }
}

fn is_reauth(status: u16, api: &ApiError) -> bool {
    let oauth = api.kind.as_deref() == Some("OAuthException");
    matches!(api.code, Some(190 | 102))
        || api.subcode.is_some_and(|s| REAUTH_SUBCODES.contains(&s))
        || status == 401
        // The flat token-endpoint error for a bad or reused authorization code (§1.3).
        || (oauth && api.code == Some(400))
}

/// Words that mark a daily window. Alone they are not enough: "refreshed only after it is at
/// least 24 hours old" names a window but no limit.
const DAY_WINDOW_MARKERS: [&str; 4] = ["24 hours", "24-hour", "per day", "daily"];

/// Whether the error names a quota, or a limit over a daily window.
fn mentions_quota(api: &ApiError) -> bool {
    let texts: Vec<String> = [
        Some(&api.message),
        api.user_title.as_ref(),
        api.user_message.as_ref(),
    ]
    .into_iter()
    .flatten()
    .map(|m| m.to_ascii_lowercase())
    .collect();
    let any = |needle: &str| texts.iter().any(|t| t.contains(needle));
    any("quota") || (any("limit") && DAY_WINDOW_MARKERS.iter().any(|m| any(m)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(code: i64, subcode: Option<i64>) -> ApiError {
        ApiError {
            message: "m".into(),
            code: Some(code),
            subcode,
            ..ApiError::default()
        }
    }

    #[test]
    fn codes_map_to_the_documented_actions() {
        let retry = |after| ErrorClass::RetryLater { after };
        assert_eq!(classify_api(400, &api(190, None), None), ErrorClass::Reauth);
        assert_eq!(classify_api(400, &api(102, None), None), ErrorClass::Reauth);
        assert_eq!(
            classify_api(400, &api(100, Some(463)), None),
            ErrorClass::Reauth
        );
        assert_eq!(
            classify_api(400, &api(24, Some(4279009)), None),
            ErrorClass::NotReady
        );
        assert_eq!(
            classify_api(403, &api(4, None), None),
            retry(THROTTLE_DEFAULT_WAIT)
        );
        assert_eq!(
            classify_api(400, &api(613, None), Some(Duration::from_secs(7))),
            retry(Duration::from_secs(7))
        );
        assert_eq!(
            classify_api(400, &api(10, None), None),
            ErrorClass::Permission
        );
        assert_eq!(
            classify_api(400, &api(230, None), None),
            ErrorClass::Permission
        );
        assert_eq!(
            classify_api(400, &api(9, Some(2207042)), None),
            ErrorClass::QuotaExhausted
        );
        assert_eq!(
            classify_api(503, &api(1, None), None),
            retry(TRANSIENT_DEFAULT_WAIT)
        );
        assert_eq!(
            classify_api(400, &api(100, Some(33)), None),
            ErrorClass::Invalid {
                message: "m".into()
            }
        );
    }

    #[test]
    fn a_throttle_code_naming_a_daily_limit_is_quota_exhausted() {
        let mut e = api(613, None);
        e.message = "Publishing limit of 250 per 24 hours reached".into();
        assert_eq!(classify_api(400, &e, None), ErrorClass::QuotaExhausted);
        e.message = "Calls to this api have exceeded the rate limit.".into();
        assert!(matches!(
            classify_api(400, &e, None),
            ErrorClass::RetryLater { .. }
        ));
    }

    #[test]
    fn a_day_window_without_a_limit_is_not_a_quota() {
        // The sandbox's answer to refreshing a token younger than 24 h (code 100).
        let mut e = api(100, None);
        e.message =
            "The access token can be refreshed only after it is at least 24 hours old".into();
        assert!(matches!(
            classify_api(400, &e, None),
            ErrorClass::Invalid { .. }
        ));
        e.message = "Daily quota used up".into();
        assert_eq!(classify_api(400, &e, None), ErrorClass::QuotaExhausted);
    }

    #[test]
    fn is_transient_true_means_retry() {
        let mut e = api(2, None);
        e.is_transient = Some(true);
        assert!(matches!(
            classify_api(400, &e, None),
            ErrorClass::RetryLater { .. }
        ));
    }

    #[test]
    fn a_rejected_authorization_code_means_reauth() {
        let mut e = api(400, None);
        e.kind = Some("OAuthException".into());
        assert_eq!(classify_api(400, &e, None), ErrorClass::Reauth);
    }
}
