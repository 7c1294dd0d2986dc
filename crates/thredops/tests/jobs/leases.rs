//! Failures, retries, dead letters and leases, driven directly with explicit clocks.

use std::time::Duration;

use serde_json::json;
use thredops::clock::now_ms;
use thredops::jobs::{Backoff, FailOutcome, JobError, JobState, NewJob, Queue};

use crate::on_both_backends;
use crate::support::TestDb;

const LEASE: Duration = Duration::from_secs(30);

on_both_backends!(
    a_failed_attempt_is_requeued_no_sooner_than_the_retry_hint,
    a_job_dies_after_its_last_attempt_and_can_be_retried_from_the_dead_letters,
    a_permanent_error_sends_the_job_straight_to_the_dead_letters,
    a_lapsed_lease_is_reclaimed_and_the_first_worker_cannot_finish_the_run,
    a_lapsed_last_attempt_is_reaped_as_dead,
    releasing_puts_a_workers_jobs_back_without_counting_the_attempt,
    progress_is_visible_while_the_lease_is_held,
    a_dead_instances_jobs_are_free_at_once_and_a_live_ones_are_not,
);

async fn a_failed_attempt_is_requeued_no_sooner_than_the_retry_hint(db: TestDb) {
    let queue = Queue::new(db.store.clone()).with_backoff(Backoff {
        base: Duration::from_secs(1),
        cap: Duration::from_secs(5),
    });
    let id = queue
        .enqueue(NewJob::new("fetch", json!({})))
        .await
        .unwrap();
    let claimed = queue
        .claim(&"w".into(), &["fetch"], LEASE, now_ms())
        .await
        .unwrap()
        .unwrap();
    let before = now_ms();
    let outcome = queue
        .fail(
            &claimed.lease(),
            &JobError::retry_after("throttled", Duration::from_secs(60)),
        )
        .await
        .unwrap();
    let FailOutcome::Retrying { run_at } = outcome else {
        panic!("expected a retry, got {outcome:?}");
    };
    assert!(run_at >= before + 60_000, "the hint is honoured");
    let job = queue.get(&id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Queued);
    assert_eq!(job.run_at, run_at);
    assert_eq!(job.last_error.as_deref(), Some("throttled"));
    assert_eq!(job.lease_owner, None);

    assert!(
        queue
            .claim(&"w".into(), &["fetch"], LEASE, now_ms())
            .await
            .unwrap()
            .is_none()
    );
    let again = queue
        .claim(&"w".into(), &["fetch"], LEASE, run_at)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.attempts, 2);

    // Without a hint the wait stays under the backoff ceiling of the attempt.
    let before = now_ms();
    let FailOutcome::Retrying { run_at } = queue
        .fail(&again.lease(), &JobError::retry("flaky"))
        .await
        .unwrap()
    else {
        panic!("expected a retry");
    };
    assert!(run_at >= before && run_at <= now_ms() + 2_000);
}

async fn a_job_dies_after_its_last_attempt_and_can_be_retried_from_the_dead_letters(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let id = queue
        .enqueue(NewJob::new("fetch", json!({})).max_attempts(2))
        .await
        .unwrap();
    let far = now_ms() + 3_600_000;
    let first = queue
        .claim(&"w".into(), &["fetch"], LEASE, now_ms())
        .await
        .unwrap()
        .unwrap();
    let outcome = queue
        .fail(&first.lease(), &JobError::retry("boom 1"))
        .await
        .unwrap();
    assert!(matches!(outcome, FailOutcome::Retrying { .. }));
    let second = queue
        .claim(&"w".into(), &["fetch"], LEASE, far)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(second.attempts, 2);
    let outcome = queue
        .fail(&second.lease(), &JobError::retry("boom 2"))
        .await
        .unwrap();
    assert_eq!(outcome, FailOutcome::Dead);
    assert!(
        queue
            .claim(&"w".into(), &["fetch"], LEASE, far * 2)
            .await
            .unwrap()
            .is_none()
    );

    let dead = queue.dead_jobs(10).await.unwrap();
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].id, id);
    assert_eq!(dead[0].last_error.as_deref(), Some("boom 2"));
    assert!(dead[0].finished_at.is_some());

    assert!(queue.retry_dead(&id).await.unwrap());
    assert!(
        !queue.retry_dead(&id).await.unwrap(),
        "only dead jobs are retried"
    );
    let revived = queue
        .claim(&"w".into(), &["fetch"], LEASE, now_ms())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revived.id, id);
    assert_eq!(
        revived.attempts, 1,
        "a retried dead job gets a fresh budget"
    );
}

