//! The customer's Threads data in the agent console: hidden until an agent opens it through a
//! conversation the customer wrote in, and every opening shown in the customer's access log.

use serde_json::{Value, json};

use super::harness::{Browser, agent};
use crate::connect::{self, csrf_in};
use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::privacy::creator_account;

on_both_backends!(
    an_agent_opens_a_customers_threads_data_and_the_customer_sees_it_in_their_access_log,
    only_agents_open_threads_data_and_only_through_a_conversation_the_customer_wrote_in,
);

/// The HTML of the page at `path`, which must load.
async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    let r = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

/// The console page showing conversation `id`, as `desk` sees it.
async fn console_page(app: &TestApp, desk: &Browser, id: &str) -> String {
    page(app, &desk.client, &format!("/app/support/console?c={id}")).await
}

/// Presses "Show Threads data" on conversation `id` with the form token `csrf`.
async fn press_show(
    app: &TestApp,
    client: &reqwest::Client,
    id: &str,
    csrf: &str,
) -> (u16, String) {
    let r = client
        .post(app.url(&format!("/app/support/console/{id}/threads-data")))
        .form(&[("csrf", csrf)])
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

fn api_path(id: &str) -> String {
    format!("/api/v1/support/conversations/{id}/threads-data")
}

async fn access_log(app: &TestApp, client: &reqwest::Client) -> Vec<Value> {
    client
        .get(app.url("/api/v1/privacy/access-log"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

async fn an_agent_opens_a_customers_threads_data_and_the_customer_sees_it_in_their_access_log(
    app: TestApp,
) {
    // app.client is Maya, a creator with a synced profile who asks for help in the chat.
    creator_account(&app, "maya@example.com", "maya_threads", 6).await;
    let chat: Value = app
        .post_json("/api/v1/support/chat", &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let id = chat["conversation_id"].as_str().unwrap().to_owned();
    let r = app
        .post_json(
            "/api/v1/support/chat/messages",
            &json!({"body": "My follower count looks wrong"}),
        )
        .await;
    assert_eq!(r.status(), 201);

    let (desk, _) = agent(&app, "kai@support.example").await;
    let before = console_page(&app, &desk, &id).await;
    assert!(before.contains("My follower count looks wrong"));
    assert!(before.contains("Show Threads data"));
    assert!(
        !before.contains("maya_threads"),
        "Threads data stays hidden until the agent opens it"
    );
    let (_, detail) = desk
        .get(&format!("/api/v1/support/conversations/{id}"))
        .await;
    assert!(!detail.to_string().contains("maya_threads"), "{detail}");
    assert!(access_log(&app, &app.client).await.is_empty());

    let (status, refused) = press_show(&app, &desk.client, &id, "forged").await;
    assert_eq!(status, 403, "the form needs its token");
    assert!(!refused.contains("maya_threads"));
    assert!(access_log(&app, &app.client).await.is_empty());

    let (status, after) = press_show(&app, &desk.client, &id, &csrf_in(&before)).await;
    assert_eq!(status, 200);
    assert!(after.contains("@maya_threads"), "the profile is shown");
    assert!(
        after.contains("<td>1,000</td><td>6</td>"),
        "followers, posts"
    );
    assert!(after.contains("access log"));

    let (status, data) = desk.post(&api_path(&id), json!({})).await;
    assert_eq!(status, 200, "{data}");
    assert_eq!(data["conversation_id"], id.as_str());
    let p = &data["profiles"][0];
    assert_eq!(
        (p["username"].as_str(), p["status"].as_str()),
        (Some("maya_threads"), Some("active"))
    );
    assert_eq!(
        (p["followers_count"].as_i64(), p["posts"].as_i64()),
        (Some(1000), Some(6))
    );
    assert!(p["last_sync_at"].is_i64(), "{p}");
    assert!(p.get("token").is_none() && p.get("threads_user_id").is_none());

    // Maya sees both openings: who, what and why.
    let log = access_log(&app, &app.client).await;
    assert_eq!(log.len(), 2, "{log:?}");
    let reason = format!("Support chat {id}");
    for entry in &log {
        assert_eq!(entry["staff_role"], "support");
        assert_eq!(entry["staff_name"], "kai");
        assert_eq!(entry["reason"], reason.as_str());
        assert_eq!(entry["action"], thredops::support::threads_data::ACTION);
    }
    let settings = page(&app, &app.client, "/settings/privacy").await;
    assert!(settings.contains("A support agent (kai)") && settings.contains(&reason));
    assert!(
        access_log(&app, &desk.client).await.is_empty(),
        "the log is per user"
    );

    assert!(
        !console_page(&app, &desk, &id)
            .await
            .contains("maya_threads"),
        "the data is not kept on the console"
    );
}

async fn only_agents_open_threads_data_and_only_through_a_conversation_the_customer_wrote_in(
    app: TestApp,
) {
    let (desk, _) = agent(&app, "kai@support.example").await;

    // Sam has a connected profile and opened the chat, but never wrote in it.
    let sam = Browser::new(&app);
    sam.signup("sam@example.com").await;
    let creator = connect::creator(&app, "sam_threads", 3, 50);
    let r = connect::connect_as(&app, &sam.client, creator.user_id).await;
    assert_eq!(r.status(), 303);
    let silent = sam.open_chat().await["conversation_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, body) = desk.post(&api_path(&silent), json!({})).await;
    assert_eq!(status, 403, "{body}");
    let console = console_page(&app, &desk, &silent).await;
    assert!(!console.contains("Show Threads data") && !console.contains("sam_threads"));
    assert!(console.contains("once the customer has written"));
    let (status, refused) = press_show(&app, &desk.client, &silent, &csrf_in(&console)).await;
    assert_eq!(status, 403);
    assert!(!refused.contains("sam_threads") && refused.contains("written in"));

    // Once Sam writes, the creator Sam is still refused: only agents open Threads data.
    let (status, _) = sam
        .post(
            "/api/v1/support/chat/messages",
            json!({"body": "Hello, a question about scheduling"}),
        )
        .await;
    assert_eq!(status, 201);
    let (status, body) = sam.post(&api_path(&silent), json!({})).await;
    assert_eq!(status, 403, "{body}");
    let own_page = page(&app, &sam.client, "/app/support").await;
    let (status, refused) = press_show(&app, &sam.client, &silent, &csrf_in(&own_page)).await;
    assert_eq!(status, 403);
    assert!(!refused.contains("sam_threads"));
    assert!(access_log(&app, &sam.client).await.is_empty());

    // A visitor has no account and so no Threads data; an unknown conversation is 404.
    let visitor = Browser::new(&app);
    let chat = visitor.open_chat().await;
    visitor
        .post("/api/v1/support/chat/messages", json!({"body": "Pricing?"}))
        .await;
    let (status, body) = desk
        .post(
            &api_path(chat["conversation_id"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("visitor")
    );
    let (status, _) = desk
        .post(&api_path("no-such-conversation"), json!({}))
        .await;
    assert_eq!(status, 404);
}
