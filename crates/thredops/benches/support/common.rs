//! Shared pieces of the benchmark binaries: a keep-alive load loop and process memory.

use std::time::{Duration, Instant};

/// Requests per second and latency percentiles of one scenario.
pub struct LoadResult {
    pub requests: u64,
    pub per_second: f64,
    pub p50: Duration,
    pub p99: Duration,
}

/// Runs `workers` tasks that GET `url` (with optional cookie) for `seconds`.
pub async fn load(
    client: &reqwest::Client,
    url: &str,
    cookie: Option<&str>,
    workers: usize,
    seconds: u64,
) -> LoadResult {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..workers {
        let client = client.clone();
        let url = url.to_owned();
        let cookie = cookie.map(str::to_owned);
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            while Instant::now() < deadline {
                let t = Instant::now();
                let mut req = client.get(&url);
                if let Some(c) = &cookie {
                    req = req.header("cookie", c);
                }
                let r = req.send().await.expect("request");
                assert!(r.status().is_success(), "{url}: {}", r.status());
                r.bytes().await.expect("body");
                latencies.push(t.elapsed());
            }
            latencies
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let elapsed = started.elapsed().as_secs_f64();
    all.sort();
    let pct = |p: f64| all[((all.len() as f64 * p) as usize).min(all.len() - 1)];
    LoadResult {
        requests: all.len() as u64,
        per_second: all.len() as f64 / elapsed,
        p50: pct(0.50),
        p99: pct(0.99),
    }
}

/// Resident set size of a process in MiB (Linux).
pub fn rss_mib(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

/// CPU time (user + system) a process has used so far, in seconds (Linux; `USER_HZ` is 100 on
/// every Linux architecture we run on).
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may contain spaces.
    let after_comm = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// Signs up at `base` and follows the confirmation link the server wrote to `outbox` (its data
/// directory's `outbox` folder), which signs `client` in. Returns the confirmation's answer.
pub async fn sign_up(
    client: &reqwest::Client,
    base: &str,
    outbox: &std::path::Path,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let r = client
        .post(format!("{base}/api/v1/auth/signup"))
        .json(&serde_json::json!({"email": email, "password": password}))
        .send()
        .await
        .expect("sign-up sent");
    assert_eq!(
        r.status(),
        reqwest::StatusCode::ACCEPTED,
        "sign-up answered"
    );
    let marker = "/verify-email?token=";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let token = loop {
        let found = std::fs::read_dir(outbox)
            .into_iter()
            .flatten()
            .filter_map(Result::ok)
            .filter_map(|e| std::fs::read_to_string(e.path()).ok())
            .find(|m| m.contains(&format!("To: {email}")) && m.contains(marker));
        if let Some(mail) = found {
            let start = mail.find(marker).unwrap() + marker.len();
            break mail[start..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect::<String>();
        }
        assert!(std::time::Instant::now() < deadline, "no confirmation mail");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    client
        .post(format!("{base}/api/v1/auth/verify-email"))
        .json(&serde_json::json!({"token": token}))
        .send()
        .await
        .expect("confirmation sent")
}
