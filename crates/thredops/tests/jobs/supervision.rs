//! The runner's supervision of a run: heartbeats, cancellation, takeovers, recurrence and shutdown.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use thredops::clock::now_ms;
use thredops::jobs::{JobState, NewJob, Queue, Runner, RunnerConfig, handler_fn};
use tokio::sync::Notify;

use crate::on_both_backends;
use crate::running::{Running, WITHIN, fast_config, state_becomes};
use crate::support::{TestDb, eventually};

on_both_backends!(
    cancelling_a_running_job_stops_its_handler_at_the_next_heartbeat,
    a_heartbeat_keeps_a_long_job_from_being_taken_over,
    a_worker_killed_mid_job_is_taken_over_and_the_job_runs_once,
    a_recurring_job_schedules_its_next_run_under_the_same_key,
    shutdown_waits_for_running_handlers_to_finish,
    shutdown_past_the_grace_period_releases_the_job_without_counting_the_attempt,
);

async fn cancelling_a_running_job_stops_its_handler_at_the_next_heartbeat(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let dropped = Arc::new(Notify::new());
    let signal = dropped.clone();
    let runner = Runner::new(queue.clone(), fast_config()).register(
        "endless",
        handler_fn(move |_ctx| {
            let guard = NotifyOnDrop(signal.clone());
            async move {
                let _guard = guard;
                std::future::pending::<()>().await;
                Ok(())
            }
        }),
    );
    let metrics = runner.metrics();
    let running = Running::start(runner);
    let id = queue
        .enqueue(NewJob::new("endless", json!({})).user(&"u1".into()))
        .await
        .unwrap();
    state_becomes(&queue, &id, JobState::Running).await;
    let handler_stopped = dropped.notified();
    assert_eq!(queue.cancel_for_user(&"u1".into()).await.unwrap(), 1);
    tokio::time::timeout(WITHIN, handler_stopped)
        .await
        .expect("the handler is stopped after cancellation");
    assert_eq!(
        queue.get(&id).await.unwrap().unwrap().state,
        JobState::Cancelled
    );
    running.stop().await;
    let mut text = String::new();
    metrics.encode(&mut text);
    assert!(text.contains("thredops_jobs_runs_total{kind=\"endless\",outcome=\"lease_lost\"} 1"));
}

/// Signals when the handler's future is dropped (finished or aborted).
struct NotifyOnDrop(Arc<Notify>);

