//! Benchmark (ignored by default; run in release mode, see docs/benchmarks.md): 1,000
//! concurrent chat connections on loopback, delivery latency both ways, and memory.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use super::harness::agent;
use crate::helpers::{Backend, TestApp};

const CONNECTIONS: usize = 1000;
/// Messages are offered at this interval (1,000 per second), not all at once.
const PACE: Duration = Duration::from_millis(1);

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1]
}

fn report(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    println!(
        "{name}: n={} p50={:.2?} p99={:.2?} max={:.2?}",
        samples.len(),
        percentile(&samples, 0.50),
        percentile(&samples, 0.99),
        samples.last().unwrap()
    );
}

async fn open_socket(
    address: &str,
    path: &str,
    cookie: &str,
) -> tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>> {
    let mut request = format!("{}{path}", address.replace("http://", "ws://"))
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("cookie", cookie.parse().unwrap());
    tokio_tungstenite::connect_async(request).await.unwrap().0
}

async fn bench_on(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |raw| {
        raw.set("database_max_connections", "16");
        // Each simulated visitor comes from an address of its own, as real ones do; one
        // address may open only a few anonymous chats.
        raw.set("trust_forwarded_for", "true");
    })
    .await
    else {
        println!("{backend:?}: skipped (not configured)");
        return;
    };
    let (desk, _) = agent(&app, "bench@support.example").await;
    let mut console = open_socket(
        &app.address,
        "/api/v1/support/console/socket",
        &desk.cookie_header().unwrap(),
    )
    .await;
    let plain = reqwest::Client::new();
    let rss_before = rss_kib();

    // Open the chats and sockets.
    let mut visitors = Vec::with_capacity(CONNECTIONS);
    for i in 0..CONNECTIONS {
        let r = plain
            .post(app.url("/api/v1/support/chat"))
            .header(
                "x-forwarded-for",
                format!("10.{}.{}.{}", i >> 16 & 255, i >> 8 & 255, i & 255),
            )
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        let cookie = r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        let chat: Value = r.json().await.unwrap();
        let mut ws = open_socket(&app.address, "/api/v1/support/chat/socket", &cookie).await;
        ws.next().await.unwrap().unwrap(); // hello
        visitors.push((chat["conversation_id"].as_str().unwrap().to_owned(), ws));
    }
    let rss_open = rss_kib();
    println!(
        "{backend:?}: {CONNECTIONS} chat sockets open (+1 console); live on server: {}; process RSS {} MiB -> {} MiB ({:.1} KiB per connection, client and server sides together)",
        app.state.support.connections(),
        rss_before / 1024,
        rss_open / 1024,
        (rss_open.saturating_sub(rss_before)) as f64 / CONNECTIONS as f64
    );

    // Customer -> agent: every visitor sends one message; the console times each arrival.
    let sent: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let (mut senders, mut receivers): (Vec<_>, Vec<_>) = visitors
        .into_iter()
        .map(|(id, ws)| {
            let (tx, rx) = ws.split();
            ((id.clone(), tx), (id, rx))
        })
        .unzip();
    let collector = {
        let sent = sent.clone();
        tokio::spawn(async move {
            let mut got = Vec::with_capacity(CONNECTIONS);
            while got.len() < CONNECTIONS {
                let Some(Ok(Message::Text(t))) = console.next().await else {
                    continue;
                };
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                if v["type"] == "message" && v["message"]["author"] == "customer" {
                    let key = v["message"]["conversation_id"].as_str().unwrap().to_owned();
                    let at = sent.lock().unwrap()[&key];
                    got.push(at.elapsed());
                }
            }
            (got, console)
        })
    };
    let started = Instant::now();
    for (id, tx) in senders.iter_mut() {
        sent.lock().unwrap().insert(id.clone(), Instant::now());
        let frame = json!({"type": "send", "body": "benchmark question", "client_id": "q"});
        tx.send(Message::Text(frame.to_string().into()))
            .await
            .unwrap();
        tokio::time::sleep(PACE).await;
    }
    let (inbound, console) = tokio::time::timeout(Duration::from_secs(120), collector)
        .await
        .expect("all customer messages reach the console")
        .unwrap();
    let inbound_secs = started.elapsed().as_secs_f64();
    report(&format!("{backend:?} customer -> agent"), inbound);
    println!("{backend:?}: {CONNECTIONS} messages stored and delivered in {inbound_secs:.2}s");

    // Agent -> customer: the console answers every chat; each visitor times its reply.
    let replied: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let mut waiters = Vec::with_capacity(CONNECTIONS);
    for (id, mut rx) in receivers.drain(..) {
        let replied = replied.clone();
        waiters.push(tokio::spawn(async move {
            loop {
                let Some(Ok(Message::Text(t))) = rx.next().await else {
                    continue;
                };
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                if v["type"] == "message" && v["message"]["author"] == "agent" {
                    return replied.lock().unwrap()[&id].elapsed();
                }
            }
        }));
    }
    // Agents reply at human pace per console, so replies here go through the API (the socket's
    // per-connection limit would rightly refuse 1,000 messages a second from one agent).
    for (id, _) in &senders {
        replied.lock().unwrap().insert(id.clone(), Instant::now());
        let client = desk.client.clone();
        let url = app.url(&format!("/api/v1/support/conversations/{id}/messages"));
        tokio::spawn(async move {
            let r = client
                .post(url)
                .json(&json!({"body": "benchmark answer"}))
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 201);
        });
        tokio::time::sleep(PACE).await;
    }
    drop(console);
    let mut outbound = Vec::with_capacity(CONNECTIONS);
    for w in waiters {
        outbound.push(
            tokio::time::timeout(Duration::from_secs(120), w)
                .await
                .expect("every visitor gets its reply")
                .unwrap(),
        );
    }
    report(&format!("{backend:?} agent -> customer"), outbound);
    println!("{backend:?}: RSS after the run {} MiB", rss_kib() / 1024);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run in release mode, see docs/benchmarks.md"]
async fn bench_a_thousand_concurrent_chat_connections() {
    bench_on(Backend::Sqlite).await;
    bench_on(Backend::Postgres).await;
}
