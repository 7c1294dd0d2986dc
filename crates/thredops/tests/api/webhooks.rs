//! Outgoing webhooks, received by a real server on a loopback port that checks every
//! signature the way a user's server would: with the secret shown at creation, over the raw
//! body, within five minutes of its own clock.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::Sha256;

use crate::connect::{PASSWORD, connect, creator, csrf_in, run_due_now, wait_for_backfill};
use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::publishing::support::{publish_everything, schedule_now, setup, upload_png};

on_both_backends!(
    a_published_post_sends_one_signed_event_to_subscribed_endpoints_only,
    a_failing_endpoint_is_retried_until_it_answers_2xx,
    an_endpoint_failing_for_days_is_turned_off_and_can_be_replayed_later,
    a_replay_sends_the_same_event_freshly_signed,
    failed_posts_reconnects_syncs_and_audits_are_sent_once_each,
    another_user_cannot_see_change_or_replay_my_endpoints,
    tokens_need_the_webhooks_scopes,
    the_settings_page_shows_the_secret_once_and_replays_from_the_log,
    endpoints_and_deliveries_are_exported_without_secrets_and_purged,
);

const DELIVER: &str = "webhooks.deliver";

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: HeaderMap,
    body: Bytes,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap()
    }

    fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

#[derive(Default)]
struct ReceiverState {
    got: Vec<Received>,
    /// Statuses to answer, in order; 200 once they run out.
    answers: VecDeque<u16>,
}

/// A webhook receiver on a loopback port.
#[derive(Clone)]
struct Receiver {
    url: String,
    state: Arc<Mutex<ReceiverState>>,
}

impl Receiver {
    async fn start() -> Receiver {
        let state = Arc::new(Mutex::new(ReceiverState::default()));
        async fn hook(
            State(state): State<Arc<Mutex<ReceiverState>>>,
            headers: HeaderMap,
            body: Bytes,
        ) -> AxumStatus {
            let mut s = state.lock().unwrap();
            s.got.push(Received { headers, body });
            let code = s.answers.pop_front().unwrap_or(200);
            AxumStatus::from_u16(code).unwrap()
        }
        let router = axum::Router::new()
            .route("/hook", axum::routing::post(hook))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            state,
        }
    }

    fn answer(&self, statuses: &[u16]) {
        self.state.lock().unwrap().answers.extend(statuses);
    }

    fn got(&self) -> Vec<Received> {
        self.state.lock().unwrap().got.clone()
    }
}

/// Checks a delivery as a receiver must: `ThredOps-Signature: t=..,v1=..` is the HMAC-SHA256
/// of `"{t}.{raw body}"` under `secret`, and `t` is within five minutes of now.
fn verify(r: &Received, secret: &str) -> Result<(), String> {
    let header = r.header("ThredOps-Signature");
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1.push(hex::decode(v).map_err(|e| e.to_string())?),
            _ => {}
        }
    }
    let t = t.ok_or("no timestamp")?;
    if (thredops::clock::now().timestamp() - t).abs() > 300 {
        return Err(format!("timestamp {t} is too far from now"));
    }
    for sig in v1 {
        let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
        mac.update(format!("{t}.").as_bytes());
        mac.update(&r.body);
        if mac.verify_slice(&sig).is_ok() {
            return Ok(());
        }
    }
    Err(format!("no signature matches in {header:?}"))
}

/// `s` as the pages' HTML escaping writes it.
fn escaped(s: &str) -> String {
    s.replace('/', "&#x2f;")
}

/// Adds an endpoint through the API; returns the whole answer (with the secret).
async fn add(app: &TestApp, url: &str, events: &[&str]) -> Value {
    let r = app
        .post_json("/api/v1/webhooks", &json!({"url": url, "events": events}))
        .await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body
}

async fn deliveries(app: &TestApp, endpoint: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/api/v1/webhooks/{endpoint}/deliveries"))
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    body["deliveries"].as_array().unwrap().clone()
}

