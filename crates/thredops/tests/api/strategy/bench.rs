//! Benchmark (ignored by default): a Deep Audit of a 10,000-post profile, time and peak memory.
//! Run with `cargo test --release -p thredops --test api strategy::bench -- --ignored --nocapture`.

use std::time::Instant;

use serde_json::{Value, json};
use threads_sandbox::CreatorTraits;
use thredops::strategy::{AUDIT_JOB, audit, data};

use crate::connect::{PASSWORD, connect, profile, run_due_now, sandbox};
use crate::helpers::{Backend, TestApp};

fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with(field))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

async fn bench(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        eprintln!("skipped {backend:?}: not configured");
        return;
    };
    let traits = CreatorTraits {
        username: Some("bench_10k".into()),
        posts: Some(10_000),
        followers: Some(50_000),
        history_days: Some(800),
        ..Default::default()
    };
    let started = Instant::now();
    app.signup("bench@example.com", PASSWORD).await;
    let c = sandbox(&app).create_creator(traits).unwrap();
    let id = connect(&app, c.user_id).await;
    // A 10,000-post backfill can outlast the usual two-minute wait on a busy machine.
    let deadline = Instant::now() + std::time::Duration::from_secs(1_200);
    while profile(&app, &id).await["sync"]["state"] != "idle" {
        assert!(Instant::now() < deadline, "backfill did not finish");
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
    let backfill = started.elapsed();
    // Reset the process's peak-RSS mark so it measures the audit, not the backfill.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let rss_before = status_kb("VmRSS:");
    let started = Instant::now();
    let queued: Value = app
        .post_json(&format!("/api/v1/profiles/{id}/audits"), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    run_due_now(&app, AUDIT_JOB).await;
    let job = started.elapsed();
    let peak = status_kb("VmHWM:");
    let done: Value = app
        .get(&format!(
            "/api/v1/audits/{}",
            queued["id"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["status"], "done");
    assert_eq!(done["report"]["posts"], 10_000);

    let profile = app
        .state
        .store
        .profile(&thredops::domain::ProfileId::from(id.as_str()))
        .await
        .unwrap()
        .unwrap();
    let t = Instant::now();
    let dataset = data::load(&app.state, &profile, chrono_tz::Tz::UTC)
        .await
        .unwrap();
    let load = t.elapsed();
    let t = Instant::now();
    let report = audit::run(&dataset, |_, _| {});
    let compute = t.elapsed();
    let t = Instant::now();
    let strategy = thredops::strategy::report::build(&dataset);
    let strategist = t.elapsed();
    eprintln!(
        "BENCH {backend:?}: posts={} backfill={:.1}s audit_job={:.0}ms (load={:.0}ms compute={:.0}ms) strategist={:.0}ms rss_before={}MiB peak_during_audit={}MiB score={:?} findings={}",
        dataset.posts.len(),
        backfill.as_secs_f64(),
        job.as_secs_f64() * 1000.0,
        load.as_secs_f64() * 1000.0,
        compute.as_secs_f64() * 1000.0,
        strategist.as_secs_f64() * 1000.0,
        rss_before / 1024,
        peak / 1024,
        report.score,
        strategy.recommendations.len()
    );
}

#[tokio::test]
#[ignore = "benchmark: run in release mode by hand"]
async fn audit_of_a_ten_thousand_post_profile() {
    bench(Backend::Sqlite).await;
    bench(Backend::Postgres).await;
}
