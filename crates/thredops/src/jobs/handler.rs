//! What a job handler implements and what it is given.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::de::DeserializeOwned;

use super::{Job, Lease, NewJob, Queue};

/// How a handler says an attempt failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JobError {
    /// Try again later (after backoff, and no sooner than `after` when the cause suggested a wait,
    /// e.g. the Threads API's retry-after). Becomes dead once attempts run out.
    #[error("{reason}")]
    Retry {
        /// Why, for `last_error` (ids only, never payload contents or tokens).
        reason: String,
        /// Suggested minimum wait.
        after: Option<Duration>,
    },
    /// Retrying cannot help (e.g. the profile was disconnected): dead at once.
    #[error("{0}")]
    Permanent(String),
}

impl JobError {
    /// A retryable failure without a suggested wait.
    pub fn retry(reason: impl Into<String>) -> Self {
        JobError::Retry {
            reason: reason.into(),
            after: None,
        }
    }

    /// A retryable failure with a suggested minimum wait.
    pub fn retry_after(reason: impl Into<String>, after: Duration) -> Self {
        JobError::Retry {
            reason: reason.into(),
            after: Some(after),
        }
    }

    /// A failure retrying cannot fix.
    pub fn permanent(reason: impl Into<String>) -> Self {
        JobError::Permanent(reason.into())
    }

    /// Whether this error sends the job straight to the dead-letter list.
    pub fn is_permanent(&self) -> bool {
        matches!(self, JobError::Permanent(_))
    }
}

/// Unclassified errors (anything `?` brings up) are assumed transient.
/// Storage trouble is transient from a job's point of view: retry with backoff.
impl From<crate::store::StoreError> for JobError {
    fn from(e: crate::store::StoreError) -> Self {
        JobError::retry(e.to_string())
    }
}

impl From<anyhow::Error> for JobError {
    fn from(e: anyhow::Error) -> Self {
        JobError::retry(format!("{e:#}"))
    }
}

/// The future a handler returns.
pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<(), JobError>> + Send + 'a>>;

/// Runs jobs of one kind. Implementations must be idempotent: a job whose worker died mid-run is
/// run again.
pub trait Handler: Send + Sync + 'static {
    /// Runs one attempt.
    fn run(&self, ctx: JobContext) -> HandlerFuture<'_>;
}

/// A handler made from an async closure (see [`handler_fn`]).
pub struct FnHandler<F>(F);

impl<F, Fut> Handler for FnHandler<F>
where
    F: Fn(JobContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    fn run(&self, ctx: JobContext) -> HandlerFuture<'_> {
        Box::pin((self.0)(ctx))
    }
}

/// Wraps `|ctx| async move { ... }` as a [`Handler`].
pub fn handler_fn<F, Fut>(f: F) -> Arc<dyn Handler>
where
    F: Fn(JobContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), JobError>> + Send + 'static,
{
    Arc::new(FnHandler(f))
}

/// What a running handler gets: the job's input and a line back to the queue.
#[derive(Debug, Clone)]
pub struct JobContext {
    job: Arc<Job>,
    lease: Lease,
    queue: Queue,
    lease_duration: Duration,
    next_run: Arc<Mutex<Option<NewJob>>>,
}

impl JobContext {
    pub(crate) fn new(job: Job, queue: Queue, lease_duration: Duration) -> Self {
        Self {
            lease: job.lease(),
            job: Arc::new(job),
            queue,
            lease_duration,
            next_run: Arc::default(),
        }
    }

    /// Job id.
    pub fn job_id(&self) -> &str {
        &self.job.id
    }

    /// Handler name.
    pub fn kind(&self) -> &str {
        &self.job.kind
    }

    /// The raw payload.
    pub fn payload(&self) -> &serde_json::Value {
        &self.job.payload
    }

    /// The payload as `T`; a payload that does not fit is a permanent error (retrying cannot fix it).
    pub fn payload_as<T: DeserializeOwned>(&self) -> Result<T, JobError> {
        serde_json::from_value(self.job.payload.clone())
            .map_err(|e| JobError::permanent(format!("payload does not fit the handler: {e}")))
    }

    /// This attempt's number, from 1.
    pub fn attempt(&self) -> i32 {
        self.job.attempts
    }

    /// Whether a retryable failure now would make the job dead.
    pub fn is_last_attempt(&self) -> bool {
        self.job.attempts >= self.job.max_attempts
    }

    /// Owning account, if any.
    pub fn user_id(&self) -> Option<&str> {
        self.job.user_id.as_deref()
    }

    /// Subject (e.g. a profile id), if any.
    pub fn subject(&self) -> Option<&str> {
        self.job.subject.as_deref()
    }

    /// Dedup key, if any.
    pub fn dedup_key(&self) -> Option<&str> {
        self.job.dedup_key.as_deref()
    }

    /// The lease this attempt runs under.
    pub fn lease(&self) -> &Lease {
        &self.lease
    }

    /// Records progress (e.g. `{"pages": 3}`) for status displays. Fails if the lease was lost,
    /// which also tells the handler its work is no longer wanted.
    pub async fn report_progress(&self, progress: &serde_json::Value) -> Result<(), JobError> {
        let held = self
            .queue
            .report_progress(&self.lease, progress)
            .await
            .map_err(|e| JobError::retry(format!("cannot record progress: {e}")))?;
        if held {
            Ok(())
        } else {
            Err(JobError::retry("lease lost"))
        }
    }

    /// Pushes the lease out by one lease duration. The runner already does this on a timer; call
    /// it only around a single step that may outlast the heartbeat.
    pub async fn extend_lease(&self) -> Result<(), JobError> {
        let held = self
            .queue
            .extend_lease(&self.lease, self.lease_duration)
            .await
            .map_err(|e| JobError::retry(format!("cannot extend lease: {e}")))?;
        if held {
            Ok(())
        } else {
            Err(JobError::retry("lease lost"))
        }
    }

    /// Recurring work: when this attempt succeeds, enqueue the next run of the same kind, payload,
    /// owner, subject and dedup key at `run_at_ms`, in the same transaction that completes this
    /// one (so the key passes from run to run and no instance ever needs its own cron).
    pub fn schedule_next(&self, run_at_ms: i64) {
        let job = &self.job;
        let next = NewJob {
            kind: job.kind.clone(),
            payload: job.payload.clone(),
            run_at: run_at_ms,
            dedup_key: job.dedup_key.clone(),
            max_attempts: job.max_attempts,
            user_id: job.user_id.clone(),
            subject: job.subject.clone(),
        };
        *self.next_run.lock().unwrap_or_else(|p| p.into_inner()) = Some(next);
    }

    /// The follow-up run `schedule_next` asked for, if any.
    pub(crate) fn take_next_run(&self) -> Option<NewJob> {
        self.next_run
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }
}
