//! The per (app, user) call budget over a rolling 24 h (§6.2), counted in minute buckets.

use std::collections::{HashMap, VecDeque};

use axum::http::StatusCode;

use crate::errors::ApiError;
use crate::usage::Usage;

/// Minimum impressions the budget assumes.
const MIN_IMPRESSIONS: u64 = 10;

#[derive(Debug, Default)]
struct UserCalls {
    buckets: VecDeque<(i64, u64)>,
    total: u64,
    impressions: Option<(i64, u64)>,
}

/// A call refused because the user's budget is spent, with where the budget stands.
#[derive(Debug, Clone, Copy)]
pub struct Throttled {
    /// The spent budget, for the usage headers of the refusal.
    pub usage: Usage,
}

impl From<Throttled> for ApiError {
    fn from(_: Throttled) -> Self {
        ApiError::throttled(4, StatusCode::BAD_REQUEST)
    }
}

/// Call counters per user (the sandbox has a single app).
#[derive(Debug, Default)]
pub struct Budget {
    users: HashMap<u64, UserCalls>,
}

impl Budget {
    /// Records one call by `user` at `now`. `impressions` is consulted at most once a minute.
    /// Returns where the budget stands after the call, or [`Throttled`] (the call not counted)
    /// once the budget is spent.
    pub fn record(
        &mut self,
        user: u64,
        now: i64,
        per_impression: u64,
        impressions: impl FnOnce() -> u64,
    ) -> Result<Usage, Throttled> {
        let minute = now.div_euclid(60);
        let calls = self.users.entry(user).or_default();
        while let Some((m, n)) = calls.buckets.front().copied() {
            if m > minute - 1_440 {
                break;
            }
            calls.total -= n;
            calls.buckets.pop_front();
        }
        let impressions = match calls.impressions {
            Some((m, v)) if m == minute => v,
            _ => {
                let v = impressions();
                calls.impressions = Some((minute, v));
                v
            }
        };
        let limit = per_impression.saturating_mul(impressions.max(MIN_IMPRESSIONS));
        let mut usage = Usage {
            user_id: Some(user),
            calls: calls.total,
            limit,
            regain_minutes: 0,
        };
        if calls.total >= limit {
            // The oldest minute's calls leave the window first.
            let oldest = calls.buckets.front().map_or(minute, |(m, _)| *m);
            usage.regain_minutes = (oldest + 1_440 - minute).max(1);
            return Err(Throttled { usage });
        }
        match calls.buckets.back_mut() {
            Some((m, n)) if *m == minute => *n += 1,
            _ => calls.buckets.push_back((minute, 1)),
        }
        calls.total += 1;
        usage.calls = calls.total;
        Ok(usage)
    }

    /// Forgets all counters.
    pub fn clear(&mut self) {
        self.users.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_runs_out_and_recovers_after_a_day() {
        let mut b = Budget::default();
        for _ in 0..10 {
            assert!(b.record(1, 0, 1, || 0).is_ok());
        }
        let throttled = b.record(1, 0, 1, || 0).unwrap_err();
        assert_eq!(throttled.usage.percentages().0, 100);
        assert_eq!(throttled.usage.regain_minutes, 1_440);
        let err = ApiError::from(throttled);
        assert_eq!((err.code, err.is_transient), (4, Some(true)));
        let usage = b.record(1, 86_400, 1, || 0).unwrap();
        assert_eq!((usage.calls, usage.limit), (1, 10));
    }
}
