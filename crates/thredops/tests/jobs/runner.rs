//! The runner: handlers, retries, panics, wake-ups, progress, draining and metrics.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use serde_json::json;
use thredops::clock::now_ms;
use thredops::jobs::{JobError, JobState, NewJob, Queue, Runner, RunnerConfig, handler_fn};
use tokio::sync::Notify;

use crate::on_both_backends;
use crate::running::{Running, WITHIN, fast_config, state_becomes};
use crate::support::{TestDb, eventually};

on_both_backends!(
    a_failing_job_is_retried_with_backoff_until_it_succeeds,
    a_job_that_keeps_failing_dies_with_its_last_error_in_the_dead_letters,
    a_permanent_error_is_not_retried,
    a_panicking_handler_fails_the_job_but_not_the_runner,
    an_enqueue_in_this_process_wakes_an_idle_worker,
    a_split_off_lane_runs_its_jobs_while_long_jobs_hold_every_other_worker,
    progress_reported_by_a_running_handler_is_visible,
    drain_runs_every_due_job_and_metrics_count_the_runs,
);

async fn a_failing_job_is_retried_with_backoff_until_it_succeeds(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let runner = Runner::new(queue.clone(), fast_config()).register(
        "flaky",
        handler_fn(|ctx| async move {
            if ctx.attempt() < 3 {
                Err(JobError::retry(format!("attempt {} failed", ctx.attempt())))
            } else {
                Ok(())
            }
        }),
    );
    let running = Running::start(runner);
    let id = queue
        .enqueue(NewJob::new("flaky", json!({})))
        .await
        .unwrap();
    let job = state_becomes(&queue, &id, JobState::Succeeded).await;
    assert_eq!(job.attempts, 3);
    assert_eq!(job.last_error.as_deref(), Some("attempt 2 failed"));
    running.stop().await;
}

async fn a_job_that_keeps_failing_dies_with_its_last_error_in_the_dead_letters(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let runs = Arc::new(AtomicUsize::new(0));
    let counted = runs.clone();
    let runner = Runner::new(queue.clone(), fast_config()).register(
        "doomed",
        handler_fn(move |_ctx| {
            let n = counted.fetch_add(1, Ordering::SeqCst) + 1;
            async move { Err(anyhow::anyhow!("upstream said no ({n})").into()) }
        }),
    );
    let running = Running::start(runner);
    let id = queue
        .enqueue(NewJob::new("doomed", json!({})).max_attempts(3))
        .await
        .unwrap();
    let job = state_becomes(&queue, &id, JobState::Dead).await;
    assert_eq!(job.attempts, 3);
    running.stop().await;
    assert_eq!(runs.load(Ordering::SeqCst), 3);
    let dead = queue.dead_jobs(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].last_error.as_deref(), Some("upstream said no (3)"));
}

async fn a_permanent_error_is_not_retried(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let runner = Runner::new(queue.clone(), fast_config()).register(
        "publish",
        handler_fn(|ctx| async move {
            let _: u64 = ctx.payload_as()?;
            Ok(())
        }),
    );
    let running = Running::start(runner);
    let id = queue
        .enqueue(NewJob::new("publish", json!("not a number")))
        .await
        .unwrap();
    let job = state_becomes(&queue, &id, JobState::Dead).await;
    running.stop().await;
    assert_eq!(job.attempts, 1);
    assert!(job.last_error.unwrap().contains("payload does not fit"));
}

async fn a_panicking_handler_fails_the_job_but_not_the_runner(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let runner = Runner::new(queue.clone(), fast_config()).register(
        "fragile",
        handler_fn(|ctx| async move {
            if ctx.attempt() == 1 {
                panic!("boom in attempt 1");
            }
            Ok(())
        }),
    );
    let metrics = runner.metrics();
    let running = Running::start(runner);
    let first = queue
        .enqueue(NewJob::new("fragile", json!({})))
        .await
        .unwrap();
    let job = state_becomes(&queue, &first, JobState::Succeeded).await;
    assert_eq!(job.attempts, 2);
    assert!(
        job.last_error
            .unwrap()
            .contains("handler panicked: boom in attempt 1")
    );

    let second = queue
        .enqueue(NewJob::new("fragile", json!({})))
        .await
        .unwrap();
    state_becomes(&queue, &second, JobState::Succeeded).await;
    running.stop().await;
    let mut text = String::new();
    metrics.encode(&mut text);
    assert!(text.contains("thredops_jobs_failures_total{kind=\"fragile\",class=\"panic\"} 2"));
}

