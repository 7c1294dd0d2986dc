//! The engagement inbox against the sandbox: turning it on asks Threads for its scopes,
//! incremental polling, webhook deliveries, hide/unhide, replies through the publisher (once),
//! the reply quota, filters, assignment, saved replies, export and disconnect.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};
use threads_api::{AccessToken, ListQuery, MediaId, ThreadsClient};
use threads_sandbox::{FaultConfig, FaultRule};
use thredops::inbox::poll::KIND;
use thredops::with_pool;

use crate::connect::{PASSWORD, connect, csrf_in, decide, run_due_now, sandbox, wait_for_backfill};
use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;
use crate::publishing::support::publish_everything;

on_both_backends!(
    turning_the_inbox_on_explains_each_scope_and_asks_threads_for_them_only_then,
    a_second_poll_stores_only_new_replies_and_mentions,
    hiding_and_unhiding_a_reply_reaches_threads,
    a_reply_is_planned_once_and_published_once_even_when_sent_twice_and_retried,
    a_used_up_reply_quota_refuses_the_reply_and_plans_nothing,
    filters_read_state_assignment_and_saved_replies,
    one_list_holds_every_profiles_items_and_the_profile_filter_narrows_it,
    the_export_holds_the_inbox_and_disconnecting_deletes_it,
);

mod webhooks {
    #[tokio::test]
    async fn sqlite() {
        super::webhook_deliveries_become_items_once_and_forged_ones_are_refused(
            super::spawn_with_webhooks(super::Backend::Sqlite)
                .await
                .unwrap(),
        )
        .await;
    }

    #[tokio::test]
    async fn postgres() {
        match super::spawn_with_webhooks(super::Backend::Postgres).await {
            Some(app) => {
                super::webhook_deliveries_become_items_once_and_forged_ones_are_refused(app).await
            }
            None => eprintln!("skipped on PostgreSQL: THREDOPS_TEST_DATABASE_URL is not set"),
        }
    }
}

const VERIFY_TOKEN: &str = "inbox-verify-token";

async fn spawn_with_webhooks(backend: Backend) -> Option<TestApp> {
    TestApp::spawn_with(backend, |raw| {
        raw.set("threads_webhook_verify_token", VERIFY_TOKEN);
    })
    .await
}

/// A default sandbox creator (the public posts of the sandbox mention those) who posts often
/// enough to have replies in the last two weeks.
fn mentioned_creator(app: &TestApp) -> u64 {
    sandbox(app).creators()[2].user_id
}

/// Signs up, connects the mentioned creator and waits for its history; returns the profile.
async fn connected(app: &TestApp, email: &str) -> (String, u64) {
    app.signup(email, PASSWORD).await;
    let user_id = mentioned_creator(app);
    let id = connect(app, user_id).await;
    wait_for_backfill(app, &id).await;
    (id, user_id)
}

