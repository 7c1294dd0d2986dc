//! Crash harness of the exactly-once publisher: `thredops` processes in real-API mode against a
//! standalone Threads sandbox (which outlives them and is the ground truth), killed with SIGKILL
//! at random moments while hundreds of posts and threads are due, and restarted each time.
//!
//! ```sh
//! cargo bench -p thredops --bench crash                          # SQLite, one instance
//! CRASH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!   cargo bench -p thredops --bench crash                        # PostgreSQL, two instances
//! ```
//!
//! Settings (environment): `CRASH_POSTS` (300), `CRASH_RECURRING` (30: posts that are the
//! occurrence of a recurring series, planned by the series, on top of the others),
//! `CRASH_PROFILES` (4), `CRASH_KILLS` (50),
//! `CRASH_LATENCY_MS` (1500, added to every Threads call), `CRASH_INSTANCES` (1 on SQLite, 2
//! on PostgreSQL), `CRASH_SEED` (random). It prints the counts from the sandbox's truth and
//! exits non-zero on any duplicate, lost post or mismatch. Method: docs/benchmarks.md.

#[path = "support/common.rs"]
#[expect(dead_code, reason = "this bench uses only the sign-up helper")]
mod common;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng, rngs::StdRng};
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use threads_sandbox::{CreatorTraits, Sandbox, SandboxConfig};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const PASSWORD: &str = "Tq8 vivid harness Kx2v";
/// Every fifth post is a thread of three parts.
const CHAIN_EVERY: usize = 5;
/// Of the other posts, every fourth carries a first reply (due as soon as it is published).
const FIRST_REPLY_EVERY: usize = 4;

struct Settings {
    posts: usize,
    recurring: usize,
    profiles: usize,
    kills: usize,
    latency_ms: u64,
    instances: usize,
    database_url: Option<String>,
    seed: u64,
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

impl Settings {
    fn read() -> Self {
        let database_url = std::env::var("CRASH_DATABASE_URL").ok();
        let instances = if database_url.is_some() { 2 } else { 1 };
        Self {
            posts: env_or("CRASH_POSTS", 300),
            recurring: env_or("CRASH_RECURRING", 30),
            profiles: env_or("CRASH_PROFILES", 4),
            kills: env_or("CRASH_KILLS", 50),
            latency_ms: env_or("CRASH_LATENCY_MS", 1500),
            instances: env_or("CRASH_INSTANCES", instances),
            database_url,
            seed: env_or("CRASH_SEED", rand::random()),
        }
    }
}

/// One `thredops serve` process (restarted after each kill).
struct Instance {
    port: u16,
    env: Vec<(String, String)>,
    log: PathBuf,
    child: Option<Child>,
}

impl Instance {
    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn start(&mut self) -> Res<()> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)?;
        let child = Command::new(env!("CARGO_BIN_EXE_thredops"))
            .arg("serve")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()?;
        self.child = Some(child);
        Ok(())
    }

    /// SIGKILL: no shutdown hook, no lease released, calls cut wherever they are.
    fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    async fn ready(&self, http: &reqwest::Client) -> Res<()> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(r) = http.get(self.url("/readyz")).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("instance on {} never became ready", self.port).into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

fn free_port() -> Res<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

async fn start_sandbox(s: &Settings) -> Res<(Sandbox, SocketAddr)> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let mut config = SandboxConfig {
        seed: s.seed,
        public_base_url: Some(format!("http://{addr}")),
        ..SandboxConfig::default()
    };
    config.faults.latency_ms = s.latency_ms;
    let sandbox = Sandbox::new(config);
    let router = sandbox.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    Ok((sandbox, addr))
}

/// A fresh PostgreSQL database for this run, named after the seed.
async fn fresh_database(server: &str, seed: u64) -> Res<String> {
    use sqlx::Connection;
    let name = format!("thredops_crash_{}", seed % 1_000_000_000);
    let mut c = sqlx::PgConnection::connect(server).await?;
    let drop = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    let create = format!("CREATE DATABASE {name}");
    sqlx::raw_sql(sqlx::AssertSqlSafe(drop))
        .execute(&mut c)
        .await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(create))
        .execute(&mut c)
        .await?;
    let mut url = url::Url::parse(server)?;
    url.set_path(&name);
    Ok(url.to_string())
}

