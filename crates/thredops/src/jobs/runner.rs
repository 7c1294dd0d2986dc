//! The runner: one dispatcher per runner claims jobs while it has a free slot and runs each in a
//! task of its own, under a heartbeat, recording the outcome; a housekeeping task reaps dead
//! leases, trims history and refreshes gauges. Slots cost nothing until a job fills them, so a
//! runner can allow a thousand jobs at once (publishing mostly waits on Threads) and stay small
//! when idle.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::{JoinHandle, JoinSet};
use tracing::Instrument;

use super::metrics::{FailureClass, Metrics, RunOutcome};
use super::queue::millis;
use super::{Backoff, FailOutcome, Handler, Job, JobContext, JobError, Lease, Queue, WorkerId};
use crate::clock::now_ms;

/// Runner settings. The defaults suit production; tests shorten the intervals.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Jobs this runner runs at once (its slots, or workers).
    pub concurrency: usize,
    /// How often an idle runner looks for due jobs (an in-process enqueue wakes it sooner): one
    /// query per runner, whatever its concurrency, so idle slots cost the database nothing.
    pub poll_interval: Duration,
    /// How long a claim holds a job before another worker may take it over.
    pub lease_duration: Duration,
    /// How often a running job's lease is extended; well under `lease_duration`.
    pub heartbeat: Duration,
    /// Retry backoff.
    pub backoff: Backoff,
    /// How long shutdown waits for running handlers before aborting them and releasing their jobs.
    pub shutdown_grace: Duration,
    /// How often lapsed last attempts are reaped, old history purged and depth gauges refreshed.
    pub housekeeping_interval: Duration,
    /// How long succeeded and cancelled jobs are kept.
    pub retain_finished: Duration,
    /// Whether this runner does the housekeeping; one runner per process is enough.
    pub housekeeping: bool,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            concurrency: 4,
            poll_interval: Duration::from_secs(1),
            lease_duration: Duration::from_secs(60),
            heartbeat: Duration::from_secs(20),
            backoff: Backoff::default(),
            shutdown_grace: Duration::from_secs(30),
            housekeeping_interval: Duration::from_secs(30),
            retain_finished: Duration::from_secs(7 * 24 * 60 * 60),
            housekeeping: true,
        }
    }
}

/// Runs registered handlers for jobs of their kinds.
pub struct Runner {
    queue: Queue,
    config: RunnerConfig,
    handlers: HashMap<String, Arc<dyn Handler>>,
    kinds: Vec<String>,
    metrics: Arc<Metrics>,
    instance: String,
    /// What this runner's dispatcher waits on when nothing is runnable.
    lane: Arc<Notify>,
    /// Recurring kinds this runner makes sure are pending when it starts: (kind, first run after).
    recurring: Vec<(String, Duration)>,
}

