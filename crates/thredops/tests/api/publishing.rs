//! Publishing black-box tests against the in-process sandbox: every post kind published exactly
//! once with its fields, preflight, waiting for processing, failures, quota, crash recovery,
//! two runners, time zones, media hosting and isolation between users.

mod support;
mod timing;

use serde_json::{Value, json};
use thredops::publishing::publisher::KIND;

use crate::connect::{run_due_now, sandbox, truth};
use crate::helpers::TestApp;
use crate::on_both_backends;
use support::*;

on_both_backends!(
    every_post_kind_is_published_once_with_its_fields,
    preflight_rejects_each_rule_breach_in_plain_words,
    a_container_still_processing_waits_then_publishes,
    a_processing_error_fails_with_the_reason_and_can_be_retried,
    an_exhausted_quota_defers_with_an_explanation,
    a_worker_killed_after_publishing_never_publishes_twice,
    two_runner_instances_publish_each_post_once,
    media_urls_are_unguessable_and_expire_after_publication,
    other_users_posts_uploads_and_slots_are_not_found,
);

async fn every_post_kind_is_published_once_with_its_fields(app: TestApp) {
    let (profile, user_id) = setup(&app, "kinds").await;
    let quoted = truth(&app, user_id).await["posts"][0]["id"].as_str().unwrap().to_owned();
    let image = upload_png(&app, "cat.png", 800, 600).await;
    let (a, b) = (upload_png(&app, "a.png", 640, 640).await, upload_png(&app, "b.png", 640, 640).await);
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
        ids.push(schedule_now(&app, &profile, content).await["id"].as_str().unwrap().to_owned());
    }
    publish_everything(&app).await;
    let t = truth(&app, user_id).await;
    let top = |text: &str| once(&t["posts"], text);
    let link = top("Plain text with a link preview");
    assert_eq!(link["topic_tag"], "Rustaceans");
    assert_eq!(link["link_attachment_url"], "https://example.com/read");
    assert_eq!(top("Tea or coffee?")["poll_attachment"]["option_b"], "Coffee");
    assert_eq!(top("Quoting myself")["quoted_post"]["id"], quoted.as_str());
    let cat = top("A cat");
    assert_eq!(cat["media_type"], "IMAGE");
    let read = read_media(&app, user_id, cat["id"].as_str().unwrap()).await;
    assert_eq!(read["alt_text"], "A grey cat asleep");
    assert!(read["media_url"].as_str().unwrap().starts_with(&format!("{}/media/", app.address)));
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
        assert!(p["timeline"].as_array().unwrap().iter().any(|e| e["kind"] == "published"));
    }
}