fn attr(html: &str, name: &str) -> Res<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .ok_or_else(|| format!("no {name} field"))?
        + marker.len();
    Ok(html[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .replace("&amp;", "&"))
}

/// Meta's OAuth dance against the standalone sandbox: returns the new profile's id.
async fn connect(http: &reqwest::Client, app: &Instance, user_id: u64) -> Res<String> {
    let page = http
        .get(app.url("/app/profiles"))
        .send()
        .await?
        .text()
        .await?;
    let r = http
        .post(app.url("/app/profiles/connect"))
        .form(&[("csrf", attr(&page, "csrf")?)])
        .send()
        .await?;
    let authorize = r.headers()["location"].to_str()?.to_owned();
    let consent = http.get(&authorize).send().await?.text().await?;
    let decide = url::Url::parse(&authorize)?.join("/oauth/authorize")?;
    let form = [
        ("client_id", attr(&consent, "client_id")?),
        ("redirect_uri", attr(&consent, "redirect_uri")?),
        ("scope", attr(&consent, "scope")?),
        ("state", attr(&consent, "state")?),
        ("user_id", user_id.to_string()),
        ("decision", "allow".to_owned()),
    ];
    let r = http.post(decide).form(&form).send().await?;
    let callback = r.headers()["location"].to_str()?.to_owned();
    let r = http.get(callback).send().await?;
    let location = r.headers()["location"].to_str()?.to_owned();
    Ok(location
        .trim_start_matches("/app/profiles/")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_owned())
}

struct Planned {
    id: String,
    profile: usize,
    parts: Vec<String>,
    due: i64,
}

