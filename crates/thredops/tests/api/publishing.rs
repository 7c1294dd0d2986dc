//! Publishing black-box tests against the in-process sandbox: every post kind published exactly
//! once with its fields, preflight, waiting for processing, failures, quota, crash recovery,
//! two runners, time zones, media hosting and isolation between users.

mod bench;
mod bulk;
mod calendar;
mod composer;
mod evergreen;
mod feeds;
mod followups;
mod pages;
mod recovery;
mod recurring;
mod rules;
mod suggest;
pub mod support;
mod timing;
mod uploads;

use serde_json::json;
use thredops::publishing::publisher::KIND;

use crate::connect::{run_due_now, sandbox, truth};
use crate::helpers::TestApp;
use crate::on_both_backends;
use support::*;

on_both_backends!(
    every_post_kind_is_published_once_with_its_fields,
    a_container_still_processing_waits_then_publishes,
    a_processing_error_fails_with_the_reason_and_can_be_retried,
    an_exhausted_quota_defers_with_an_explanation,
    posts_due_together_never_exceed_the_quota_left,
);

async fn every_post_kind_is_published_once_with_its_fields(app: TestApp) {
    let (profile, user_id) = setup(&app, "kinds").await;
    let quoted = truth(&app, user_id).await["posts"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let image = upload_png(&app, "cat.png", 800, 600).await;
    let (a, b) = (
        upload_png(&app, "a.png", 640, 640).await,
        upload_png(&app, "b.png", 640, 640).await,
    );
    let posts = [
        json!({"parts": [{"text": "Plain text with a link preview", "link_attachment": "https://example.com/read"}], "topic_tag": "Rustaceans", "reply_control": "followers_only"}),
        json!({"parts": [{"text": "Tea or coffee?", "poll_options": ["Tea", "Coffee"]}]}),
        json!({"parts": [{"text": "Quoting myself"}], "quote_post_id": quoted}),
        json!({"parts": [{"text": "A cat", "media": [{"id": image, "alt_text": "A grey cat asleep"}]}]}),
        json!({"parts": [{"text": "Two squares", "media": [{"id": a}, {"id": b}]}]}),
        json!({"parts": [{"text": "Chain 1/3"}, {"text": "Chain 2/3"}, {"text": "Chain 3/3"}]}),
    ];
    let mut ids = Vec::new();
    for content in &posts {
        ids.push(
            schedule_now(&app, &profile, content).await["id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    publish_everything(&app).await;
    let t = truth(&app, user_id).await;
    let top = |text: &str| once(&t["posts"], text);
    let link = top("Plain text with a link preview");
    assert_eq!(link["topic_tag"], "Rustaceans");
    assert_eq!(link["link_attachment_url"], "https://example.com/read");
    assert_eq!(
        top("Tea or coffee?")["poll_attachment"]["option_b"],
        "Coffee"
    );
    assert_eq!(top("Quoting myself")["quoted_post"]["id"], quoted.as_str());
    let cat = top("A cat");
    assert_eq!(cat["media_type"], "IMAGE");
    let read = read_media(&app, user_id, cat["id"].as_str().unwrap()).await;
    assert_eq!(read["alt_text"], "A grey cat asleep");
    assert!(
        read["media_url"]
            .as_str()
            .unwrap()
            .starts_with(&format!("{}/media/", app.address))
    );
    let carousel = top("Two squares");
    assert_eq!(carousel["media_type"], "CAROUSEL_ALBUM");
    assert_eq!(carousel["children"]["data"].as_array().unwrap().len(), 2);
    let root = top("Chain 1/3");
    let second = once(&t["replies"], "Chain 2/3");
    let third = once(&t["replies"], "Chain 3/3");
    assert_eq!(second["replied_to"]["id"], root["id"]);
    assert_eq!(third["replied_to"]["id"], second["id"]);
    for (id, content) in ids.iter().zip(&posts) {
        let p = get_post(&app, id).await;
        assert_eq!(p["state"], "published", "{content}: {p}");
        let text = content["parts"][0]["text"].as_str().unwrap();
        assert_eq!(p["media_id"], top(text)["id"]);
        assert_eq!(p["permalink"], top(text)["permalink"]);
        assert!(
            p["timeline"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["kind"] == "published")
        );
    }
}

async fn a_container_still_processing_waits_then_publishes(app: TestApp) {
    let (profile, user_id) = setup(&app, "waiter").await;
    let before = truth(&app, user_id).await["posts_count"].as_i64().unwrap();
    let img = upload_png(&app, "slow.png", 500, 500).await;
    let id = schedule_now(
        &app,
        &profile,
        &json!({"parts": [{"text": "Worth the wait", "media": [{"id": img}]}]}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    run_due_now(&app, KIND).await;
    let p = get_post(&app, &id).await;
    assert_eq!(p["state"], "container_created");
    assert!(p["media_id"].is_null() && p["permalink"].is_null());
    assert_eq!(
        truth(&app, user_id).await["posts_count"].as_i64().unwrap(),
        before,
        "nothing published before processing ends"
    );
    // Still processing after 2 simulated seconds: it keeps waiting.
    sandbox(&app)
        .clock()
        .advance(chrono::Duration::seconds(2))
        .unwrap();
    run_due_now(&app, KIND).await;
    assert_eq!(get_post(&app, &id).await["state"], "container_created");
    sandbox(&app)
        .clock()
        .advance(chrono::Duration::seconds(5))
        .unwrap();
    run_due_now(&app, KIND).await;
    let p = get_post(&app, &id).await;
    assert_eq!(p["state"], "published");
    let t = truth(&app, user_id).await;
    assert_eq!(t["posts_count"].as_i64().unwrap(), before + 1);
    assert_eq!(once(&t["posts"], "Worth the wait")["id"], p["media_id"]);
    let kinds: Vec<String> = p["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        kinds,
        ["created", "container_created", "ready", "published"]
    );
}

async fn a_processing_error_fails_with_the_reason_and_can_be_retried(app: TestApp) {
    let (profile, _) = setup(&app, "failer").await;
    let img = upload_png(&app, "fail.png", 500, 500).await;
    let id = schedule_now(
        &app,
        &profile,
        &json!({"parts": [{"text": "Doomed", "media": [{"id": img}]}]}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    publish_everything(&app).await;
    let p = get_post(&app, &id).await;
    assert_eq!(p["state"], "failed");
    let reason = p["failure"].as_str().unwrap();
    assert!(
        reason.contains("could not download") && reason.contains("FAILED_DOWNLOADING_VIDEO"),
        "{reason}"
    );
    assert!(
        p["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "failed" && e["message"] == reason)
    );
    // The failure is shown in the app until seen.
    let page = app.get("/app/schedule").await.text().await.unwrap();
    assert!(page.contains("1 post failed"), "failure banner");
    let retried = app
        .post_json(&format!("/api/v1/publishing/posts/{id}/retry"), &json!({}))
        .await;
    assert_eq!(retried.status(), 200);
    let again = app
        .post_json(&format!("/api/v1/publishing/posts/{id}/retry"), &json!({}))
        .await;
    assert_eq!(again.status(), 409, "only failed posts can be retried");
}

async fn an_exhausted_quota_defers_with_an_explanation(app: TestApp) {
    let (profile, user_id) = setup(&app, "busy").await;
    leave_quota(&app, &profile, user_id, 0).await;
    let before = truth(&app, user_id).await["posts_count"].as_i64().unwrap();
    let id = schedule_now(
        &app,
        &profile,
        &json!({"parts": [{"text": "One too many"}]}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    run_due_now(&app, KIND).await;
    assert_deferred(&get_post(&app, &id).await);
    assert_eq!(
        truth(&app, user_id).await["posts_count"].as_i64().unwrap(),
        before
    );
    // A day later the window has room again and the post goes out.
    sandbox(&app)
        .clock()
        .advance(chrono::Duration::hours(25))
        .unwrap();
    run_due_now(&app, KIND).await;
    assert_eq!(get_post(&app, &id).await["state"], "published");
    assert_eq!(
        truth(&app, user_id).await["posts_count"].as_i64().unwrap(),
        before + 1
    );
}

async fn posts_due_together_never_exceed_the_quota_left(app: TestApp) {
    let (profile, user_id) = setup(&app, "crowded").await;
    leave_quota(&app, &profile, user_id, 5).await;
    let before = truth(&app, user_id).await["posts_count"].as_i64().unwrap();
    let texts: Vec<String> = (0..8).map(|n| format!("Due together {n}")).collect();
    let mut ids = Vec::new();
    for text in &texts {
        let post = schedule_now(&app, &profile, &json!({"parts": [{"text": text}]})).await;
        ids.push(post["id"].as_str().unwrap().to_owned());
    }
    run_due_now(&app, KIND).await;
    let mut published = 0;
    for id in &ids {
        let p = get_post(&app, id).await;
        match p["state"].as_str().unwrap() {
            "published" => published += 1,
            "scheduled" => assert_deferred(&p),
            other => panic!("unexpected state {other}: {p}"),
        }
    }
    assert_eq!(published, 5, "exactly the quota left is used");
    assert_eq!(
        truth(&app, user_id).await["posts_count"].as_i64().unwrap(),
        before + 5
    );
    // A day later the window has room again and the three deferred posts go out, once each.
    sandbox(&app)
        .clock()
        .advance(chrono::Duration::hours(25))
        .unwrap();
    run_due_now(&app, KIND).await;
    let t = truth(&app, user_id).await;
    for (id, text) in ids.iter().zip(&texts) {
        assert_eq!(get_post(&app, id).await["state"], "published");
        once(&t["posts"], text);
    }
}