async fn preflight_rejects_each_rule_breach_in_plain_words(app: TestApp) {
    let (profile, _) = setup(&app, "rules").await;
    let check = |content: Value| {
        let app = &app;
        async move { app.post_json("/api/v1/publishing/preflight", &content).await.json::<Value>().await.unwrap() }
    };
    let ok = check(json!({"parts": [{"text": "héllo 😀"}]})).await;
    assert_eq!((ok["ok"].clone(), ok["counts"][0]["length"].clone()), (json!(true), json!(10)));
    let cases = [
        (json!({"parts": [{"text": "a".repeat(501)}]}), "parts[0].text", "500 characters"),
        (json!({"parts": [{"text": "x".repeat(497) + "😀"}]}), "parts[0].text", "counts emoji"),
        (json!({"parts": [{"text": "https://a.io https://b.io https://c.io https://d.io https://e.io https://f.io"}]}), "parts[0].text", "at most 5 different links"),
        (json!({"parts": [{"text": "hi"}], "topic_tag": "R&D"}), "topic_tag", "cannot contain \"&\""),
        (json!({"parts": [{"text": "hi"}], "topic_tag": "v1.0"}), "topic_tag", "cannot contain \".\""),
        (json!({"parts": [{"text": "hi", "poll_options": ["one"]}]}), "parts[0].poll_options", "2 to 4 options"),
        (json!({"parts": [{"text": "hi", "poll_options": ["a", "b", "c", "d", "e"]}]}), "parts[0].poll_options", "2 to 4 options"),
        (json!({"parts": [{"text": "hi", "poll_options": ["a", "an option much longer than 25"]}]}), "parts[0].poll_options", "at most 25"),
        (json!({"parts": [{"text": "hi", "link_attachment": "not a url"}]}), "parts[0].link_attachment", "https://"),
        (json!({"parts": [{"text": "hi"}, {"text": "  "}]}), "parts[1].text", "Post 2 of the chain is empty"),
        (json!({"parts": [{"text": "hi", "media": [{"id": "nope"}]}]}), "parts[0].media[0]", "Upload the file again"),
        (json!({"parts": [{"text": "hi"}], "reply_control": "nobody"}), "reply_control", "Choose who can reply"),
        (json!({"parts": []}), "parts", "Write something"),
    ];
    for (content, field, words) in &cases {
        let r = check(content.clone()).await;
        assert_eq!(r["ok"], false, "{content}");
        let message = r["problems"][field].as_str().unwrap_or_else(|| panic!("{field} not in {r}"));
        assert!(message.contains(words), "{field}: {message}");
        let created = app
            .post_json("/api/v1/publishing/posts", &json!({"profile_id": profile, "content": content, "action": "schedule", "local_time": now_local()}))
            .await;
        assert_eq!(created.status(), 422);
        let body: Value = created.json().await.unwrap();
        assert!(body["error"]["fields"][field].is_string(), "{body}");
    }
    // A carousel of 21 and one of 1 item (1 is a single image, so only 21 breaks the rule).
    let img = upload_png(&app, "p.png", 400, 400).await;
    let many: Vec<Value> = (0..21).map(|_| json!({"id": img})).collect();
    let r = check(json!({"parts": [{"text": "album", "media": many}]})).await;
    assert!(r["problems"]["parts[0].media"].as_str().unwrap().contains("2 to 20"));
    let listed: Vec<Value> = app.get("/api/v1/publishing/posts").await.json().await.unwrap();
    assert!(listed.is_empty(), "nothing was scheduled: {listed:?}");
    // Uploads are checked for type and shape.
    let gif = app.client.post(app.url("/api/v1/publishing/media?filename=x.gif")).body(b"GIF89a....".to_vec()).send().await.unwrap();
    assert_eq!(gif.status(), 422);
    let thin = app.client.post(app.url("/api/v1/publishing/media?filename=thin.png")).body(png(1100, 100)).send().await.unwrap();
    let body: Value = thin.json().await.unwrap();
    assert!(body["error"]["fields"]["file"].as_str().unwrap().contains("10:1"), "{body}");
}