#[tokio::main]
async fn main() -> Res<()> {
    let s = Settings::read();
    let work = std::env::temp_dir().join(format!("thredops-crash-{}", s.seed));
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work)?;
    let (sandbox, sandbox_addr) = start_sandbox(&s).await?;
    let creators: Vec<u64> = (0..s.profiles)
        .map(|n| {
            sandbox
                .create_creator(CreatorTraits {
                    username: Some(format!("crash{n}")),
                    posts: Some(3),
                    followers: Some(200),
                    history_days: Some(10),
                    ..Default::default()
                })
                .map(|c| c.user_id)
        })
        .collect::<Result<_, _>>()?;
    let database_url = match &s.database_url {
        Some(server) => fresh_database(server, s.seed).await?,
        None => format!("sqlite://{}", work.join("thredops.db").display()),
    };
    let master_key: String = (0..32)
        .map(|_| format!("{:02x}", rand::random::<u8>()))
        .collect();
    let first_port = free_port()?;
    let mut instances = Vec::new();
    for n in 0..s.instances {
        let port = if n == 0 { first_port } else { free_port()? };
        let base = format!("http://{sandbox_addr}");
        let env = [
            ("THREDOPS_BIND", format!("127.0.0.1:{port}")),
            (
                "THREDOPS_PUBLIC_URL",
                format!("http://127.0.0.1:{first_port}"),
            ),
            (
                "THREDOPS_DATA_DIR",
                work.join(format!("data{n}")).display().to_string(),
            ),
            ("THREDOPS_DATABASE_URL", database_url.clone()),
            ("THREDOPS_MASTER_KEY", master_key.clone()),
            ("THREDOPS_THREADS_APP_ID", sandbox.config().app_id.clone()),
            (
                "THREDOPS_THREADS_APP_SECRET",
                sandbox.config().app_secret.clone(),
            ),
            ("THREDOPS_THREADS_GRAPH_URL", base.clone()),
            ("THREDOPS_THREADS_AUTHORIZE_URL", base),
            ("THREDOPS_SANDBOX", "off".to_owned()),
            ("THREDOPS_LOG", "warn".to_owned()),
        ];
        instances.push(Instance {
            port,
            env: env
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
            log: work.join(format!("instance{n}.log")),
            child: None,
        });
    }
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()?;
    for i in &mut instances {
        i.start()?;
        i.ready(&http).await?;
    }
    let app = &instances[0];
    let r = common::sign_up(
        &http,
        &app.url(""),
        &work.join("data0").join("outbox"),
        "crash@example.com",
        PASSWORD,
    )
    .await;
    if !r.status().is_success() {
        return Err(format!("sign-up answered {}: {}", r.status(), r.text().await?).into());
    }
    let mut profiles = Vec::new();
    for user in &creators {
        profiles.push(connect(&http, app, *user).await?);
    }
    wait_for_sync(&http, app, &profiles).await?;

    // Everything is due at the next minute at least 20 s away.
    let now = chrono::Utc::now();
    let mut due = now + chrono::Duration::seconds(60 - i64::from(chrono::Timelike::second(&now)));
    if due - now < chrono::Duration::seconds(20) {
        due += chrono::Duration::minutes(1);
    }
    let local = due.format("%Y-%m-%dT%H:%M").to_string();
    let mut rng = StdRng::seed_from_u64(s.seed);
    let mut planned = Vec::new();
    for n in 0..s.posts {
        let profile = n % profiles.len();
        let tag = rng.random::<u32>();
        let parts: Vec<String> = if n % CHAIN_EVERY == 0 {
            (1..=3)
                .map(|k| format!("Crash run post {n} part {k} ({tag:08x})"))
                .collect()
        } else {
            vec![format!("Crash run post {n} ({tag:08x})")]
        };
        let mut content =
            json!({"parts": parts.iter().map(|t| json!({"text": t})).collect::<Vec<_>>()});
        if n % CHAIN_EVERY != 0 && n % FIRST_REPLY_EVERY == 1 {
            content["first_reply"] = json!({"text": format!("Crash run post {n} first reply ({tag:08x})"), "delay_minutes": 0});
        }
        let r = http
            .post(app.url("/api/v1/publishing/posts"))
            .json(&json!({"profile_id": profiles[profile], "content": content, "action": "schedule", "local_time": local}))
            .send()
            .await?;
        let body: Value = r.json().await?;
        let id = body["id"]
            .as_str()
            .ok_or_else(|| format!("not scheduled: {body}"))?;
        planned.push(Planned {
            id: id.to_owned(),
            profile,
            parts,
            due: due.timestamp(),
        });
    }
    // Occurrences of recurring series: each series falls once, at the same minute, and its
    // occurrence is planned by the series (the same publisher then takes it).
    for n in 0..s.recurring {
        let profile = n % profiles.len();
        let text = format!("Crash run recurring {n} ({:08x})", rng.random::<u32>());
        let r = http
            .post(app.url("/api/v1/publishing/recurring"))
            .json(&json!({"profile_id": profiles[profile], "content": {"parts": [{"text": text}]}, "frequency": "daily", "time": due.format("%H:%M").to_string(), "starts_on": due.format("%Y-%m-%d").to_string(), "count": 1}))
            .send()
            .await?;
        let body: Value = r.json().await?;
        let id = body["occurrences"][0]["post_id"]
            .as_str()
            .ok_or_else(|| format!("series not planned: {body}"))?;
        planned.push(Planned {
            id: id.to_owned(),
            profile,
            parts: vec![text],
            due: due.timestamp(),
        });
    }
    println!(
        "seed {}: {} posts ({} threads, {} recurring) on {} profiles due {local} UTC; {} instance(s), {} ms per call",
        s.seed,
        planned.len(),
        planned.iter().filter(|p| p.parts.len() > 1).count(),
        s.recurring,
        profiles.len(),
        s.instances,
        s.latency_ms
    );

    // Kills start a few seconds before the minute, when runs claim their posts and prepare.
    let kill_from = due - chrono::Duration::seconds(4);
    let wait = (kill_from - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    tokio::time::sleep(wait).await;
    let mut restarts = Vec::new();
    for k in 0..s.kills {
        let victim = rng.random_range(0..instances.len());
        instances[victim].kill();
        instances[victim].start()?;
        let restarted = Instant::now();
        instances[victim].ready(&http).await?;
        restarts.push(restarted.elapsed());
        let pause = Duration::from_millis(rng.random_range(1_000..5_000));
        if k + 1 < s.kills {
            tokio::time::sleep(pause).await;
        }
    }
    let killed_until = chrono::Utc::now().timestamp();
    println!("{} kills done; waiting for every post to settle", s.kills);

    let mut settled = settle(&http, &instances[0], &planned, Duration::from_secs(600)).await?;
    // First replies are planned when their post is published: each published post that asked
    // for one must hold exactly one, which then settles like any post.
    let mut missing_follow_ups = 0;
    let mut follow_ups = Vec::new();
    for (p, v) in planned.iter().zip(&settled) {
        let asked = v["content"]["first_reply"]["text"].as_str();
        let made = v["follow_ups"].as_array().map_or(0, Vec::len);
        match (asked, v["state"].as_str()) {
            (Some(text), Some("published")) if made == 1 => follow_ups.push(Planned {
                id: v["follow_ups"][0]["post_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
                profile: p.profile,
                parts: vec![text.to_owned()],
                due: p.due,
            }),
            (Some(_), Some("published")) | (None, _) if made != 0 || asked.is_some() => {
                missing_follow_ups += 1;
            }
            _ => {}
        }
    }
    settled.extend(settle(&http, &instances[0], &follow_ups, Duration::from_secs(600)).await?);
    println!(
        "{} first replies planned; {missing_follow_ups} posts without exactly the follow-ups they asked for",
        follow_ups.len()
    );
    let planned: Vec<Planned> = planned.into_iter().chain(follow_ups).collect();
    let mut truth_texts: HashMap<String, Vec<String>> = HashMap::new();
    for user in &creators {
        let t: Value = http
            .get(format!("http://{sandbox_addr}/_sandbox/truth/{user}"))
            .send()
            .await?
            .json()
            .await?;
        for kind in ["posts", "replies"] {
            for p in t[kind].as_array().into_iter().flatten() {
                if let (Some(text), Some(id)) = (p["text"].as_str(), p["id"].as_str()) {
                    truth_texts
                        .entry(text.to_owned())
                        .or_default()
                        .push(id.to_owned());
                }
            }
        }
    }
    let mut report = compare(&planned, &settled, &truth_texts, killed_until);
    report.mismatches += missing_follow_ups;
    for i in &mut instances {
        i.kill();
    }
    let restart = percentile(&mut restarts, 0.5);
    println!(
        "restart to ready: p50 {:.2} s; {report}",
        restart.as_secs_f64()
    );
    if report.duplicates + report.lost + report.mismatches > 0 {
        println!("logs: {}", work.display());
        std::process::exit(1);
    }
    let _ = std::fs::remove_dir_all(&work);
    Ok(())
}

async fn wait_for_sync(http: &reqwest::Client, app: &Instance, profiles: &[String]) -> Res<()> {
    let deadline = Instant::now() + Duration::from_secs(300);
    for p in profiles {
        loop {
            let v: Value = http
                .get(app.url(&format!("/api/v1/profiles/{p}")))
                .send()
                .await?
                .json()
                .await?;
            if v["sync"]["state"] == "idle" {
                break;
            }
            if Instant::now() > deadline {
                return Err(format!("profile never synced: {v}").into());
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    Ok(())
}

/// Reads every post until each is published or failed (or the time is up).
async fn settle(
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
struct Report {
    published: usize,
    failed: usize,
    duplicates: usize,
    lost: usize,
    mismatches: usize,
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
fn compare(
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
                if let Some(at) = published_at_ms(v) {
                    let late = if p.parts.len() > 1 {
                        &mut r.late_thread_ms
                    } else {
                        &mut r.late_single_ms
                    };
                    late.push(at - p.due * 1000);
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

fn published_at_ms(v: &Value) -> Option<i64> {
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

fn percentile(values: &mut [Duration], q: f64) -> Duration {
    if values.is_empty() {
        return Duration::ZERO;
    }
    values.sort();
    let at = ((values.len() - 1) as f64 * q).round() as usize;
    values[at]
}
