//! Sync backfill benchmark: a 10,000-post sandbox profile behind 50 ms of simulated latency.
//!
//! Measures API calls per post, wall time against the ideal (calls × latency ÷ concurrency),
//! memory during the backfill, the steady-state daily call share of Meta's 48,000 minimum, and
//! the snapshot insert rate against a raw batched SQLite insert in the same run.
//! See docs/benchmarks.md for the method and results.

#[path = "support/common.rs"]
#[expect(dead_code, reason = "this bench uses only the memory probe")]
mod common;

use std::time::{Duration, Instant};

use threads_sandbox::{CreatorTraits, FaultConfig};
use thredops::config::RawSettings;
use thredops::startup::Application;
use thredops::store::synced::{Measured, Metrics};
use thredops::with_pool;

const LATENCY_MS: u64 = 50;

fn field(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name}")) + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
}

#[tokio::main]
async fn main() {
    let posts: usize = std::env::var("BENCH_POSTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let dir = std::env::temp_dir().join(format!("thredops-bench-sync-{}", std::process::id()));
    let mut raw = RawSettings::load(None, |_| None).unwrap();
    raw.set("bind", "127.0.0.1:0");
    raw.set("data_dir", dir.to_string_lossy().to_string());
    raw.set("log_level", "error");
    raw.set("sandbox_frozen_clock", "true");
    if let Ok(url) = std::env::var("BENCH_DATABASE_URL") {
        raw.set("database_url", url);
    }
    let app = Application::build(raw.parse().unwrap()).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let state = app.state().clone();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until_stopped(async move {
        let _ = stop_rx.await;
    }));
    let sandbox = state.threads.sandbox.clone().unwrap();
    let creator = sandbox
        .create_creator(CreatorTraits {
            username: Some("bench_creator".into()),
            posts: Some(posts),
            followers: Some(40_000),
            history_days: Some(1_000),
            ..Default::default()
        })
        .unwrap();
    sandbox.set_faults(FaultConfig {
        latency_ms: LATENCY_MS,
        ..Default::default()
    });

    // Sign up and connect through the same OAuth pages a browser uses.
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    common::sign_up(
        &client,
        &base,
        &dir.join("outbox"),
        "bench@example.com",
        "lantern-harbour-quietly-9",
    )
    .await;
    let page = client
        .get(format!("{base}/app/profiles"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = client
        .post(format!("{base}/app/profiles/connect"))
        .form(&[("csrf", field(&page, "csrf"))])
        .send()
        .await
        .unwrap();
    let consent = client
        .get(r.headers()["location"].to_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form: Vec<(String, String)> = ["client_id", "redirect_uri", "scope", "state"]
        .iter()
        .map(|n| ((*n).to_owned(), field(&consent, n)))
        .chain([
            ("user_id".to_owned(), creator.user_id.to_string()),
            ("decision".to_owned(), "allow".to_owned()),
        ])
        .collect();
    let r = client
        .post(format!("{base}/sandbox/oauth/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let callback = r.headers()["location"]
        .to_str()
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_owned();
    let started = Instant::now();
    let r = client.get(callback).send().await.unwrap();
    let profile_id = r.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/app/profiles/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();

    let pid = std::process::id();
    let mut rss = Vec::new();
    loop {
        let p: serde_json::Value = client
            .get(format!("{base}/api/v1/profiles/{profile_id}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        rss.push((
            p["sync"]["progress"]["posts_stored"]
                .as_u64()
                .unwrap_or(posts as u64),
            common::rss_mib(pid),
        ));
        if p["sync"]["state"] == "idle" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let wall = started.elapsed();
    let stored = state
        .store
        .post_count(&thredops::domain::ProfileId::from(profile_id.as_str()))
        .await
        .unwrap();
    let calls = state
        .store
        .api_calls_since(&thredops::domain::ProfileId::from(profile_id.as_str()), 0)
        .await
        .unwrap();
    let ideal = Duration::from_secs_f64(
        calls as f64 * LATENCY_MS as f64
            / 1000.0
            / thredops::sync::engine::INSIGHT_CONCURRENCY as f64,
    );

    // Steady state: what the decay schedule asks for over a day, plus the fixed daily work.
    let now = state.threads.now().timestamp();
    let posted: Vec<i64> = with_pool!(state.store, |p| sqlx::query_scalar(
        "SELECT posted_at FROM posts WHERE profile_id = $1 AND is_repost = $2"
    )
    .bind(&profile_id)
    .bind(false)
    .fetch_all(p)
    .await)
    .unwrap();
    let refreshes: f64 = posted
        .iter()
        .map(|t| 86_400.0 / (thredops::sync::decay::next_refresh_at(*t, now) - now) as f64)
        .sum();
    let fixed = 24.0 /* hourly listing */ + 1.0 + 1.0 + 4.0 + 1.0 /* followers, totals, demographics, views */ + 2.0 /* token checks */;
    let daily = refreshes + fixed;

    // Snapshot insert rate: the sync's batched writer against a raw batched insert.
    let batch: Vec<Measured> = (0..20_000)
        .map(|i| Measured {
            media_id: thredops::domain::MediaId::from(format!("bench-{i}")),
            posted_at: 0,
            metrics: Metrics {
                views: i,
                ..Default::default()
            },
            taken_at: now + 1,
            next_refresh_at: now,
        })
        .collect();
    let t = Instant::now();
    for chunk in batch.chunks(100) {
        state
            .store
            .record_post_metrics(
                &thredops::domain::ProfileId::from(profile_id.as_str()),
                chunk,
            )
            .await
            .unwrap();
    }
    let ours = 20_000.0 / t.elapsed().as_secs_f64();
    with_pool!(state.store, |p| sqlx::query("CREATE TABLE bench_raw (a TEXT, b TEXT, c BIGINT, d BIGINT, e BIGINT, f BIGINT, g BIGINT, h BIGINT, i BIGINT, j BIGINT)").execute(p).await.map(|_| ())).unwrap();
    let t = Instant::now();
    with_pool!(state.store, |p| async {
        let mut tx = p.begin().await?;
        for i in 0..20_000_i64 {
            sqlx::query("INSERT INTO bench_raw VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .bind(&profile_id)
                .bind(format!("bench-{i}"))
                .bind(now)
                .bind(0_i64)
                .bind(i)
                .bind(0_i64)
                .bind(0_i64)
                .bind(0_i64)
                .bind(0_i64)
                .bind(0_i64)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await
    }
    .await)
    .unwrap();
    let raw_rate = 20_000.0 / t.elapsed().as_secs_f64();

    println!(
        "backend: {}, posts: {stored} stored of {posts}",
        state.store.backend()
    );
    println!(
        "API calls: {calls} ({:.3} per post, goal <= 1.05)",
        calls as f64 / stored as f64
    );
    println!(
        "wall time: {:.1} s; ideal (calls x {LATENCY_MS} ms / {}): {:.1} s; ratio {:.2} (goal <= 1.25)",
        wall.as_secs_f64(),
        thredops::sync::engine::INSIGHT_CONCURRENCY,
        ideal.as_secs_f64(),
        wall.as_secs_f64() / ideal.as_secs_f64()
    );
    let quarter = |q: f64| {
        rss.iter()
            .find(|(n, _)| *n as f64 >= q * posts as f64)
            .map_or(0.0, |(_, m)| *m)
    };
    println!(
        "RSS during backfill (this process, server and sandbox together): 25% {:.0} MiB, 50% {:.0} MiB, 75% {:.0} MiB, end {:.0} MiB",
        quarter(0.25),
        quarter(0.5),
        quarter(0.75),
        rss.last().map_or(0.0, |r| r.1)
    );
    println!(
        "steady-state daily calls: {daily:.0} ({:.2}% of 48,000, goal <= 2%)",
        daily / 48_000.0 * 100.0
    );
    println!(
        "snapshot inserts: {ours:.0}/s batched by the sync vs {raw_rate:.0}/s raw batch insert: ratio {:.2} (goal >= 0.5)",
        ours / raw_rate
    );
    let _ = stop_tx.send(());
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _ = std::fs::remove_dir_all(&dir);
}
