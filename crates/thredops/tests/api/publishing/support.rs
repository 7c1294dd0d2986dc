//! Helpers of the publishing tests.

use std::path::PathBuf;

use serde_json::{Value, json};
use threads_api::{AccessToken, ContainerBuilder, Created, MediaId, Session, ThreadsClient};
use thredops::jobs::{Queue, Runner, RunnerConfig};
use thredops::publishing::publisher::KIND;
use thredops::with_pool;

use crate::connect::{PASSWORD, connect, creator, run_due_now, sandbox, wait_for_backfill};
use crate::helpers::TestApp;

/// Signs up, connects a small sandbox creator and waits for its history: (profile id, user id).
pub async fn setup(app: &TestApp, name: &str) -> (String, u64) {
    app.signup(&format!("{name}@example.com"), PASSWORD).await;
    let c = creator(app, name, 5, 500);
    let id = connect(app, c.user_id).await;
    wait_for_backfill(app, &id).await;
    (id, c.user_id)
}

/// A PNG header that image readers accept: signature and IHDR with the given size.
pub fn png(width: u32, height: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    out.extend(width.to_be_bytes());
    out.extend(height.to_be_bytes());
    out.extend([8, 6, 0, 0, 0, 0, 0, 0, 0]);
    out
}

/// Uploads a PNG and returns its id.
pub async fn upload_png(app: &TestApp, name: &str, width: u32, height: u32) -> String {
    let r = app
        .client
        .post(app.url(&format!("/api/v1/publishing/media?filename={name}")))
        .header("content-type", "image/png")
        .body(png(width, height))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.unwrap();
    assert_eq!(
        (body["width"].as_u64(), body["height"].as_u64()),
        (Some(u64::from(width)), Some(u64::from(height)))
    );
    body["id"].as_str().unwrap().to_owned()
}

/// An RFC 3339 instant.
pub fn utc(s: &str) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// Sets the signed-in user's time zone.
pub async fn set_zone(app: &TestApp, zone: &str) {
    let r = app
        .client
        .put(app.url("/api/v1/me/timezone"))
        .json(&json!({"timezone": zone}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
}

/// The current minute as a `datetime-local` value in UTC (the default zone).
pub fn now_local() -> String {
    thredops::clock::now().format("%Y-%m-%dT%H:%M").to_string()
}

/// Schedules `content` for the current minute.
pub async fn schedule_now(app: &TestApp, profile: &str, content: &Value) -> Value {
    schedule_at(app, profile, content, &now_local()).await
}

/// Schedules `content` for tomorrow (tests then make its run due with `run_due_now`).
pub async fn schedule_tomorrow(app: &TestApp, profile: &str, content: &Value) -> Value {
    // A little under a day ahead: "this minute tomorrow" is a whole day away when scheduled on
    // a whole minute, just outside windows that cover the next 24 hours (reconnect warnings).
    let tomorrow =
        thredops::clock::now() + chrono::Duration::days(1) - chrono::Duration::minutes(2);
    schedule_at(
        app,
        profile,
        content,
        &tomorrow.format("%Y-%m-%dT%H:%M").to_string(),
    )
    .await
}

async fn schedule_at(app: &TestApp, profile: &str, content: &Value, local: &str) -> Value {
    let r = app
        .post_json("/api/v1/publishing/posts", &json!({"profile_id": profile, "content": content, "action": "schedule", "local_time": local}))
        .await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["state"], "scheduled");
    body
}

/// One post with its timeline.
pub async fn get_post(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/api/v1/publishing/posts/{id}"))
        .await
        .json()
        .await
        .unwrap()
}

/// Runs the publisher, moving the sandbox clock past media processing, until nothing is pending.
pub async fn publish_everything(app: &TestApp) {
    for _ in 0..12 {
        run_due_now(app, KIND).await;
        let pending: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
            "SELECT count(*) FROM scheduled_posts WHERE state IN ('scheduled', 'container_created', 'ready')"
        )
        .fetch_one(p)
        .await)
        .unwrap();
        if pending == 0 {
            return;
        }
        sandbox(app)
            .clock()
            .advance(chrono::Duration::seconds(6))
            .unwrap();
    }
    let posts: Vec<Value> = app
        .get("/api/v1/publishing/posts")
        .await
        .json()
        .await
        .unwrap();
    let errors: Vec<(String, Option<String>)> = with_pool!(app.state.store, |p| sqlx::query_as(
        "SELECT state, last_error FROM jobs WHERE kind = $1"
    )
    .bind(KIND)
    .fetch_all(p)
    .await)
    .unwrap();
    panic!("posts were still pending after a minute of simulated time: {posts:#?} {errors:?}");
}

