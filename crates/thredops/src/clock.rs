//! The one clock: every "now" in ThredOps is read here, as Unix seconds (the unit of every
//! timestamp column), Unix milliseconds (the job queue's unit) or a `DateTime<Utc>`. Nothing
//! else reads the calendar time (`tests/api/architecture.rs`); durations are measured with
//! `Instant`, which is no calendar.
//!
//! The clock can be moved forward with [`advance`], so tests reach the end of a seven-day
//! invitation or a twelve-month inactivity period the way the product would, through its own
//! jobs and pages, without writing into the database. It is one clock per process, not a value
//! passed to every caller: "now" is read in a few hundred places (store writes, the job queue's
//! leases, every area's due dates), and a clock handed down to each would buy separate times for
//! applications sharing a process, which only tests run. Tests that move the clock therefore run
//! in a test binary of their own (`tests/clock`), one at a time.

use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, TimeDelta, Utc};

/// Milliseconds the process's clock runs ahead of the system clock; zero unless a test moved it.
static AHEAD_MS: AtomicI64 = AtomicI64::new(0);

/// Now.
pub fn now() -> DateTime<Utc> {
    Utc::now() + TimeDelta::milliseconds(AHEAD_MS.load(Ordering::Relaxed))
}

/// Now as Unix seconds.
pub fn now_unix() -> i64 {
    now().timestamp()
}

/// Now as Unix milliseconds.
pub fn now_ms() -> i64 {
    now().timestamp_millis()
}

/// Moves the process's clock forward by `by`: for tests (and demonstrations) of behaviour that
/// waits days or months. Every application in the process sees the new time.
pub fn advance(by: std::time::Duration) {
    let ms = i64::try_from(by.as_millis()).unwrap_or(i64::MAX);
    AHEAD_MS.fetch_add(ms, Ordering::Relaxed);
}
