//! A worker killed in the middle of a backfill: another instance takes the job over once its
//! lease lapses and resumes from the saved cursor, without starting again or storing a post twice.
//!
//! The web instance (with the sandbox) runs no jobs; a separate worker instance shares its
//! database and master key and talks to that sandbox as it would to Meta's API. The worker runs
//! on its own thread and runtime, so "killing" it drops every task mid-await, as a crash would:
//! nothing is released and the job row stays `running` under the dead worker's lease.

use std::time::{Duration, Instant};

use threads_sandbox::FaultConfig;
use thredops::config::RawSettings;
use thredops::startup::Application;
use thredops::with_pool;
use tokio::sync::oneshot;

use crate::connect::{PASSWORD, connect, creator, sandbox, wait_for_backfill};
use crate::helpers::{Backend, TestApp};
use crate::sync::assert_matches_truth;

const POSTS: i64 = 3_000;

#[tokio::test]
async fn sqlite() {
    a_backfill_killed_midway_resumes_on_another_worker(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres() {
    if crate::helpers::postgres_admin_url().is_none() {
        eprintln!("skipped on PostgreSQL: THREDOPS_TEST_DATABASE_URL is not set");
        return;
    }
    a_backfill_killed_midway_resumes_on_another_worker(Backend::Postgres).await;
}

/// A worker-only instance on the web instance's database, in its own runtime.
struct Worker {
    kill: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Worker {
    fn start(web: &TestApp) -> Worker {
        let mut raw = RawSettings::load(None, |_| None).unwrap();
        raw.set("bind", "127.0.0.1:0");
        raw.set("data_dir", web.data_dir.to_string_lossy().to_string());
        if let Some(url) = web.database_url() {
            raw.set("database_url", url);
        }
        raw.set("log_level", "warn");
        raw.set("job_workers", "4");
        // The web instance's sandbox is "Meta" for this instance.
        raw.set("sandbox", "off");
        raw.set("threads_app_id", "sandbox-app");
        raw.set(
            "threads_app_secret",
            web.state.threads.app.client_secret.expose().to_owned(),
        );
        raw.set("threads_graph_url", web.url("/sandbox"));
        raw.set("threads_authorize_url", web.url("/sandbox"));
        let settings = raw.parse().expect("worker settings parse");
        let (kill, killed) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                let app = Application::build(settings).await.expect("worker builds");
                tokio::select! {
                    _ = app.run_until_stopped(std::future::pending()) => {}
                    _ = killed => {}
                }
            });
            // Dropping the runtime abandons every task where it stands.
            rt.shutdown_background();
        });
        Worker {
            kill: Some(kill),
            thread: Some(thread),
        }
    }

    fn kill(mut self) {
        let _ = self.kill.take().unwrap().send(());
        self.thread.take().unwrap().join().unwrap();
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        if let Some(kill) = self.kill.take() {
            let _ = kill.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn scalar(app: &TestApp, sql: &'static str, id: &str) -> Option<String> {
    with_pool!(app.state.store, |p| sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(p)
        .await)
    .unwrap()
}

async fn stored_posts(app: &TestApp, id: &str) -> i64 {
    with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT count(*) FROM posts WHERE profile_id = $1"
    )
    .bind(id)
    .fetch_one(p)
    .await)
    .unwrap()
}

async fn a_backfill_killed_midway_resumes_on_another_worker(backend: Backend) {
    let web = TestApp::spawn_with(backend, |raw| raw.set("job_workers", "0"))
        .await
        .unwrap();
    web.signup("resume@example.com", PASSWORD).await;
    let c = creator(&web, "resumed_creator", POSTS as usize, 4_000);
    // Slow enough that the kill lands mid-history, fast enough to keep the test short.
    sandbox(&web).set_faults(FaultConfig {
        latency_ms: 3,
        ..FaultConfig::default()
    });
    let id = connect(&web, c.user_id).await;

    let first = Worker::start(&web);
    let deadline = Instant::now() + Duration::from_secs(120);
    let at_kill = loop {
        let stored = stored_posts(&web, &id).await;
        let cursor = scalar(
            &web,
            "SELECT backfill_cursor FROM threads_profiles WHERE id = $1",
            &id,
        )
        .await;
        if stored >= 600 && cursor.is_some() {
            break stored;
        }
        assert!(Instant::now() < deadline, "the backfill never got going");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    first.kill();
    let stored_after_kill = stored_posts(&web, &id).await;
    assert!(
        stored_after_kill < POSTS,
        "the kill came too late to prove anything ({stored_after_kill} posts stored)"
    );
    let state = scalar(
        &web,
        "SELECT state FROM jobs WHERE kind = 'threads.backfill' AND subject = $1",
        &id,
    )
    .await;
    assert_eq!(
        state.as_deref(),
        Some("running"),
        "a killed worker leaves its job leased"
    );
    // Time passes: the dead worker's lease lapses.
    with_pool!(web.state.store, |p| sqlx::query(
        "UPDATE jobs SET lease_expires_at = 0 WHERE state = 'running'"
    )
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();

    let _second = Worker::start(&web);
    wait_for_backfill(&web, &id).await;
    assert_matches_truth(&web, &id, c.user_id).await;
    let attempts: i64 = with_pool!(web.state.store, |p| {
        sqlx::query_scalar(
        "SELECT CAST(attempts AS BIGINT) FROM jobs WHERE kind = 'threads.backfill' AND subject = $1"
    )
    .bind(&id)
    .fetch_one(p)
    .await
    })
    .unwrap();
    assert_eq!(attempts, 2, "the takeover is the second attempt");
    // Only the finished run records its calls: it fetched what was left (plus at most the page
    // whose cursor the killed worker had not saved yet), not the whole history again.
    let calls = web
        .state
        .store
        .api_calls_since(&thredops::domain::ProfileId::from(id.as_str()), 0)
        .await
        .unwrap();
    let left = (POSTS - at_kill.min(stored_after_kill) + 100) as f64;
    assert!(
        (calls as f64) <= left * 1.05 + 20.0,
        "{calls} calls to resume with {at_kill} of {POSTS} posts already stored"
    );
}