/// The single entry of `list` with `text`; fails when there are none or several.
pub fn once<'a>(list: &'a Value, text: &str) -> &'a Value {
    let found: Vec<&Value> = list
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["text"] == text)
        .collect();
    assert_eq!(found.len(), 1, "{text:?} appears {} times", found.len());
    found[0]
}

/// A Threads session as the creator, straight against the sandbox.
pub fn sandbox_session(app: &TestApp, user_id: u64) -> Session {
    let token = sandbox(app).mint_token(user_id, &["threads_basic", "threads_content_publish"]);
    let client = ThreadsClient::builder()
        .graph_base(app.url("/sandbox"))
        .build()
        .unwrap();
    client.session(AccessToken::new(token))
}

/// Publishes a text post directly.
pub async fn auto_publish(session: &Session, text: &str) -> String {
    let c = ContainerBuilder::text(text)
        .auto_publish_text()
        .build()
        .unwrap();
    match session.create_container(&c).await.unwrap() {
        Created::Published(id) => id.as_str().to_owned(),
        Created::Container(_) => panic!("not published at once"),
    }
}

/// Publishes fillers directly until the profile has `left` posts of its 24-hour quota left.
pub async fn leave_quota(app: &TestApp, profile: &str, user_id: u64, left: u64) {
    let session = sandbox_session(app, user_id);
    for n in left..250 {
        auto_publish(&session, &format!("Filler {n}")).await;
    }
    let quota: Value = app
        .get(&format!("/api/v1/publishing/profiles/{profile}/quota"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(quota["posts_remaining"], left);
}

/// The post waits for the quota and says why, in its note and its ledger.
pub fn assert_deferred(p: &Value) {
    assert_eq!(p["state"], "scheduled", "{p}");
    let note = p["note"].as_str().unwrap_or_default();
    assert!(note.contains("250 posts per 24 hours"), "{p}");
    assert!(
        p["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "deferred"),
        "{p}"
    );
}

/// A media object's fields as Threads returns them.
pub async fn read_media(app: &TestApp, user_id: u64, id: &str) -> Value {
    let m = sandbox_session(app, user_id)
        .media(&MediaId::new(id))
        .await
        .unwrap();
    serde_json::to_value(m).unwrap()
}

/// Plays a worker that stored "publish call started" for the first part and died: returns the
/// container id it had stored, if any.
pub async fn mark_publish_started(app: &TestApp, post_id: &str) -> Option<String> {
    let progress: String = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT progress FROM scheduled_posts WHERE id = $1"
    )
    .bind(post_id)
    .fetch_one(p)
    .await)
    .unwrap();
    let mut progress: Value = serde_json::from_str(&progress).unwrap();
    if progress["parts"].as_array().is_none_or(|a| a.is_empty()) {
        progress["parts"] = json!([{}]);
    }
    progress["parts"][0]["publish_started"] = json!(sandbox(app).clock().now_ts());
    let container = progress["parts"][0]["container_id"]
        .as_str()
        .map(str::to_owned);
    with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE scheduled_posts SET progress = $1, version = version + 1 WHERE id = $2"
    )
    .bind(progress.to_string())
    .bind(post_id)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    container
}

/// Moves a scheduled post and its publisher run to now, as if its time had come. The run is
/// re-keyed first: the maintenance sweep, which re-creates a missing run for a post whose time
/// it sees, then finds the run already there instead of racing this helper for the key.
pub async fn make_due_now(app: &TestApp, post_id: &str) {
    let now = thredops::clock::now().timestamp();
    with_pool!(app.state.store, |p| async {
        sqlx::query("UPDATE jobs SET dedup_key = $1 WHERE state = 'queued' AND dedup_key LIKE $2")
            .bind(format!("publish:{post_id}:{now}"))
            .bind(format!("publish:{post_id}:%"))
            .execute(p)
            .await?;
        sqlx::query("UPDATE scheduled_posts SET scheduled_at = $1 WHERE id = $2")
            .bind(now)
            .bind(post_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
    }
    .await)
    .unwrap();
}

/// A second job runner on the same database, as another instance would have. Stops on drop.
pub fn start_second_runner(app: &TestApp) -> tokio::sync::oneshot::Sender<()> {
    let runner = Runner::new(Queue::new(app.state.store.clone()), RunnerConfig::default());
    let runner = thredops::publishing::register_jobs(runner, &app.state);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(runner.run_until_stopped(async move {
        let _ = stopped.await;
    }));
    stop
}

/// An upload's secret token and file path.
pub async fn upload_token(app: &TestApp, id: &str) -> (String, PathBuf) {
    let (token, user): (String, String) = with_pool!(app.state.store, |p| sqlx::query_as(
        "SELECT token, user_id FROM media_uploads WHERE id = $1"
    )
    .bind(id)
    .fetch_one(p)
    .await)
    .unwrap();
    (token, app.data_dir.join("media").join(user).join(id))
}
