//! Foundation benchmark: authenticated `GET /api/v1/me` throughput as a share of `GET /healthz`
//! throughput in the same run, idle memory, and start-up time to ready.
//!
//! The server is the release `thredops` binary in its own process (SQLite, sandbox mode), so
//! its memory is measured alone; the load generator runs here. See docs/benchmarks.md.

#[path = "support/common.rs"]
mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Waits for the first 200 on `/readyz`; panics if the server exits first (e.g. a PostgreSQL
/// database left by an earlier run, sealed with another master key).
async fn wait_ready(client: &reqwest::Client, base: &str, server: &mut Server) {
    loop {
        if let Ok(Some(status)) = server.0.try_wait() {
            panic!("thredops exited before it was ready ({status}); see its message above");
        }
        if let Ok(r) = client.get(format!("{base}/readyz")).send().await
            && r.status().is_success()
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The server under test; stopped (SIGTERM, then waited for) when dropped, also on a panic.
struct Server(std::process::Child);

impl Server {
    fn id(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let _ = self.0.wait();
    }
}

fn start(dir: &std::path::Path, port: u16) -> Server {
    Server(
        Command::new(env!("CARGO_BIN_EXE_thredops"))
            .arg("serve")
            .env("THREDOPS_DATA_DIR", dir)
            .env("THREDOPS_BIND", format!("127.0.0.1:{port}"))
            .env("THREDOPS_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .expect("start thredops"),
    )
}

#[tokio::main]
async fn main() {
    let seconds: u64 = std::env::var("BENCH_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(5);
    let workers: usize = std::env::var("BENCH_WORKERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(16);
    let dir = std::env::temp_dir().join(format!("thredops-bench-{}", std::process::id()));
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(workers)
        .build()
        .unwrap();

    let t = Instant::now();
    let mut child = start(&dir, port);
    wait_ready(&client, &base, &mut child).await;
    let first_start = t.elapsed();
    drop(child);

    let t = Instant::now();
    let mut child = start(&dir, port);
    wait_ready(&client, &base, &mut child).await;
    let warm_start = t.elapsed();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let idle_rss = common::rss_mib(child.id());

    let r = common::sign_up(
        &client,
        &base,
        &dir.join("outbox"),
        "bench@example.com",
        "lantern-harbour-quietly-9",
    )
    .await;
    assert!(
        r.status().is_success(),
        "signup answered {}: {}",
        r.status(),
        r.text().await.unwrap_or_default()
    );
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();

    let cpu_before = common::cpu_seconds(child.id());
    let health = common::load(&client, &format!("{base}/healthz"), None, workers, seconds).await;
    let cpu_health = common::cpu_seconds(child.id()) - cpu_before;
    let cpu_before = common::cpu_seconds(child.id());
    let me = common::load(
        &client,
        &format!("{base}/api/v1/me"),
        Some(&cookie),
        workers,
        seconds,
    )
    .await;
    let cpu_me = common::cpu_seconds(child.id()) - cpu_before;
    let loaded_rss = common::rss_mib(child.id());
    drop(child);
    let _ = std::fs::remove_dir_all(&dir);

    println!("workers: {workers}, seconds per scenario: {seconds}");
    println!(
        "start-up to ready: first start {:.0} ms (creates key and database), warm start {:.0} ms",
        first_start.as_secs_f64() * 1e3,
        warm_start.as_secs_f64() * 1e3
    );
    println!("idle RSS: {idle_rss:.1} MiB; RSS after load: {loaded_rss:.1} MiB");
    for (name, r, cpu) in [
        ("GET /healthz", &health, cpu_health),
        ("GET /api/v1/me", &me, cpu_me),
    ] {
        println!(
            "{name}: {:.0} req/s ({} requests), p50 {:.2} ms, p99 {:.2} ms, server CPU {:.0} us/request",
            r.per_second,
            r.requests,
            r.p50.as_secs_f64() * 1e3,
            r.p99.as_secs_f64() * 1e3,
            cpu * 1e6 / r.requests as f64
        );
    }
    println!(
        "ratio /api/v1/me : /healthz = {:.2} (goal >= 0.5)",
        me.per_second / health.per_second
    );
}
