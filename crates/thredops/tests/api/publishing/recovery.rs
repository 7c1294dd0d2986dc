//! Exactly once under crashes and a second instance; hosted media URLs.

use serde_json::json;
use thredops::publishing::publisher::KIND;

use super::support::*;
use crate::connect::{run_due_now, sandbox, truth};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    a_worker_killed_after_publishing_never_publishes_twice,
    two_runner_instances_publish_each_post_once,
    media_urls_are_unguessable_and_expire_after_publication,
);

async fn a_worker_killed_after_publishing_never_publishes_twice(app: TestApp) {
    let (profile, user_id) = setup(&app, "crashy").await;
    let session = sandbox_session(&app, user_id);
    // 1. A media post: the worker stored the container, marked the publish call, published, and
    //    died before storing the media id.
    let img = upload_png(&app, "crash.png", 500, 500).await;
    let media_post = schedule_now(
        &app,
        &profile,
        &json!({"parts": [{"text": "Crash after publish", "media": [{"id": img}]}]}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    run_due_now(&app, KIND).await;
    sandbox(&app)
        .clock()
        .advance(chrono::Duration::seconds(6))
        .unwrap();
    let container = mark_publish_started(&app, &media_post)
        .await
        .expect("container id stored before publish");
    session
        .publish(&threads_api::ContainerId::new(container))
        .await
        .unwrap();
    // 2. A text post whose auto-published create call went through but whose answer was lost.
    // (Scheduled for tomorrow so that no worker picks it up while the test plays the dead one,
    // then made due: the publisher never publishes before a post's time.)
    let text_post = schedule_tomorrow(
        &app,
        &profile,
        &json!({"parts": [{"text": "Crash during create"}]}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(mark_publish_started(&app, &text_post).await.is_none());
    auto_publish(&session, "Crash during create").await;
    make_due_now(&app, &text_post).await;
    // 3. A media post killed after creating its container, before publishing: published once.
    let img2 = upload_png(&app, "crash2.png", 500, 500).await;
    let unpublished = schedule_now(
        &app,
        &profile,
        &json!({"parts": [{"text": "Crash before publish", "media": [{"id": img2}]}]}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    run_due_now(&app, KIND).await;
    sandbox(&app)
        .clock()
        .advance(chrono::Duration::seconds(6))
        .unwrap();
    publish_everything(&app).await;
    let t = truth(&app, user_id).await;
    for (id, text) in [
        (&media_post, "Crash after publish"),
        (&text_post, "Crash during create"),
        (&unpublished, "Crash before publish"),
    ] {
        let p = get_post(&app, id).await;
        assert_eq!(p["state"], "published", "{text}");
        assert_eq!(p["media_id"], once(&t["posts"], text)["id"], "{text}");
    }
    let recovered = get_post(&app, &media_post).await;
    assert!(
        recovered["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "recovered")
    );
}

async fn two_runner_instances_publish_each_post_once(app: TestApp) {
    let (profile, user_id) = setup(&app, "twins").await;
    let second = start_second_runner(&app);
    let texts: Vec<String> = (0..12).map(|n| format!("Twin run {n}")).collect();
    for text in &texts {
        schedule_now(
            &app,
            &profile,
            &json!({"parts": [{"text": text}, {"text": format!("{text}, continued")}]}),
        )
        .await;
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
    assert_eq!(
        app.get(&url).await.status(),
        404,
        "not public before a container needs it"
    );
    let id = schedule_now(
        &app,
        &profile,
        &json!({"parts": [{"text": "Holiday", "media": [{"id": img}]}]}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    run_due_now(&app, KIND).await;
    let served = app.get(&url).await;
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    assert_eq!(served.bytes().await.unwrap().to_vec(), png(700, 500));
    let guessed = format!("/media/{}/holiday.png", "0".repeat(64));
    assert_eq!(app.get(&guessed).await.status(), 404);
    sandbox(&app)
        .clock()
        .advance(chrono::Duration::seconds(6))
        .unwrap();
    run_due_now(&app, KIND).await;
    assert_eq!(get_post(&app, &id).await["state"], "published");
    assert_eq!(app.get(&url).await.status(), 404, "gone after publication");
    assert!(!path.exists(), "the file is deleted after publication");
}
