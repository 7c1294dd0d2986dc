//! Attempt budgets for sign-in, second factors, sign-up and recovery mail.
//!
//! Sign-in is throttled so that an attacker cannot lock the owner out (docs/security.md, "Sign-in
//! throttling"): failures count per (account, client address), per account from browsers the
//! account has not signed in on, and per known device. A browser that holds the account's device
//! cookie (set after a full sign-in or a password reset) is judged only by its own budget, which
//! no one else can spend.
//!
//! Limits are kept in memory per instance: behind a load balancer each instance enforces them on
//! the traffic it sees, which still bounds guessing to a small multiple of the single-instance rate.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::budget::FailureBudget;
use super::device::DeviceSigner;
use crate::domain::UserId;

/// The attempt budgets, and the key that signs device cookies.
#[derive(Debug)]
pub struct Throttle {
    login_by_ip: DefaultKeyedRateLimiter<IpAddr>,
    signup_by_ip: DefaultKeyedRateLimiter<IpAddr>,
    mail_by_ip: DefaultKeyedRateLimiter<IpAddr>,
    mail_by_account: DefaultKeyedRateLimiter<String>,
    failures_by_account_client: FailureBudget<(String, IpAddr)>,
    failures_by_account_unknown_devices: FailureBudget<String>,
    failures_by_device: FailureBudget<String>,
    second_factor_failures: FailureBudget<UserId>,
    /// Signs and checks device cookies.
    pub devices: DeviceSigner,
}

/// Refused: try again after this long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryAfter(pub Duration);

/// A keyed budget of `burst` at once, then one every `every` (shared with other throttles).
pub(crate) fn quota(burst: u32, every: Duration) -> Quota {
    Quota::with_period(every)
        .expect("non-zero period")
        .allow_burst(NonZeroU32::new(burst).expect("non-zero burst"))
}

/// Budget sizes. Failures only are counted, so a typo costs one and a success costs nothing.
mod sizes {
    use std::time::Duration;

    /// One client guessing at one account: 10, then one every 90 s.
    pub(super) const ACCOUNT_CLIENT: (u32, Duration) = (10, Duration::from_secs(90));
    /// Every browser without the account's device cookie together: 50, then one a minute. This
    /// bounds a distributed guesser to about 1,440 guesses a day.
    pub(super) const ACCOUNT_UNKNOWN_DEVICES: (u32, Duration) = (50, Duration::from_secs(60));
    /// One known device: as for one client.
    pub(super) const DEVICE: (u32, Duration) = (10, Duration::from_secs(90));
    /// Wrong second-factor codes for one account (the password was right): 5, then one a minute.
    pub(super) const SECOND_FACTOR: (u32, Duration) = (5, Duration::from_secs(60));
}

impl Throttle {
    /// Budgets at their documented sizes; `device_key` signs device cookies.
    pub fn new(device_key: [u8; 32]) -> Self {
        fn budget<K: std::hash::Hash + Eq>((burst, every): (u32, Duration)) -> FailureBudget<K> {
            FailureBudget::new(burst, every)
        }
        Self {
            login_by_ip: RateLimiter::keyed(quota(30, Duration::from_secs(6))),
            signup_by_ip: RateLimiter::keyed(quota(10, Duration::from_secs(60))),
            mail_by_ip: RateLimiter::keyed(quota(10, Duration::from_secs(60))),
            // One recovery or confirmation mail per address every 2 minutes after the first 3,
            // so the form cannot be used to flood someone's inbox.
            mail_by_account: RateLimiter::keyed(quota(3, Duration::from_secs(120))),
            failures_by_account_client: budget(sizes::ACCOUNT_CLIENT),
            failures_by_account_unknown_devices: budget(sizes::ACCOUNT_UNKNOWN_DEVICES),
            failures_by_device: budget(sizes::DEVICE),
            second_factor_failures: budget(sizes::SECOND_FACTOR),
            devices: DeviceSigner::new(device_key),
        }
    }
}

/// Takes one from `key`'s budget, or says how long until one is back.
pub(crate) fn check<K: std::hash::Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), RetryAfter> {
    limiter
        .check_key(key)
        .map_err(|not_until| RetryAfter(not_until.wait_time_from(DefaultClock::default().now())))
}

/// Who is trying to sign in: the account as typed (known or not, alike), the client address,
/// and the device id from a valid device cookie of that account, if any.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    /// Normalised email as typed.
    pub account: &'a str,
    /// Client address.
    pub ip: IpAddr,
    /// Device id of a valid device cookie for this account.
    pub device: Option<&'a str>,
}

