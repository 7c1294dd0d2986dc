//! Auto-plugs under SIGKILL. Some posts carry an auto-plug; once they are published the sandbox
//! is told their likes passed the threshold (controls keep a threshold no post reaches), and the
//! processes are killed again through the window where the checker claims each post, decides,
//! stores the reply and the publisher sends it. Each passing post must get its plug exactly
//! once; a control must get none.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rand::{Rng, rngs::StdRng};
use serde_json::{Value, json};

use super::Res;
use super::instance::{Instance, kill_once};
use super::report::{Planned, published_at_ms, settle};

/// Likes planted on a passing post, and the thresholds of passing posts and of controls.
const PLANTED_LIKES: u64 = 150;
const PASS_THRESHOLD: i64 = 100;
const CONTROL_THRESHOLD: i64 = 1_000_000;
/// A post is first looked at this long after it was published (the checker's interval).
const FIRST_LOOK: Duration = Duration::from_secs(15 * 60);

/// A planned post that carries an auto-plug.
pub struct Plug {
    /// Index of the post among the planned ones.
    pub post: usize,
    pub text: String,
    /// A control: its threshold is never reached, so it must never be sent.
    pub control: bool,
}

impl Plug {
    /// The rule sent with the post.
    pub fn rule(&self) -> Value {
        let threshold = if self.control {
            CONTROL_THRESHOLD
        } else {
            PASS_THRESHOLD
        };
        json!({"metric": "likes", "threshold": threshold, "window_hours": 24, "text": self.text})
    }
}

/// What the auto-plug phase found.
pub struct Outcome {
    /// The replies the passing posts got, to be held against the truth like any post.
    pub replies: Vec<Planned>,
    pub settled: Vec<Value>,
    /// Passing posts whose plug was never sent.
    pub unsent: usize,
    /// Controls that were plugged anyway.
    pub wrongly_sent: usize,
    pub kills: usize,
    pub restarts: Vec<Duration>,
}

/// Plants the metrics, kills through the checks, and collects the replies.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    http: &reqwest::Client,
    instances: &mut [Instance],
    sandbox: SocketAddr,
    planned: &[Planned],
    settled: &[Value],
    plugs: &[Plug],
    max_kills: usize,
    rng: &mut StdRng,
) -> Res<Outcome> {
    let mut first_look: Option<i64> = None;
    let mut watched = Vec::new();
    for plug in plugs {
        let v = &settled[plug.post];
        if v["state"] != "published" {
            continue; // already reported as failed or lost
        }
        let media_id = v["media_id"].as_str().unwrap_or_default();
        if !plug.control {
            let r = http
                .post(format!("http://{sandbox}/_sandbox/metrics"))
                .json(&json!({"media_id": media_id, "likes": PLANTED_LIKES, "views": PLANTED_LIKES * 10}))
                .send()
                .await?;
            if !r.status().is_success() {
                return Err(format!("planting metrics answered {}", r.status()).into());
            }
            if let Some(at) = published_at_ms(v) {
                let look = at + FIRST_LOOK.as_millis() as i64;
                first_look = Some(first_look.map_or(look, |f| f.min(look)));
            }
        }
        watched.push(plug);
    }
    let Some(first_look) = first_look else {
        return Err("no post with a passing auto-plug was published".into());
    };
    // Kills start a few seconds before the first look, when the checker claims its posts.
    let wait_ms = first_look - 4_000 - thredops::clock::now().timestamp_millis();
    println!(
        "{} auto-plugs watched ({} controls); first look in {} s",
        watched.len(),
        watched.iter().filter(|p| p.control).count(),
        wait_ms.max(0) / 1000
    );
    tokio::time::sleep(Duration::from_millis(wait_ms.max(0) as u64)).await;
    let mut restarts = Vec::new();
    let mut kills = 0;
    let kills_from = thredops::clock::now().timestamp_millis();
    while kills < max_kills {
        restarts.push(kill_once(instances, http, rng).await?);
        kills += 1;
        if all_sent_and_published(http, &instances[0], planned, &watched).await? {
            break;
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(1_000..5_000))).await;
    }
    let kills_until = thredops::clock::now().timestamp_millis();
    println!("{kills} kills through the auto-plug checks; waiting for every plug");
    // A check killed after its claim is taken over minutes later: give them time.
    let deadline = Instant::now() + Duration::from_secs(600);
    while !all_sent_and_published(http, &instances[0], planned, &watched).await?
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    let mut replies = Vec::new();
    let (mut unsent, mut wrongly_sent) = (0, 0);
    for plug in &watched {
        let parent = &planned[plug.post];
        let v = read(http, &instances[0], &parent.id).await?;
        let follow_up = plug_of(&v);
        let sent = follow_up.is_some_and(|f| f["state"] == "sent");
        match (plug.control, sent) {
            (true, true) => {
                wrongly_sent += 1;
                println!("control post {} was plugged: {v}", parent.id);
            }
            (false, false) => {
                unsent += 1;
                println!("post {} never got its plug: {v}", parent.id);
            }
            (false, true) => replies.push(Planned {
                id: follow_up
                    .and_then(|f| f["post_id"].as_str())
                    .unwrap_or_default()
                    .to_owned(),
                profile: parent.profile,
                parts: vec![plug.text.clone()],
                due: None,
            }),
            (true, false) => {}
        }
    }
    let settled = settle(http, &instances[0], &replies, Duration::from_secs(600)).await?;
    // Whether the kills covered the checks: the plugs should go out between the first and the
    // last kill.
    let out: Vec<i64> = settled.iter().filter_map(published_at_ms).collect();
    if let (Some(first), Some(last)) = (out.iter().min(), out.iter().max()) {
        println!(
            "auto-plug replies went out {:.1} s to {:.1} s after the first of these kills; the last kill came {:.1} s after the first",
            (first - kills_from) as f64 / 1000.0,
            (last - kills_from) as f64 / 1000.0,
            (kills_until - kills_from) as f64 / 1000.0
        );
    }
    Ok(Outcome {
        replies,
        settled,
        unsent,
        wrongly_sent,
        kills,
        restarts,
    })
}

async fn read(http: &reqwest::Client, app: &Instance, id: &str) -> Res<Value> {
    Ok(http
        .get(app.url(&format!("/api/v1/publishing/posts/{id}")))
        .send()
        .await?
        .json()
        .await?)
}

fn plug_of(post: &Value) -> Option<&Value> {
    post["follow_ups"]
        .as_array()?
        .iter()
        .find(|f| f["kind"] == "auto_plug")
}

/// Every passing plug sent and its reply settled.
async fn all_sent_and_published(
    http: &reqwest::Client,
    app: &Instance,
    planned: &[Planned],
    watched: &[&Plug],
) -> Res<bool> {
    for plug in watched.iter().filter(|p| !p.control) {
        let v = read(http, app, &planned[plug.post].id).await?;
        let Some(reply) = plug_of(&v).and_then(|f| f["post_id"].as_str()) else {
            return Ok(false);
        };
        let reply = read(http, app, reply).await?;
        if !matches!(reply["state"].as_str(), Some("published" | "failed")) {
            return Ok(false);
        }
    }
    Ok(true)
}
