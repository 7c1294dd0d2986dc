//! The sandbox clock: real time plus a settable offset, so tests can jump days ahead.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};

/// A controllable clock shared by everything time-dependent in the sandbox
/// (token and code expiry, container processing and expiry, quotas, engagement).
///
/// It never moves backwards: posts are stored in time order and ids depend on that order.
#[derive(Debug, Clone)]
pub struct SandboxClock {
    inner: Arc<Mutex<ClockState>>,
}

#[derive(Debug)]
struct ClockState {
    virtual_base: DateTime<Utc>,
    real_base: Instant,
    frozen: bool,
}

/// Returned when asked to move the clock backwards.
#[derive(Debug, thiserror::Error)]
#[error("the sandbox clock cannot move backwards")]
pub struct ClockBackwards;

impl SandboxClock {
    /// A clock starting at `start` (or real now) that follows real time unless `frozen`.
    pub fn new(start: Option<DateTime<Utc>>, frozen: bool) -> Self {
        Self {
            inner: Arc::new(Mutex::new(ClockState {
                virtual_base: start.unwrap_or_else(Utc::now),
                real_base: Instant::now(),
                frozen,
            })),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClockState> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The current sandbox time.
    pub fn now(&self) -> DateTime<Utc> {
        let state = self.lock();
        current(&state)
    }

    /// The current sandbox time as a Unix timestamp in seconds.
    pub fn now_ts(&self) -> i64 {
        self.now().timestamp()
    }

    /// Moves the clock forward by `by`.
    pub fn advance(&self, by: Duration) -> Result<DateTime<Utc>, ClockBackwards> {
        if by < Duration::zero() {
            return Err(ClockBackwards);
        }
        let mut state = self.lock();
        state.virtual_base += by;
        Ok(current(&state))
    }

    /// Sets the clock to `to`, which must not be earlier than now.
    pub fn set(&self, to: DateTime<Utc>) -> Result<DateTime<Utc>, ClockBackwards> {
        let mut state = self.lock();
        if to < current(&state) {
            return Err(ClockBackwards);
        }
        state.virtual_base = to;
        state.real_base = Instant::now();
        Ok(to)
    }

    /// Restores a start state (used by reset).
    pub(crate) fn reset(&self, start: DateTime<Utc>, frozen: bool) {
        let mut state = self.lock();
        state.virtual_base = start;
        state.real_base = Instant::now();
        state.frozen = frozen;
    }

    /// Whether the clock ignores real time.
    pub fn is_frozen(&self) -> bool {
        self.lock().frozen
    }
}

fn current(state: &ClockState) -> DateTime<Utc> {
    if state.frozen {
        return state.virtual_base;
    }
    let elapsed =
        Duration::from_std(state.real_base.elapsed()).unwrap_or_else(|_| Duration::zero());
    state.virtual_base + elapsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn advancing_moves_time_forward_and_backwards_is_refused() {
        let clock = SandboxClock::new(None, true);
        let before = clock.now();
        clock.advance(Duration::days(2)).unwrap();
        assert_eq!(clock.now() - before, Duration::days(2));
        assert!(clock.advance(Duration::seconds(-1)).is_err());
        assert!(clock.set(before).is_err());
    }
}
