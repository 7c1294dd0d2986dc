//! The processes under test and the sandbox they talk to: start, SIGKILL, wait until ready,
//! connect profiles through the OAuth dance.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

use serde_json::Value;
use threads_sandbox::{Sandbox, SandboxConfig};

use super::{Res, Settings};

/// One `thredops serve` process (restarted after each kill).
pub struct Instance {
    pub port: u16,
    pub env: Vec<(String, String)>,
    pub log: PathBuf,
    pub child: Option<Child>,
}

impl Instance {
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub fn start(&mut self) -> Res<()> {
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
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    pub async fn ready(&self, http: &reqwest::Client) -> Res<()> {
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

pub fn free_port() -> Res<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

pub async fn start_sandbox(s: &Settings) -> Res<(Sandbox, SocketAddr)> {
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
pub async fn fresh_database(server: &str, seed: u64) -> Res<String> {
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
pub async fn connect(http: &reqwest::Client, app: &Instance, user_id: u64) -> Res<String> {
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

pub async fn wait_for_sync(http: &reqwest::Client, app: &Instance, profiles: &[String]) -> Res<()> {
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

/// Kills a random instance with SIGKILL, restarts it and waits until it is ready: the time from
/// restart to ready.
pub async fn kill_once(
    instances: &mut [Instance],
    http: &reqwest::Client,
    rng: &mut rand::rngs::StdRng,
) -> Res<Duration> {
    use rand::Rng;
    let victim = rng.random_range(0..instances.len());
    instances[victim].kill();
    instances[victim].start()?;
    let restarted = Instant::now();
    instances[victim].ready(http).await?;
    Ok(restarted.elapsed())
}