async fn an_enqueue_in_this_process_wakes_an_idle_worker(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let config = RunnerConfig {
        poll_interval: Duration::from_secs(3600),
        ..fast_config()
    };
    let runner =
        Runner::new(queue.clone(), config).register("quick", handler_fn(|_ctx| async { Ok(()) }));
    let running = Running::start(runner);
    // With an hour-long poll, only the in-process wake-up can get these jobs run in time.
    for _ in 0..3 {
        let id = queue
            .enqueue(NewJob::new("quick", json!({})))
            .await
            .unwrap();
        state_becomes(&queue, &id, JobState::Succeeded).await;
    }
    let mut tx = db.store.begin().await.unwrap();
    let id = thredops::jobs::enqueue(&mut tx, &NewJob::new("quick", json!({})))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    queue.notify();
    state_becomes(&queue, &id, JobState::Succeeded).await;
    running.stop().await;
}

async fn a_split_off_lane_runs_its_jobs_while_long_jobs_hold_every_other_worker(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let release = Arc::new(Notify::new());
    let held = release.clone();
    let config = RunnerConfig {
        concurrency: 1,
        // An hour-long poll: only a wake-up that reaches the lane's own workers runs its job.
        poll_interval: Duration::from_secs(3600),
        ..fast_config()
    };
    let mut runner = Runner::new(queue.clone(), config)
        .register(
            "backfill",
            handler_fn(move |_ctx| {
                let held = held.clone();
                async move {
                    held.notified().await;
                    Ok(())
                }
            }),
        )
        .register("publish", handler_fn(|_ctx| async { Ok(()) }));
    let lane = runner.split_off(&["publish"], 2);
    let (background, publishing) = (Running::start(runner), Running::start(lane));

    let long = queue
        .enqueue(NewJob::new("backfill", json!({})))
        .await
        .unwrap();
    state_becomes(&queue, &long, JobState::Running).await;
    for _ in 0..3 {
        let id = queue
            .enqueue(NewJob::new("publish", json!({})))
            .await
            .unwrap();
        state_becomes(&queue, &id, JobState::Succeeded).await;
    }
    // The background worker never runs the lane's kind, and the lane never runs the backfill.
    assert_eq!(
        queue.get(&long).await.unwrap().unwrap().state,
        JobState::Running
    );
    release.notify_one();
    state_becomes(&queue, &long, JobState::Succeeded).await;
    background.stop().await;
    publishing.stop().await;
}

async fn progress_reported_by_a_running_handler_is_visible(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let go = Arc::new(Notify::new());
    let gate = go.clone();
    let runner = Runner::new(queue.clone(), fast_config()).register(
        "backfill",
        handler_fn(move |ctx| {
            let gate = gate.clone();
            async move {
                ctx.report_progress(&json!({"pages": 1})).await?;
                gate.notified().await;
                ctx.report_progress(&json!({"pages": 2})).await?;
                Ok(())
            }
        }),
    );
    let running = Running::start(runner);
    let id = queue
        .enqueue(NewJob::new("backfill", json!({})))
        .await
        .unwrap();
    let (q, job_id) = (&queue, &id);
    let job = eventually(WITHIN, "first progress", || async move {
        q.get(job_id)
            .await
            .unwrap()
            .filter(|j| j.progress == Some(json!({"pages": 1})))
    })
    .await;
    assert_eq!(job.state, JobState::Running);
    go.notify_one();
    let job = state_becomes(&queue, &id, JobState::Succeeded).await;
    assert_eq!(job.progress, Some(json!({"pages": 2})));
    running.stop().await;
}

async fn drain_runs_every_due_job_and_metrics_count_the_runs(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let runner = Runner::new(queue.clone(), fast_config())
        .register("a", handler_fn(|_ctx| async { Ok(()) }))
        .register(
            "b",
            handler_fn(|_ctx| async { Err(JobError::permanent("no")) }),
        );
    for _ in 0..4 {
        queue.enqueue(NewJob::new("a", json!({}))).await.unwrap();
    }
    queue.enqueue(NewJob::new("b", json!({}))).await.unwrap();
    queue
        .enqueue(NewJob::new("a", json!({})).run_at(now_ms() + 3_600_000))
        .await
        .unwrap();
    queue
        .enqueue(NewJob::new("unregistered", json!({})))
        .await
        .unwrap();
    assert_eq!(runner.drain().await.unwrap(), 5);
    assert_eq!(runner.drain().await.unwrap(), 0);

    let metrics = runner.metrics();
    metrics.refresh(runner.queue()).await.unwrap();
    let mut text = String::new();
    metrics.encode(&mut text);
    for line in [
        "thredops_jobs_runs_total{kind=\"a\",outcome=\"succeeded\"} 4",
        "thredops_jobs_runs_total{kind=\"b\",outcome=\"dead\"} 1",
        "thredops_jobs_failures_total{kind=\"b\",class=\"permanent\"} 1",
        "thredops_jobs_queue_depth{kind=\"a\",state=\"queued\"} 1",
        "thredops_jobs_queue_depth{kind=\"unregistered\",state=\"queued\"} 1",
        "thredops_jobs_run_duration_seconds_count{kind=\"a\"} 4",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
}
