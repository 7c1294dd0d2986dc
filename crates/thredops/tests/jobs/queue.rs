//! Enqueueing, claiming, dedup keys, transactions, cancellation and counts.

use std::time::Duration;

use serde_json::json;
use thredops::clock::now_ms;
use thredops::jobs::{self, JobState, NewJob, Queue};

use crate::on_both_backends;
use crate::support::TestDb;

const LEASE: Duration = Duration::from_secs(30);

on_both_backends!(
    a_job_is_enqueued_claimed_once_and_completed,
    a_dedup_key_returns_the_live_job_and_frees_up_when_it_finishes,
    a_job_enqueued_in_a_rolled_back_transaction_does_not_exist,
    cancelling_for_a_user_or_subject_stops_only_their_live_jobs,
    recurring_work_is_ensured_once_across_instances,
    counts_report_depth_per_kind_and_state,
);

async fn a_job_is_enqueued_claimed_once_and_completed(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let id = queue
        .enqueue(
            NewJob::new("email", json!({"user": "u1"}))
                .user(&"u1".into())
                .subject("p1"),
        )
        .await
        .unwrap();
    let job = queue.get(&id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(job.attempts, 0);
    assert_eq!(job.payload, json!({"user": "u1"}));

    let now = now_ms();
    assert!(
        queue
            .claim(&"w1".into(), &["other"], LEASE, now)
            .await
            .unwrap()
            .is_none()
    );
    let claimed = queue
        .claim(&"w1".into(), &["email"], LEASE, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, id);
    assert_eq!(claimed.state, JobState::Running);
    assert_eq!(claimed.attempts, 1);
    assert_eq!(claimed.lease_owner.as_deref(), Some("w1"));
    assert_eq!(claimed.lease_expires_at, Some(now + 30_000));
    assert_eq!(claimed.user_id.as_deref(), Some("u1"));
    assert!(
        queue
            .claim(&"w2".into(), &["email"], LEASE, now)
            .await
            .unwrap()
            .is_none()
    );

    assert!(queue.complete(&claimed.lease()).await.unwrap());
    let done = queue.get(&id).await.unwrap().unwrap();
    assert_eq!(done.state, JobState::Succeeded);
    assert!(done.finished_at.is_some());
    assert!(
        !queue.complete(&claimed.lease()).await.unwrap(),
        "a second completion is refused"
    );
    assert!(
        queue
            .claim(&"w2".into(), &["email"], LEASE, now_ms() + 60_000)
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_dedup_key_returns_the_live_job_and_frees_up_when_it_finishes(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let job = || NewJob::new("sync", json!({})).dedup_key("sync:p1");
    let first = queue.enqueue(job()).await.unwrap();
    assert_eq!(
        queue.enqueue(job()).await.unwrap(),
        first,
        "queued job holds the key"
    );
    let claimed = queue
        .claim(&"w".into(), &["sync"], LEASE, now_ms())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        queue.enqueue(job()).await.unwrap(),
        first,
        "running job holds the key"
    );
    assert!(queue.complete(&claimed.lease()).await.unwrap());
    let second = queue.enqueue(job()).await.unwrap();
    assert_ne!(second, first, "a finished job frees the key");

    let a = queue.enqueue(NewJob::new("sync", json!({}))).await.unwrap();
    let b = queue.enqueue(NewJob::new("sync", json!({}))).await.unwrap();
    assert_ne!(a, b, "jobs without a key never merge");
}

async fn a_job_enqueued_in_a_rolled_back_transaction_does_not_exist(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let mut tx = db.store.begin().await.unwrap();
    let id = jobs::enqueue(&mut tx, &NewJob::new("welcome", json!({})))
        .await
        .unwrap();
    tx.rollback().await.unwrap();
    assert!(queue.get(&id).await.unwrap().is_none());
    assert!(queue.counts().await.unwrap().is_empty());

    let mut tx = db.store.begin().await.unwrap();
    let id = jobs::enqueue(&mut tx, &NewJob::new("welcome", json!({})))
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        queue.get(&id).await.unwrap().unwrap().state,
        JobState::Queued
    );
}

async fn cancelling_for_a_user_or_subject_stops_only_their_live_jobs(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let running = queue
        .enqueue(
            NewJob::new("sync", json!({}))
                .user(&"u1".into())
                .subject("p1"),
        )
        .await
        .unwrap();
    let claimed = queue
        .claim(&"w".into(), &["sync"], LEASE, now_ms())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.id, running);
    let queued = queue
        .enqueue(
            NewJob::new("sync", json!({}))
                .user(&"u1".into())
                .subject("p2"),
        )
        .await
        .unwrap();
    let other = queue
        .enqueue(
            NewJob::new("sync", json!({}))
                .user(&"u2".into())
                .subject("p3"),
        )
        .await
        .unwrap();

    assert_eq!(queue.cancel_for_user(&"u1".into()).await.unwrap(), 2);
    for id in [&running, &queued] {
        assert_eq!(
            queue.get(id).await.unwrap().unwrap().state,
            JobState::Cancelled
        );
    }
    assert_eq!(
        queue.get(&other).await.unwrap().unwrap().state,
        JobState::Queued
    );
    assert!(
        !queue.complete(&claimed.lease()).await.unwrap(),
        "a cancelled run cannot complete"
    );
    assert!(!queue.extend_lease(&claimed.lease(), LEASE).await.unwrap());

    assert_eq!(queue.cancel_for_subject("p3").await.unwrap(), 1);
    assert_eq!(
        queue.get(&other).await.unwrap().unwrap().state,
        JobState::Cancelled
    );
    assert_eq!(queue.cancel_for_subject("p3").await.unwrap(), 0);

    assert_eq!(queue.purge_for_user(&"u1".into()).await.unwrap(), 2);
    assert!(queue.get(&running).await.unwrap().is_none());
}

async fn recurring_work_is_ensured_once_across_instances(db: TestDb) {
    let here = Queue::new(db.store.clone());
    let there = Queue::new(db.another_store(2).await);
    let at = now_ms() + 60_000;
    let a = here
        .ensure_recurring("digest", "digest:daily", at)
        .await
        .unwrap();
    let b = there
        .ensure_recurring("digest", "digest:daily", at)
        .await
        .unwrap();
    assert_eq!(a, b);
    let job = here.get(&a).await.unwrap().unwrap();
    assert_eq!(job.run_at, at);
    assert_eq!(job.dedup_key.as_deref(), Some("digest:daily"));
}

async fn counts_report_depth_per_kind_and_state(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    for _ in 0..3 {
        queue.enqueue(NewJob::new("a", json!({}))).await.unwrap();
    }
    queue.enqueue(NewJob::new("b", json!({}))).await.unwrap();
    let claimed = queue
        .claim(&"w".into(), &["a"], LEASE, now_ms())
        .await
        .unwrap()
        .unwrap();
    assert!(queue.complete(&claimed.lease()).await.unwrap());
    let counts: Vec<(String, JobState, i64)> = queue
        .counts()
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.kind, c.state, c.count))
        .collect();
    assert_eq!(
        counts,
        vec![
            ("a".into(), JobState::Queued, 2),
            ("a".into(), JobState::Succeeded, 1),
            ("b".into(), JobState::Queued, 1),
        ]
    );
}
