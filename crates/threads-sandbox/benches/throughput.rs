//! Throughput of the sandbox on loopback.
//!
//! Method: the sandbox runs in this process on 127.0.0.1:0 (multi-threaded tokio runtime),
//! with the call budget off and no injected latency. `WORKERS` tasks share one keep-alive
//! reqwest client and loop over requests for `SECONDS` per scenario; we count 200 responses
//! and report requests/s and latency percentiles. The client runs on the same machine, so
//! numbers are a lower bound of what the sandbox alone can serve.
//!
//! Run: `cargo bench -p threads-sandbox --bench throughput` (env `BENCH_SECONDS`, `BENCH_WORKERS`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;
use threads_sandbox::{CreatorTraits, Sandbox, SandboxConfig};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn run(
    name: &str,
    client: &reqwest::Client,
    urls: Arc<Vec<String>>,
    workers: u64,
    seconds: u64,
) {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for w in 0..workers {
        let client = client.clone();
        let urls = urls.clone();
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut i = w as usize;
            while Instant::now() < deadline {
                let started = Instant::now();
                let res = client.get(&urls[i % urls.len()]).send().await;
                let ok = match res {
                    Ok(r) => r.status().is_success() && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if ok {
                    latencies.push(started.elapsed());
                }
                i += workers as usize;
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap_or_default());
    }
    all.sort_unstable();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1)))
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{name:<28} {:>9.0} req/s  ({} ok in {seconds}s, p50 {:?}, p99 {:?})",
        all.len() as f64 / seconds as f64,
        all.len(),
        pct(0.5),
        pct(0.99)
    );
}

#[tokio::main]
async fn main() {
    let seconds = env_or("BENCH_SECONDS", 5);
    let workers = env_or("BENCH_WORKERS", 32);
    let mut config = SandboxConfig::default();
    config.rate_limit.enabled = false;
    let sandbox = Sandbox::new(config);
    let started = Instant::now();
    let creator = sandbox
        .create_creator(CreatorTraits {
            posts: Some(10_000),
            followers: Some(50_000),
            ..CreatorTraits::default()
        })
        .expect("creator");
    println!(
        "created a creator with 10,000 posts in {:?}",
        started.elapsed()
    );
    let token = sandbox.mint_token(creator.user_id, threads_sandbox::tokens::ALL_SCOPES);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let app = sandbox.router();
    tokio::spawn(async move { axum::serve(listener, app).await });
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(workers as usize)
        .build()
        .expect("client");

    // Listing: walk all pages once to get realistic cursors, then hammer them.
    let fields = "id,media_type,text,timestamp,permalink,shortcode,is_quote_post,topic_tag";
    let mut pages = vec![format!(
        "{base}/v1.0/me/threads?limit=100&fields={fields}&access_token={token}"
    )];
    loop {
        let body: Value = client
            .get(pages.last().expect("page"))
            .send()
            .await
            .expect("send")
            .json()
            .await
            .expect("json");
        match body["paging"]["next"].as_str() {
            Some(next) => pages.push(next.to_owned()),
            None => break,
        }
    }
    println!("backfill walked {} pages", pages.len());
    let pages = Arc::new(pages);
    run(
        "listing limit=100",
        &client,
        pages.clone(),
        workers,
        seconds,
    )
    .await;
    let body: Value = client
        .get(&pages[0])
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    let media: Vec<String> = body["data"]
        .as_array()
        .map(|d| d.iter().filter_map(|p| p["id"].as_str()).map(|id| format!("{base}/v1.0/{id}/insights?metric=views,likes,replies,reposts,quotes,shares&access_token={token}")).collect())
        .unwrap_or_default();
    run("media insights", &client, Arc::new(media), workers, seconds).await;
    let now = sandbox.clock().now_ts();
    let user = vec![format!(
        "{base}/v1.0/me/threads_insights?metric=views,likes,replies,reposts,quotes,clicks&since={}&until={now}&access_token={token}",
        now - 30 * 86_400
    )];
    run(
        "user insights (30 days)",
        &client,
        Arc::new(user),
        workers,
        seconds,
    )
    .await;
}
