//! The rate-limit headers Graph answers with (§6.2, Graph generic): `X-App-Usage` and
//! `X-Business-Use-Case-Usage`, as percentages of the (app, user) call budget.

use axum::http::{HeaderMap, HeaderValue};
use serde_json::json;

/// CPU time and wall time the reference budgets per allowed call: `total_cputime` is
/// 720,000 and `total_time` 2,880,000 per impression against 4,800 calls per impression.
const CPUTIME_BUDGET_PER_CALL: u64 = 720_000 / 4_800;
const TIME_BUDGET_PER_CALL: u64 = 2_880_000 / 4_800;
/// What one call costs. The sandbox does no real work, so every call is charged the same
/// modest cost: the CPU and time percentages move with `call_count` but stay below it, as they
/// do on a light API, and reach their cap only when the call budget is spent.
const CPUTIME_PER_CALL: u64 = 60;
const TIME_PER_CALL: u64 = 180;

/// Where a user stands against their rolling 24 h budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Usage {
    /// The user whose budget this is (the key of the business use-case header).
    pub user_id: Option<u64>,
    /// Calls counted in the window.
    pub calls: u64,
    /// Calls allowed in the window.
    pub limit: u64,
    /// Minutes until enough calls leave the window for the next one to be allowed; 0 while
    /// calls are allowed.
    pub regain_minutes: i64,
}

impl Usage {
    /// The usage an injected throttling fault stands for: a spent budget of an unknown user.
    pub fn spent() -> Self {
        Self {
            user_id: None,
            calls: 1,
            limit: 1,
            regain_minutes: 1,
        }
    }

    fn percent(&self, cost: u64, budget: u64) -> u64 {
        let spent = self.calls.saturating_mul(cost);
        let allowed = self.limit.saturating_mul(budget).max(1);
        (spent.saturating_mul(100) / allowed).min(100)
    }

    /// `call_count`, `total_cputime` and `total_time`, each 0-100.
    pub fn percentages(&self) -> (u64, u64, u64) {
        (
            self.percent(1, 1),
            self.percent(CPUTIME_PER_CALL, CPUTIME_BUDGET_PER_CALL),
            self.percent(TIME_PER_CALL, TIME_BUDGET_PER_CALL),
        )
    }

    /// The `X-App-Usage` value: `{"call_count":N,"total_cputime":N,"total_time":N}`.
    pub fn app_usage(&self) -> String {
        let (calls, cpu, time) = self.percentages();
        json!({"call_count": calls, "total_cputime": cpu, "total_time": time}).to_string()
    }

    /// The `X-Business-Use-Case-Usage` value, keyed by the user (Threads budgets are per
    /// (app, user), the nearest thing to Graph's per-business key); `None` without a user.
    pub fn business_use_case(&self) -> Option<String> {
        let user = self.user_id?;
        let (calls, cpu, time) = self.percentages();
        let entry = json!({
            "type": "threads",
            "call_count": calls,
            "total_cputime": cpu,
            "total_time": time,
            "estimated_time_to_regain_access": self.regain_minutes,
        });
        Some(json!({ user.to_string(): [entry] }).to_string())
    }

    /// Adds both headers to `headers`.
    pub fn write(&self, headers: &mut HeaderMap) {
        if let Ok(value) = HeaderValue::from_str(&self.app_usage()) {
            headers.insert("x-app-usage", value);
        }
        if let Some(value) = self
            .business_use_case()
            .and_then(|v| HeaderValue::from_str(&v).ok())
        {
            headers.insert("x-business-use-case-usage", value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn usage(calls: u64, limit: u64) -> Usage {
        Usage {
            user_id: Some(7),
            calls,
            limit,
            regain_minutes: 0,
        }
    }

    #[test]
    fn percentages_follow_the_calls_and_stay_within_100() {
        assert_eq!(usage(0, 1_000).percentages(), (0, 0, 0));
        assert_eq!(usage(500, 1_000).percentages(), (50, 20, 15));
        assert_eq!(usage(1_000, 1_000).percentages(), (100, 40, 30));
        assert_eq!(usage(5_000, 1_000).percentages(), (100, 100, 100));
    }

    #[test]
    fn headers_read_as_graph_writes_them() {
        assert_eq!(
            usage(250, 1_000).app_usage(),
            r#"{"call_count":25,"total_cputime":10,"total_time":7}"#
        );
        let buc: serde_json::Value =
            serde_json::from_str(&usage(250, 1_000).business_use_case().unwrap()).unwrap();
        assert_eq!(buc["7"][0]["call_count"], 25);
        assert_eq!(buc["7"][0]["estimated_time_to_regain_access"], 0);
        assert_eq!(Usage::spent().business_use_case(), None);
        assert_eq!(Usage::spent().percentages().0, 100);
    }
}
