//! Retry delays: exponential backoff with full jitter, never shorter than the caller's hint.

use std::time::Duration;

use rand::Rng;

/// Longest retry-after hint honoured, so a bogus upstream value cannot park a job for years.
const MAX_HINT: Duration = Duration::from_secs(24 * 60 * 60);

/// Backoff settings: the n-th retry waits a random time in `[0, min(cap, base * 2^(n-1))]`.
///
/// Full jitter (rather than a fixed exponential step) spreads retries of many jobs that failed
/// together, e.g. when the Threads API throttled every worker at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    /// Ceiling of the first retry's delay.
    pub base: Duration,
    /// Largest ceiling any retry's delay can reach.
    pub cap: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(15 * 60),
        }
    }
}

impl Backoff {
    /// Ceiling of the delay after `attempt` attempts (1-based), before jitter.
    pub fn ceiling(&self, attempt: i32) -> Duration {
        let exponent = u32::try_from(attempt.saturating_sub(1))
            .unwrap_or(0)
            .min(30);
        self.base
            .checked_mul(1u32 << exponent)
            .unwrap_or(self.cap)
            .min(self.cap)
    }

    /// Delay before retrying after `attempt` failed attempts; at least `hint` when one is given
    /// (e.g. the Threads API's suggested wait), capped at one day.
    pub fn delay(&self, attempt: i32, hint: Option<Duration>) -> Duration {
        let ceiling = self.ceiling(attempt);
        let jittered = if ceiling.is_zero() {
            Duration::ZERO
        } else {
            rand::rng().random_range(Duration::ZERO..=ceiling)
        };
        match hint {
            Some(h) => jittered.max(h.min(MAX_HINT)),
            None => jittered,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn backoff() -> Backoff {
        Backoff {
            base: Duration::from_millis(100),
            cap: Duration::from_secs(1),
        }
    }

    #[test]
    fn ceiling_doubles_per_attempt_up_to_the_cap() {
        let b = backoff();
        assert_eq!(b.ceiling(1), Duration::from_millis(100));
        assert_eq!(b.ceiling(2), Duration::from_millis(200));
        assert_eq!(b.ceiling(4), Duration::from_millis(800));
        assert_eq!(b.ceiling(5), Duration::from_secs(1));
        assert_eq!(b.ceiling(1_000), Duration::from_secs(1));
        assert_eq!(b.ceiling(0), Duration::from_millis(100));
    }

    #[test]
    fn delay_stays_within_the_ceiling() {
        let b = backoff();
        for attempt in 1..10 {
            for _ in 0..50 {
                assert!(b.delay(attempt, None) <= b.ceiling(attempt));
            }
        }
    }

    #[test]
    fn delay_is_never_shorter_than_the_hint_but_the_hint_is_bounded() {
        let b = backoff();
        let hint = Duration::from_secs(30);
        assert!(b.delay(1, Some(hint)) >= hint);
        assert_eq!(
            b.delay(1, Some(Duration::from_secs(10 * 365 * 24 * 3600))),
            MAX_HINT
        );
    }

    #[test]
    fn zero_base_means_immediate_retries() {
        let b = Backoff {
            base: Duration::ZERO,
            cap: Duration::ZERO,
        };
        assert_eq!(b.delay(3, None), Duration::ZERO);
    }
}
