//! The engagement model: how many views, likes, ... a post gets, and how they accrue over time.
//!
//! Every value is a pure function of the post's traits, its seed and its age, so metrics grow
//! deterministically as the sandbox clock moves and a backfill can be checked exactly.

use chrono::{Datelike, TimeZone, Timelike, Utc};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use super::traits::Format;

/// Time constant of the accrual curve: most engagement arrives in the first day.
const TAU_SECS: f64 = 36_000.0;
/// Age after which a post's metrics are final.
pub const ACCRUAL_SECS: i64 = 10 * 86_400;

/// Lifetime metrics of a post.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Metrics {
    /// Views (impressions).
    pub views: u64,
    /// Likes.
    pub likes: u64,
    /// Replies.
    pub replies: u64,
    /// Reposts.
    pub reposts: u64,
    /// Quotes.
    pub quotes: u64,
    /// Shares.
    pub shares: u64,
    /// Link clicks (link posts only).
    pub clicks: u64,
    /// Followers gained.
    pub follows: u64,
}

impl Metrics {
    /// The metrics accrued by age `age_secs`.
    pub fn at_age(&self, age_secs: i64) -> Metrics {
        Metrics {
            views: accrued(self.views, age_secs),
            likes: accrued(self.likes, age_secs),
            replies: accrued(self.replies, age_secs),
            reposts: accrued(self.reposts, age_secs),
            quotes: accrued(self.quotes, age_secs),
            shares: accrued(self.shares, age_secs),
            clicks: accrued(self.clicks, age_secs),
            follows: accrued(self.follows, age_secs),
        }
    }
}

fn curve(age_secs: i64) -> f64 {
    if age_secs <= 0 {
        return 0.0;
    }
    if age_secs >= ACCRUAL_SECS {
        return 1.0;
    }
    let full = 1.0 - (-(ACCRUAL_SECS as f64) / TAU_SECS).exp();
    (1.0 - (-(age_secs as f64) / TAU_SECS).exp()) / full
}

/// How much of `final_value` has accrued at `age_secs`.
pub fn accrued(final_value: u64, age_secs: i64) -> u64 {
    (final_value as f64 * curve(age_secs)).floor() as u64
}

/// The age at which the `k`-th unit (1-based) of `final_value` arrives (inverse of [`accrued`]).
pub fn age_of_unit(final_value: u64, k: u64) -> i64 {
    let full = 1.0 - (-(ACCRUAL_SECS as f64) / TAU_SECS).exp();
    let p = (k as f64 / final_value.max(1) as f64).min(1.0) * full;
    let age = -TAU_SECS * (1.0 - p).ln();
    // Round up so that `accrued(final, age)` already counts unit k.
    (age.ceil() as i64 + 1).min(ACCRUAL_SECS)
}

/// A standard normal draw (Box-Muller), so no extra distribution crate is needed.
pub fn normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random::<f64>().max(1e-12);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// What shapes a creator's engagement, resolved from their traits.
#[derive(Debug, Clone, Serialize)]
pub struct Profile {
    /// Audience UTC offset in hours.
    pub audience_utc_offset: i32,
    /// Best audience-local hours.
    pub best_hours: Vec<u8>,
    /// Multiplier in the best hours.
    pub hour_boost: f64,
    /// Best weekdays (0 = Monday).
    pub best_weekdays: Vec<u8>,
    /// Multiplier on the best weekdays.
    pub weekday_boost: f64,
    /// Multiplier on other Saturdays and Sundays.
    pub weekend_factor: f64,
    /// Per-format multipliers in [`Format::ALL`] order.
    pub format_multipliers: [f64; 6],
    /// Length effect (positive favours long posts).
    pub length_effect: f64,
}

impl Profile {
    /// The deterministic multiplier for a post with these traits.
    pub fn multiplier(&self, format: Format, ts: i64, text_len: usize) -> f64 {
        let local = Utc.timestamp_opt(ts + i64::from(self.audience_utc_offset) * 3_600, 0);
        let local = local.single().unwrap_or_default();
        let hour = local.hour() as u8;
        let weekday = local.weekday().num_days_from_monday() as u8;
        // Nights are quiet everywhere, whatever the creator's best hours are.
        let mut m = if (1..6).contains(&hour) { 0.6 } else { 1.0 };
        if self.best_hours.contains(&hour) {
            m *= self.hour_boost;
        }
        if self.best_weekdays.contains(&weekday) {
            m *= self.weekday_boost;
        } else if weekday >= 5 {
            m *= self.weekend_factor;
        }
        let idx = Format::ALL.iter().position(|f| *f == format).unwrap_or(0);
        m *= self.format_multipliers[idx];
        if format != Format::Repost {
            m *= (self.length_effect * (text_len as f64 / 500.0 - 0.3)).exp();
        }
        m
    }

    /// Draws the lifetime metrics of a post: log-normal around the expectation, with a rare
    /// Pareto "viral" tail.
    pub fn draw(
        &self,
        rng: &mut ChaCha8Rng,
        format: Format,
        ts: i64,
        text_len: usize,
        followers_then: f64,
        has_link: bool,
    ) -> Metrics {
        if format == Format::Repost {
            return Metrics::default();
        }
        let reach = 3.0 + followers_then.max(1.0).powf(0.9) * 0.8;
        let mut views = reach * self.multiplier(format, ts, text_len) * (0.6 * normal(rng)).exp();
        if rng.random::<f64>() < 0.02 {
            let u: f64 = rng.random::<f64>().max(1e-6);
            views *= u.powf(-1.0 / 1.5).min(100.0);
        }
        let views = views.round().max(1.0);
        let mut rate = |mean: f64| -> u64 {
            let r = mean * (0.5 * normal(rng)).exp();
            (views * r).round() as u64
        };
        let likes = rate(0.045);
        let replies = rate(0.006).min(crate::ids::MAX_INCOMING_PER_POST as u64);
        let reposts = rate(0.004);
        let quotes = rate(0.0015);
        let shares = rate(0.003);
        let clicks = if has_link { rate(0.02) } else { 0 };
        let follows = rate(0.002);
        Metrics {
            views: views as u64,
            likes,
            replies,
            reposts,
            quotes,
            shares,
            clicks,
            follows,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metrics_grow_with_age_and_reach_their_final_value() {
        assert_eq!(accrued(1000, 0), 0);
        assert!(accrued(1000, 3_600) < accrued(1000, 86_400));
        assert_eq!(accrued(1000, ACCRUAL_SECS), 1000);
    }

    #[test]
    fn the_kth_unit_has_arrived_at_its_age() {
        for k in [1, 5, 99, 100] {
            let age = age_of_unit(100, k);
            assert!(accrued(100, age) >= k, "k={k}");
        }
    }
}
