//! Strategy (being built).

use crate::http::state::AppState;
use crate::jobs::Runner;

/// Registers this feature's job handlers.
pub fn register_jobs(runner: Runner, _state: &AppState) -> Runner {
    runner
}
