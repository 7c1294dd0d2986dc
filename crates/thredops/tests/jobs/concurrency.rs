//! Many workers, several instances, one database: every job runs once and runs never overlap.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use serde_json::json;
use sqlx::Row;
use thredops::clock::now_ms;
use thredops::jobs::{Backoff, JobError, JobState, NewJob, Queue, Runner, RunnerConfig};
use thredops::store::Store;
use thredops::with_pool;
use tokio::sync::oneshot;

use crate::on_both_backends;
use crate::support::{TestDb, eventually};

on_both_backends!(
    concurrent_claimers_never_get_the_same_job,
    two_instances_run_every_job_once_without_overlap,
);

async fn concurrent_claimers_never_get_the_same_job(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    for i in 0..100 {
        queue.enqueue(NewJob::new("count", json!(i))).await.unwrap();
    }
    let mut claimers = tokio::task::JoinSet::new();
    for w in 0..12 {
        let queue = queue.clone();
        claimers.spawn(async move {
            let worker = thredops::jobs::WorkerId::new(format!("w{w}"));
            let mut mine = Vec::new();
            while let Some(job) = queue
                .claim(&worker, &["count"], Duration::from_secs(60), now_ms())
                .await
                .unwrap()
            {
                assert!(queue.complete(&job.lease()).await.unwrap());
                mine.push(job.id);
            }
            mine
        });
    }
    let mut seen = HashSet::new();
    while let Some(mine) = claimers.join_next().await {
        for id in mine.unwrap() {
            assert!(seen.insert(id.clone()), "job {id} was claimed twice");
        }
    }
    assert_eq!(seen.len(), 100);
}

const JOBS: i64 = 200;

/// One row per run: which job, which attempt, which instance, how it ended, and when it started
/// and ended on a logical clock shared by both instances.
async fn create_runs_table(store: &Store) {
    with_pool!(store, |p| sqlx::query(
        "CREATE TABLE job_runs (job_id TEXT NOT NULL, attempt INTEGER NOT NULL, instance TEXT NOT NULL, \
         outcome TEXT NOT NULL, started_at BIGINT NOT NULL, ended_at BIGINT NOT NULL)"
    )
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
}

fn instance(db_store: Store, name: &'static str, clock: Arc<AtomicI64>) -> Runner {
    let config = RunnerConfig {
        concurrency: 4,
        poll_interval: Duration::from_millis(10),
        lease_duration: Duration::from_secs(30),
        heartbeat: Duration::from_secs(5),
        backoff: Backoff {
            base: Duration::from_millis(1),
            cap: Duration::from_millis(5),
        },
        housekeeping_interval: Duration::from_millis(200),
        ..RunnerConfig::default()
    };
    let store = db_store.clone();
    Runner::new(Queue::new(db_store), config).register(
        "record",
        thredops::jobs::handler_fn(move |ctx| {
            let store = store.clone();
            let clock = clock.clone();
            async move {
                let started = clock.fetch_add(1, Ordering::SeqCst);
                let n: i64 = ctx.payload_as()?;
                // Some jobs fail once so the same job runs more than once across instances.
                let outcome = if n % 10 == 0 && ctx.attempt() == 1 {
                    "failed"
                } else {
                    "ok"
                };
                tokio::task::yield_now().await;
                let ended = clock.fetch_add(1, Ordering::SeqCst);
                with_pool!(store, |p| sqlx::query(
                    "INSERT INTO job_runs (job_id, attempt, instance, outcome, started_at, ended_at) VALUES ($1, $2, $3, $4, $5, $6)"
                )
                .bind(ctx.job_id())
                .bind(ctx.attempt())
                .bind(name)
                .bind(outcome)
                .bind(started)
                .bind(ended)
                .execute(p)
                .await
                .map(|r| r.rows_affected()))
                .map_err(|e| JobError::retry(format!("cannot record the run: {e}")))?;
                if outcome == "failed" {
                    return Err(JobError::retry("first attempt fails by design"));
                }
                Ok(())
            }
        }),
    )
}

async fn two_instances_run_every_job_once_without_overlap(db: TestDb) {
    create_runs_table(&db.store).await;
    let clock = Arc::new(AtomicI64::new(0));
    let a = instance(db.another_store(5).await, "a", clock.clone());
    let b = instance(db.another_store(5).await, "b", clock.clone());
    let mut stops = Vec::new();
    let mut tasks = Vec::new();
    for runner in [a, b] {
        let (stop, stopped) = oneshot::channel::<()>();
        stops.push(stop);
        tasks.push(tokio::spawn(runner.run_until_stopped(async move {
            let _ = stopped.await;
        })));
    }
    let queue = Queue::new(db.store.clone());
    for n in 0..JOBS {
        queue
            .enqueue(NewJob::new("record", json!(n)))
            .await
            .unwrap();
    }
    let q = &queue;
    eventually(
        Duration::from_secs(120),
        "every job to succeed",
        || async move {
            let counts = q.counts().await.unwrap();
            counts
                .iter()
                .any(|c| c.state == JobState::Succeeded && c.count == JOBS)
                .then_some(())
        },
    )
    .await;
    for stop in stops {
        let _ = stop.send(());
    }
    for task in tasks {
        tokio::time::timeout(Duration::from_secs(30), task)
            .await
            .expect("instance stops")
            .unwrap();
    }

    let rows = with_pool!(db.store, |p| async {
        let rows = sqlx::query(
            "SELECT job_id, attempt, instance, outcome, started_at, ended_at FROM job_runs",
        )
        .fetch_all(p)
        .await?;
        rows.iter()
            .map(|r| {
                Ok::<_, sqlx::Error>((
                    r.try_get::<String, _>(0)?,
                    r.try_get::<i32, _>(1)?,
                    r.try_get::<String, _>(2)?,
                    r.try_get::<String, _>(3)?,
                    r.try_get::<i64, _>(4)?,
                    r.try_get::<i64, _>(5)?,
                ))
            })
            .collect::<Result<Vec<_>, _>>()
    }
    .await)
    .unwrap();

    let mut by_job: HashMap<String, Vec<(i32, String, i64, i64)>> = HashMap::new();
    let mut per_instance: HashMap<String, usize> = HashMap::new();
    for (job, attempt, instance, outcome, start, end) in rows {
        *per_instance.entry(instance).or_default() += 1;
        by_job
            .entry(job)
            .or_default()
            .push((attempt, outcome, start, end));
    }
    assert_eq!(by_job.len(), JOBS as usize, "every job ran");
    let mut retried = 0;
    for (job, mut runs) in by_job {
        let ok = runs.iter().filter(|r| r.1 == "ok").count();
        assert_eq!(ok, 1, "job {job} succeeded {ok} times: {runs:?}");
        runs.sort_by_key(|r| r.2);
        for pair in runs.windows(2) {
            assert!(pair[1].2 > pair[0].3, "runs of job {job} overlap: {runs:?}");
            assert_eq!(pair[1].0, pair[0].0 + 1, "attempts of job {job} in order");
        }
        if runs.len() == 2 {
            retried += 1;
        } else {
            assert_eq!(runs.len(), 1, "job {job} ran {} times", runs.len());
        }
    }
    assert_eq!(retried, (JOBS / 10) as usize);
    eprintln!("runs per instance: {per_instance:?}");
}
