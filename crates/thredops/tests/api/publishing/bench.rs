//! Benchmark (run by hand, in release mode): 1,000 posts due in the same minute over 100 sandbox
//! profiles, every Threads call answered after 50 ms. Reports publish lateness and duplicates.
//!
//! `cargo test --release -p thredops --test api publishing::bench -- --ignored --nocapture`

use std::collections::HashMap;

use serde_json::{Value, json};
use threads_sandbox::FaultConfig;
use thredops::with_pool;

use crate::connect::{PASSWORD, connect, creator, sandbox, truth, wait_for_backfill};
use crate::helpers::{Backend, TestApp};

const PROFILES: usize = 100;
const POSTS_PER_PROFILE: usize = 10;

// One runtime thread per core, as `thredops serve` runs.
#[tokio::test(flavor = "multi_thread")]
#[ignore = "benchmark: run by hand in release mode"]
async fn thousand_posts_due_in_one_minute_over_a_hundred_profiles() {
    let backend = match std::env::var("BENCH_BACKEND").as_deref() {
        Ok("postgres") => Backend::Postgres,
        _ => Backend::Sqlite,
    };
    // Publishing workers (their own lane); the background workers keep their default.
    let workers = std::env::var("BENCH_WORKERS").unwrap_or_else(|_| "1024".into());
    let connections = std::env::var("BENCH_DB_CONNECTIONS").unwrap_or_else(|_| "10".into());
    let app = TestApp::spawn_with(backend, |raw| {
        raw.set("publish_workers", workers.clone());
        raw.set("database_max_connections", connections.clone());
    })
    .await
    .expect("backend configured");
    app.signup("bench@example.com", PASSWORD).await;
    let mut profiles = Vec::new();
    for n in 0..PROFILES {
        let c = creator(&app, &format!("bench_{n}"), 3, 200);
        profiles.push((connect(&app, c.user_id).await, c.user_id));
    }
    for (id, _) in &profiles {
        wait_for_backfill(&app, id).await;
    }
    let latency: u64 = std::env::var("BENCH_LATENCY_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50);
    sandbox(&app).set_faults(FaultConfig {
        latency_ms: latency,
        ..FaultConfig::default()
    });
    // Everything is due at the start of the next minute that leaves time to schedule.
    let now = thredops::clock::now();
    let due = now + chrono::Duration::seconds(120 - i64::from(chrono::Timelike::second(&now)));
    let local = due.format("%Y-%m-%dT%H:%M").to_string();
    let mut expected = HashMap::new();
    for (profile, user_id) in &profiles {
        for k in 0..POSTS_PER_PROFILE {
            let text = format!("Bench post {k} of {profile}");
            let r = app
                .post_json("/api/v1/publishing/posts", &json!({"profile_id": profile, "content": {"parts": [{"text": text}]}, "action": "schedule", "local_time": local}))
                .await;
            assert_eq!(r.status(), 201);
            expected.insert(text, *user_id);
        }
    }
    let due_ms = chrono::NaiveDateTime::parse_from_str(&local, "%Y-%m-%dT%H:%M")
        .unwrap()
        .and_utc()
        .timestamp_millis();
    // For attaching a profiler to the publishing window only.
    eprintln!(
        "bench: 1,000 posts due at {due_ms} ms since the epoch (pid {})",
        std::process::id()
    );
    let started = std::time::Instant::now();
    let mut cpu_from = None;
    loop {
        if cpu_from.is_none() && thredops::clock::now().timestamp_millis() >= due_ms {
            cpu_from = cpu_ms();
        }
        let pending: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
            "SELECT count(*) FROM scheduled_posts WHERE state <> 'published'"
        )
        .fetch_one(p)
        .await)
        .unwrap();
        if pending == 0 {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(600),
            "{pending} posts still unpublished"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    let cpu_per_post = match (cpu_from, cpu_ms()) {
        (Some(a), Some(b)) => format!("{:.2}", (b - a) as f64 / expected.len() as f64),
        _ => "n/a".to_owned(),
    };
    let ended_ms = thredops::clock::now().timestamp_millis();
    let other_jobs: Vec<(String, i64)> = with_pool!(app.state.store, |p| sqlx::query_as(
        "SELECT kind, count(*) FROM jobs WHERE kind <> 'publish_post' AND finished_at >= $1 AND finished_at <= $2 GROUP BY kind ORDER BY kind"
    )
    .bind(due_ms - 10_000)
    .bind(ended_ms)
    .fetch_all(p)
    .await)
    .unwrap();
    let published: Vec<i64> = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT at_ms FROM publish_events WHERE kind = 'published' ORDER BY at_ms"
    )
    .fetch_all(p)
    .await)
    .unwrap();
    let mut lateness: Vec<i64> = published.iter().map(|at| at - due_ms).collect();
    lateness.sort_unstable();
    let pct = |q: f64| lateness[((lateness.len() as f64 - 1.0) * q).round() as usize];
    let mut seen: HashMap<String, usize> = HashMap::new();
    for (_, user_id) in &profiles {
        let t: Value = truth(&app, *user_id).await;
        for post in t["posts"].as_array().unwrap() {
            if let Some(text) = post["text"].as_str().filter(|s| expected.contains_key(*s)) {
                *seen.entry(text.to_owned()).or_default() += 1;
            }
        }
    }
    let duplicates: usize = seen.values().map(|n| n.saturating_sub(1)).sum();
    let missing = expected.len() - seen.len();
    println!(
        "backend={backend:?} latency_ms={latency} workers={workers} connections={connections} posts={} published={} lateness_ms p50={} p90={} p99={} max={} duplicates={duplicates} missing={missing} process_cpu_ms_per_post={cpu_per_post} other_jobs={other_jobs:?} load={}",
        expected.len(),
        published.len(),
        pct(0.5),
        pct(0.9),
        pct(0.99),
        lateness.last().unwrap(),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .trim()
    );
    assert_eq!((duplicates, missing), (0, 0));
}

/// CPU time this process (server, job runner and in-process sandbox) has used, in ms (Linux).
fn cpu_ms() -> Option<i64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which is in parentheses): utime and stime are 14 and 15.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: i64 = fields.get(11)?.parse::<i64>().ok()? + fields.get(12)?.parse::<i64>().ok()?;
    // The kernel reports in clock ticks of 10 ms (USER_HZ = 100 on Linux).
    Some(ticks * 10)
}
