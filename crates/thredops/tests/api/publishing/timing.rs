//! Time: local times across DST changes and timezone changes, posting slots, reschedule,
//! cancel and duplicate.

use serde_json::{Value, json};
use thredops::publishing::publisher::KIND;
use thredops::with_pool;

use super::support::{get_post, schedule_tomorrow, setup};
use crate::connect::run_due_now;
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    nine_local_stays_nine_local_across_dst_and_timezone_changes,
    slots_queue_posts_and_posts_can_be_rescheduled_cancelled_and_duplicated,
    a_post_goes_out_at_its_time_and_never_before,
    changing_the_time_zone_retimes_planned_posts_at_once,
);

async fn set_zone(app: &TestApp, zone: &str) {
    with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE users SET timezone = $1"
    )
    .bind(zone)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
}

async fn draft(app: &TestApp, profile: &str, text: &str) -> String {
    let r = app
        .post_json(
            "/api/v1/publishing/posts",
            &json!({"profile_id": profile, "content": {"parts": [{"text": text}]}}),
        )
        .await;
    assert_eq!(r.status(), 201);
    r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

async fn schedule(app: &TestApp, id: &str, body: Value) -> Value {
    let r = app
        .post_json(&format!("/api/v1/publishing/posts/{id}/schedule"), &body)
        .await;
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{v}");
    v
}

async fn at(app: &TestApp, id: &str, local: &str) -> i64 {
    schedule(app, id, json!({"action": "schedule", "local_time": local})).await["scheduled_at"]
        .as_i64()
        .unwrap()
}

fn utc(s: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().timestamp()
}

async fn nine_local_stays_nine_local_across_dst_and_timezone_changes(app: TestApp) {
    let (profile, _) = setup(&app, "zones").await;
    set_zone(&app, "Europe/Berlin").await;
    let id = draft(&app, &profile, "Guten Morgen").await;
    // Clocks go forward on 28 March 2027: 09:00 is 08:00 UTC before and 07:00 UTC after.
    assert_eq!(
        at(&app, &id, "2027-03-27T09:00").await,
        utc("2027-03-27T08:00:00Z")
    );
    assert_eq!(
        at(&app, &id, "2027-03-29T09:00").await,
        utc("2027-03-29T07:00:00Z")
    );
    // 02:30 does not exist that night: it becomes 03:30 CEST.
    assert_eq!(
        at(&app, &id, "2027-03-28T02:30").await,
        utc("2027-03-28T01:30:00Z")
    );
    // Clocks go back on 31 October 2027: 02:30 happens twice; the first (CEST) is used.
    assert_eq!(
        at(&app, &id, "2027-10-31T02:30").await,
        utc("2027-10-31T00:30:00Z")
    );
    let p = schedule(
        &app,
        &id,
        json!({"action": "schedule", "local_time": "2027-11-02T09:00"}),
    )
    .await;
    assert_eq!(
        (p["local_time"].as_str(), p["timezone"].as_str()),
        (Some("2027-11-02T09:00"), Some("Europe/Berlin"))
    );
    assert!(
        p["scheduled_display"]
            .as_str()
            .unwrap()
            .contains("09:00 CET"),
        "{p}"
    );
    // The user moves to New York: the post keeps 09:00 local, now New York's (still on EDT).
    set_zone(&app, "America/New_York").await;
    run_due_now(&app, KIND).await;
    let moved = get_post(&app, &id).await;
    assert_eq!(
        moved["scheduled_at"].as_i64().unwrap(),
        utc("2027-11-02T13:00:00Z"),
        "{moved}"
    );
    assert_eq!(moved["state"], "scheduled", "retimed, not published");
    assert!(
        moved["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "retimed")
    );
    // Past times are refused with the reason.
    let r = app
        .post_json(
            &format!("/api/v1/publishing/posts/{id}/schedule"),
            &json!({"action": "schedule", "local_time": "2020-01-01T09:00"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["fields"]["local_time"]
            .as_str()
            .unwrap()
            .contains("in the past")
    );
}

async fn slots_queue_posts_and_posts_can_be_rescheduled_cancelled_and_duplicated(app: TestApp) {
    let (profile, _) = setup(&app, "slots").await;
    let slots_url = format!("/api/v1/publishing/profiles/{profile}/slots");
    let id = draft(&app, &profile, "Queued").await;
    let r = app
        .post_json(
            &format!("/api/v1/publishing/posts/{id}/schedule"),
            &json!({"action": "queue"}),
        )
        .await;
    assert_eq!(r.status(), 422, "no slots yet");
    let bad = app
        .client
        .put(app.url(&slots_url))
        .json(&json!([{"day": "Funday", "time": "09:00"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let week: Vec<Value> = ["mon", "tue", "wed", "thu", "fri"]
        .iter()
        .flat_map(|d| {
            [
                json!({"day": d, "time": "09:00"}),
                json!({"day": d, "time": "17:30"}),
            ]
        })
        .collect();
    let set: Value = app
        .client
        .put(app.url(&slots_url))
        .json(&week)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(set.as_array().unwrap().len(), 10);
    assert_eq!(set[1], json!({"day": "Mon", "time": "17:30"}));
    let first = schedule(&app, &id, json!({"action": "queue"})).await;
    let second_id = draft(&app, &profile, "Queued too").await;
    let second = schedule(&app, &second_id, json!({"action": "queue"})).await;
    let (a, b) = (
        first["scheduled_at"].as_i64().unwrap(),
        second["scheduled_at"].as_i64().unwrap(),
    );
    assert!(b > a, "the second post takes the next free slot");
    for p in [&first, &second] {
        let local = p["local_time"].as_str().unwrap();
        assert!(
            local.ends_with("09:00") || local.ends_with("17:30"),
            "{local}"
        );
        let day = chrono::NaiveDateTime::parse_from_str(local, "%Y-%m-%dT%H:%M").unwrap();
        assert!(
            chrono::Datelike::weekday(&day).num_days_from_monday() < 5,
            "weekdays only"
        );
    }
    // Duplicate makes an unscheduled copy with the same content; cancel keeps the post listed.
    let copy: Value = app
        .post_json(
            &format!("/api/v1/publishing/posts/{id}/duplicate"),
            &json!({}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (
            copy["state"].as_str(),
            copy["content"]["parts"][0]["text"].as_str()
        ),
        (Some("draft"), Some("Queued"))
    );
    let cancelled: Value = app
        .post_json(&format!("/api/v1/publishing/posts/{id}/cancel"), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(cancelled["state"], "cancelled");
    run_due_now(&app, KIND).await;
    assert_eq!(
        get_post(&app, &id).await["state"],
        "cancelled",
        "a cancelled post is never published"
    );
    let listed: Vec<Value> = app
        .get("/api/v1/publishing/posts")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 3);
    let deleted = app
        .client
        .delete(app.url(&format!("/api/v1/publishing/posts/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), 204);
    let busy = app
        .client
        .delete(app.url(&format!("/api/v1/publishing/posts/{second_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        busy.status(),
        409,
        "scheduled posts are cancelled before deletion"
    );
}

async fn a_post_goes_out_at_its_time_and_never_before(app: TestApp) {
    let (profile, _) = setup(&app, "punctual").await;
    // A run forced long before its time does nothing and comes back shortly before it.
    let later = schedule_tomorrow(&app, &profile, &json!({"parts": [{"text": "Tomorrow"}]})).await;
    let later_id = later["id"].as_str().unwrap();
    run_due_now(&app, KIND).await;
    assert_eq!(get_post(&app, later_id).await["state"], "scheduled");
    let run_at: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT run_at FROM jobs WHERE kind = $1 AND state = 'queued'"
    )
    .bind(KIND)
    .fetch_one(p)
    .await)
    .unwrap();
    let due_ms = later["scheduled_at"].as_i64().unwrap() * 1000;
    assert!(
        (due_ms - 6_000..due_ms).contains(&run_at),
        "the run starts a few seconds early: {run_at} for {due_ms}"
    );
    // A post due at the next full minute (at least 8 s away) goes out within moments of it.
    let now = thredops::clock::now();
    let mut due = now + chrono::Duration::seconds(60 - i64::from(chrono::Timelike::second(&now)));
    if due - now < chrono::Duration::seconds(8) {
        due += chrono::Duration::minutes(1);
    }
    let local = due.format("%Y-%m-%dT%H:%M").to_string();
    let r = app
        .post_json("/api/v1/publishing/posts", &json!({"profile_id": profile, "content": {"parts": [{"text": "On the minute"}]}, "action": "schedule", "local_time": local}))
        .await;
    assert_eq!(r.status(), 201);
    let id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        let p = get_post(&app, &id).await;
        if p["state"] == "published" {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "not published: {p}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let at_ms: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT at_ms FROM publish_events WHERE post_id = $1 AND kind = 'published'"
    )
    .bind(&id)
    .fetch_one(p)
    .await)
    .unwrap();
    let late = at_ms - due.timestamp() * 1000;
    assert!(
        (0..3_000).contains(&late),
        "published {late} ms after its time"
    );
}

/// Kolkata (UTC+5:30) to Kathmandu (UTC+5:45): 09:00 local comes 15 minutes sooner. The post
/// moves when the zone changes, shows its new time at once and says so in its ledger, and its
/// new run is due at the new time (no job had to run for any of it).
async fn changing_the_time_zone_retimes_planned_posts_at_once(app: TestApp) {
    let (profile, _) = setup(&app, "nomad").await;
    set_zone(&app, "Asia/Kolkata").await;
    let id = draft(&app, &profile, "Namaste").await;
    let p = schedule(
        &app,
        &id,
        json!({"action": "schedule", "local_time": "2027-11-02T09:00"}),
    )
    .await;
    assert_eq!(
        p["scheduled_at"].as_i64().unwrap(),
        utc("2027-11-02T03:30:00Z")
    );
    let r = app
        .client
        .put(app.url("/api/v1/me/timezone"))
        .json(&json!({"timezone": "Asia/Kathmandu"}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let moved = get_post(&app, &id).await;
    assert_eq!(
        moved["scheduled_at"].as_i64().unwrap(),
        utc("2027-11-02T03:15:00Z"),
        "{moved}"
    );
    assert_eq!(moved["timezone"], "Asia/Kathmandu");
    assert!(
        moved["scheduled_display"]
            .as_str()
            .unwrap()
            .contains("09:00"),
        "{moved}"
    );
    let note = moved["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "retimed")
        .expect("the move is in the ledger");
    assert!(
        note["message"].as_str().unwrap().contains("Asia/Kathmandu"),
        "{note}"
    );
    let run_at: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT MIN(run_at) FROM jobs WHERE kind = $1 AND state = 'queued'"
    )
    .bind(KIND)
    .fetch_one(p)
    .await)
    .unwrap();
    assert!(
        run_at <= utc("2027-11-02T03:15:00Z") * 1000,
        "a run is due by the new time: {run_at}"
    );
}