/// Waits (bounded) until the endpoint's newest delivery has `n` attempts, without making any
/// retry due early.
async fn wait_attempts(app: &TestApp, endpoint: &str, n: i64) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let log = deliveries(app, endpoint).await;
        if log[0]["attempts"].as_i64() == Some(n) {
            return log[0].clone();
        }
        assert!(std::time::Instant::now() < deadline, "{log:?}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// Waits (bounded) until the failed attempt's job is back in the queue for its retry.
async fn wait_retry_queued(app: &TestApp) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let queued: i64 = thredops::with_pool!(app.state.store, |p| sqlx::query_scalar(
            "SELECT count(*) FROM jobs WHERE kind = 'webhooks.deliver' AND state = 'queued'"
        )
        .fetch_one(p)
        .await)
        .unwrap();
        if queued == 1 {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the retry was not queued"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// Waits until the history import's job is over: the profile reads as synced a moment before
/// the job reports `sync.completed`, which an endpoint added in between would receive.
async fn history_in(app: &TestApp) {
    run_due_now(app, thredops::sync::kind::BACKFILL).await;
}

/// Asks for a delivery to be sent again; returns the answer's status.
async fn replay(app: &TestApp, delivery: &str) -> StatusCode {
    app.post_json(
        &format!("/api/v1/webhooks/deliveries/{delivery}/replay"),
        &json!({}),
    )
    .await
    .status()
}

async fn ping(app: &TestApp, endpoint: &str) -> Value {
    let r = app
        .post_json(&format!("/api/v1/webhooks/{endpoint}/test"), &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    r.json().await.unwrap()
}

async fn a_published_post_sends_one_signed_event_to_subscribed_endpoints_only(app: TestApp) {
    let (profile, _) = setup(&app, "hooked").await;
    let receiver = Receiver::start().await;
    let other = Receiver::start().await;
    let created = add(&app, &receiver.url, &["post.published"]).await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 40,
        "{secret}"
    );
    // This one only wants audits: publishing sends it nothing.
    add(&app, &other.url, &["audit.completed"]).await;

    let post = schedule_now(
        &app,
        &profile,
        &json!({"parts": [{"text": "Hello, webhooks"}]}),
    )
    .await;
    let post_id = post["id"].as_str().unwrap();
    publish_everything(&app).await;
    run_due_now(&app, DELIVER).await;

    let got = receiver.got();
    assert_eq!(got.len(), 1, "exactly one delivery: {got:?}");
    let event = got[0].json();
    assert_eq!(event["type"], "post.published");
    assert_eq!(event["data"]["post_id"], post_id);
    assert_eq!(event["data"]["profile_id"], profile.as_str());
    assert!(event["data"]["permalink"].is_string(), "{event}");
    assert!(event["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(
        got[0].header("ThredOps-Event-Id"),
        event["id"].as_str().unwrap()
    );
    assert_eq!(got[0].header("ThredOps-Event-Type"), "post.published");
    assert!(
        !got[0].json().to_string().contains("Hello, webhooks"),
        "no post text is sent"
    );
    verify(&got[0], &secret).expect("signed with the endpoint's secret");
    // The verifier can fail: another secret, or an altered body, does not verify.
    assert!(verify(&got[0], "whsec_not-the-secret").is_err());
    let mut altered = got[0].clone();
    altered.body = Bytes::from([&altered.body[..], b" "].concat());
    assert!(verify(&altered, &secret).is_err());

    assert!(other.got().is_empty(), "unsubscribed types are not sent");
    let log = deliveries(&app, created["id"].as_str().unwrap()).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["state"], "delivered");
    assert_eq!(log[0]["attempts"], 1);
    assert_eq!(log[0]["last_status"], 200);

    // A crash between publishing and recording the event loses the record: the sweep records
    // it, once, for the endpoints that existed when the post was published.
    thredops::with_pool!(app.state.store, |p| sqlx::query(
        "DELETE FROM webhook_events"
    )
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(1_100)).await;
    let late = Receiver::start().await;
    add(&app, &late.url, &["post.published"]).await;
    assert_eq!(thredops::webhooks::sweep(&app.state).await.unwrap(), 1);
    assert_eq!(thredops::webhooks::sweep(&app.state).await.unwrap(), 0);
    run_due_now(&app, DELIVER).await;
    let got = receiver.got();
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].json()["data"]["post_id"], post_id);
    verify(&got[1], &secret).unwrap();
    assert!(late.got().is_empty(), "added after the publication");

    // The log keeps 30 days (here, a month passes).
    for sql in [
        "UPDATE webhook_events SET created_at = created_at - 31 * 86400",
        "UPDATE scheduled_posts SET published_at = published_at - 31 * 86400",
    ] {
        thredops::with_pool!(app.state.store, |p| sqlx::query(sql)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))
        .unwrap();
    }
    assert_eq!(thredops::webhooks::sweep(&app.state).await.unwrap(), 0);
    assert!(
        deliveries(&app, created["id"].as_str().unwrap())
            .await
            .is_empty()
    );
}

