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
//! `CRASH_AUTO_PLUGS` (40 of the posts carry an auto-plug, every fourth a control that must
//! never fire; 0 skips the auto-plug phase, which waits the checker's 15 minutes),
//! `CRASH_PROFILES` (4), `CRASH_KILLS` (50), `CRASH_PLUG_KILLS` (60, at most, through the checks),
//! `CRASH_LATENCY_MS` (1500, added to every Threads call), `CRASH_INSTANCES` (1 on SQLite, 2
//! on PostgreSQL), `CRASH_SEED` (random). It prints the counts from the sandbox's truth and
//! exits non-zero on any duplicate, lost post or mismatch. Method: docs/benchmarks.md.

#[path = "../support/common.rs"]
#[expect(dead_code, reason = "this bench uses only the sign-up helper")]
mod common;
mod instance;
mod plugs;
mod report;

use std::collections::HashMap;
use std::time::Duration;

use rand::{Rng, SeedableRng, rngs::StdRng};
use reqwest::redirect::Policy;
use serde_json::{Value, json};
use threads_sandbox::CreatorTraits;

use instance::{
    Instance, connect, free_port, fresh_database, kill_once, start_sandbox, wait_for_sync,
};
use plugs::Plug;
use report::{Planned, compare, percentile, settle};

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const PASSWORD: &str = "Tq8 vivid harness Kx2v";
/// Every fifth post is a thread of three parts.
const CHAIN_EVERY: usize = 5;
/// Of the other posts, every fourth carries a first reply (due as soon as it is published).
const FIRST_REPLY_EVERY: usize = 4;
/// Of the auto-plugs, every fourth is a control whose threshold is never reached.
const CONTROL_EVERY: usize = 4;

struct Settings {
    posts: usize,
    recurring: usize,
    auto_plugs: usize,
    profiles: usize,
    kills: usize,
    plug_kills: usize,
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
            auto_plugs: env_or("CRASH_AUTO_PLUGS", 40),
            profiles: env_or("CRASH_PROFILES", 4),
            kills: env_or("CRASH_KILLS", 50),
            plug_kills: env_or("CRASH_PLUG_KILLS", 60),
            latency_ms: env_or("CRASH_LATENCY_MS", 1500),
            instances: env_or("CRASH_INSTANCES", instances),
            database_url,
            seed: env_or("CRASH_SEED", rand::random()),
        }
    }
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
    let now = thredops::clock::now();
    let mut due = now + chrono::Duration::seconds(60 - i64::from(chrono::Timelike::second(&now)));
    if due - now < chrono::Duration::seconds(20) {
        due += chrono::Duration::minutes(1);
    }
    let local = due.format("%Y-%m-%dT%H:%M").to_string();
    let mut rng = StdRng::seed_from_u64(s.seed);
    let mut planned = Vec::new();
    let mut plugs: Vec<Plug> = Vec::new();
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
        } else if n % CHAIN_EVERY != 0 && n % 2 == 0 && plugs.len() < s.auto_plugs {
            let plug = Plug {
                post: planned.len(),
                text: format!("Crash run post {n} auto-plug ({tag:08x})"),
                control: plugs.len() % CONTROL_EVERY == CONTROL_EVERY - 1,
            };
            content["auto_plug"] = plug.rule();
            plugs.push(plug);
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
            due: Some(due.timestamp()),
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
            due: Some(due.timestamp()),
        });
    }
    println!(
        "seed {}: {} posts ({} threads, {} recurring, {} with an auto-plug) on {} profiles due {local} UTC; {} instance(s), {} ms per call",
        s.seed,
        planned.len(),
        planned.iter().filter(|p| p.parts.len() > 1).count(),
        s.recurring,
        plugs.len(),
        profiles.len(),
        s.instances,
        s.latency_ms
    );

    // Kills start a few seconds before the minute, when runs claim their posts and prepare.
    let kill_from = due - chrono::Duration::seconds(4);
    let wait = (kill_from - thredops::clock::now())
        .to_std()
        .unwrap_or_default();
    tokio::time::sleep(wait).await;
    let mut restarts = Vec::new();
    for k in 0..s.kills {
        restarts.push(kill_once(&mut instances, &http, &mut rng).await?);
        let pause = Duration::from_millis(rng.random_range(1_000..5_000));
        if k + 1 < s.kills {
            tokio::time::sleep(pause).await;
        }
    }
    let killed_until = thredops::clock::now().timestamp();
    println!("{} kills done; waiting for every post to settle", s.kills);

    let mut settled = settle(&http, &instances[0], &planned, Duration::from_secs(600)).await?;
    // First replies are planned when their post is published: each published post that asked
    // for one must hold exactly one, which then settles like any post.
    let mut missing_follow_ups = 0;
    let mut follow_ups = Vec::new();
    for (p, v) in planned.iter().zip(&settled) {
        let asked = v["content"]["first_reply"]["text"].as_str();
        let first_replies: Vec<&Value> = v["follow_ups"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|f| f["kind"] == "first_reply")
            .collect();
        let made = first_replies.len();
        match (asked, v["state"].as_str()) {
            (Some(text), Some("published")) if made == 1 => follow_ups.push(Planned {
                id: first_replies[0]["post_id"]
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
    let mut plugged = None;
    if !plugs.is_empty() {
        let outcome = plugs::run(
            &http,
            &mut instances,
            sandbox_addr,
            &planned,
            &settled,
            &plugs,
            s.plug_kills,
            &mut rng,
        )
        .await?;
        println!(
            "{} auto-plug replies planned through {} kills; {} passing posts never plugged, {} controls plugged",
            outcome.replies.len(),
            outcome.kills,
            outcome.unsent,
            outcome.wrongly_sent
        );
        plugged = Some(outcome);
    }
    let (mut plug_replies, mut plug_problems) = (Vec::new(), 0);
    if let Some(o) = plugged {
        settled.extend(o.settled);
        restarts.extend(o.restarts);
        plug_replies = o.replies;
        plug_problems = o.unsent + o.wrongly_sent;
    }
    let planned: Vec<Planned> = planned
        .into_iter()
        .chain(follow_ups)
        .chain(plug_replies)
        .collect();
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
    report.mismatches += missing_follow_ups + plug_problems;
    // A control's text on Threads is a plug sent when it should not have been.
    report.mismatches += plugs
        .iter()
        .filter(|p| p.control && truth_texts.contains_key(&p.text))
        .count();
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