async fn a_container_still_processing_waits_then_publishes(app: TestApp) {
    let (profile, user_id) = setup(&app, "waiter").await;
    let before = truth(&app, user_id).await["posts_count"].as_i64().unwrap();
    let img = upload_png(&app, "slow.png", 500, 500).await;
    let id = schedule_now(&app, &profile, &json!({"parts": [{"text": "Worth the wait", "media": [{"id": img}]}]})).await["id"].as_str().unwrap().to_owned();
    run_due_now(&app, KIND).await;
    let p = get_post(&app, &id).await;
    assert_eq!(p["state"], "container_created");
    assert!(p["media_id"].is_null() && p["permalink"].is_null());
    assert_eq!(truth(&app, user_id).await["posts_count"].as_i64().unwrap(), before, "nothing published before processing ends");
    // Still processing after 2 simulated seconds: it keeps waiting.
    sandbox(&app).clock().advance(chrono::Duration::seconds(2)).unwrap();
    run_due_now(&app, KIND).await;
    assert_eq!(get_post(&app, &id).await["state"], "container_created");
    sandbox(&app).clock().advance(chrono::Duration::seconds(5)).unwrap();
    run_due_now(&app, KIND).await;
    let p = get_post(&app, &id).await;
    assert_eq!(p["state"], "published");
    let t = truth(&app, user_id).await;
    assert_eq!(t["posts_count"].as_i64().unwrap(), before + 1);
    assert_eq!(once(&t["posts"], "Worth the wait")["id"], p["media_id"]);
    let kinds: Vec<String> = p["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds, ["created", "container_created", "ready", "published"]);
}

async fn a_processing_error_fails_with_the_reason_and_can_be_retried(app: TestApp) {
    let (profile, _) = setup(&app, "failer").await;
    let img = upload_png(&app, "fail.png", 500, 500).await;
    let id = schedule_now(&app, &profile, &json!({"parts": [{"text": "Doomed", "media": [{"id": img}]}]})).await["id"].as_str().unwrap().to_owned();
    publish_everything(&app).await;
    let p = get_post(&app, &id).await;
    assert_eq!(p["state"], "failed");
    let reason = p["failure"].as_str().unwrap();
    assert!(reason.contains("could not download") && reason.contains("FAILED_DOWNLOADING_VIDEO"), "{reason}");
    assert!(p["timeline"].as_array().unwrap().iter().any(|e| e["kind"] == "failed" && e["message"] == reason));
    // The failure is shown in the app until seen.
    let page = app.get("/app/schedule").await.text().await.unwrap();
    assert!(page.contains("1 post failed"), "failure banner");
    let retried = app.post_json(&format!("/api/v1/publishing/posts/{id}/retry"), &json!({})).await;
    assert_eq!(retried.status(), 200);
    let again = app.post_json(&format!("/api/v1/publishing/posts/{id}/retry"), &json!({})).await;
    assert_eq!(again.status(), 409, "only failed posts can be retried");
}

async fn an_exhausted_quota_defers_with_an_explanation(app: TestApp) {
    let (profile, user_id) = setup(&app, "busy").await;
    let session = sandbox_session(&app, user_id);
    for n in 0..250 {
        auto_publish(&session, &format!("Filler {n}")).await;
    }
    let before = truth(&app, user_id).await["posts_count"].as_i64().unwrap();
    let quota: Value = app.get(&format!("/api/v1/publishing/profiles/{profile}/quota")).await.json().await.unwrap();
    assert_eq!(quota["posts_remaining"], 0);
    let id = schedule_now(&app, &profile, &json!({"parts": [{"text": "One too many"}]})).await["id"].as_str().unwrap().to_owned();
    run_due_now(&app, KIND).await;
    let p = get_post(&app, &id).await;
    assert_eq!(p["state"], "scheduled");
    assert!(p["note"].as_str().unwrap().contains("250 posts per 24 hours"), "{p}");
    assert_eq!(truth(&app, user_id).await["posts_count"].as_i64().unwrap(), before);
    // A day later the window has room again and the post goes out.
    sandbox(&app).clock().advance(chrono::Duration::hours(25)).unwrap();
    run_due_now(&app, KIND).await;
    assert_eq!(get_post(&app, &id).await["state"], "published");
    assert_eq!(truth(&app, user_id).await["posts_count"].as_i64().unwrap(), before + 1);
}

async fn a_worker_killed_after_publishing_never_publishes_twice(app: TestApp) {
    let (profile, user_id) = setup(&app, "crashy").await;
    let session = sandbox_session(&app, user_id);
    // 1. A media post: the worker stored the container, marked the publish call, published, and
    //    died before storing the media id.
    let img = upload_png(&app, "crash.png", 500, 500).await;
    let media_post = schedule_now(&app, &profile, &json!({"parts": [{"text": "Crash after publish", "media": [{"id": img}]}]})).await["id"].as_str().unwrap().to_owned();
    run_due_now(&app, KIND).await;
    sandbox(&app).clock().advance(chrono::Duration::seconds(6)).unwrap();
    let container = mark_publish_started(&app, &media_post).await.expect("container id stored before publish");
    session.publish(&threads_api::ContainerId::new(container)).await.unwrap();
    // 2. A text post whose auto-published create call went through but whose answer was lost.
    // (Scheduled for tomorrow so that no worker picks it up while the test plays the dead one.)
    let text_post = schedule_tomorrow(&app, &profile, &json!({"parts": [{"text": "Crash during create"}]})).await["id"].as_str().unwrap().to_owned();
    assert!(mark_publish_started(&app, &text_post).await.is_none());
    auto_publish(&session, "Crash during create").await;
    // 3. A media post killed after creating its container, before publishing: published once.
    let img2 = upload_png(&app, "crash2.png", 500, 500).await;
    let unpublished = schedule_now(&app, &profile, &json!({"parts": [{"text": "Crash before publish", "media": [{"id": img2}]}]})).await["id"].as_str().unwrap().to_owned();
    run_due_now(&app, KIND).await;
    sandbox(&app).clock().advance(chrono::Duration::seconds(6)).unwrap();
    publish_everything(&app).await;
    let t = truth(&app, user_id).await;
    for (id, text) in [(&media_post, "Crash after publish"), (&text_post, "Crash during create"), (&unpublished, "Crash before publish")] {
        let p = get_post(&app, id).await;
        assert_eq!(p["state"], "published", "{text}");
        assert_eq!(p["media_id"], once(&t["posts"], text)["id"], "{text}");
    }
    let recovered = get_post(&app, &media_post).await;
    assert!(recovered["timeline"].as_array().unwrap().iter().any(|e| e["kind"] == "recovered"));
}

async fn two_runner_instances_publish_each_post_once(app: TestApp) {
    let (profile, user_id) = setup(&app, "twins").await;
    let second = start_second_runner(&app);
    let texts: Vec<String> = (0..12).map(|n| format!("Twin run {n}")).collect();
    for text in &texts {
        schedule_now(&app, &profile, &json!({"parts": [{"text": text}, {"text": format!("{text}, continued")}]})).await;
    }
    publish_everything(&app).await;
    let t = truth(&app, user_id).await;
    for text in &texts {
        once(&t["posts"], text);
        once(&t["replies"], &format!("{text}, continued"));
    }
    drop(second);
}

async fn media_urls_are_unguessable_and_expire_after_publication(app: TestApp) {
    let (profile, _) = setup(&app, "hoster").await;
    let img = upload_png(&app, "holiday.png", 700, 500).await;
    let (token, path) = upload_token(&app, &img).await;
    assert_eq!(token.len(), 64, "256 random bits");
    let url = format!("/media/{token}/holiday.png");
    assert_eq!(app.get(&url).await.status(), 404, "not public before a container needs it");
    let id = schedule_now(&app, &profile, &json!({"parts": [{"text": "Holiday", "media": [{"id": img}]}]})).await["id"].as_str().unwrap().to_owned();
    run_due_now(&app, KIND).await;
    let served = app.get(&url).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.bytes().await.unwrap().to_vec(), png(700, 500));
    let guessed = format!("/media/{}/holiday.png", "0".repeat(64));
    assert_eq!(app.get(&guessed).await.status(), 404);
    sandbox(&app).clock().advance(chrono::Duration::seconds(6)).unwrap();
    run_due_now(&app, KIND).await;
    assert_eq!(get_post(&app, &id).await["state"], "published");
    assert_eq!(app.get(&url).await.status(), 404, "gone after publication");
    assert!(!path.exists(), "the file is deleted after publication");
}

