//! The per (app, user) call budget over a rolling 24 h (§6.2), counted in minute buckets.

use std::collections::{HashMap, VecDeque};

use axum::http::StatusCode;

use crate::errors::ApiError;

/// Minimum impressions the budget assumes.
const MIN_IMPRESSIONS: u64 = 10;

#[derive(Debug, Default)]
struct UserCalls {
    buckets: VecDeque<(i64, u64)>,
    total: u64,
    impressions: Option<(i64, u64)>,
}

/// Call counters per user (the sandbox has a single app).
#[derive(Debug, Default)]
pub struct Budget {
    users: HashMap<u64, UserCalls>,
}

impl Budget {
    /// Records one call by `user` at `now`. `impressions` is consulted at most once a minute.
    /// Returns the `X-App-Usage` value, or the throttling error once the budget is spent.
    pub fn record(
        &mut self,
        user: u64,
        now: i64,
        per_impression: u64,
        impressions: impl FnOnce() -> u64,
    ) -> Result<String, ApiError> {
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
        if calls.total >= limit {
            return Err(ApiError::throttled(4, StatusCode::BAD_REQUEST));
        }
        match calls.buckets.back_mut() {
            Some((m, n)) if *m == minute => *n += 1,
            _ => calls.buckets.push_back((minute, 1)),
        }
        calls.total += 1;
        let pct = (calls.total * 100 / limit.max(1)).min(100);
        Ok(format!(
            "{{\"call_count\":{pct},\"total_cputime\":{},\"total_time\":{}}}",
            pct / 2,
            pct / 2
        ))
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
        let err = b.record(1, 0, 1, || 0).unwrap_err();
        assert_eq!((err.code, err.is_transient), (4, Some(true)));
        assert!(b.record(1, 86_400, 1, || 0).is_ok());
    }
}