async fn a_failing_endpoint_is_retried_until_it_answers_2xx(app: TestApp) {
    app.signup("retry@example.com", PASSWORD).await;
    let receiver = Receiver::start().await;
    receiver.answer(&[500]);
    let created = add(&app, &receiver.url, &["post.failed"]).await;
    let (id, secret) = (
        created["id"].as_str().unwrap(),
        created["secret"].as_str().unwrap(),
    );
    ping(&app, id).await;
    let first = wait_attempts(&app, id, 1).await;
    wait_retry_queued(&app).await;
    assert_eq!(first["state"], "pending", "{first}");
    assert_eq!(first["last_status"], 500);
    assert!(
        first["last_error"].as_str().unwrap().contains("HTTP 500"),
        "{first}"
    );
    let next = first["next_attempt_at"].as_i64().unwrap();
    assert!(
        next > thredops::clock::now().timestamp(),
        "retried later, not at once"
    );

    // The retry is due (the test moves it to now): the endpoint answers 200 this time.
    run_due_now(&app, DELIVER).await;
    let log = deliveries(&app, id).await;
    assert_eq!(log[0]["state"], "delivered", "{log:?}");
    assert_eq!(log[0]["attempts"], 2);
    let statuses: Vec<i64> = log[0]["attempt_log"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status_code"].as_i64().unwrap())
        .collect();
    assert_eq!(statuses, [500, 200]);
    let got = receiver.got();
    assert_eq!(got.len(), 2);
    assert_eq!(got[0].json()["id"], got[1].json()["id"], "the same event");
    assert_eq!(got[1].json()["type"], "ping");
    for r in &got {
        verify(r, secret).unwrap();
    }
}

async fn an_endpoint_failing_for_days_is_turned_off_and_can_be_replayed_later(app: TestApp) {
    app.signup("gone@example.com", PASSWORD).await;
    let receiver = Receiver::start().await;
    receiver.answer(&[500, 502]);
    let created = add(&app, &receiver.url, &["post.published"]).await;
    let id = created["id"].as_str().unwrap();
    // Added four days ago, and it has never accepted an event.
    thredops::with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE webhook_endpoints SET created_at = created_at - 345600"
    )
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let delivery = ping(&app, id).await["id"].as_str().unwrap().to_owned();
    wait_attempts(&app, id, 1).await;
    wait_retry_queued(&app).await;
    // Its attempts run out (the test skips the day of waiting between them).
    thredops::with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE jobs SET attempts = max_attempts - 1 WHERE kind = 'webhooks.deliver' AND state = 'queued'"
    )
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    run_due_now(&app, DELIVER).await;
    let last = wait_attempts(&app, id, 2).await;
    assert_eq!(last["state"], "failed", "{last}");
    assert_eq!(last["last_status"], 502);
    let endpoint: Value = app
        .get(&format!("/api/v1/webhooks/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(endpoint["enabled"], false, "{endpoint}");
    let reason = endpoint["disabled_reason"].as_str().unwrap();
    assert!(reason.contains("has not accepted an event"), "{reason}");
    let page = app.get("/settings/webhooks").await.text().await.unwrap();
    assert!(page.contains("has not accepted an event"));
    // Nothing is sent while it is off.
    let r = app
        .post_json(&format!("/api/v1/webhooks/{id}/test"), &json!({}))
        .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    // Fixed and turned on again: the missed event is replayed and delivered.
    let r = app
        .client
        .patch(app.url(&format!("/api/v1/webhooks/{id}")))
        .json(&json!({"enabled": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let on: Value = r.json().await.unwrap();
    assert_eq!(on["enabled"], true);
    assert!(on["disabled_reason"].is_null());
    assert_eq!(replay(&app, &delivery).await, StatusCode::ACCEPTED);
    run_due_now(&app, DELIVER).await;
    let done = wait_attempts(&app, id, 3).await;
    assert_eq!(done["state"], "delivered", "{done}");
    assert_eq!(receiver.got().len(), 3);
}

async fn a_replay_sends_the_same_event_freshly_signed(app: TestApp) {
    app.signup("replay@example.com", PASSWORD).await;
    let receiver = Receiver::start().await;
    receiver.answer(&[503]);
    let created = add(&app, &receiver.url, &["sync.completed"]).await;
    let id = created["id"].as_str().unwrap();
    let first = ping(&app, id).await;
    let delivery = first["id"].as_str().unwrap();
    // Still being retried: it cannot be replayed until its attempts are over.
    wait_attempts(&app, id, 1).await;
    wait_retry_queued(&app).await;
    assert_eq!(replay(&app, delivery).await, StatusCode::CONFLICT);
    run_due_now(&app, DELIVER).await;
    assert_eq!(wait_attempts(&app, id, 2).await["state"], "delivered");

    // Rotating the secret: the replay is signed with the new one, and the old one fails.
    let rotated: Value = app
        .post_json(&format!("/api/v1/webhooks/{id}/rotate-secret"), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let new_secret = rotated["secret"].as_str().unwrap();
    assert_ne!(new_secret, created["secret"].as_str().unwrap());
    assert_eq!(replay(&app, delivery).await, StatusCode::ACCEPTED);
    run_due_now(&app, DELIVER).await;

    let got = receiver.got();
    assert_eq!(got.len(), 3);
    assert_eq!(got[1].json()["id"], first["event_id"]);
    assert_eq!(got[2].json()["id"], first["event_id"], "same event id");
    assert_eq!(got[1].body, got[2].body, "same body");
    assert_ne!(
        got[1].header("ThredOps-Signature"),
        got[2].header("ThredOps-Signature"),
        "signed afresh"
    );
    verify(&got[1], created["secret"].as_str().unwrap()).unwrap();
    verify(&got[2], new_secret).unwrap();
    assert!(verify(&got[2], created["secret"].as_str().unwrap()).is_err());
    let log = deliveries(&app, id).await;
    assert_eq!(log.len(), 1);
    assert_eq!(log[0]["state"], "delivered");
    assert_eq!(log[0]["attempts"], 3);
}

async fn failed_posts_reconnects_syncs_and_audits_are_sent_once_each(app: TestApp) {
    let (profile, user_id) = setup(&app, "eventful").await;
    history_in(&app).await;
    let receiver = Receiver::start().await;
    let created = add(
        &app,
        &receiver.url,
        &[
            "post.failed",
            "profile.needs_reconnect",
            "sync.completed",
            "audit.completed",
        ],
    )
    .await;
    let secret = created["secret"].as_str().unwrap();

    // A post whose media Threads cannot process fails.
    let img = upload_png(&app, "fail.png", 500, 500).await;
    let post = schedule_now(
        &app,
        &profile,
        &json!({"parts": [{"text": "Doomed", "media": [{"id": img}]}]}),
    )
    .await;
    publish_everything(&app).await;
    // An hourly sync completes, then an audit.
    crate::sync_now(&app, &profile).await;
    let audit = crate::strategy::audits::audit(&app, &profile).await;
    assert_eq!(audit["status"], "done", "{audit}");
    // Meta withdraws the access: the next sync marks the profile.
    let revoke = app
        .post_json(
            "/sandbox/_sandbox/tokens/revoke",
            &json!({"user_id": user_id}),
        )
        .await;
    assert!(revoke.status().is_success());
    crate::sync_now(&app, &profile).await;
    // The notifications sweep looks for unrecorded events: it sends none twice.
    thredops::notifications::sweep(&app.state).await.unwrap();
    run_due_now(&app, DELIVER).await;

    let got = receiver.got();
    let mut types: Vec<String> = got
        .iter()
        .map(|r| r.json()["type"].as_str().unwrap().to_owned())
        .collect();
    types.sort();
    assert_eq!(
        types,
        [
            "audit.completed",
            "post.failed",
            "profile.needs_reconnect",
            "sync.completed"
        ],
        "{got:?}"
    );
    for r in &got {
        verify(r, secret).unwrap();
        let event = r.json();
        assert_eq!(event["data"]["profile_id"], profile.as_str(), "{event}");
        if event["type"] == "post.failed" {
            assert_eq!(event["data"]["post_id"], post["id"]);
            assert!(event["data"]["reason"].is_string());
        }
        if event["type"] == "audit.completed" {
            assert_eq!(event["data"]["audit_id"], audit["id"]);
            assert_eq!(event["data"]["score"], audit["score"]);
        }
        if event["type"] == "sync.completed" {
            assert_eq!(event["data"]["sync"], "incremental");
        }
    }
}

async fn another_user_cannot_see_change_or_replay_my_endpoints(app: TestApp) {
    app.signup("owner@example.com", PASSWORD).await;
    let receiver = Receiver::start().await;
    let created = add(&app, &receiver.url, &["post.published"]).await;
    let id = created["id"].as_str().unwrap();
    let delivery = ping(&app, id).await["id"].as_str().unwrap().to_owned();
    run_due_now(&app, DELIVER).await;

    let intruder = crate::helpers::client();
    let r = crate::helpers::sign_up_with(&app, &intruder, "intruder@example.com", PASSWORD).await;
    assert!(r.status().is_success(), "{}", r.status());
    let send = |method: reqwest::Method, path: String, body: Option<Value>| {
        let mut rq = intruder.request(method, app.url(&path));
        if let Some(b) = body {
            rq = rq.json(&b);
        }
        rq.send()
    };
    use reqwest::Method;
    for (method, path, body) in [
        (Method::GET, format!("/api/v1/webhooks/{id}"), None),
        (
            Method::GET,
            format!("/api/v1/webhooks/{id}/deliveries"),
            None,
        ),
        (
            Method::PATCH,
            format!("/api/v1/webhooks/{id}"),
            Some(json!({"enabled": false})),
        ),
        (Method::DELETE, format!("/api/v1/webhooks/{id}"), None),
        (
            Method::POST,
            format!("/api/v1/webhooks/{id}/rotate-secret"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/v1/webhooks/{id}/test"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/v1/webhooks/deliveries/{delivery}/replay"),
            Some(json!({})),
        ),
    ] {
        let r = send(method.clone(), path.clone(), body).await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{method} {path}");
    }
    let theirs: Value = intruder
        .get(app.url("/api/v1/webhooks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["endpoints"], json!([]));
    let log: Value = intruder
        .get(app.url("/api/v1/webhooks/deliveries"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log["deliveries"], json!([]));
    // Mine are untouched, and sent once.
    assert_eq!(receiver.got().len(), 1);
    let mine = deliveries(&app, id).await;
    assert_eq!(mine[0]["attempts"], 1);
}

async fn tokens_need_the_webhooks_scopes(app: TestApp) {
    app.signup("scoped@example.com", PASSWORD).await;
    let mut made = Vec::new();
    for scope in ["webhooks:read", "webhooks:write"] {
        let r = app
            .post_json(
                "/api/v1/tokens",
                &json!({"name": "hooks", "scopes": [scope]}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::CREATED);
        made.push(r.json::<Value>().await.unwrap());
    }
    let (reader, writer) = (made[0].clone(), made[1].clone());
    let bare = reqwest::Client::new();
    let with = |secret: &Value| secret["secret"].as_str().unwrap().to_owned();
    let r = bare
        .get(app.url("/api/v1/webhooks"))
        .bearer_auth(with(&reader))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = json!({"url": "https://hooks.example.com/in", "events": ["post.published"]});
    let r = bare
        .post(app.url("/api/v1/webhooks"))
        .bearer_auth(with(&reader))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let refusal: Value = r.json().await.unwrap();
    assert!(
        refusal["error"]["message"]
            .as_str()
            .unwrap()
            .contains("webhooks:write")
    );
    let r = bare
        .post(app.url("/api/v1/webhooks"))
        .bearer_auth(with(&writer))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    // Bad input is refused beside the field, and nothing is added.
    for (bad, field) in [
        (
            json!({"url": "ftp://x.example", "events": ["post.published"]}),
            "url",
        ),
        (
            json!({"url": "https://x.example", "events": ["post.deleted"]}),
            "events",
        ),
        (json!({"url": "https://x.example", "events": []}), "events"),
    ] {
        let r = app.post_json("/api/v1/webhooks", &bad).await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        let e: Value = r.json().await.unwrap();
        assert!(e["error"]["fields"][field].is_string(), "{e}");
    }
    let list: Value = app.get("/api/v1/webhooks").await.json().await.unwrap();
    assert_eq!(list["endpoints"].as_array().unwrap().len(), 1);
    // The OpenAPI document lists the routes with their scopes, and the events sent.
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    assert_eq!(
        doc["paths"]["/api/v1/webhooks"]["post"]["x-token-scope"],
        "webhooks:write"
    );
    assert_eq!(
        doc["paths"]["/api/v1/webhooks/{id}/deliveries"]["get"]["x-token-scope"],
        "webhooks:read"
    );
    for t in [
        "post.published",
        "post.failed",
        "profile.needs_reconnect",
        "sync.completed",
        "audit.completed",
    ] {
        assert!(doc["webhooks"][t]["post"]["requestBody"].is_object(), "{t}");
    }
}

async fn the_settings_page_shows_the_secret_once_and_replays_from_the_log(app: TestApp) {
    app.signup("pages@example.com", PASSWORD).await;
    let receiver = Receiver::start().await;
    let settings = app.get("/settings").await.text().await.unwrap();
    assert!(settings.contains("href=\"/settings/webhooks\""));
    let page = app.get("/settings/webhooks").await.text().await.unwrap();
    let csrf = csrf_in(&page);
    let post = |path: String, fields: Vec<(&'static str, String)>| {
        app.client
            .post(app.url(&path))
            .header("Origin", &app.address)
            .form(&fields)
            .send()
    };
    // No event chosen: refused beside the field, the URL kept.
    let r = post(
        "/settings/webhooks".into(),
        vec![("csrf", csrf.clone()), ("url", receiver.url.clone())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("Choose at least one event"), "{html}");
    assert!(
        html.contains(&format!("value=\"{}\"", escaped(&receiver.url))),
        "the URL typed is kept"
    );

    let r = post(
        "/settings/webhooks".into(),
        vec![
            ("csrf", csrf.clone()),
            ("url", receiver.url.clone()),
            ("event_post_published", "on".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let html = r.text().await.unwrap();
    let secret = html
        .split("data-webhook-secret")
        .next()
        .and_then(|s| s.rsplit("value=\"").next())
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_owned();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let again = app.get("/settings/webhooks").await.text().await.unwrap();
    assert!(!again.contains(&secret), "the secret is shown once");
    assert!(again.contains(&escaped(&receiver.url)));

    let list: Value = app.get("/api/v1/webhooks").await.json().await.unwrap();
    let id = list["endpoints"][0]["id"].as_str().unwrap().to_owned();
    let r = post(
        format!("/settings/webhooks/{id}/test"),
        vec![("csrf", csrf.clone())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("A test event"));
    run_due_now(&app, DELIVER).await;
    let page = app.get("/settings/webhooks").await.text().await.unwrap();
    assert!(page.contains("delivered"), "the log shows it delivered");
    assert!(
        page.contains("Body sent") && page.contains("&quot;type&quot;: &quot;ping&quot;"),
        "the log shows the body sent"
    );
    let delivery = deliveries(&app, &id).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(page.contains(&format!("/settings/webhooks/deliveries/{delivery}/replay")));
    let r = post(
        format!("/settings/webhooks/deliveries/{delivery}/replay"),
        vec![("csrf", csrf.clone())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    run_due_now(&app, DELIVER).await;
    let got = receiver.got();
    assert_eq!(got.len(), 2);
    for r in &got {
        verify(r, &secret).unwrap();
    }
    // Turned off from the page: a test event is refused in words.
    let r = post(
        format!("/settings/webhooks/{id}/update"),
        vec![
            ("csrf", csrf.clone()),
            ("event_post_published", "on".into()),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("is off"));
    let r = post(
        format!("/settings/webhooks/{id}/test"),
        vec![("csrf", csrf.clone())],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("turned off"));
    let r = post(
        format!("/settings/webhooks/{id}/delete"),
        vec![("csrf", csrf)],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let list: Value = app.get("/api/v1/webhooks").await.json().await.unwrap();
    assert_eq!(list["endpoints"], json!([]));
}

async fn endpoints_and_deliveries_are_exported_without_secrets_and_purged(app: TestApp) {
    let email = "exported@example.com";
    app.signup(email, PASSWORD).await;
    let c = creator(&app, "exported", 3, 100);
    let profile = connect(&app, c.user_id).await;
    wait_for_backfill(&app, &profile).await;
    history_in(&app).await;
    let receiver = Receiver::start().await;
    let created = add(&app, &receiver.url, &["sync.completed"]).await;
    let secret = created["secret"].as_str().unwrap().to_owned();
    crate::sync_now(&app, &profile).await;
    run_due_now(&app, DELIVER).await;
    assert_eq!(receiver.got().len(), 1);

    let user_id: String = thredops::with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT id FROM users WHERE email = $1"
    )
    .bind(email)
    .fetch_one(p)
    .await)
    .unwrap();
    let r = app.get("/settings/privacy/export").await;
    assert_eq!(r.status(), 200);
    let files = crate::privacy::untar(&r.bytes().await.unwrap());
    let content = files
        .iter()
        .find(|(n, _)| n.ends_with("content.json"))
        .map(|(_, b)| serde_json::from_slice::<Value>(b).unwrap())
        .unwrap();
    let exported = &content["webhooks"];
    assert_eq!(exported["endpoints"][0]["url"], receiver.url.as_str());
    assert_eq!(exported["deliveries"][0]["event_type"], "sync.completed");
    assert_eq!(
        exported["deliveries"][0]["attempt_log"][0]["status_code"],
        200
    );
    let everything: String = files
        .iter()
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .collect();
    assert!(!everything.contains(&secret), "no secret exported");
    // Nothing readable at rest: the URL and the secret are sealed.
    let raw: Vec<u8> = thredops::with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT secret_enc FROM webhook_endpoints"
    )
    .fetch_one(p)
    .await)
    .unwrap();
    assert!(!String::from_utf8_lossy(&raw).contains("whsec_"));

    // Deleting the profile's history deletes the events about it; the endpoint stays.
    let r = crate::connect::disconnect(&app, &profile, true).await;
    assert!(r.status().is_redirection(), "{}", r.status());
    let log: Value = app
        .get("/api/v1/webhooks/deliveries")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        log["deliveries"],
        json!([]),
        "the profile's events went with it"
    );
    let list: Value = app.get("/api/v1/webhooks").await.json().await.unwrap();
    assert_eq!(list["endpoints"].as_array().unwrap().len(), 1);

    let traces = crate::privacy::Traces {
        user_ids: vec![user_id.clone()],
        profile_ids: vec![profile.clone()],
        threads_user_ids: vec![],
    };
    thredops::privacy::purge::delete_account(
        &app.state,
        &thredops::domain::UserId::from(user_id.as_str()),
        thredops::privacy::purge::Source::Account,
    )
    .await
    .unwrap();
    let left = crate::privacy::remaining_traces(&app, &traces).await;
    assert!(left.is_empty(), "{left:?}");
    for table in [
        "webhook_endpoints",
        "webhook_events",
        "webhook_deliveries",
        "webhook_attempts",
    ] {
        let sql = format!("SELECT count(*) FROM {table}");
        let n: i64 = thredops::with_pool!(app.state.store, |p| sqlx::query_scalar(
            sqlx::AssertSqlSafe(sql.clone())
        )
        .fetch_one(p)
        .await)
        .unwrap();
        assert_eq!(n, 0, "{table} purged");
    }
}

// Only public hosts unless the deployment allows others: a webhook cannot be aimed at the
// server's own network.
#[tokio::test]
async fn private_addresses_are_refused_without_the_setting_sqlite() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |raw| {
        raw.set("webhooks_private_hosts", "false")
    })
    .await
    .unwrap();
    private_addresses_are_refused_without_the_setting(app).await;
}

#[tokio::test]
async fn private_addresses_are_refused_without_the_setting_postgres() {
    let spawned = TestApp::spawn_with(crate::helpers::Backend::Postgres, |raw| {
        raw.set("webhooks_private_hosts", "false")
    })
    .await;
    match spawned {
        Some(app) => private_addresses_are_refused_without_the_setting(app).await,
        None => eprintln!("skipped on PostgreSQL: THREDOPS_TEST_DATABASE_URL is not set"),
    }
}

async fn private_addresses_are_refused_without_the_setting(app: TestApp) {
    app.signup("private@example.com", PASSWORD).await;
    let receiver = Receiver::start().await;
    for url in [
        receiver.url.clone(),
        "http://10.1.2.3/hook".to_owned(),
        "http://169.254.169.254/latest/meta-data".to_owned(),
        "http://[::1]:8080/hook".to_owned(),
    ] {
        let r = app
            .post_json(
                "/api/v1/webhooks",
                &json!({"url": url, "events": ["post.published"]}),
            )
            .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{url}");
        let e: Value = r.json().await.unwrap();
        assert!(
            e["error"]["fields"]["url"]
                .as_str()
                .unwrap()
                .contains("private network"),
            "{e}"
        );
    }
    // A name that resolves to a private address is refused when sending: the attempt says so
    // and nothing reaches the receiver.
    let port = receiver.url.split(':').nth(2).unwrap().to_owned();
    let created = add(
        &app,
        &format!("http://localhost:{port}"),
        &["post.published"],
    )
    .await;
    let id = created["id"].as_str().unwrap();
    ping(&app, id).await;
    let first = wait_attempts(&app, id, 1).await;
    assert!(
        first["last_error"]
            .as_str()
            .unwrap()
            .contains("private network"),
        "{first}"
    );
    assert!(receiver.got().is_empty());
    let list: Value = app.get("/api/v1/webhooks").await.json().await.unwrap();
    assert_eq!(list["endpoints"].as_array().unwrap().len(), 1);
}