/// Goes through "Turn on the inbox" as a browser does: the explanation page, Threads' consent
/// (allowed), the callback. Returns the authorize URL it was sent to.
async fn turn_on(app: &TestApp, profile: &str, user_id: u64) -> String {
    let page = app
        .get(&format!("/app/inbox/setup?profile={profile}"))
        .await
        .text()
        .await
        .unwrap();
    let r = app
        .client
        .post(app.url(&format!("/app/inbox/profiles/{profile}/on")))
        .form(&[("csrf", csrf_in(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let authorize = r.headers()["location"].to_str().unwrap().to_owned();
    let consent = app.client.get(&authorize).send().await.unwrap();
    assert_eq!(consent.status(), StatusCode::OK);
    let consent = consent.text().await.unwrap();
    let callback = decide(app, &app.client, &consent, user_id, "allow").await;
    let r = app.client.get(callback).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    run_due_now(app, KIND).await;
    authorize
}

/// A profile with its inbox on and polled once.
pub async fn inbox_on(app: &TestApp, email: &str) -> (String, u64) {
    let (id, user_id) = connected(app, email).await;
    turn_on(app, &id, user_id).await;
    (id, user_id)
}

/// Every item the filters in `query` show, page by page.
async fn items(app: &TestApp, query: &str) -> Vec<Value> {
    let mut all: Vec<Value> = Vec::new();
    loop {
        let after = all
            .last()
            .map(|i| format!("&after={}", i["cursor"].as_str().unwrap()))
            .unwrap_or_default();
        let r = app
            .get(&format!("/api/v1/inbox/items?limit=200{query}{after}"))
            .await;
        assert_eq!(r.status(), 200);
        let page: Vec<Value> = r.json().await.unwrap();
        let done = page.len() < 200;
        all.extend(page);
        if done {
            return all;
        }
    }
}

async fn status(app: &TestApp, profile: &str) -> Value {
    let list: Vec<Value> = app
        .get("/api/v1/inbox/profiles")
        .await
        .json()
        .await
        .unwrap();
    list.into_iter()
        .find(|p| p["profile_id"] == profile)
        .expect("the profile is listed")
}

async fn put(app: &TestApp, path: &str, body: &Value) -> reqwest::Response {
    app.client
        .put(app.url(path))
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn poll_again(app: &TestApp, user: &str, profile: &str) {
    thredops::inbox::poll::schedule(&app.state, &user.into(), &profile.into(), 0)
        .await
        .unwrap();
    run_due_now(app, KIND).await;
}

async fn user_of(app: &TestApp, profile: &str) -> String {
    with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT user_id FROM threads_profiles WHERE id = $1"
    )
    .bind(profile)
    .fetch_one(p)
    .await)
    .unwrap()
}

/// The creator's view of Threads, with every scope.
fn threads_session(app: &TestApp, user_id: u64) -> threads_api::Session {
    let token = sandbox(app).mint_token(
        user_id,
        &[
            "threads_basic",
            "threads_read_replies",
            "threads_manage_replies",
            "threads_manage_mentions",
        ],
    );
    ThreadsClient::builder()
        .graph_base(app.url("/sandbox"))
        .build()
        .unwrap()
        .session(AccessToken::new(token))
}

async fn turning_the_inbox_on_explains_each_scope_and_asks_threads_for_them_only_then(
    app: TestApp,
) {
    let (id, user_id) = connected(&app, "scopes@example.com").await;
    // Before: off, with the two scopes it still needs and why; the page explains, no error.
    let s = status(&app, &id).await;
    assert_eq!(s["state"], "off");
    assert_eq!(s["scopes_granted"], false);
    let missing: Vec<&str> = s["missing_scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        missing,
        ["threads_manage_replies", "threads_manage_mentions"]
    );
    let page = app.get("/app/inbox").await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(page.contains("Turn on the inbox for @"), "{page}");
    assert!(page.contains("threads_manage_mentions"));
    let setup = app
        .get(&format!("/app/inbox/setup?profile={id}"))
        .await
        .text()
        .await
        .unwrap();
    for scope in [
        "threads_read_replies",
        "threads_manage_replies",
        "threads_manage_mentions",
    ] {
        assert!(setup.contains(scope), "{scope} is explained");
    }
    // An ordinary connection does not ask for them.
    let page = app.get("/app/profiles").await.text().await.unwrap();
    let r = app
        .client
        .post(app.url("/app/profiles/connect"))
        .form(&[("csrf", csrf_in(&page))])
        .send()
        .await
        .unwrap();
    let plain = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(!plain.contains("threads_manage_mentions"), "{plain}");

    let authorize = turn_on(&app, &id, user_id).await;
    assert!(authorize.contains("threads_manage_mentions"), "{authorize}");
    assert!(authorize.contains("threads_manage_replies"), "{authorize}");
    let s = status(&app, &id).await;
    assert_eq!(s["state"], "on", "{s}");
    assert_eq!(s["scopes_granted"], true);
    assert_eq!(s["delivery"], "poll");
    // A reconnection while the inbox is on keeps asking for its scopes.
    let page = app.get("/app/profiles").await.text().await.unwrap();
    let r = app
        .client
        .post(app.url("/app/profiles/connect"))
        .form(&[("csrf", csrf_in(&page))])
        .send()
        .await
        .unwrap();
    let again = r.headers()["location"].to_str().unwrap();
    assert!(again.contains("threads_manage_mentions"), "{again}");
}

async fn a_second_poll_stores_only_new_replies_and_mentions(app: TestApp) {
    let (id, _) = inbox_on(&app, "poll@example.com").await;
    let first = items(&app, "").await;
    let s = status(&app, &id).await;
    assert!(s["last_error"].is_null(), "{s}");
    assert_eq!(s["last_new_items"].as_u64().unwrap() as usize, first.len());
    assert!(
        first.iter().any(|i| i["kind"] == "reply"),
        "replies were read"
    );
    assert!(
        first.iter().any(|i| i["kind"] == "mention"),
        "mentions were read"
    );
    let first_calls = s["last_calls"].as_i64().unwrap();
    assert!(first_calls > 0);

    // Nothing new on Threads: nothing new stored, no more calls than the first time.
    let user = user_of(&app, &id).await;
    poll_again(&app, &user, &id).await;
    let s = status(&app, &id).await;
    assert_eq!(s["last_new_items"], 0, "{s}");
    assert!(s["last_calls"].as_i64().unwrap() <= first_calls, "{s}");
    assert_eq!(items(&app, "").await.len(), first.len());

    // Hours later, after the hourly sync (which polls the inbox when it ends): only what was
    // published since is stored, each item once.
    let before = sandbox(&app).clock().now_ts();
    sandbox(&app)
        .clock()
        .advance(chrono::Duration::hours(30))
        .unwrap();
    crate::sync_now(&app, &id).await;
    run_due_now(&app, KIND).await;
    let s = status(&app, &id).await;
    let added = s["last_new_items"].as_u64().unwrap() as usize;
    assert!(added > 0, "new replies and mentions arrived: {s}");
    let all = items(&app, "").await;
    assert_eq!(all.len(), first.len() + added);
    let newer = all
        .iter()
        .filter(|i| i["posted_at"].as_i64().unwrap() > before)
        .count();
    assert_eq!(
        newer, added,
        "only items published since the last poll are new"
    );
    let ids: HashSet<&str> = all
        .iter()
        .map(|i| i["threads_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), all.len(), "no item is stored twice");
    // The content is sealed: the text is not in the table.
    let sample = all[0]["text"].as_str().unwrap().to_owned();
    assert!(!sample.is_empty());
    let raw: Vec<Vec<u8>> = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT content_enc FROM inbox_items"
    )
    .fetch_all(p)
    .await)
    .unwrap();
    assert!(
        raw.iter()
            .all(|b| !String::from_utf8_lossy(b).contains(&sample))
    );
}

async fn webhook_deliveries_become_items_once_and_forged_ones_are_refused(app: TestApp) {
    // The subscription handshake echoes the challenge only for our verify token.
    let path = "/hooks/threads/webhook?hub.mode=subscribe&hub.challenge=1158201444";
    let r = app
        .get(&format!("{path}&hub.verify_token={VERIFY_TOKEN}"))
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "1158201444");
    let r = app.get(&format!("{path}&hub.verify_token=guess")).await;
    assert_eq!(r.status(), 400);

    let (id, _) = inbox_on(&app, "hooks@example.com").await;
    assert_eq!(status(&app, &id).await["delivery"], "webhook");
    let polled = items(&app, "").await.len();
    sandbox(&app)
        .clock()
        .advance(chrono::Duration::hours(30))
        .unwrap();
    let sent = sandbox(&app).deliver_webhooks().await.unwrap();
    assert!(sent > 0);
    let all = items(&app, "").await;
    let from_hooks = all.iter().filter(|i| i["source"] == "webhook").count();
    assert!(from_hooks > 0, "deliveries became items");
    assert_eq!(all.len(), polled + from_hooks);
    assert!(
        all.iter()
            .any(|i| i["source"] == "webhook" && i["kind"] == "reply")
    );

    // The same delivery again (Meta retries) adds nothing; a forged one is refused unread.
    let reply = all
        .iter()
        .find(|i| i["source"] == "webhook" && i["kind"] == "reply")
        .unwrap();
    let body = json!({"app_id": "1", "topic": "moderate", "target_id": "1", "time": 1,
        "values": {"field": "replies", "value": {"id": reply["threads_id"], "text": "again",
        "root_post": {"id": "1", "owner_id": mentioned_creator(&app).to_string()}}}})
    .to_string();
    let secret = app.state.threads.app.client_secret.expose().to_owned();
    let signed = threads_sandbox::webhooks::signature(&secret, body.as_bytes());
    let post = |sig: String, body: String| {
        app.client
            .post(app.url("/hooks/threads/webhook"))
            .header("content-type", "application/json")
            .header("x-hub-signature-256", sig)
            .body(body)
            .send()
    };
    assert_eq!(post(signed, body.clone()).await.unwrap().status(), 200);
    assert_eq!(items(&app, "").await.len(), all.len());
    let forged = body.replace("again", "forged");
    let r = post(
        threads_sandbox::webhooks::signature("guess", forged.as_bytes()),
        forged,
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(items(&app, "").await.len(), all.len());
}

async fn hiding_and_unhiding_a_reply_reaches_threads(app: TestApp) {
    let (_, user_id) = inbox_on(&app, "hide@example.com").await;
    let all = items(&app, "&kind=reply").await;
    let reply = all
        .iter()
        .find(|i| i["can_hide"] == true)
        .expect("a top-level reply");
    let id = reply["id"].as_str().unwrap();
    let hide_status = || async {
        let session = threads_session(&app, user_id);
        let m = session
            .media(&MediaId::new(reply["threads_id"].as_str().unwrap()))
            .await
            .unwrap();
        m.hide_status.map(|h| h.as_str().to_owned())
    };
    for hidden in [true, false] {
        let r = put(
            &app,
            &format!("/api/v1/inbox/items/{id}/hidden"),
            &json!({"hidden": hidden}),
        )
        .await;
        assert_eq!(r.status(), 200);
        assert_eq!(r.json::<Value>().await.unwrap()["hidden"], hidden);
        assert_eq!(hide_status().await.as_deref() == Some("HIDDEN"), hidden);
    }
    // A mention is not a reply under the profile's posts: Threads cannot hide it.
    let mention = items(&app, "&kind=mention").await;
    let r = put(
        &app,
        &format!(
            "/api/v1/inbox/items/{}/hidden",
            mention[0]["id"].as_str().unwrap()
        ),
        &json!({"hidden": true}),
    )
    .await;
    assert_eq!(r.status(), 422);
}

async fn a_reply_is_planned_once_and_published_once_even_when_sent_twice_and_retried(app: TestApp) {
    let (id, user_id) = inbox_on(&app, "reply@example.com").await;
    let item = items(&app, "&kind=reply&unanswered=true").await[0].clone();
    let path = format!("/api/v1/inbox/items/{}/reply", item["id"].as_str().unwrap());
    let text = "Thank you, glad it helped!";
    // The publisher starts at once. Every publish answer is cut short after Threads took it:
    // the publisher retries and finds the reply already there instead of publishing it again.
    sandbox(&app).set_faults(FaultConfig {
        rules: vec![FaultRule {
            route: "/{id}/threads_publish".into(),
            malformed_json: 1.0,
            ..FaultRule::default()
        }],
        ..FaultConfig::default()
    });
    let r = app.post_json(&path, &json!({"text": text})).await;
    assert_eq!(r.status(), 201);
    let first: Value = r.json().await.unwrap();
    assert_eq!(first["answered"], true);
    let post_id = first["reply"]["post_id"].as_str().unwrap().to_owned();
    // Sent again (a double click, a client retry): the same reply, nothing new planned.
    let r = app.post_json(&path, &json!({"text": text})).await;
    assert_eq!(r.status(), 200);
    let again: Value = r.json().await.unwrap();
    assert_eq!(again["reply"]["post_id"], post_id.as_str());
    publish_everything(&app).await;
    sandbox(&app).set_faults(FaultConfig::default());
    let attempts: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT CAST(MAX(attempts) AS BIGINT) FROM jobs WHERE kind = $1"
    )
    .bind(thredops::publishing::publisher::KIND)
    .fetch_one(p)
    .await)
    .unwrap();
    assert!(attempts > 1, "the publisher had to retry");
    let r = app.post_json(&path, &json!({"text": text})).await;
    assert_eq!(r.status(), 200);
    let done: Value = app
        .get(&format!(
            "/api/v1/inbox/items/{}",
            item["id"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(done["reply"]["state"], "published", "{done}");
    // On Threads: exactly one reply with that text, answering the item.
    let mine: Vec<threads_api::Media> = futures_util::TryStreamExt::try_collect(
        threads_session(&app, user_id).user_replies_pages(&ListQuery::new().limit(100)),
    )
    .await
    .map(|pages: Vec<threads_api::Page<threads_api::Media>>| {
        pages.into_iter().flat_map(|p| p.data).collect()
    })
    .unwrap();
    let answers: Vec<_> = mine
        .iter()
        .filter(|m| m.text.as_deref() == Some(text))
        .collect();
    assert_eq!(answers.len(), 1, "published once");
    assert_eq!(
        answers[0].replied_to.as_ref().map(|r| r.id.as_str()),
        item["threads_id"].as_str()
    );
    // The next poll sees the answer on Threads; the item is not unanswered any more.
    let user = user_of(&app, &id).await;
    poll_again(&app, &user, &id).await;
    let unanswered = items(&app, "&unanswered=true").await;
    assert!(unanswered.iter().all(|i| i["id"] != item["id"]));
}

async fn a_used_up_reply_quota_refuses_the_reply_and_plans_nothing(app: TestApp) {
    let (id, user_id) = inbox_on(&app, "quota@example.com").await;
    let quota: Value = app
        .get(&format!("/api/v1/inbox/profiles/{id}/reply-quota"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(quota["replies_total"], 1000);
    assert_eq!(quota["replies_remaining"], 1000, "{quota}");
    // Replies made elsewhere use the quota up.
    assert!(sandbox(&app).use_reply_quota(user_id, 1000));
    let quota: Value = app
        .get(&format!("/api/v1/inbox/profiles/{id}/reply-quota"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(quota["replies_remaining"], 0);
    let item = items(&app, "&kind=reply").await[0].clone();
    let r = app
        .post_json(
            &format!("/api/v1/inbox/items/{}/reply", item["id"].as_str().unwrap()),
            &json!({"text": "Thanks!"}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["fields"]["text"]
            .as_str()
            .unwrap()
            .contains("1,000 replies"),
        "{body}"
    );
    let posts: Vec<Value> = app
        .get("/api/v1/publishing/posts")
        .await
        .json()
        .await
        .unwrap();
    assert!(posts.is_empty(), "nothing was planned");
    // The page says so beside the reply box and keeps what was typed.
    let page = app.get("/app/inbox").await.text().await.unwrap();
    let r = app
        .client
        .post(app.url(&format!(
            "/app/inbox/items/{}/reply",
            item["id"].as_str().unwrap()
        )))
        .form(&[
            ("csrf", csrf_in(&page).as_str()),
            ("text", "Typed with care"),
            ("back", "/app/inbox"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Typed with care"));
    assert!(html.contains("1,000 replies"));
}

async fn filters_read_state_assignment_and_saved_replies(app: TestApp) {
    let (id, _) = inbox_on(&app, "filters@example.com").await;
    let all = items(&app, "").await;
    let unread: Value = app.get("/api/v1/inbox/unread").await.json().await.unwrap();
    assert_eq!(unread["unread"].as_u64().unwrap() as usize, all.len());
    let page = app.get("/app/inbox").await.text().await.unwrap();
    assert!(
        page.contains("id=\"inbox-unread\""),
        "the navigation counts unread items"
    );

    // Read and unread.
    let first = all[0]["id"].as_str().unwrap();
    let r = put(
        &app,
        &format!("/api/v1/inbox/items/{first}/read"),
        &json!({"read": true}),
    )
    .await;
    assert_eq!(r.json::<Value>().await.unwrap()["read"], true);
    assert_eq!(items(&app, "&unread=true").await.len(), all.len() - 1);
    put(
        &app,
        &format!("/api/v1/inbox/items/{first}/read"),
        &json!({"read": false}),
    )
    .await;
    assert_eq!(items(&app, "&unread=true").await.len(), all.len());

    // Kind, question and profile filters.
    let replies = items(&app, "&kind=reply").await;
    assert!(replies.iter().all(|i| i["kind"] == "reply"));
    let questions = items(&app, "&questions=true").await;
    assert!(
        questions
            .iter()
            .all(|i| i["text"].as_str().unwrap().contains('?'))
    );
    assert_eq!(
        questions.len(),
        all.iter()
            .filter(|i| i["text"].as_str().unwrap().contains('?'))
            .count()
    );
    assert_eq!(
        items(&app, &format!("&profile={id}")).await.len(),
        all.len()
    );
    let r = app.get("/api/v1/inbox/items?kind=likes").await;
    assert_eq!(r.status(), 422);

    // Assignment: "me", or refused for an id that is no one of the workspace.
    let r = put(
        &app,
        &format!("/api/v1/inbox/items/{first}/assignee"),
        &json!({"assignee": "me"}),
    )
    .await;
    assert_eq!(r.json::<Value>().await.unwrap()["assigned_to_me"], true);
    let r = put(
        &app,
        &format!("/api/v1/inbox/items/{first}/assignee"),
        &json!({"assignee": "someone-else"}),
    )
    .await;
    assert_eq!(r.status(), 422);
    let r = put(
        &app,
        &format!("/api/v1/inbox/items/{first}/assignee"),
        &json!({"assignee": null}),
    )
    .await;
    assert_eq!(r.json::<Value>().await.unwrap()["assignee"], Value::Null);

    // Saved replies: checked, listed, used by the reply box, deleted.
    let r = app
        .post_json(
            "/api/v1/inbox/saved-replies",
            &json!({"title": "", "text": ""}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let r = app
        .post_json(
            "/api/v1/inbox/saved-replies",
            &json!({"title": "Thanks", "text": "Thanks so much for reading!"}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let saved: Value = r.json().await.unwrap();
    let listed: Vec<Value> = app
        .get("/api/v1/inbox/saved-replies")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
    let reply = replies.iter().find(|i| i["answered"] == false).unwrap();
    let r = app
        .post_json(
            &format!(
                "/api/v1/inbox/items/{}/reply",
                reply["id"].as_str().unwrap()
            ),
            &json!({"saved_reply_id": saved["id"]}),
        )
        .await;
    assert_eq!(r.status(), 201);
    let post_id = r.json::<Value>().await.unwrap()["reply"]["post_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let post: Value = app
        .get(&format!("/api/v1/publishing/posts/{post_id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        post["content"]["parts"][0]["text"],
        "Thanks so much for reading!"
    );
    assert_eq!(post["content"]["reply_to_id"], reply["threads_id"]);
    let r = app
        .client
        .delete(app.url(&format!(
            "/api/v1/inbox/saved-replies/{}",
            saved["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);

    // Someone else sees none of it.
    let other = crate::helpers::client();
    crate::helpers::sign_up_with(&app, &other, "other-filters@example.com", PASSWORD).await;
    let r = other
        .get(app.url(&format!("/api/v1/inbox/items/{first}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let theirs: Vec<Value> = other
        .get(app.url("/api/v1/inbox/items"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(theirs.is_empty());
}

async fn one_list_holds_every_profiles_items_and_the_profile_filter_narrows_it(app: TestApp) {
    let (first, first_user) = connected(&app, "two.profiles@example.com").await;
    let second_user = sandbox(&app)
        .creators()
        .iter()
        .map(|c| c.user_id)
        .find(|u| *u != first_user)
        .unwrap();
    let second = connect(&app, second_user).await;
    wait_for_backfill(&app, &second).await;
    turn_on(&app, &first, first_user).await;
    turn_on(&app, &second, second_user).await;
    for id in [&first, &second] {
        assert_eq!(status(&app, id).await["state"], "on");
    }

    let all = items(&app, "").await;
    let mine = |id: &str| {
        all.iter()
            .filter(|i| i["profile_id"] == id)
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect::<HashSet<_>>()
    };
    let (of_first, of_second) = (mine(&first), mine(&second));
    assert!(
        !of_first.is_empty() && !of_second.is_empty(),
        "both profiles have items in the one list: {} and {}",
        of_first.len(),
        of_second.len()
    );
    assert_eq!(of_first.len() + of_second.len(), all.len());
    // Newest first across profiles, whichever profile an item came from.
    let times: Vec<i64> = all
        .iter()
        .map(|i| i["posted_at"].as_i64().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] >= w[1]), "newest first");
    // The profile filter shows exactly that profile's items.
    for (id, expected) in [(&first, &of_first), (&second, &of_second)] {
        let shown: HashSet<String> = items(&app, &format!("&profile={id}"))
            .await
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(&shown, expected);
    }
    // The page offers both profiles in its filter and shows each one's items under its name.
    let page = app.get("/app/inbox").await.text().await.unwrap();
    for id in [&first, &second] {
        assert!(page.contains(&format!("<option value=\"{id}\"")), "{page}");
        let username =
            all.iter().find(|i| i["profile_id"] == id.as_str()).unwrap()["profile_username"]
                .as_str()
                .unwrap();
        let filtered = app
            .get(&format!("/app/inbox?profile={id}"))
            .await
            .text()
            .await
            .unwrap();
        assert!(filtered.contains(&format!("to @{username}")), "{filtered}");
    }
}

async fn the_export_holds_the_inbox_and_disconnecting_deletes_it(app: TestApp) {
    let (id, _) = inbox_on(&app, "export@example.com").await;
    let all = items(&app, "").await;
    app.post_json(
        "/api/v1/inbox/saved-replies",
        &json!({"title": "Hi", "text": "Hello there"}),
    )
    .await;
    let r = app.get("/settings/privacy/export").await;
    assert_eq!(r.status(), 200);
    let files = crate::privacy::untar(&r.bytes().await.unwrap());
    let content = files
        .iter()
        .find(|(n, _)| n.ends_with("content.json"))
        .map(|(_, b)| serde_json::from_slice::<Value>(b).unwrap())
        .unwrap();
    let exported = content["inbox"]["items"].as_array().unwrap();
    assert_eq!(exported.len(), all.len());
    assert_eq!(
        exported[0]["content"]["text"].as_str().map(str::is_empty),
        Some(false)
    );
    assert_eq!(content["inbox"]["saved_replies"][0]["text"], "Hello there");

    // Disconnecting, even keeping the history, deletes other people's replies and mentions.
    let page = app
        .get(&format!("/app/profiles/{id}"))
        .await
        .text()
        .await
        .unwrap();
    let r = app
        .client
        .post(app.url(&format!("/app/profiles/{id}/disconnect")))
        .form(&[("csrf", csrf_in(&page).as_str()), ("history", "keep")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    let left: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT count(*) FROM inbox_items WHERE profile_id = $1"
    )
    .bind(&id)
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(left, 0);
}

/// The inbox's daily API calls for a typical creator (docs/benchmarks.md): a day of hourly
/// syncs, each followed by the inbox poll, on the sandbox creator of these tests (1,500 posts,
/// 12,000 followers). Prints the figures; run with
/// `cargo test -p thredops --test api inbox::inbox_daily_calls -- --ignored --nocapture`.
#[tokio::test]
#[ignore = "a measurement, printed for docs/benchmarks.md"]
async fn inbox_daily_calls_of_a_typical_creator() {
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let (id, _) = inbox_on(&app, "bench@example.com").await;
    let first = status(&app, &id).await;
    let (mut calls, mut stored) = (0, 0);
    for _ in 0..24 {
        sandbox(&app)
            .clock()
            .advance(chrono::Duration::hours(1))
            .unwrap();
        crate::sync_now(&app, &id).await;
        run_due_now(&app, KIND).await;
        let s = status(&app, &id).await;
        calls += s["last_calls"].as_i64().unwrap();
        stored += s["last_new_items"].as_i64().unwrap();
    }
    println!(
        "first poll: {} calls, {} items; next 24 hourly polls: {calls} calls ({:.2} % of 48,000), {stored} items",
        first["last_calls"],
        first["last_new_items"],
        calls as f64 / 480.0
    );
}
