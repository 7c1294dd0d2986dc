//! A keyed failure budget: a token bucket that only failures drain. Reading it costs nothing, so
//! the right password never uses up what a typo would.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::throttle::RetryAfter;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    /// Failures still allowed at `at` (fractional while refilling).
    tokens: f64,
    at: Instant,
}

/// Up to `burst` failures, refilled one every `every`.
#[derive(Debug)]
pub struct FailureBudget<K> {
    burst: f64,
    every: Duration,
    buckets: Mutex<HashMap<K, Bucket>>,
}

impl<K: Hash + Eq> FailureBudget<K> {
    /// A budget of `burst` failures, one more every `every`.
    pub fn new(burst: u32, every: Duration) -> Self {
        Self {
            burst: f64::from(burst),
            every,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    fn refilled(&self, bucket: Bucket, now: Instant) -> f64 {
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        (bucket.tokens + elapsed / self.every.as_secs_f64()).min(self.burst)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<K, Bucket>> {
        // A poisoned lock only means another request panicked mid-update; the counts are
        // still usable.
        self.buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// `Ok` while at least one failure is left, else how long until one is.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), RetryAfter> {
        let Some(bucket) = self.lock().get(key).copied() else {
            return Ok(());
        };
        let tokens = self.refilled(bucket, now);
        if tokens >= 1.0 {
            Ok(())
        } else {
            let wait = self.every.as_secs_f64() * (1.0 - tokens);
            Err(RetryAfter(Duration::from_secs_f64(wait.max(0.001))))
        }
    }

    /// Spends one failure.
    pub fn fail(&self, key: K, now: Instant) {
        let mut buckets = self.lock();
        let burst = self.burst;
        let bucket = buckets.entry(key).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let tokens = self.refilled(*bucket, now);
        *bucket = Bucket {
            tokens: (tokens - 1.0).max(0.0),
            at: now,
        };
    }

    /// Forgets keys that are full again.
    pub fn shrink(&self, now: Instant) {
        let burst = self.burst;
        let every = self.every.as_secs_f64();
        self.lock().retain(|_, b| {
            b.tokens + now.saturating_duration_since(b.at).as_secs_f64() / every < burst
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_failures_drain_and_time_refills() {
        let budget = FailureBudget::new(2, Duration::from_secs(10));
        let now = Instant::now();
        assert!(budget.check(&"k", now).is_ok());
        budget.fail("k", now);
        budget.fail("k", now);
        let RetryAfter(wait) = budget.check(&"k", now).unwrap_err();
        assert!(wait <= Duration::from_secs(10));
        assert!(budget.check(&"k", now + Duration::from_secs(10)).is_ok());
        budget.shrink(now + Duration::from_secs(30));
        assert!(budget.lock().is_empty());
    }
}
