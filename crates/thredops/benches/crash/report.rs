//! Reading the outcome: wait until posts settle, then hold the app's record against the
//! sandbox's truth.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Res;
use super::instance::Instance;

pub struct Planned {
    pub id: String,
    pub profile: usize,
    pub parts: Vec<String>,
    /// When it was due (Unix seconds); None when no time was set (an auto-plug's reply goes
    /// out when its post passes the threshold), so no lateness is counted.
    pub due: Option<i64>,
}

/// Reads every post until each is published or failed (or the time is up).
pub async fn settle(
    http: &reqwest::Client,
    app: &Instance,
    planned: &[Planned],
    within: Duration,
) -> Res<Vec<Value>> {
    let deadline = Instant::now() + within;
    loop {
        let mut all = Vec::with_capacity(planned.len());
        for p in planned {
            let v: Value = http
                .get(app.url(&format!("/api/v1/publishing/posts/{}", p.id)))
                .send()
                .await?
                .json()
                .await?;
            all.push(v);
        }
        let open = all
            .iter()
            .filter(|v| !matches!(v["state"].as_str(), Some("published" | "failed")))
            .count();
        if open == 0 || Instant::now() > deadline {
            return Ok(all);
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
}

#[derive(Default)]
pub struct Report {
    pub published: usize,
    pub failed: usize,
    pub duplicates: usize,
    pub lost: usize,
    pub mismatches: usize,
    /// Lateness of single posts and of threads (three parts, each waiting for the one before).
    late_single_ms: Vec<i64>,
    late_thread_ms: Vec<i64>,
    after_kills_ms: Vec<i64>,
}

impl std::fmt::Display for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let spread = |ms: &[i64]| {
            let mut late: Vec<Duration> = ms
                .iter()
                .map(|ms| Duration::from_millis((*ms).max(0) as u64))
                .collect();
            format!(
                "p50 {:.0} s, p99 {:.0} s, max {:.0} s",
                percentile(&mut late, 0.5).as_secs_f64(),
                percentile(&mut late, 0.99).as_secs_f64(),
                percentile(&mut late, 1.0).as_secs_f64()
            )
        };
        let tail = self.after_kills_ms.iter().max().copied().unwrap_or(0);
        let tail = if tail < 0 {
            format!(
                "the last post went out {:.1} s before the last kill",
                -tail as f64 / 1000.0
            )
        } else {
            format!(
                "the last post went out {:.1} s after the last kill",
                tail as f64 / 1000.0
            )
        };
        write!(
            f,
            "published {}, failed {}, duplicates {}, lost {}, mismatches {}; lateness of single posts {}, of threads {}; {tail}",
            self.published,
            self.failed,
            self.duplicates,
            self.lost,
            self.mismatches,
            spread(&self.late_single_ms),
            spread(&self.late_thread_ms),
        )
    }
}

/// Ground truth against the app: every part on Threads exactly once; the app says published
/// (with the root's media id) exactly when it is, or failed with a reason when it is not.
pub fn compare(
    planned: &[Planned],
    settled: &[Value],
    truth: &HashMap<String, Vec<String>>,
    killed_until: i64,
) -> Report {
    let mut r = Report::default();
    for (p, v) in planned.iter().zip(settled) {
        let copies: Vec<usize> = p
            .parts
            .iter()
            .map(|t| truth.get(t).map_or(0, Vec::len))
            .collect();
        r.duplicates += copies.iter().filter(|c| **c > 1).count();
        match v["state"].as_str() {
            Some("published") => {
                r.published += 1;
                r.lost += copies.iter().filter(|c| **c == 0).count();
                let root = truth.get(&p.parts[0]).and_then(|ids| ids.first());
                if root.map(String::as_str) != v["media_id"].as_str() {
                    r.mismatches += 1;
                }
                if let (Some(at), Some(due)) = (published_at_ms(v), p.due) {
                    let late = if p.parts.len() > 1 {
                        &mut r.late_thread_ms
                    } else {
                        &mut r.late_single_ms
                    };
                    late.push(at - due * 1000);
                    r.after_kills_ms.push(at - killed_until * 1000);
                }
            }
            Some("failed") => {
                r.failed += 1;
                println!(
                    "post {} (profile {}) failed: {}",
                    p.id, p.profile, v["failure"]
                );
            }
            other => {
                println!("post {} never settled: {other:?}", p.id);
                r.lost += 1;
            }
        }
    }
    r
}

pub fn published_at_ms(v: &Value) -> Option<i64> {
    v["timeline"]
        .as_array()?
        .iter()
        .find(|e| e["kind"] == "published")
        .and_then(|e| {
            e["at_ms"]
                .as_i64()
                .or_else(|| e["at"].as_i64().map(|s| s * 1000))
        })
}

pub fn percentile(values: &mut [Duration], q: f64) -> Duration {
    if values.is_empty() {
        return Duration::ZERO;
    }
    values.sort();
    let at = ((values.len() - 1) as f64 * q).round() as usize;
    values[at]
}
