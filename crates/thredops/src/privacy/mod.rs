//! Privacy: the deletion paths (account, Meta callbacks, support requests), the inactivity purge,
//! the data export and the staff access log that keep the privacy policy's promises.

pub(crate) mod callbacks;
pub(crate) mod export;
mod export_content;
pub mod purge;
pub(crate) mod reads;
pub(crate) mod requests;
pub mod retention;
pub mod signed_request;
pub mod staff;
pub(crate) mod store;
mod tar;
pub(crate) mod ticket_requests;

use crate::app::AppState;
use crate::jobs::{JobContext, Runner, handler_fn};

/// Registers this feature's job handlers and makes sure the daily retention sweep is scheduled.
pub fn register_jobs(runner: Runner, state: &AppState) -> Runner {
    let state = state.clone();
    runner
        .register(
            retention::KIND,
            handler_fn(move |ctx: JobContext| retention::run_job(state.clone(), ctx)),
        )
        .recurring(retention::KIND, retention::FIRST_RUN_AFTER)
}