async fn a_permanent_error_sends_the_job_straight_to_the_dead_letters(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let id = queue
        .enqueue(NewJob::new("publish", json!({})))
        .await
        .unwrap();
    let claimed = queue
        .claim(&"w".into(), &["publish"], LEASE, now_ms())
        .await
        .unwrap()
        .unwrap();
    let outcome = queue
        .fail(
            &claimed.lease(),
            &JobError::permanent("profile disconnected"),
        )
        .await
        .unwrap();
    assert_eq!(outcome, FailOutcome::Dead);
    let job = queue.get(&id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Dead);
    assert_eq!(job.attempts, 1);
    assert_eq!(job.last_error.as_deref(), Some("profile disconnected"));
}

async fn a_lapsed_lease_is_reclaimed_and_the_first_worker_cannot_finish_the_run(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let id = queue.enqueue(NewJob::new("sync", json!({}))).await.unwrap();
    let t0 = now_ms();
    let lease = Duration::from_secs(10);
    let killed = queue
        .claim(&"w1".into(), &["sync"], lease, t0)
        .await
        .unwrap()
        .unwrap();
    assert!(
        queue
            .claim(&"w2".into(), &["sync"], lease, t0 + 9_000)
            .await
            .unwrap()
            .is_none(),
        "a live lease is respected"
    );
    let taken = queue
        .claim(&"w2".into(), &["sync"], lease, t0 + 10_001)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(taken.id, id);
    assert_eq!(taken.attempts, 2, "a reclaimed lease counts as an attempt");
    assert_eq!(taken.lease_owner.as_deref(), Some("w2"));

    let stale = killed.lease();
    assert!(!queue.complete(&stale).await.unwrap());
    assert!(!queue.extend_lease(&stale, lease).await.unwrap());
    assert!(
        !queue
            .report_progress(&stale, &json!({"n": 1}))
            .await
            .unwrap()
    );
    assert_eq!(
        queue.fail(&stale, &JobError::retry("late")).await.unwrap(),
        FailOutcome::LeaseLost
    );
    assert_eq!(
        queue.get(&id).await.unwrap().unwrap().state,
        JobState::Running
    );

    assert!(queue.complete(&taken.lease()).await.unwrap());
    let done = queue.get(&id).await.unwrap().unwrap();
    assert_eq!(done.state, JobState::Succeeded);
    assert_eq!(done.attempts, 2);

    // Even the same worker id cannot finish a run it lost and later reclaimed.
    let id = queue.enqueue(NewJob::new("sync", json!({}))).await.unwrap();
    let t0 = now_ms();
    let old = queue
        .claim(&"w1".into(), &["sync"], lease, t0)
        .await
        .unwrap()
        .unwrap();
    let new = queue
        .claim(&"w1".into(), &["sync"], lease, t0 + 20_000)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (old.id.as_str(), new.id.as_str()),
        (id.as_str(), id.as_str())
    );
    assert!(!queue.complete(&old.lease()).await.unwrap());
    assert!(queue.complete(&new.lease()).await.unwrap());
}

async fn a_lapsed_last_attempt_is_reaped_as_dead(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let id = queue
        .enqueue(NewJob::new("sync", json!({})).max_attempts(1))
        .await
        .unwrap();
    let t0 = now_ms();
    queue
        .claim(&"w1".into(), &["sync"], Duration::from_secs(1), t0)
        .await
        .unwrap()
        .unwrap();
    assert!(
        queue
            .claim(&"w2".into(), &["sync"], LEASE, t0 + 5_000)
            .await
            .unwrap()
            .is_none(),
        "no attempts left to reclaim"
    );
    assert_eq!(
        queue.reap_expired(t0 + 500).await.unwrap(),
        0,
        "lease still live"
    );
    assert_eq!(queue.reap_expired(t0 + 5_000).await.unwrap(), 1);
    let job = queue.get(&id).await.unwrap().unwrap();
    assert_eq!(job.state, JobState::Dead);
    assert!(job.last_error.unwrap().contains("lease expired"));
}

