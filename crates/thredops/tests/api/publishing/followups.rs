//! First replies and auto-plugs: planned once when their post is published, published under it
//! through the same publisher, and never twice.

use chrono::{TimeZone, Utc};
use serde_json::{Value, json};
use threads_api::{ContainerBuilder, Created, MediaId};
use thredops::publishing::followups::CHECK;
use thredops::publishing::publisher::KIND;
use thredops::with_pool;

use super::support::*;
use crate::connect::{run_due_now, sandbox, truth};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    a_first_reply_lands_at_the_right_instant_across_the_spring_dst_change_and_is_published_under_its_post,
    an_auto_plug_fires_once_when_its_post_passes_the_threshold,
    an_auto_plug_below_its_threshold_is_not_sent_and_says_how_far_it_got,
    a_checker_that_dies_after_claiming_a_post_leaves_it_to_the_next_within_minutes,
    a_spent_reply_quota_defers_a_first_reply_with_the_reason_then_publishes_it_once,
    a_post_recovered_after_a_crash_gets_its_first_reply_once,
    the_profile_default_auto_plug_applies_unless_a_post_opts_out,
    wrong_follow_up_fields_are_named,
    the_schedule_page_sets_the_default_auto_plug_and_names_a_wrong_field,
);

async fn set_zone(app: &TestApp, zone: &str) {
    let r = app
        .client
        .put(app.url("/api/v1/me/timezone"))
        .json(&json!({"timezone": zone}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

async fn posts_count(app: &TestApp) -> i64 {
    with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT count(*) FROM scheduled_posts"
    )
    .fetch_one(p)
    .await)
    .unwrap()
}

async fn replied_to(app: &TestApp, user_id: u64, media_id: &str) -> Option<String> {
    sandbox_session(app, user_id)
        .media(&MediaId::new(media_id))
        .await
        .unwrap()
        .replied_to
        .map(|r| r.id.as_str().to_owned())
}

async fn plant(app: &TestApp, media_id: &str, likes: u64, views: u64) {
    let r = app
        .post_json(
            "/sandbox/_sandbox/metrics",
            &json!({"media_id": media_id, "likes": likes, "views": views}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
}

fn advance(app: &TestApp, minutes: i64) {
    sandbox(app)
        .clock()
        .advance(chrono::Duration::minutes(minutes))
        .unwrap();
}

/// Publishes a post now and returns it as the API shows it afterwards.
async fn publish_now(app: &TestApp, profile: &str, content: &Value) -> Value {
    let id = id_of(&schedule_now(app, profile, content).await);
    run_due_now(app, KIND).await;
    let p = get_post(app, &id).await;
    assert_eq!(p["state"], "published", "{p}");
    p
}

async fn a_first_reply_lands_at_the_right_instant_across_the_spring_dst_change_and_is_published_under_its_post(
    app: TestApp,
) {
    // 01:30 in Berlin on the last Sunday of March 2027 (00:30 UTC); clocks go forward at 02:00.
    let start = Utc.with_ymd_and_hms(2027, 3, 28, 0, 20, 0).unwrap();
    sandbox(&app).clock().set(start).unwrap();
    let (profile, user_id) = setup(&app, "firsts").await;
    set_zone(&app, "Europe/Berlin").await;
    let content = json!({"parts": [{"text": "Launch day"}],
        "first_reply": {"text": "Everything you need is here: https://example.com", "delay_minutes": 60}});
    let id = id_of(&schedule_tomorrow(&app, &profile, &content).await);
    assert_eq!(
        get_post(&app, &id).await["content"]["first_reply"]["delay_minutes"],
        60
    );
    sandbox(&app)
        .clock()
        .set(Utc.with_ymd_and_hms(2027, 3, 28, 0, 30, 0).unwrap())
        .unwrap();
    make_due_now(&app, &id).await;
    run_due_now(&app, KIND).await;
    let parent = get_post(&app, &id).await;
    assert_eq!(parent["state"], "published", "{parent}");
    let media_id = parent["media_id"].as_str().unwrap().to_owned();
    let follow_ups = parent["follow_ups"].as_array().unwrap();
    assert_eq!(follow_ups.len(), 1, "{parent}");
    assert_eq!(follow_ups[0]["kind"], "first_reply");
    let child_id = follow_ups[0]["post_id"].as_str().unwrap().to_owned();
    let child = get_post(&app, &child_id).await;
    assert_eq!(child["state"], "scheduled", "{child}");
    // 60 minutes after 00:30 UTC is 01:30 UTC: 03:30 summer time, not 02:30 (which never happens).
    let due = Utc
        .with_ymd_and_hms(2027, 3, 28, 1, 30, 0)
        .unwrap()
        .timestamp();
    assert_eq!(child["scheduled_at"], due, "{child}");
    assert_eq!(child["local_time"], "2027-03-28T03:30");
    assert_eq!(child["timezone"], "Europe/Berlin");
    assert_eq!(child["content"]["reply_to_id"], media_id.as_str());
    assert_eq!(child["follow_up_of"]["parent_post_id"], id.as_str());
    assert_eq!(
        child["follow_up_of"]["label"],
        "First reply to \u{201c}Launch day\u{201d}"
    );
    let page = app
        .get(&format!("/app/schedule/posts/{child_id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("First reply to"), "{page}");
    // Its time comes: it is published under the post, once.
    make_due_now(&app, &child_id).await;
    run_due_now(&app, KIND).await;
    let child = get_post(&app, &child_id).await;
    assert_eq!(child["state"], "published", "{child}");
    let t = truth(&app, user_id).await;
    let reply = once(
        &t["replies"],
        "Everything you need is here: https://example.com",
    );
    let reply_id = reply["id"].as_str().unwrap();
    assert_eq!(
        replied_to(&app, user_id, reply_id).await.as_deref(),
        Some(media_id.as_str())
    );
    // Running everything again changes nothing.
    run_due_now(&app, KIND).await;
    assert_eq!(posts_count(&app).await, 2);
}

fn auto_plug(threshold: i64, text: &str) -> Value {
    json!({"metric": "likes", "threshold": threshold, "window_hours": 24, "text": text})
}

async fn an_auto_plug_fires_once_when_its_post_passes_the_threshold(app: TestApp) {
    let (profile, user_id) = setup(&app, "plugger").await;
    let text = "Liked this? The newsletter: https://example.com/news";
    let parent = publish_now(
        &app,
        &profile,
        &json!({"parts": [{"text": "A post that will do well"}], "auto_plug": auto_plug(1000, text)}),
    )
    .await;
    let id = id_of(&parent);
    let media_id = parent["media_id"].as_str().unwrap().to_owned();
    assert_eq!(parent["follow_ups"][0]["state"], "watching", "{parent}");
    // Not due yet: nothing is asked and nothing is sent.
    plant(&app, &media_id, 1204, 9000).await;
    run_due_now(&app, CHECK).await;
    assert_eq!(
        get_post(&app, &id).await["follow_ups"][0]["state"],
        "watching"
    );
    advance(&app, 16);
    run_due_now(&app, CHECK).await;
    let p = get_post(&app, &id).await;
    let plug = &p["follow_ups"][0];
    assert_eq!(plug["state"], "sent", "{p}");
    assert_eq!(plug["summary"], "Auto-plug sent at 1,204 likes.");
    let child_id = plug["post_id"].as_str().unwrap().to_owned();
    let page = app
        .get(&format!("/app/schedule/posts/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Auto-plug sent at 1,204 likes."), "{page}");
    run_due_now(&app, KIND).await;
    assert_eq!(get_post(&app, &child_id).await["state"], "published");
    // Later checks never plug again.
    plant(&app, &media_id, 5000, 20000).await;
    for _ in 0..2 {
        advance(&app, 16);
        run_due_now(&app, CHECK).await;
    }
    run_due_now(&app, KIND).await;
    assert_eq!(posts_count(&app).await, 2);
    let t = truth(&app, user_id).await;
    let reply = once(&t["replies"], text)["id"].as_str().unwrap().to_owned();
    assert_eq!(
        replied_to(&app, user_id, &reply).await.as_deref(),
        Some(media_id.as_str())
    );
}

async fn an_auto_plug_below_its_threshold_is_not_sent_and_says_how_far_it_got(app: TestApp) {
    let (profile, user_id) = setup(&app, "quietpost").await;
    let text = "This plug should never appear";
    let parent = publish_now(
        &app,
        &profile,
        &json!({"parts": [{"text": "A quiet post"}], "auto_plug": auto_plug(1000, text)}),
    )
    .await;
    let id = id_of(&parent);
    plant(&app, parent["media_id"].as_str().unwrap(), 312, 4000).await;
    advance(&app, 16);
    run_due_now(&app, CHECK).await;
    let p = get_post(&app, &id).await;
    assert_eq!(p["follow_ups"][0]["state"], "watching", "{p}");
    assert_eq!(p["follow_ups"][0]["value"], 312);
    advance(&app, 25 * 60);
    run_due_now(&app, CHECK).await;
    let p = get_post(&app, &id).await;
    assert_eq!(p["follow_ups"][0]["state"], "missed", "{p}");
    assert_eq!(
        p["follow_ups"][0]["summary"],
        "Auto-plug not sent: 312 of 1,000 likes in 24 h."
    );
    advance(&app, 16);
    run_due_now(&app, CHECK).await;
    assert_eq!(posts_count(&app).await, 1);
    let t = truth(&app, user_id).await;
    assert!(
        !t["replies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["text"] == text)
    );
}

/// A look below the threshold waits a whole check interval before the next, but a checker killed
/// between claiming a post and deciding holds it only briefly: the plug goes out minutes later,
/// once.
async fn a_checker_that_dies_after_claiming_a_post_leaves_it_to_the_next_within_minutes(
    app: TestApp,
) {
    let (profile, user_id) = setup(&app, "claimed").await;
    let text = "Plugged after a crashed check";
    let parent = publish_now(
        &app,
        &profile,
        &json!({"parts": [{"text": "A post whose check crashes"}], "auto_plug": auto_plug(1000, text)}),
    )
    .await;
    let id = id_of(&parent);
    let media_id = parent["media_id"].as_str().unwrap().to_owned();
    plant(&app, &media_id, 400, 3000).await;
    advance(&app, 16);
    run_due_now(&app, CHECK).await;
    assert_eq!(get_post(&app, &id).await["follow_ups"][0]["value"], 400);
    // Below the threshold: the next look is a check interval away, not a claim's hold.
    plant(&app, &media_id, 1500, 9000).await;
    advance(&app, 3);
    run_due_now(&app, CHECK).await;
    assert_eq!(
        get_post(&app, &id).await["follow_ups"][0]["state"],
        "watching"
    );
    // A checker claims the post at its next look and dies before deciding.
    advance(&app, 13);
    let now = app.state.threads.now().timestamp();
    let claimed = app
        .state
        .store
        .claim_due_autoplugs(now, now + 120, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    run_due_now(&app, CHECK).await;
    assert_eq!(
        get_post(&app, &id).await["follow_ups"][0]["state"],
        "watching",
        "held by the dead checker's claim"
    );
    advance(&app, 3);
    run_due_now(&app, CHECK).await;
    let p = get_post(&app, &id).await;
    assert_eq!(p["follow_ups"][0]["state"], "sent", "{p}");
    run_due_now(&app, KIND).await;
    let t = truth(&app, user_id).await;
    once(&t["replies"], text);
}

async fn a_spent_reply_quota_defers_a_first_reply_with_the_reason_then_publishes_it_once(
    app: TestApp,
) {
    let (profile, user_id) = setup(&app, "chatty").await;
    let parent = publish_now(
        &app,
        &profile,
        &json!({"parts": [{"text": "Ask me anything"}],
            "first_reply": {"text": "Answers below", "delay_minutes": 30}}),
    )
    .await;
    let media_id = parent["media_id"].as_str().unwrap().to_owned();
    let child_id = parent["follow_ups"][0]["post_id"]
        .as_str()
        .unwrap()
        .to_owned();
    // Other replies use up the profile's 1,000 replies of the last 24 hours.
    let session = sandbox_session(&app, user_id);
    let mut spent = false;
    for n in 0..=1000 {
        let c = ContainerBuilder::text(format!("Reply {n}"))
            .reply_to(MediaId::new(media_id.clone()))
            .build()
            .unwrap();
        let Created::Container(c) = session.create_container(&c).await.unwrap() else {
            panic!("published at once");
        };
        if session.publish(&c).await.is_err() {
            spent = true;
            break;
        }
    }
    assert!(spent, "the reply quota was never reached");
    make_due_now(&app, &child_id).await;
    run_due_now(&app, KIND).await;
    let child = get_post(&app, &child_id).await;
    assert!(
        child["state"] == "scheduled" || child["state"] == "ready",
        "{child}"
    );
    assert!(
        child["note"]
            .as_str()
            .unwrap_or_default()
            .contains("1,000 replies"),
        "{child}"
    );
    assert!(
        child["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "deferred"),
        "{child}"
    );
    // A day later the quota has room again and it goes out, once.
    advance(&app, 25 * 60);
    run_due_now(&app, KIND).await;
    assert_eq!(get_post(&app, &child_id).await["state"], "published");
    let t = truth(&app, user_id).await;
    once(&t["replies"], "Answers below");
}

/// A worker published the post and died before recording it: the run that takes over adopts
/// the post from Threads and plans its first reply then, once, however often it runs again.
async fn a_post_recovered_after_a_crash_gets_its_first_reply_once(app: TestApp) {
    let (profile, user_id) = setup(&app, "phoenix").await;
    let session = sandbox_session(&app, user_id);
    let content = json!({"parts": [{"text": "Back from the dead"}],
        "first_reply": {"text": "And here is why", "delay_minutes": 5}});
    let id = id_of(&schedule_tomorrow(&app, &profile, &content).await);
    let Created::Container(container) = session
        .create_container(
            &ContainerBuilder::text("Back from the dead")
                .build()
                .unwrap(),
        )
        .await
        .unwrap()
    else {
        panic!("published at once");
    };
    let progress = json!({"parts": [{"children": [], "container_id": container.as_str(),
        "publish_started": sandbox(&app).clock().now_ts(), "media_id": null, "permalink": null}]});
    with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE scheduled_posts SET progress = $1, state = 'ready', version = version + 1 WHERE id = $2"
    )
    .bind(progress.to_string())
    .bind(&id)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let published = session.publish(&container).await.unwrap();
    make_due_now(&app, &id).await;
    run_due_now(&app, KIND).await;
    let p = get_post(&app, &id).await;
    assert_eq!(p["state"], "published", "{p}");
    assert_eq!(p["media_id"], published.as_str());
    // A second instance and the sweep go over it again: still one first reply.
    let _second = start_second_runner(&app);
    make_due_now(&app, &id).await;
    run_due_now(&app, KIND).await;
    run_due_now(&app, thredops::publishing::SWEEP).await;
    let p = get_post(&app, &id).await;
    assert_eq!(p["follow_ups"].as_array().unwrap().len(), 1, "{p}");
    assert_eq!(posts_count(&app).await, 2);
    let child_id = p["follow_ups"][0]["post_id"].as_str().unwrap().to_owned();
    make_due_now(&app, &child_id).await;
    run_due_now(&app, KIND).await;
    assert_eq!(get_post(&app, &child_id).await["state"], "published");
    once(&truth(&app, user_id).await["replies"], "And here is why");
    once(&truth(&app, user_id).await["posts"], "Back from the dead");
}

async fn the_profile_default_auto_plug_applies_unless_a_post_opts_out(app: TestApp) {
    let (profile, _) = setup(&app, "defaults").await;
    let path = format!("/api/v1/publishing/profiles/{profile}/auto-plug");
    let r = app
        .client
        .put(app.url(&path))
        .json(&auto_plug(0, "My course: https://example.com/course"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert!(body.to_string().contains("threshold"), "{body}");
    let rule = auto_plug(500, "My course: https://example.com/course");
    let r = app
        .client
        .put(app.url(&path))
        .json(&rule)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let stored: Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(stored, rule);
    let with = publish_now(
        &app,
        &profile,
        &json!({"parts": [{"text": "Gets the default"}]}),
    )
    .await;
    assert_eq!(with["follow_ups"][0]["kind"], "auto_plug", "{with}");
    assert!(
        with["follow_ups"][0]["summary"]
            .as_str()
            .unwrap()
            .contains("500 likes")
    );
    let without = publish_now(
        &app,
        &profile,
        &json!({"parts": [{"text": "Opts out"}], "no_auto_plug": true}),
    )
    .await;
    assert_eq!(without["follow_ups"], json!([]), "{without}");
    let r = app
        .client
        .put(app.url(&path))
        .json(&Value::Null)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        app.get(&path).await.json::<Value>().await.unwrap(),
        Value::Null
    );
}

async fn wrong_follow_up_fields_are_named(app: TestApp) {
    let (profile, _) = setup(&app, "typos").await;
    let r = app
        .post_json(
            "/api/v1/publishing/posts",
            &json!({"profile_id": profile, "action": "schedule", "local_time": now_local(),
                "content": {"parts": [{"text": "Fine"}],
                    "first_reply": {"text": "x".repeat(501), "delay_minutes": 20000},
                    "auto_plug": {"metric": "views", "threshold": 10, "window_hours": 500, "text": "Plug"}}}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    let fields = body.to_string();
    for field in [
        "first_reply.text",
        "first_reply.delay_minutes",
        "auto_plug.window_hours",
    ] {
        assert!(fields.contains(field), "{field} in {body}");
    }
    assert_eq!(posts_count(&app).await, 0);
}

async fn the_schedule_page_sets_the_default_auto_plug_and_names_a_wrong_field(app: TestApp) {
    let (profile, _) = setup(&app, "pageplug").await;
    let page = app.get("/app/schedule").await.text().await.unwrap();
    assert!(page.contains("Default auto-plug for @pageplug"), "{page}");
    let csrf = crate::connect::csrf_in(&page);
    let url = app.url(&format!("/app/schedule/auto-plug/{profile}"));
    let text = "Join the list: https://example.com/list";
    let r = app
        .client
        .post(&url)
        .form(&[
            ("csrf", csrf.as_str()),
            ("text", text),
            ("metric", "views"),
            ("threshold", "lots"),
            ("window", "48"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Choose how many views to wait for"), "{html}");
    assert!(
        html.contains("lots") && html.contains("Join the list"),
        "input kept"
    );
    let path = format!("/api/v1/publishing/profiles/{profile}/auto-plug");
    assert_eq!(
        app.get(&path).await.json::<Value>().await.unwrap(),
        Value::Null
    );
    let r = app
        .client
        .post(&url)
        .form(&[
            ("csrf", csrf.as_str()),
            ("text", text),
            ("metric", "views"),
            ("threshold", "5,000"),
            ("window", "48"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.get(&path).await.json::<Value>().await.unwrap(),
        json!({"metric": "views", "threshold": 5000, "window_hours": 48, "text": text})
    );
}
