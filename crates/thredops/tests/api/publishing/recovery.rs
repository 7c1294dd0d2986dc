//! Exactly once under crashes and a second instance; hosted media URLs.

use std::time::{Duration, Instant};

use serde_json::json;
use threads_api::{ContainerBuilder, ContainerId, Created};
use threads_sandbox::{FaultConfig, FaultRule};
use thredops::publishing::publisher::KIND;
use thredops::with_pool;

use super::support::*;
use crate::connect::{run_due_now, sandbox, start_due_runs, truth};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    a_worker_killed_after_publishing_never_publishes_twice,
    the_media_id_is_stored_before_the_next_call,
    recovery_finds_the_post_among_many_published_since,
    a_chain_reply_interrupted_after_publishing_is_found_not_posted_again,
    a_post_replying_to_another_is_published_under_it_once,
    a_reply_interrupted_after_publishing_is_found_under_its_target_not_posted_again,
    a_post_whose_run_used_up_its_attempts_fails_with_the_reason,
    a_chain_reply_that_cannot_be_looked_up_fails_with_a_reconnect_request,
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

/// A kill right after the publishing call returns must leave the media id stored: the id is
/// written before the next call (the permalink read), which here hangs as a dying worker would.
async fn the_media_id_is_stored_before_the_next_call(app: TestApp) {
    let (profile, user_id) = setup(&app, "stored").await;
    let id =
        schedule_tomorrow(&app, &profile, &json!({"parts": [{"text": "Id first"}]})).await["id"]
            .as_str()
            .unwrap()
            .to_owned();
    sandbox(&app).set_faults(FaultConfig {
        rules: vec![FaultRule {
            route: "/{id}".into(),
            method: Some("GET".into()),
            slow: 1.0,
            slow_ms: 8_000,
            ..FaultRule::default()
        }],
        ..FaultConfig::default()
    });
    make_due_now(&app, &id).await;
    // Started, not awaited: the test watches the run while its permalink read hangs.
    start_due_runs(&app, KIND).await;
    let deadline = Instant::now() + Duration::from_secs(6);
    let on_threads = loop {
        let t = truth(&app, user_id).await;
        let found = t["posts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["text"] == "Id first")
            .map(|p| p["id"].as_str().unwrap().to_owned());
        if let Some(found) = found {
            break found;
        }
        assert!(Instant::now() < deadline, "never published");
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    // The permalink read is still hanging: whatever the worker knows must be in the database.
    let deadline = Instant::now() + Duration::from_secs(3);
    loop {
        let progress: String = with_pool!(app.state.store, |p| sqlx::query_scalar(
            "SELECT progress FROM scheduled_posts WHERE id = $1"
        )
        .bind(&id)
        .fetch_one(p)
        .await)
        .unwrap();
        let progress: serde_json::Value = serde_json::from_str(&progress).unwrap();
        if progress["parts"][0]["media_id"] == on_threads.as_str() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the media id was not stored while the next call was in flight: {progress}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    sandbox(&app).set_faults(FaultConfig::default());
    publish_everything(&app).await;
    let p = get_post(&app, &id).await;
    assert_eq!(p["state"], "published", "{p}");
    assert_eq!(p["media_id"], on_threads.as_str());
    once(&truth(&app, user_id).await["posts"], "Id first");
}

/// A worker published from its container and died; more than a page of other posts followed.
/// Threads says the container is published, so the run finds that copy and never posts again.
async fn recovery_finds_the_post_among_many_published_since(app: TestApp) {
    let (profile, user_id) = setup(&app, "needle").await;
    let session = sandbox_session(&app, user_id);
    let id = schedule_tomorrow(&app, &profile, &json!({"parts": [{"text": "Needle"}]})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let container = match session
        .create_container(&ContainerBuilder::text("Needle").build().unwrap())
        .await
        .unwrap()
    {
        Created::Container(c) => c,
        Created::Published(_) => panic!("published at once"),
    };
    set_first_part(&app, &id, container.as_str()).await;
    session.publish(&container).await.unwrap();
    for n in 0..120 {
        auto_publish(&session, &format!("Later post {n}")).await;
    }
    make_due_now(&app, &id).await;
    publish_everything(&app).await;
    let t = truth(&app, user_id).await;
    let p = get_post(&app, &id).await;
    assert_eq!(p["state"], "published", "{p}");
    assert_eq!(p["media_id"], once(&t["posts"], "Needle")["id"]);
}

/// A chain's second part was published from its container by a worker that died before storing
/// the id: the run finds the reply among the profile's replies and goes on with the third.
async fn a_chain_reply_interrupted_after_publishing_is_found_not_posted_again(app: TestApp) {
    let (profile, user_id) = setup(&app, "chain").await;
    let session = sandbox_session(&app, user_id);
    let id = thread_interrupted_at_its_reply(&app, &session, &profile, ["Root", "Second", "Third"])
        .await;
    publish_everything(&app).await;
    let p = get_post(&app, &id).await;
    assert_eq!(p["state"], "published", "{p}");
    let t = truth(&app, user_id).await;
    once(&t["posts"], "Root");
    once(&t["replies"], "Second");
    once(&t["replies"], "Third");
}

/// A post with `reply_to_id` (a first reply, an answer from the inbox) is published as a reply
/// to that post, once, and its chain follows under it.
async fn a_post_replying_to_another_is_published_under_it_once(app: TestApp) {
    let (profile, user_id) = setup(&app, "answers").await;
    let session = sandbox_session(&app, user_id);
    let t = truth(&app, user_id).await;
    let target = t["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["media_type"] != "REPOST_FACADE")
        .and_then(|p| p["id"].as_str())
        .unwrap()
        .to_owned();
    let content = json!({"parts": [{"text": "Thanks, all of you"}, {"text": "And one more thing"}],
        "reply_to_id": target});
    let id = schedule_tomorrow(&app, &profile, &content).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(get_post(&app, &id).await["content"]["reply_to_id"], target);
    make_due_now(&app, &id).await;
    publish_everything(&app).await;
    let p = get_post(&app, &id).await;
    assert_eq!(p["state"], "published", "{p}");
    let t = truth(&app, user_id).await;
    assert!(
        !t["posts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x["text"] == "Thanks, all of you"),
        "a reply is not a top-level post"
    );
    let first = once(&t["replies"], "Thanks, all of you")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = once(&t["replies"], "And one more thing")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let parent = |id: String| {
        let session = &session;
        async move {
            session
                .media(&threads_api::MediaId::new(id))
                .await
                .unwrap()
                .replied_to
                .map(|r| r.id.as_str().to_owned())
        }
    };
    assert_eq!(
        parent(first.clone()).await.as_deref(),
        Some(target.as_str())
    );
    assert_eq!(parent(second).await.as_deref(), Some(first.as_str()));
}

/// A worker published a reply post from its container and died before storing the id: the run
/// looks among the profile's replies to the same post, adopts it and never replies twice.
async fn a_reply_interrupted_after_publishing_is_found_under_its_target_not_posted_again(
    app: TestApp,
) {
    let (profile, user_id) = setup(&app, "answerer").await;
    let session = sandbox_session(&app, user_id);
    let t = truth(&app, user_id).await;
    // Reposts cannot be replied to; any two of the profile's own posts can.
    let mut own = t["posts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["media_type"] != "REPOST_FACADE")
        .map(|p| p["id"].as_str().unwrap().to_owned());
    let (target, other) = (own.next().unwrap(), own.next().unwrap());
    // The same text already answers another post: only the reply under the target is adopted.
    let decoy = ContainerBuilder::text("Glad it helped")
        .reply_to(threads_api::MediaId::new(other))
        .build()
        .unwrap();
    let Created::Container(decoy) = session.create_container(&decoy).await.unwrap() else {
        panic!("published at once");
    };
    session.publish(&decoy).await.unwrap();
    let content = json!({"parts": [{"text": "Glad it helped"}], "reply_to_id": target});
    let id = schedule_tomorrow(&app, &profile, &content).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reply = ContainerBuilder::text("Glad it helped")
        .reply_to(threads_api::MediaId::new(target.clone()))
        .build()
        .unwrap();
    let Created::Container(container) = session.create_container(&reply).await.unwrap() else {
        panic!("published at once");
    };
    let now = sandbox(&app).clock().now_ts();
    write_progress(
        &app,
        &id,
        &json!({"parts": [{"children": [], "container_id": container.as_str(),
            "publish_started": now, "media_id": null, "permalink": null}]}),
    )
    .await;
    let published = session.publish(&container).await.unwrap();
    make_due_now(&app, &id).await;
    publish_everything(&app).await;
    let p = get_post(&app, &id).await;
    assert_eq!(p["state"], "published", "{p}");
    assert_eq!(p["media_id"], published.as_str(), "{p}");
    let copies = truth(&app, user_id).await["replies"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["text"] == "Glad it helped")
        .count();
    assert_eq!(copies, 2, "the decoy and the one reply; never a third");
}

/// Plays a worker that created the first part's container, marked the publishing call and died.
async fn set_first_part(app: &TestApp, post_id: &str, container: &str) {
    let progress = json!({"parts": [{
        "children": [], "container_id": container,
        "publish_started": sandbox(app).clock().now_ts(), "media_id": null, "permalink": null,
    }]});
    write_progress(app, post_id, &progress).await;
}

async fn write_progress(app: &TestApp, post_id: &str, progress: &serde_json::Value) {
    with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE scheduled_posts SET progress = $1, state = 'ready', version = version + 1 WHERE id = $2"
    )
    .bind(progress.to_string())
    .bind(post_id)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
}

/// A run that used up its attempts leaves the post failed with the reason (and a Retry), not
/// "scheduled" with a new run every minute.
async fn a_post_whose_run_used_up_its_attempts_fails_with_the_reason(app: TestApp) {
    let (profile, _) = setup(&app, "doomed").await;
    let id = schedule_tomorrow(&app, &profile, &json!({"parts": [{"text": "Doomed"}]})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    make_due_now(&app, &id).await;
    with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE jobs SET state = 'dead', last_error = 'listing posts: connection reset' WHERE dedup_key LIKE $1"
    )
    .bind(format!("publish:{id}:%"))
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    crate::connect::run_due_now(&app, thredops::publishing::SWEEP).await;
    let p = get_post(&app, &id).await;
    assert_eq!(p["state"], "failed", "{p}");
    assert!(
        p["failure"].as_str().unwrap().contains("connection reset"),
        "{p}"
    );
    let queued: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE dedup_key LIKE $1 AND state = 'queued'"
    )
    .bind(format!("publish:{id}:%"))
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(queued, 0, "no new run for a failed post");
}

/// As above, on a profile whose owner did not grant reading replies: the reply cannot be looked
/// up, so the post fails at once with what to do, never retried forever or posted again.
async fn a_chain_reply_that_cannot_be_looked_up_fails_with_a_reconnect_request(app: TestApp) {
    use crate::connect::{PASSWORD, creator, decide, start_connect, wait_for_backfill};
    app.signup("noreplies@example.com", PASSWORD).await;
    let c = creator(&app, "noreplies", 5, 500);
    let (_, consent) = start_connect(&app, &app.client).await;
    // The owner unticks "read replies" on Meta's consent screen.
    let consent = consent.replace(",threads_read_replies", "");
    let callback = decide(&app, &app.client, &consent, c.user_id, "allow").await;
    let r = app.client.get(callback).send().await.unwrap();
    let profile = r.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/app/profiles/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    wait_for_backfill(&app, &profile).await;
    let session = sandbox_session(&app, c.user_id);
    let id = thread_interrupted_at_its_reply(
        &app,
        &session,
        &profile,
        ["Root two", "Second two", "Third two"],
    )
    .await;
    publish_everything(&app).await;
    let p = get_post(&app, &id).await;
    assert_eq!(p["state"], "failed", "{p}");
    assert!(
        p["failure"].as_str().unwrap().contains("read your replies"),
        "{p}"
    );
    let t = truth(&app, c.user_id).await;
    once(&t["replies"], "Second two");
    assert!(
        !t["replies"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["text"] == "Third two"),
        "nothing after the unknown part is published"
    );
}

/// Schedules a three-part thread for tomorrow and plays a worker that published its first part,
/// then published the second from its container and died before storing that reply's id. The
/// post is then made due. Returns the post's id.
async fn thread_interrupted_at_its_reply(
    app: &TestApp,
    session: &threads_api::Session,
    profile: &str,
    texts: [&str; 3],
) -> String {
    let parts: Vec<_> = texts.iter().map(|t| json!({"text": t})).collect();
    let id = schedule_tomorrow(app, profile, &json!({"parts": parts})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let root = auto_publish(session, texts[0]).await;
    let reply = ContainerBuilder::text(texts[1])
        .reply_to(threads_api::MediaId::new(root.clone()))
        .build()
        .unwrap();
    let Created::Container(container) = session.create_container(&reply).await.unwrap() else {
        panic!("published at once");
    };
    let now = sandbox(app).clock().now_ts();
    write_progress(
        app,
        &id,
        &json!({"parts": [
            {"children": [], "media_id": root, "container_id": null, "publish_started": now, "permalink": null},
            {"children": [], "container_id": container.as_str(), "publish_started": now, "media_id": null, "permalink": null},
        ]}),
    )
    .await;
    session
        .publish(&ContainerId::new(container.as_str()))
        .await
        .unwrap();
    make_due_now(app, &id).await;
    id
}