async fn releasing_puts_a_workers_jobs_back_without_counting_the_attempt(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let mine = queue.enqueue(NewJob::new("sync", json!({}))).await.unwrap();
    let theirs = queue.enqueue(NewJob::new("sync", json!({}))).await.unwrap();
    let now = now_ms();
    let a = queue
        .claim(&"w1".into(), &["sync"], LEASE, now)
        .await
        .unwrap()
        .unwrap();
    let b = queue
        .claim(&"w2".into(), &["sync"], LEASE, now)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        [a.id.as_str(), b.id.as_str()]
            .iter()
            .filter(|i| **i == mine || **i == theirs)
            .count(),
        2
    );
    assert_eq!(queue.release("w1").await.unwrap(), 1);
    let released = queue.get(&a.id).await.unwrap().unwrap();
    assert_eq!(released.state, JobState::Queued);
    assert_eq!(released.attempts, 0);
    assert_eq!(released.lease_owner, None);
    assert_eq!(
        queue.get(&b.id).await.unwrap().unwrap().state,
        JobState::Running
    );
    assert!(!queue.complete(&a.lease()).await.unwrap());
    let again = queue
        .claim(&"w3".into(), &["sync"], LEASE, now_ms())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((again.id, again.attempts), (a.id, 1));
}

async fn progress_is_visible_while_the_lease_is_held(db: TestDb) {
    let queue = Queue::new(db.store.clone());
    let id = queue
        .enqueue(NewJob::new("backfill", json!({})))
        .await
        .unwrap();
    let claimed = queue
        .claim(&"w".into(), &["backfill"], LEASE, now_ms())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(claimed.progress, None);
    assert!(
        queue
            .report_progress(&claimed.lease(), &json!({"pages": 3}))
            .await
            .unwrap()
    );
    assert_eq!(
        queue.get(&id).await.unwrap().unwrap().progress,
        Some(json!({"pages": 3}))
    );
    assert!(
        queue
            .extend_lease(&claimed.lease(), Duration::from_secs(120))
            .await
            .unwrap()
    );
    let job = queue.get(&id).await.unwrap().unwrap();
    assert!(job.lease_expires_at.unwrap() >= now_ms() + 100_000);
}

/// Instances beat; one whose beat is stale, or whose process is gone from this machine, has its
/// running jobs freed at once (attempt not counted), while a live instance keeps its own.
async fn a_dead_instances_jobs_are_free_at_once_and_a_live_ones_are_not(db: TestDb) {
    use thredops::with_pool;
    let queue = Queue::new(db.store.clone());
    let now = now_ms();
    let mut ids = Vec::new();
    for owner in ["stale", "live", "crashed"] {
        let id = queue
            .enqueue(NewJob::new(format!("{owner}-kind"), json!({})))
            .await
            .unwrap();
        let kind = format!("{owner}-kind");
        let job = queue
            .claim(
                &format!("{owner}/1").into(),
                &[kind.as_str()],
                LEASE,
                now_ms(),
            )
            .await
            .unwrap()
            .unwrap();
        assert_eq!(job.id, id);
        ids.push((id, kind));
    }
    queue
        .register_instance("stale", now - 60_000)
        .await
        .unwrap();
    queue.register_instance("live", now).await.unwrap();
    queue.register_instance("crashed", now).await.unwrap();
    // The crashed instance beat a moment ago, but its process no longer exists here.
    with_pool!(db.store, |p| sqlx::query(
        "UPDATE job_instances SET process = '999999999:1' WHERE instance = 'crashed'"
    )
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let freed = queue.reclaim_dead("me", now).await.unwrap();
    assert_eq!(freed, 2, "the stale and the crashed instance's jobs");
    for (owner, (id, kind)) in ["stale", "live", "crashed"].iter().zip(&ids) {
        let claimed = queue
            .claim(&"me/1".into(), &[kind.as_str()], LEASE, now_ms())
            .await
            .unwrap();
        if *owner == "live" {
            assert!(claimed.is_none(), "a live instance keeps its job");
        } else {
            let job = claimed.unwrap_or_else(|| panic!("{owner}'s job is free"));
            assert_eq!(&job.id, id);
            assert_eq!(job.attempts, 1, "the interrupted attempt is not counted");
        }
    }
    // Dead instances are forgotten; a second look frees nothing more.
    assert_eq!(queue.reclaim_dead("me", now_ms()).await.unwrap(), 0);
}
