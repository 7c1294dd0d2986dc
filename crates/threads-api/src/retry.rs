//! Bounded retries with exponential backoff and full jitter.
//!
//! What is retried depends on whether the call is safe to repeat:
//! - Reads, deletes, hide/unhide and token refresh ([`Idempotency::Safe`]) retry on every
//!   [`crate::ErrorClass::RetryLater`] error. A 2xx body cut off mid-JSON is a transport
//!   failure and retries like one; any other undecodable 2xx body (complete JSON of the wrong
//!   shape, an HTML page) is retried once only, since a server that always sends it is broken.
//! - Container creation, publish, repost and the code exchange ([`Idempotency::Unsafe`]) retry
//!   only when the error guarantees nothing happened: the connection was never made, HTTP 429, or
//!   a throttling code (4/17/32/613/341). A timeout after sending, a 5xx or a garbled 2xx may hide
//!   a post that was created, so those surface to the caller, who can check before repeating.

use std::time::Duration;

use rand::Rng;

use crate::error::{Error, ErrorClass, TransportKind, is_throttle};

/// How many times to try and how long to wait between tries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts including the first; `1` disables retries.
    pub max_attempts: u32,
    /// Backoff cap for the first retry; doubles on each further retry.
    pub base_delay: Duration,
    /// Upper bound of any single backoff.
    pub max_delay: Duration,
    /// Longest `Retry-After` the client will sleep for. A longer one ends the retries and the
    /// error goes to the caller, whose scheduler can wait without holding a task.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 4 attempts, 500 ms base, 30 s cap, honours `Retry-After` up to 60 s.
    fn default() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries at all.
    pub fn none() -> Self {
        Self {
            max_attempts: 1,
            ..Self::default()
        }
    }

    /// Tiny delays for tests: 4 attempts, 1 ms base, 10 ms cap, `Retry-After` up to 2 s.
    pub fn fast_for_tests() -> Self {
        Self {
            max_attempts: 4,
            base_delay: Duration::from_millis(1),
            max_delay: Duration::from_millis(10),
            max_retry_after: Duration::from_secs(2),
        }
    }

    /// Full-jitter backoff before retry number `retry` (1-based): uniform in
    /// `[0, min(max_delay, base_delay * 2^(retry-1))]`.
    pub fn backoff(&self, retry: u32) -> Duration {
        let exp = retry.saturating_sub(1).min(30);
        let ceiling = self
            .base_delay
            .saturating_mul(1u32 << exp)
            .min(self.max_delay);
        let nanos = u64::try_from(ceiling.as_nanos()).unwrap_or(u64::MAX);
        Duration::from_nanos(rand::rng().random_range(0..=nanos))
    }
}

/// Whether a call may be repeated without risking a duplicate side effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idempotency {
    /// Repeating is harmless (GET, DELETE, hide/unhide, token exchange/refresh).
    Safe,
    /// Repeating could act twice (create container, publish, repost, code exchange).
    Unsafe,
}

/// Tracks one call's attempts and decides whether and how long to wait before the next.
pub(crate) struct Retrier<'a> {
    policy: &'a RetryPolicy,
    idempotency: Idempotency,
    attempts: u32,
    decode_retried: bool,
}

impl<'a> Retrier<'a> {
    pub(crate) fn new(policy: &'a RetryPolicy, idempotency: Idempotency) -> Self {
        Self {
            policy,
            idempotency,
            attempts: 0,
            decode_retried: false,
        }
    }

    /// Records that an attempt is starting.
    pub(crate) fn start_attempt(&mut self) {
        self.attempts += 1;
    }

    /// The wait before the next attempt, or `None` to give the error to the caller.
    pub(crate) fn next_delay(&mut self, err: &Error) -> Option<Duration> {
        if self.attempts >= self.policy.max_attempts || !self.may_retry(err) {
            return None;
        }
        match err.retry_after() {
            Some(wait) if wait <= self.policy.max_retry_after => Some(wait),
            Some(_) => None,
            None => Some(self.policy.backoff(self.attempts)),
        }
    }