impl std::fmt::Debug for Runner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runner")
            .field("instance", &self.instance)
            .field("kinds", &self.kinds)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Aborts the handler task if the worker awaiting it is itself aborted (shutdown past its grace).
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl Runner {
    /// A runner over `queue` (whose backoff is replaced by `config.backoff`) with no handlers yet.
    pub fn new(queue: Queue, mut config: RunnerConfig) -> Self {
        if config.heartbeat >= config.lease_duration {
            // A heartbeat slower than the lease lets every long job be taken over mid-run.
            tracing::warn!(
                heartbeat = ?config.heartbeat,
                lease = ?config.lease_duration,
                "job heartbeat is not shorter than the lease; using a third of the lease"
            );
            config.heartbeat = config.lease_duration / 3;
        }
        let short = uuid::Uuid::new_v4().simple().to_string();
        Self {
            lane: queue.add_lane(),
            queue: queue.with_backoff(config.backoff),
            config,
            handlers: HashMap::new(),
            kinds: Vec::new(),
            metrics: Arc::default(),
            instance: format!("runner-{}", &short[..12]),
            recurring: Vec::new(),
        }
    }

    /// Makes sure one run of recurring `kind` (dedup key: the kind) is pending when the runner
    /// starts, first `after` from then; the handler keeps the chain going. Every instance asks,
    /// one after the other in the runner's start-up rather than in tasks of their own.
    pub fn recurring(mut self, kind: impl Into<String>, after: Duration) -> Self {
        self.recurring.push((kind.into(), after));
        self
    }

    /// Moves the handlers of `kinds` to a runner of their own with `concurrency` workers and no
    /// housekeeping, sharing this runner's queue and metrics: jobs that must start on time (a
    /// scheduled post) then never wait behind long ones (a backfill) for a free worker.
    pub fn split_off(&mut self, kinds: &[&str], concurrency: usize) -> Runner {
        let config = RunnerConfig {
            concurrency,
            housekeeping: false,
            ..self.config.clone()
        };
        let mut split = Runner::new(self.queue.clone(), config).with_metrics(self.metrics.clone());
        for kind in kinds {
            if let Some(handler) = self.handlers.remove(*kind) {
                self.kinds.retain(|k| k != kind);
                split = split.register(*kind, handler);
            }
        }
        split
    }

    /// Runs jobs of `kind` with `handler` (replacing any earlier one for that kind).
    pub fn register(mut self, kind: impl Into<String>, handler: Arc<dyn Handler>) -> Self {
        let kind = kind.into();
        if self.handlers.insert(kind.clone(), handler).is_none() {
            self.kinds.push(kind);
        }
        self
    }

    /// Reports into `metrics` instead of a private set (e.g. one shared with `/metrics`).
    pub fn with_metrics(mut self, metrics: Arc<Metrics>) -> Self {
        self.metrics = metrics;
        self
    }

    /// The runner's metrics, to expose them.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// The queue this runner claims from (with the runner's backoff).
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    /// This instance's name; each claim is made as `<instance>/<claim number>`.
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// Runs jobs until `shutdown` resolves; then stops claiming, waits up to the grace period for
    /// running handlers, aborts the rest and puts their jobs back without counting the attempt.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()>) {
        for (kind, after) in &self.recurring {
            let first = now_ms().saturating_add(millis(*after));
            if let Err(e) = self.queue.ensure_recurring(kind, kind, first).await {
                tracing::warn!(kind = %kind, error = %e, "could not schedule a recurring job");
            }
        }
        if let Err(e) = self.queue.register_instance(&self.instance, now_ms()).await {
            tracing::warn!(error = %e, "could not register this runner; a crash will free its jobs only when their leases lapse");
        }
        let runner = Arc::new(self);
        let (stop, stopped) = watch::channel(false);
        // At once (a restart after a crash frees the dead process's jobs now), then each beat.
        let beats = AbortOnDrop(tokio::spawn(runner.clone().beat()));
        let dispatcher = tokio::spawn(runner.clone().dispatch(stopped.clone()));
        let poller = AbortOnDrop(tokio::spawn(poll(
            runner.lane.clone(),
            runner.config.poll_interval,
        )));
        let housekeeping = runner
            .config
            .housekeeping
            .then(|| tokio::spawn(runner.clone().housekeep(stopped.clone())));
        tracing::info!(instance = %runner.instance, kinds = ?runner.kinds, "job runner started");

        shutdown.await;
        tracing::info!(instance = %runner.instance, "job runner stopping");
        let _ = stop.send(true);
        let mut running = dispatcher.await.unwrap_or_default();
        let finished = tokio::time::timeout(runner.config.shutdown_grace, async {
            while running.join_next().await.is_some() {}
        })
        .await;
        if finished.is_err() {
            tracing::warn!("job handlers still running after the grace period; aborting them");
            running.abort_all();
            while running.join_next().await.is_some() {}
        }
        drop(poller);
        drop(beats);
        if let Some(housekeeping) = housekeeping {
            housekeeping.abort();
        }
        let released = match runner.queue.release_instance(&runner.instance).await {
            Ok(count) => count,
            Err(e) => {
                tracing::error!(error = %e, "cannot release job leases; they will be reclaimed when they expire");
                0
            }
        };
        if let Err(e) = runner.queue.unregister_instance(&runner.instance).await {
            tracing::warn!(error = %e, "cannot unregister this runner; others will forget it shortly");
        }
        tracing::info!(released, "job runner stopped");
    }

    /// Beats while the runner runs, and frees the jobs of instances found dead (see
    /// [`super::instances`]).
    async fn beat(self: Arc<Self>) {
        let mut tick = tokio::time::interval(super::instances::BEAT_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let now = now_ms();
            if let Err(e) = self.queue.beat(&self.instance, now).await {
                tracing::warn!(error = %e, "cannot record this runner's beat");
            }
            match self.queue.reclaim_dead(&self.instance, now).await {
                Ok(0) => {}
                Ok(_) => self.queue.notify(),
                Err(e) => tracing::warn!(error = %e, "cannot look for dead runner instances"),
            }
        }
    }

    /// Runs due jobs one at a time in the calling task until none is runnable; returns how many
    /// runs happened. For tests and admin commands, alongside or instead of `run_until_stopped`.
    pub async fn drain(&self) -> Result<usize, crate::store::StoreError> {
        let worker = WorkerId::new(format!("{}/drain", self.instance));
        let mut runs = 0;
        while let Some(job) = self
            .queue
            .claim(&worker, &self.kinds, self.config.lease_duration, now_ms())
            .await?
        {
            self.execute(job).await;
            runs += 1;
        }
        Ok(runs)
    }

    /// Claims jobs while a slot is free and runs each in its own task; waits for a wake-up when
    /// nothing is runnable. Returns the jobs still running once told to stop.
    async fn dispatch(self: Arc<Self>, mut stopped: watch::Receiver<bool>) -> JoinSet<()> {
        let slots = Arc::new(Semaphore::new(self.config.concurrency.max(1)));
        let mut running = JoinSet::new();
        let mut claims = 0_u64;
        while !*stopped.borrow() {
            while running.try_join_next().is_some() {}
            let slot = tokio::select! {
                slot = slots.clone().acquire_owned() => slot,
                _ = stopped.changed() => continue,
            };
            let Ok(slot) = slot else { break };
            claims += 1;
            let worker_id = WorkerId::new(format!("{}/{claims}", self.instance));
            let claimed = self
                .queue
                .claim(
                    &worker_id,
                    &self.kinds,
                    self.config.lease_duration,
                    now_ms(),
                )
                .await;
            match claimed {
                Ok(Some(job)) => {
                    let runner = self.clone();
                    running.spawn(
                        async move {
                            runner.execute(job).await;
                            drop(slot);
                        }
                        .in_current_span(),
                    );
                    // More may be runnable: claim again at once rather than at the next poll.
                    continue;
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(worker = %worker_id, error = %e, "cannot claim a job"),
            }
            drop(slot);
            tokio::select! {
                _ = self.lane.notified() => {}
                _ = stopped.changed() => {}
            }
        }
        running
    }

    async fn housekeep(self: Arc<Self>, mut stopped: watch::Receiver<bool>) {
        let mut tick = tokio::time::interval(self.config.housekeeping_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while !*stopped.borrow() {
            tokio::select! {
                _ = tick.tick() => {}
                _ = stopped.changed() => continue,
            }
            let now = now_ms();
            match self.queue.reap_expired(now).await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(count = n, "jobs died after their last lease expired"),
                Err(e) => tracing::warn!(error = %e, "cannot reap expired leases"),
            }
            let cutoff = now.saturating_sub(millis(self.config.retain_finished));
            if let Err(e) = self.queue.purge_finished(cutoff).await {
                tracing::warn!(error = %e, "cannot purge finished jobs");
            }
            if let Err(e) = self.metrics.refresh(&self.queue).await {
                tracing::warn!(error = %e, "cannot refresh queue depth");
            }
        }
    }

    /// Runs one claimed job and records its outcome.
    #[tracing::instrument(skip_all, fields(job_id = %job.id, kind = %job.kind, attempt = job.attempts))]
    async fn execute(&self, job: Job) {
        let kind = job.kind.clone();
        let started = Instant::now();
        let outcome = match self.handlers.get(&kind).cloned() {
            Some(handler) => self.run_handler(handler, job).await,
            None => {
                // Claims only ask for registered kinds; this guards against a misconfiguration.
                let lease = job.lease();
                let err = JobError::permanent(format!("no handler registered for kind {kind}"));
                self.record_failure(&lease, &kind, &err, FailureClass::Permanent)
                    .await
            }
        };
        self.metrics.record_run(&kind, outcome, started.elapsed());
    }

    async fn run_handler(&self, handler: Arc<dyn Handler>, job: Job) -> RunOutcome {
        let kind = job.kind.clone();
        let ctx = JobContext::new(job, self.queue.clone(), self.config.lease_duration);
        let lease = ctx.lease().clone();
        let task_ctx = ctx.clone();
        // Its own task, so a panic is caught as a JoinError and a lost lease can abort it.
        let mut task = AbortOnDrop(tokio::spawn(
            async move { handler.run(task_ctx).await }.in_current_span(),
        ));
        let joined = self.supervise(&mut task.0, &lease).await;
        match joined {
            None => RunOutcome::LeaseLost,
            Some(Ok(Ok(()))) => self.record_success(&ctx).await,
            Some(Ok(Err(err))) => {
                let class = if err.is_permanent() {
                    FailureClass::Permanent
                } else {
                    FailureClass::Retryable
                };
                self.record_failure(&lease, &kind, &err, class).await
            }
            Some(Err(join)) if join.is_panic() => {
                let err = JobError::retry(format!(
                    "handler panicked: {}",
                    panic_message(join.into_panic())
                ));
                self.record_failure(&lease, &kind, &err, FailureClass::Panic)
                    .await
            }
            Some(Err(_)) => RunOutcome::LeaseLost,
        }
    }

    /// Awaits the handler while extending its lease every heartbeat; stops it (returning `None`)
    /// once the lease is lost, or once the lease could not be confirmed for a whole lease duration
    /// (the database is unreachable, so another worker may already be running the job).
    async fn supervise(
        &self,
        task: &mut JoinHandle<Result<(), JobError>>,
        lease: &Lease,
    ) -> Option<Result<Result<(), JobError>, tokio::task::JoinError>> {
        let beat_every = self.config.heartbeat.max(Duration::from_millis(10));
        let mut beat =
            tokio::time::interval_at(tokio::time::Instant::now() + beat_every, beat_every);
        let mut confirmed = Instant::now();
        loop {
            tokio::select! {
                joined = &mut *task => return Some(joined),
                _ = beat.tick() => {}
            }
            match self
                .queue
                .extend_lease(lease, self.config.lease_duration)
                .await
            {
                Ok(true) => confirmed = Instant::now(),
                Ok(false) => {
                    tracing::warn!("lease lost (cancelled or taken over); stopping the handler");
                    task.abort();
                    return None;
                }
                Err(e) if confirmed.elapsed() >= self.config.lease_duration => {
                    tracing::error!(error = %e, "lease unconfirmed for a whole lease duration; stopping the handler");
                    task.abort();
                    return None;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot extend the lease; trying again at the next beat")
                }
            }
        }
    }

    async fn record_success(&self, ctx: &JobContext) -> RunOutcome {
        let lease = ctx.lease();
        let recorded = match ctx.take_next_run() {
            Some(next) => self
                .queue
                .complete_and_enqueue(lease, &next)
                .await
                .map(|id| id.is_some()),
            None => self.queue.complete(lease).await,
        };
        match recorded {
            Ok(true) => {
                tracing::debug!("job succeeded");
                RunOutcome::Succeeded
            }
            Ok(false) => {
                tracing::warn!("job finished but its lease was lost; the result is not recorded");
                RunOutcome::LeaseLost
            }
            Err(e) => {
                // The lease will lapse and the job run again: handlers are idempotent.
                tracing::error!(error = %e, "cannot record a finished job");
                RunOutcome::LeaseLost
            }
        }
    }

    async fn record_failure(
        &self,
        lease: &Lease,
        kind: &str,
        err: &JobError,
        class: FailureClass,
    ) -> RunOutcome {
        self.metrics.record_failure(kind, class);
        match self.queue.fail(lease, err).await {
            Ok(FailOutcome::Retrying { run_at }) => {
                tracing::warn!(error = %err, retry_in_ms = run_at - now_ms(), "job failed; will retry");
                RunOutcome::Retrying
            }
            Ok(FailOutcome::Dead) => {
                tracing::error!(error = %err, "job failed for good");
                RunOutcome::Dead
            }
            Ok(FailOutcome::LeaseLost) => RunOutcome::LeaseLost,
            Err(e) => {
                tracing::error!(error = %e, "cannot record a failed job");
                RunOutcome::LeaseLost
            }
        }
    }
}

/// Wakes the runner's dispatcher every `every`, for jobs that became due or were enqueued by
/// another instance; once awake it claims until nothing is runnable or every slot is taken.
async fn poll(lane: Arc<Notify>, every: Duration) {
    let mut tick = tokio::time::interval(every.max(Duration::from_millis(1)));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        lane.notify_one();
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-text panic".to_owned()
    }
}