async fn other_users_posts_uploads_and_slots_are_not_found(app: TestApp) {
    let (profile, _) = setup(&app, "owner").await;
    let img = upload_png(&app, "mine.png", 500, 500).await;
    let post = app
        .post_json("/api/v1/publishing/posts", &json!({"profile_id": profile, "content": {"parts": [{"text": "Mine"}]}}))
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = crate::helpers::client();
    other.post(app.url("/api/v1/auth/signup")).json(&json!({"email": "eve@example.com", "password": crate::connect::PASSWORD})).send().await.unwrap();
    let body = json!({"profile_id": profile, "content": {"parts": [{"text": "x"}]}});
    let calls = [
        ("GET", format!("/api/v1/publishing/posts/{post}"), None),
        ("PUT", format!("/api/v1/publishing/posts/{post}"), Some(body.clone())),
        ("DELETE", format!("/api/v1/publishing/posts/{post}"), None),
        ("POST", format!("/api/v1/publishing/posts/{post}/cancel"), None),
        ("POST", format!("/api/v1/publishing/posts/{post}/duplicate"), None),
        ("POST", format!("/api/v1/publishing/posts/{post}/retry"), None),
        ("POST", format!("/api/v1/publishing/posts/{post}/schedule"), Some(json!({"action": "queue"}))),
        ("GET", format!("/api/v1/publishing/media/{img}"), None),
        ("GET", format!("/api/v1/publishing/profiles/{profile}/slots"), None),
        ("PUT", format!("/api/v1/publishing/profiles/{profile}/slots"), Some(json!([]))),
        ("GET", format!("/api/v1/publishing/profiles/{profile}/quota"), None),
        ("GET", format!("/app/schedule/posts/{post}"), None),
    ];
    for (method, path, body) in calls {
        let mut r = other.request(method.parse().unwrap(), app.url(&path));
        if let Some(b) = body {
            r = r.json(&b);
        }
        assert_eq!(r.send().await.unwrap().status(), 404, "{method} {path}");
    }
    let listed: Vec<Value> = other.get(app.url("/api/v1/publishing/posts")).send().await.unwrap().json().await.unwrap();
    assert!(listed.is_empty());
    let stolen = other
        .post(app.url("/api/v1/publishing/posts"))
        .json(&json!({"profile_id": profile, "content": {"parts": [{"text": "x", "media": [{"id": img}]}]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(stolen.status(), 422, "someone else's profile and upload are not usable");
    assert_eq!(get_post(&app, &post).await["state"], "draft", "untouched");
}