impl Throttle {
    /// Whether a sign-in attempt may be checked at all. Counts the attempt against the
    /// client's overall rate; the failure budgets are only read here.
    pub fn sign_in_allowed(&self, attempt: &Attempt<'_>) -> Result<(), RetryAfter> {
        self.sign_in_allowed_at(attempt, Instant::now())
    }

    fn sign_in_allowed_at(&self, a: &Attempt<'_>, now: Instant) -> Result<(), RetryAfter> {
        check(&self.login_by_ip, &a.ip)?;
        match a.device {
            // A known device is never refused because of failures elsewhere.
            Some(device) => self.failures_by_device.check(&device.to_owned(), now),
            None => {
                self.failures_by_account_client
                    .check(&(a.account.to_owned(), a.ip), now)?;
                self.failures_by_account_unknown_devices
                    .check(&a.account.to_owned(), now)
            }
        }
    }

    /// Counts a wrong password (or unknown account).
    pub fn sign_in_failed(&self, attempt: &Attempt<'_>) {
        self.sign_in_failed_at(attempt, Instant::now());
    }

    fn sign_in_failed_at(&self, a: &Attempt<'_>, now: Instant) {
        match a.device {
            Some(device) => self.failures_by_device.fail(device.to_owned(), now),
            None => {
                self.failures_by_account_client
                    .fail((a.account.to_owned(), a.ip), now);
                self.failures_by_account_unknown_devices
                    .fail(a.account.to_owned(), now);
            }
        }
    }

    /// Whether a second-factor code may be checked for this account.
    pub fn second_factor_allowed(&self, user_id: &UserId) -> Result<(), RetryAfter> {
        self.second_factor_failures.check(user_id, Instant::now())
    }

    /// Counts a wrong second-factor code.
    pub fn second_factor_failed(&self, user_id: &UserId) {
        self.second_factor_failures
            .fail(user_id.clone(), Instant::now());
    }

    /// Counts a sign-up attempt for this address.
    pub fn signup(&self, ip: IpAddr) -> Result<(), RetryAfter> {
        check(&self.signup_by_ip, &ip)
    }

    /// Counts a request that may send account mail (reset, confirmation) from this address.
    pub fn mail_request(&self, ip: IpAddr) -> Result<(), RetryAfter> {
        check(&self.mail_by_ip, &ip)
    }

    /// Whether another account mail may go to this address now. Callers answer the same either
    /// way (the answer must not reveal whether the address has an account); only the mail is
    /// skipped.
    pub fn mail_to(&self, address: &str) -> bool {
        check(&self.mail_by_account, &address.to_owned()).is_ok()
    }

    /// Forgets keys whose budgets are full again, bounding memory.
    pub fn shrink(&self) {
        let now = Instant::now();
        self.login_by_ip.retain_recent();
        self.signup_by_ip.retain_recent();
        self.mail_by_ip.retain_recent();
        self.mail_by_account.retain_recent();
        self.failures_by_account_client.shrink(now);
        self.failures_by_account_unknown_devices.shrink(now);
        self.failures_by_device.shrink(now);
        self.second_factor_failures.shrink(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(n: u32) -> IpAddr {
        IpAddr::from(std::net::Ipv4Addr::from(0xc000_0200_u32 + n))
    }

    fn attempt(n: u32, device: Option<&str>) -> Attempt<'_> {
        Attempt {
            account: "maya@example.com",
            ip: ip(n),
            device,
        }
    }

    #[test]
    fn one_client_gets_ten_failures_then_waits_and_others_are_unaffected() {
        let t = Throttle::new([7; 32]);
        let now = Instant::now();
        for _ in 0..10 {
            t.sign_in_allowed_at(&attempt(1, None), now).unwrap();
            t.sign_in_failed_at(&attempt(1, None), now);
        }
        let RetryAfter(wait) = t.sign_in_allowed_at(&attempt(1, None), now).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(90));
        assert!(t.sign_in_allowed_at(&attempt(2, None), now).is_ok());
    }

    #[test]
    fn a_distributed_attack_stops_unknown_devices_but_never_the_known_device() {
        let t = Throttle::new([7; 32]);
        let now = Instant::now();
        for n in 0..200 {
            let a = attempt(n / 5, None);
            if t.sign_in_allowed_at(&a, now).is_ok() {
                t.sign_in_failed_at(&a, now);
            }
        }
        assert!(t.sign_in_allowed_at(&attempt(999, None), now).is_err());
        assert!(
            t.sign_in_allowed_at(&attempt(999, Some("dev-1")), now)
                .is_ok()
        );
        // The account-wide budget refills: one unknown-device try a minute later.
        assert!(
            t.sign_in_allowed_at(&attempt(999, None), now + Duration::from_secs(61))
                .is_ok()
        );
    }
}
