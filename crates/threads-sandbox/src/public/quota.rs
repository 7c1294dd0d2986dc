//! Rolling 24 h action quotas of the discovery endpoints (§6.2): 2,200 keyword searches,
//! 1,000 profile-discovery requests and 500 location searches per user.

use std::collections::HashMap;

/// 2,200 keyword searches per rolling 24 h.
pub const KEYWORD_SEARCHES: usize = 2_200;
/// 1,000 profile lookups and profile-post listings per rolling 24 h.
pub const PROFILE_DISCOVERY: usize = 1_000;
/// 500 location searches per rolling 24 h.
pub const LOCATION_SEARCHES: usize = 500;

const DAY: i64 = 86_400;

/// Which quota an action counts against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// `/keyword_search`.
    KeywordSearch,
    /// `/profile_lookup`, `/profile_posts`.
    ProfileDiscovery,
    /// `/location_search`.
    LocationSearch,
}

impl Action {
    /// Actions allowed per rolling 24 h.
    pub fn limit(self) -> usize {
        match self {
            Self::KeywordSearch => KEYWORD_SEARCHES,
            Self::ProfileDiscovery => PROFILE_DISCOVERY,
            Self::LocationSearch => LOCATION_SEARCHES,
        }
    }
}

/// Timestamps of counted actions per (user, action).
#[derive(Debug, Default)]
pub struct QuotaLog {
    log: HashMap<(u64, Action), Vec<i64>>,
}

impl QuotaLog {
    /// Actions `user` made in the 24 h before `now`.
    pub fn used(&self, user: u64, action: Action, now: i64) -> usize {
        self.log.get(&(user, action)).map_or(0, |v| {
            v.iter().filter(|t| **t > now - DAY && **t <= now).count()
        })
    }

    /// Whether one more action fits in the window.
    pub fn allows(&self, user: u64, action: Action, now: i64) -> bool {
        self.used(user, action, now) < action.limit()
    }

    /// Counts one action at `now`, dropping entries that left the window so the log stays small.
    pub fn record(&mut self, user: u64, action: Action, now: i64) {
        let v = self.log.entry((user, action)).or_default();
        v.retain(|t| *t > now - DAY);
        v.push(now);
    }

    /// Forgets everything (sandbox reset).
    pub fn clear(&mut self) {
        self.log.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_rolls_after_a_day() {
        let mut q = QuotaLog::default();
        for _ in 0..LOCATION_SEARCHES {
            q.record(1, Action::LocationSearch, 1_000);
        }
        assert!(!q.allows(1, Action::LocationSearch, 1_000));
        assert!(q.allows(2, Action::LocationSearch, 1_000));
        assert!(q.allows(1, Action::KeywordSearch, 1_000));
        assert!(q.allows(1, Action::LocationSearch, 1_000 + DAY));
    }
}