    fn may_retry(&mut self, err: &Error) -> bool {
        match self.idempotency {
            Idempotency::Safe => {
                if !matches!(err.class(), ErrorClass::RetryLater { .. }) {
                    return false;
                }
                if let Error::Decode {
                    status: 200..=299,
                    truncated: false,
                    ..
                } = err
                {
                    return !std::mem::replace(&mut self.decode_retried, true);
                }
                true
            }
            Idempotency::Unsafe => match err {
                Error::Transport(t) => t.kind == TransportKind::Connect,
                Error::Api { status, api, .. } => {
                    (*status == 429 || is_throttle(api))
                        && matches!(err.class(), ErrorClass::RetryLater { .. })
                }
                Error::Decode { status, .. } => *status == 429,
                Error::Validation(_) | Error::Config(_) => false,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_stays_within_the_exponential_cap() {
        let p = RetryPolicy {
            max_attempts: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(350),
            max_retry_after: Duration::ZERO,
        };
        for _ in 0..200 {
            assert!(p.backoff(1) <= Duration::from_millis(100));
            assert!(p.backoff(2) <= Duration::from_millis(200));
            assert!(p.backoff(3) <= Duration::from_millis(350));
            assert!(p.backoff(40) <= Duration::from_millis(350));
        }
    }

    #[test]
    fn an_undecodable_2xx_is_retried_once_for_safe_calls() {
        let policy = RetryPolicy::fast_for_tests();
        let mut r = Retrier::new(&policy, Idempotency::Safe);
        let err = || Error::Decode {
            status: 200,
            detail: String::new(),
            retry_after: None,
            truncated: false,
        };
        r.start_attempt();
        assert!(r.next_delay(&err()).is_some());
        r.start_attempt();
        assert!(r.next_delay(&err()).is_none());
    }

    #[test]
    fn a_truncated_2xx_body_is_retried_like_a_network_failure() {
        let policy = RetryPolicy::fast_for_tests();
        let err = Error::decode(
            200,
            &serde_json::from_slice::<serde_json::Value>(br#"{"data":[{"id":"1"#).unwrap_err(),
            br#"{"data":[{"id":"1"#,
            None,
        );
        assert!(matches!(
            err,
            Error::Decode {
                truncated: true,
                ..
            }
        ));
        let mut r = Retrier::new(&policy, Idempotency::Safe);
        for _ in 1..policy.max_attempts {
            r.start_attempt();
            assert!(r.next_delay(&err).is_some());
        }
        r.start_attempt();
        assert!(
            r.next_delay(&err).is_none(),
            "still bounded by max_attempts"
        );
        let mut r = Retrier::new(&policy, Idempotency::Unsafe);
        r.start_attempt();
        assert!(r.next_delay(&err).is_none(), "it may hide a created post");
    }

    #[test]
    fn only_a_body_cut_mid_json_counts_as_truncated() {
        let truncated = |body: &[u8]| {
            let e = serde_json::from_slice::<serde_json::Value>(body)
                .err()
                .unwrap_or_else(|| serde::de::Error::custom("wrong shape"));
            matches!(
                Error::decode(200, &e, body, None),
                Error::Decode {
                    truncated: true,
                    ..
                }
            )
        };
        assert!(truncated(br#"{"id":"12"#));
        assert!(!truncated(b"not json at all"));
        assert!(!truncated(br#"{"unexpected":true}"#));
        assert!(!truncated(b""));
    }

    #[test]
    fn unsafe_calls_are_not_retried_after_a_5xx() {
        let policy = RetryPolicy::fast_for_tests();
        let mut r = Retrier::new(&policy, Idempotency::Unsafe);
        r.start_attempt();
        let err = Error::Decode {
            status: 502,
            detail: String::new(),
            retry_after: None,
            truncated: false,
        };
        assert!(r.next_delay(&err).is_none());
    }
}
