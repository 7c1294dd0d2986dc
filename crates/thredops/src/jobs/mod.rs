//! Durable jobs stored in the database.
//!
//! Work survives restarts and is shared safely by every `thredops` instance on one database:
//! a job is claimed under a lease by one atomic statement ([`Queue::claim`]), its handler runs
//! under a heartbeat, and every write about the run presents that lease, so a worker that lost it
//! changes nothing. Delivery is at-least-once: handlers must be idempotent.
//!
//! ```no_run
//! use std::sync::Arc;
//! use thredops::jobs::{self, JobError, NewJob, Queue, Runner, RunnerConfig};
//!
//! # async fn demo(store: thredops::store::Store) -> Result<(), thredops::store::StoreError> {
//! let queue = Queue::new(store.clone());
//! let runner = Runner::new(queue.clone(), RunnerConfig::default()).register(
//!     "sync_profile",
//!     jobs::handler_fn(|ctx| async move {
//!         let profile: String = ctx.payload_as()?;
//!         ctx.report_progress(&serde_json::json!({ "profile": profile, "pages": 1 })).await?;
//!         Ok::<(), JobError>(())
//!     }),
//! );
//! let metrics = runner.metrics();
//! tokio::spawn(runner.run_until_stopped(async { /* await SIGTERM */ }));
//!
//! // Inside a business transaction: the job exists only if the change commits.
//! let mut tx = store.begin().await?;
//! jobs::enqueue(&mut tx, &NewJob::new("sync_profile", serde_json::json!("p1"))).await?;
//! tx.commit().await?;
//! queue.notify();
//!
//! let mut text = String::new();
//! metrics.encode(&mut text);
//! # Ok(())
//! # }
//! ```

#[macro_use]
mod row;

mod admin;
mod backoff;
mod claim;
mod handler;
mod instances;
mod metrics;
mod model;
mod queue;
mod runner;

pub use backoff::Backoff;
pub use handler::{FnHandler, Handler, HandlerFuture, JobContext, JobError, handler_fn};
pub use metrics::{FailureClass, Metrics, RunOutcome};
pub use model::{
    FailOutcome, Job, JobId, JobState, KindCount, Lease, NewJob, UnknownState, WorkerId,
};
pub use queue::{Queue, enqueue};
pub use runner::{Runner, RunnerConfig};
