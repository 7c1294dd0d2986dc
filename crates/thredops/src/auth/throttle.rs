//! Throttling of sign-in and sign-up attempts, per account and per client address.
//!
//! Limits are kept in memory per instance: behind a load balancer each instance enforces them on
//! the traffic it sees, which still bounds guessing to a small multiple of the single-instance rate.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

/// The attempt budgets.
#[derive(Debug)]
pub struct Throttle {
    login_by_account: DefaultKeyedRateLimiter<String>,
    login_by_ip: DefaultKeyedRateLimiter<IpAddr>,
    signup_by_ip: DefaultKeyedRateLimiter<IpAddr>,
}

/// Refused: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

fn quota(burst: u32, every: Duration) -> Quota {
    Quota::with_period(every)
        .expect("non-zero period")
        .allow_burst(NonZeroU32::new(burst).expect("non-zero burst"))
}

impl Default for Throttle {
    fn default() -> Self {
        Self {
            // 10 tries, then one more every 90 s: slow enough to stop guessing, kind to typos.
            login_by_account: RateLimiter::keyed(quota(10, Duration::from_secs(90))),
            login_by_ip: RateLimiter::keyed(quota(30, Duration::from_secs(6))),
            signup_by_ip: RateLimiter::keyed(quota(10, Duration::from_secs(60))),
        }
    }
}

fn check<K: std::hash::Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), RetryAfter> {
    limiter
        .check_key(key)
        .map_err(|not_until| RetryAfter(not_until.wait_time_from(DefaultClock::default().now())))
}

impl Throttle {
    /// Counts a sign-in attempt for this address and account (known or not, alike).
    pub fn login(&self, ip: IpAddr, account: &str) -> Result<(), RetryAfter> {
        check(&self.login_by_ip, &ip)?;
        check(&self.login_by_account, &account.to_owned())
    }

    /// Counts a sign-up attempt for this address.
    pub fn signup(&self, ip: IpAddr) -> Result<(), RetryAfter> {
        check(&self.signup_by_ip, &ip)
    }

    /// Forgets keys whose budgets are full again, bounding memory.
    pub fn shrink(&self) {
        self.login_by_account.retain_recent();
        self.login_by_ip.retain_recent();
        self.signup_by_ip.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_eleventh_attempt_on_one_account_is_refused_with_a_delay() {
        let t = Throttle::default();
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..10 {
            t.login(ip, "maya@example.com").unwrap();
        }
        let RetryAfter(wait) = t.login(ip, "maya@example.com").unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(90));
        assert!(
            t.login(ip, "other@example.com").is_ok(),
            "another account is unaffected"
        );
    }
}
