//! Drives the Threads connect flow the way a browser does, against the in-process sandbox.

use reqwest::StatusCode;
use serde_json::Value;
use threads_sandbox::{CreatorSummary, CreatorTraits, Sandbox};

use crate::helpers::TestApp;

pub const PASSWORD: &str = "tidal-marmot-lantern";

pub fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("form has a csrf field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no {name} in consent page"))
        + marker.len();
    html[start..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&")
}

pub fn sandbox(app: &TestApp) -> &Sandbox {
    app.state
        .threads
        .sandbox
        .as_ref()
        .expect("tests run in sandbox mode")
}

/// A sandbox creator with `posts` posts and `followers` followers.
pub fn creator(app: &TestApp, name: &str, posts: usize, followers: u64) -> CreatorSummary {
    sandbox(app)
        .create_creator(CreatorTraits {
            username: Some(name.to_owned()),
            posts: Some(posts),
            followers: Some(followers),
            history_days: Some(400),
            ..Default::default()
        })
        .unwrap()
}

/// Starts a connection and returns the consent page URL and HTML.
pub async fn start_connect(app: &TestApp, client: &reqwest::Client) -> (String, String) {
    let page = client
        .get(app.url("/app/profiles"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = client
        .post(app.url("/app/profiles/connect"))
        .form(&[("csrf", csrf_in(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let authorize = r.headers()["location"].to_str().unwrap().to_owned();
    let consent = client.get(&authorize).send().await.unwrap();
    assert_eq!(
        consent.status(),
        StatusCode::OK,
        "consent page for {authorize}"
    );
    (authorize, consent.text().await.unwrap())
}

/// Answers the consent page as `user_id` with `decision` ("allow" or "deny") and returns the
/// callback URL Meta would send the browser to.
pub async fn decide(
    app: &TestApp,
    client: &reqwest::Client,
    consent: &str,
    user_id: u64,
    decision: &str,
) -> String {
    let form = [
        ("client_id", hidden(consent, "client_id")),
        ("redirect_uri", hidden(consent, "redirect_uri")),
        ("scope", hidden(consent, "scope")),
        ("state", hidden(consent, "state")),
        ("user_id", user_id.to_string()),
        ("decision", decision.to_owned()),
    ];
    let r = client
        .post(app.url("/sandbox/oauth/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    if !status.is_redirection() {
        panic!(
            "consent answered {status}: {}",
            r.text().await.unwrap_or_default()
        );
    }
    r.headers()["location"]
        .to_str()
        .unwrap()
        .split('#')
        .next()
        .unwrap()
        .to_owned()
}

/// Connects `user_id` for the signed-in client; returns the callback response.
pub async fn connect_as(
    app: &TestApp,
    client: &reqwest::Client,
    user_id: u64,
) -> reqwest::Response {
    let (_, consent) = start_connect(app, client).await;
    let callback = decide(app, client, &consent, user_id, "allow").await;
    client.get(callback).send().await.unwrap()
}

/// Connects and returns the new profile's id.
pub async fn connect(app: &TestApp, user_id: u64) -> String {
    let r = connect_as(app, &app.client, user_id).await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap_or_default()
    );
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    location
        .trim_start_matches("/app/profiles/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

/// The profile as the JSON API shows it.
pub async fn profile(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/api/v1/profiles/{id}"))
        .await
        .json()
        .await
        .unwrap()
}

/// Waits (bounded) until the profile's history is in.
pub async fn wait_for_backfill(app: &TestApp, id: &str) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        let p = profile(app, id).await;
        if p["sync"]["state"] == "idle" {
            return p;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "backfill did not finish: {p}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The sandbox's ground truth for a creator.
pub async fn truth(app: &TestApp, user_id: u64) -> Value {
    app.get(&format!("/sandbox/_sandbox/truth/{user_id}"))
        .await
        .json()
        .await
        .unwrap()
}

/// Makes every queued job of `kind` due now and wakes the runners, without waiting for them.
pub async fn start_due_runs(app: &TestApp, kind: &str) {
    use thredops::with_pool;
    with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE jobs SET run_at = 0 WHERE kind = $1 AND state = 'queued'"
    )
    .bind(kind)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    app.state.jobs.notify();
}

/// Makes every queued job of `kind` due now (the queue's clock is real time; the sandbox's is
/// simulated) and waits until none of them is queued or running.
pub async fn run_due_now(app: &TestApp, kind: &str) {
    use thredops::with_pool;
    start_due_runs(app, kind).await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let pending: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
            "SELECT count(*) FROM jobs WHERE kind = $1 AND (state = 'running' OR (state = 'queued' AND run_at <= $2))"
        )
        .bind(kind)
        .bind(thredops::clock::now_ms())
        .fetch_one(p)
        .await)
        .unwrap();
        if pending == 0 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{kind} jobs did not finish"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Disconnects a profile from its page, keeping its history or (confirmed) deleting it.
pub async fn disconnect(app: &TestApp, profile: &str, delete_history: bool) -> reqwest::Response {
    let page = app
        .get(&format!("/app/profiles/{profile}"))
        .await
        .text()
        .await
        .unwrap();
    let history = if delete_history { "delete" } else { "keep" };
    app.client
        .post(app.url(&format!("/app/profiles/{profile}/disconnect")))
        .form(&[
            ("csrf", csrf_in(&page).as_str()),
            ("history", history),
            ("confirm", history),
        ])
        .send()
        .await
        .unwrap()
}