impl Drop for NotifyOnDrop {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

async fn a_heartbeat_keeps_a_long_job_from_being_taken_over(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let go = Arc::new(Notify::new());
    let gate = go.clone();
    let config = RunnerConfig {
        lease_duration: Duration::from_millis(300),
        heartbeat: Duration::from_millis(50),
        ..fast_config()
    };
    let runner = Runner::new(queue.clone(), config).register(
        "long",
        handler_fn(move |_ctx| {
            let gate = gate.clone();
            async move {
                gate.notified().await;
                Ok(())
            }
        }),
    );
    let running = Running::start(runner);
    let id = queue.enqueue(NewJob::new("long", json!({}))).await.unwrap();
    let first = state_becomes(&queue, &id, JobState::Running).await;
    // Wait until the lease has been pushed past several original lease lengths.
    let (q, job_id, first_expiry) = (&queue, &id, first.lease_expires_at.unwrap());
    let extended = eventually(
        WITHIN,
        "the lease to be extended well past its start",
        || async move {
            q.get(job_id)
                .await
                .unwrap()
                .filter(|j| j.lease_expires_at.unwrap_or(0) > first_expiry + 600)
        },
    )
    .await;
    assert_eq!(extended.attempts, 1, "nobody took the job over");
    assert!(
        queue
            .claim(
                &"intruder".into(),
                &["long"],
                Duration::from_secs(1),
                now_ms()
            )
            .await
            .unwrap()
            .is_none()
    );
    go.notify_one();
    let done = state_becomes(&queue, &id, JobState::Succeeded).await;
    assert_eq!(done.attempts, 1);
    running.stop().await;
}

async fn a_worker_killed_mid_job_is_taken_over_and_the_job_runs_once(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let id = queue.enqueue(NewJob::new("once", json!({}))).await.unwrap();
    // The "killed" worker claims under a short lease and never reports back.
    let killed = queue
        .claim(
            &"killed".into(),
            &["once"],
            Duration::from_millis(300),
            now_ms(),
        )
        .await
        .unwrap()
        .unwrap();
    let starts = Arc::new(std::sync::Mutex::new(Vec::new()));
    let recorded = starts.clone();
    let runner = Runner::new(queue.clone(), fast_config()).register(
        "once",
        handler_fn(move |_ctx| {
            recorded.lock().unwrap().push(now_ms());
            async { Ok(()) }
        }),
    );
    let running = Running::start(runner);
    let job = state_becomes(&queue, &id, JobState::Succeeded).await;
    running.stop().await;
    assert_eq!(job.attempts, 2, "the takeover is a second attempt");
    let starts = starts.lock().unwrap().clone();
    assert_eq!(
        starts.len(),
        1,
        "the job ran exactly once after the takeover"
    );
    assert!(
        starts[0] > killed.lease_expires_at.unwrap(),
        "nobody took the job before its lease lapsed"
    );
    assert!(!queue.complete(&killed.lease()).await.unwrap());
    assert_eq!(
        queue.get(&id).await.unwrap().unwrap().state,
        JobState::Succeeded
    );
}

async fn a_recurring_job_schedules_its_next_run_under_the_same_key(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let runner = Runner::new(queue.clone(), fast_config()).register(
        "digest",
        handler_fn(|ctx| async move {
            ctx.schedule_next(now_ms() + 3_600_000);
            Ok(())
        }),
    );
    let first = queue
        .ensure_recurring("digest", "digest:weekly", now_ms())
        .await
        .unwrap();
    let running = Running::start(runner);
    state_becomes(&queue, &first, JobState::Succeeded).await;
    running.stop().await;
    let next = queue
        .ensure_recurring("digest", "digest:weekly", now_ms())
        .await
        .unwrap();
    assert_ne!(
        next, first,
        "the finished run handed its key to the next one"
    );
    let next = queue.get(&next).await.unwrap().unwrap();
    assert_eq!(next.state, JobState::Queued);
    assert!(
        next.run_at > now_ms() + 3_000_000,
        "the next run keeps its own time"
    );
}

async fn shutdown_waits_for_running_handlers_to_finish(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let go = Arc::new(Notify::new());
    let gate = go.clone();
    let runner = Runner::new(queue.clone(), fast_config()).register(
        "slow",
        handler_fn(move |_ctx| {
            let gate = gate.clone();
            async move {
                gate.notified().await;
                Ok(())
            }
        }),
    );
    let running = Running::start(runner);
    let id = queue.enqueue(NewJob::new("slow", json!({}))).await.unwrap();
    state_becomes(&queue, &id, JobState::Running).await;
    let stopping = tokio::spawn(running.stop());
    go.notify_one();
    stopping.await.unwrap();
    let job = queue.get(&id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Succeeded);
}

async fn shutdown_past_the_grace_period_releases_the_job_without_counting_the_attempt(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let config = RunnerConfig {
        shutdown_grace: Duration::from_millis(100),
        ..fast_config()
    };
    let runner = Runner::new(queue.clone(), config).register(
        "stuck",
        handler_fn(|_ctx| async {
            std::future::pending::<()>().await;
            Ok(())
        }),
    );
    let running = Running::start(runner);
    let id = queue
        .enqueue(NewJob::new("stuck", json!({})))
        .await
        .unwrap();
    let claimed = state_becomes(&queue, &id, JobState::Running).await;
    assert_eq!(claimed.attempts, 1);
    running.stop().await;
    let job = queue.get(&id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(job.attempts, 0);
    assert_eq!(job.lease_owner, None);
    assert!(job.run_at <= now_ms(), "runnable again at once");
}
