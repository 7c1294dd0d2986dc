//! The agents' workflow: statuses and snoozes, round-robin, the offline email fallback, tickets,
//! purging with the account, and two instances on one PostgreSQL database.

use serde_json::{Value, json};

use super::harness::{Browser, agent};
use crate::connect::run_due_now;
use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    statuses_move_and_a_customer_reply_or_the_snooze_end_reopens,
    new_chats_go_round_robin_to_online_agents,
    with_no_agent_online_replies_reach_the_email_the_visitor_left,
    tickets_are_private_and_deletion_requests_reach_the_privacy_hook,
    deleting_an_account_purges_its_conversations,
);

/// A visitor who wrote `body`; returns their browser and the conversation id.
async fn visitor_says(app: &TestApp, body: &str) -> (Browser, String) {
    let v = Browser::new(app);
    let chat = v.open_chat().await;
    let (status, m) = v
        .post("/api/v1/support/chat/messages", json!({"body": body}))
        .await;
    assert_eq!(status, 201, "{m}");
    (v, chat["conversation_id"].as_str().unwrap().to_owned())
}

async fn status_of(agent: &Browser, id: &str) -> Value {
    let (status, detail) = agent
        .get(&format!("/api/v1/support/conversations/{id}"))
        .await;
    assert_eq!(status, 200, "{detail}");
    detail["conversation"]["status"].clone()
}

async fn statuses_move_and_a_customer_reply_or_the_snooze_end_reopens(app: TestApp) {
    let (desk, _) = agent(&app, "kim@support.example").await;
    let (visitor, id) = visitor_says(&app, "Hello?").await;
    let path = format!("/api/v1/support/conversations/{id}/status");
    let write = |body: &str| json!({"body": body});

    for status in ["pending", "resolved"] {
        let (code, c) = desk.put(&path, json!({"status": status})).await;
        assert_eq!((code, c["status"].as_str()), (200, Some(status)));
        visitor
            .post("/api/v1/support/chat/messages", write("Still there?"))
            .await;
        assert_eq!(
            status_of(&desk, &id).await,
            "open",
            "a reply reopens {status}"
        );
    }

    // Snoozed until the customer writes again.
    desk.put(&path, json!({"status": "snoozed"})).await;
    assert_eq!(status_of(&desk, &id).await, "snoozed");
    let (_, inbox) = desk.get("/api/v1/support/inbox?status=snoozed").await;
    assert_eq!(inbox.as_array().unwrap().len(), 1);
    visitor
        .post("/api/v1/support/chat/messages", write("Any news?"))
        .await;
    assert_eq!(status_of(&desk, &id).await, "open");

    // Snoozed until a time: reopened by housekeeping once that time has passed.
    let now = thredops::clock::now().timestamp();
    let (code, c) = desk
        .put(
            &path,
            json!({"status": "snoozed", "snooze_until": now + 3600}),
        )
        .await;
    assert_eq!((code, c["snoozed_until"].as_i64()), (200, Some(now + 3600)));
    thredops::with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE support_conversations SET snoozed_until = $1 WHERE id = $2"
    )
    .bind(now - 1)
    .bind(&id)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    run_due_now(&app, thredops::support::kind::HOUSEKEEPING).await;
    let (_, woken) = desk.get("/api/v1/support/inbox?status=open").await;
    assert_eq!(woken[0]["id"], id.as_str(), "{woken}");
    assert_eq!(woken[0]["snoozed_until"], Value::Null);

    // Bad input names the field.
    let (code, e) = desk.put(&path, json!({"status": "closed"})).await;
    assert_eq!(
        (code, e["error"]["fields"]["status"].is_string()),
        (422, true)
    );
    let (code, e) = desk
        .put(
            &path,
            json!({"status": "snoozed", "snooze_until": now - 60}),
        )
        .await;
    assert_eq!(
        (code, e["error"]["fields"]["snooze_until"].is_string()),
        (422, true)
    );
    let (code, _) = desk
        .put(
            "/api/v1/support/conversations/nope/status",
            json!({"status": "open"}),
        )
        .await;
    assert_eq!(code, 404);
    // Customers cannot use the console.
    let customer = Browser::new(&app);
    customer.signup("creator@example.com").await;
    let (code, _) = customer.put(&path, json!({"status": "resolved"})).await;
    assert_eq!(code, 403);
}

async fn new_chats_go_round_robin_to_online_agents(app: TestApp) {
    let (a, a_id) = agent(&app, "ana@support.example").await;
    let (b, b_id) = agent(&app, "ben@support.example").await;
    let (_c, c_id) = agent(&app, "cyd@support.example").await; // offline: never picked
    let mut sa = a.socket("/api/v1/support/console/socket").await;
    sa.next_of("hello").await;
    let mut sb = b.socket("/api/v1/support/console/socket").await;
    sb.next_of("hello").await;

    let mut assignees = Vec::new();
    for i in 0..4 {
        let (_, id) = visitor_says(&app, &format!("question {i}")).await;
        let (_, detail) = a.get(&format!("/api/v1/support/conversations/{id}")).await;
        assignees.push(
            detail["conversation"]["assignee_id"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    assert_ne!(assignees[0], assignees[1]);
    assert_eq!(assignees[0], assignees[2]);
    assert_eq!(assignees[1], assignees[3]);
    assert!(
        assignees.iter().all(|x| *x == a_id || *x == b_id),
        "{assignees:?} {c_id}"
    );

    let (_, agents) = a.get("/api/v1/support/agents").await;
    let online: Vec<bool> = agents
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["online"].as_bool().unwrap())
        .collect();
    assert_eq!(online, [true, true, false], "{agents}");

    // Manual assignment, to an agent only.
    let (_, id) = visitor_says(&app, "manual").await;
    let path = format!("/api/v1/support/conversations/{id}/assignee");
    let (code, c) = a.put(&path, json!({"agent_id": c_id})).await;
    assert_eq!(
        (code, c["assignee_id"].as_str()),
        (200, Some(c_id.as_str()))
    );
    let (_, mine) = a.get("/api/v1/support/inbox?assignee=me").await;
    assert_eq!(mine.as_array().unwrap().len(), 2, "{mine}");
    let customer = Browser::new(&app);
    let customer_id = customer.signup("someone@example.com").await;
    let (code, e) = a.put(&path, json!({"agent_id": customer_id})).await;
    assert_eq!(
        (code, e["error"]["fields"]["agent_id"].is_string()),
        (422, true)
    );
    let (code, c) = a.put(&path, json!({"agent_id": null})).await;
    assert_eq!((code, c["assignee_id"].clone()), (200, Value::Null));

    // Closing a console ends that agent's presence.
    sb.close().await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (_, agents) = a.get("/api/v1/support/agents").await;
        if agents[1]["online"] == false {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "ben still online: {agents}"
        );
        tokio::task::yield_now().await;
    }
}

/// Mail in the outbox other than the address confirmations sent at sign-up.
fn support_mail(app: &TestApp) -> Vec<String> {
    app.state
        .mailer
        .outbox_messages()
        .into_iter()
        .filter(|m| !m.contains("Subject: Confirm your ThredOps address"))
        .collect()
}

async fn with_no_agent_online_replies_reach_the_email_the_visitor_left(app: TestApp) {
    let (desk, _) = agent(&app, "lee@support.example").await;
    let visitor = Browser::new(&app);
    let chat = visitor.open_chat().await;
    assert_eq!(chat["agents_online"], false);
    let (code, e) = visitor
        .put(
            "/api/v1/support/chat/email",
            json!({"email": "not an email"}),
        )
        .await;
    assert_eq!(
        (code, e["error"]["fields"]["email"].is_string()),
        (422, true)
    );
    let (code, _) = visitor
        .put(
            "/api/v1/support/chat/email",
            json!({"email": "Maya@Example.com"}),
        )
        .await;
    assert_eq!(code, 200);
    visitor
        .post(
            "/api/v1/support/chat/messages",
            json!({"body": "Can I export my data?"}),
        )
        .await;
    let id = chat["conversation_id"].as_str().unwrap();
    let (_, inbox) = desk.get("/api/v1/support/inbox").await;
    assert_eq!(inbox[0]["customer_email"], "maya@example.com");
    desk.post(
        &format!("/api/v1/support/conversations/{id}/messages"),
        json!({"body": "Yes: Settings, then Export."}),
    )
    .await;
    desk.post(
        &format!("/api/v1/support/conversations/{id}/messages"),
        json!({"body": "Private: she asked before", "private": true}),
    )
    .await;
    run_due_now(&app, thredops::support::kind::EMAIL_REPLY).await;
    let mail = support_mail(&app);
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert!(mail[0].contains("To: maya@example.com"), "{}", mail[0]);
    assert!(
        mail[0].contains("Yes: Settings, then Export."),
        "{}",
        mail[0]
    );
    assert!(!mail[0].contains("Private"), "notes are never emailed");

    // The conversation continues in the app, and a reply read there in time is not emailed.
    let reopened = visitor.open_chat().await;
    assert_eq!(reopened["messages"].as_array().unwrap().len(), 2);
    assert_eq!(reopened["unread"], 1);
    let (_, m) = desk
        .post(
            &format!("/api/v1/support/conversations/{id}/messages"),
            json!({"body": "Anything else?"}),
        )
        .await;
    let mut widget = visitor.socket("/api/v1/support/chat/socket").await;
    widget.next_of("hello").await;
    widget.send(json!({"type": "read", "up_to": m["id"]})).await;
    widget
        .send(json!({"type": "typing", "typing": false}))
        .await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while visitor.open_chat().await["unread"] != 0 {
        assert!(std::time::Instant::now() < deadline);
        tokio::task::yield_now().await;
    }
    run_due_now(&app, thredops::support::kind::EMAIL_REPLY).await;
    assert_eq!(support_mail(&app).len(), 1);
}

async fn tickets_are_private_and_deletion_requests_reach_the_privacy_hook(app: TestApp) {
    let maya = Browser::new(&app);
    let maya_id = maya.signup("maya@example.com").await;
    let (code, e) = maya
        .post(
            "/api/v1/support/tickets",
            json!({"category": "refund-me", "subject": "x", "body": "y"}),
        )
        .await;
    assert_eq!(
        (code, e["error"]["fields"]["category"].is_string()),
        (422, true)
    );
    let (code, e) = maya
        .post(
            "/api/v1/support/tickets",
            json!({"category": "bug", "subject": " ", "body": "y"}),
        )
        .await;
    assert_eq!(
        (code, e["error"]["fields"]["subject"].is_string()),
        (422, true)
    );
    let (code, ticket) = maya
        .post(
            "/api/v1/support/tickets",
            json!({"category": "data_deletion", "subject": "Data Deletion Request", "body": "Please erase everything."}),
        )
        .await;
    assert_eq!(code, 201, "{ticket}");
    let id = ticket["id"].as_str().unwrap();
    assert_eq!(ticket["category"], "data_deletion");

    let requests = thredops::support::deletion_requests(&app.state.store)
        .await
        .unwrap();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].user_id.as_deref(), Some(maya_id.as_str()));

    let (code, t) = maya.get(&format!("/api/v1/support/tickets/{id}")).await;
    assert_eq!(
        (code, t["messages"][0]["body"].as_str()),
        (200, Some("Please erase everything."))
    );
    let other = Browser::new(&app);
    other.signup("other@example.com").await;
    for (code, _) in [
        other.get(&format!("/api/v1/support/tickets/{id}")).await,
        other
            .post(
                &format!("/api/v1/support/tickets/{id}/messages"),
                json!({"body": "hi"}),
            )
            .await,
    ] {
        assert_eq!(code, 404);
    }
    let (_, list) = other.get("/api/v1/support/tickets").await;
    assert_eq!(list, json!([]));

    let (desk, _) = agent(&app, "dee@support.example").await;
    let (_, inbox) = desk
        .get("/api/v1/support/inbox?kind=ticket&category=data_deletion")
        .await;
    assert_eq!(inbox.as_array().unwrap().len(), 1);
    let (_, detail) = desk
        .get(&format!("/api/v1/support/conversations/{id}"))
        .await;
    assert_eq!(detail["customer"]["email"], "maya@example.com");
    assert_eq!(detail["customer"]["connected_profiles"], 0);
    assert!(
        thredops::support::resolve_deletion_request(&app.state.store, &id.into())
            .await
            .unwrap()
    );
    assert!(
        thredops::support::deletion_requests(&app.state.store)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn deleting_an_account_purges_its_conversations(app: TestApp) {
    let maya = Browser::new(&app);
    let maya_id = maya.signup("maya@example.com").await;
    maya.open_chat().await;
    maya.post("/api/v1/support/chat/messages", json!({"body": "hi"}))
        .await;
    maya.post(
        "/api/v1/support/tickets",
        json!({"category": "bug", "subject": "s", "body": "b"}),
    )
    .await;
    visitor_says(&app, "someone else").await;
    thredops::with_pool!(app.state.store, |p| sqlx::query(
        "DELETE FROM users WHERE id = $1"
    )
    .bind(&maya_id)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let (conversations, messages): (i64, i64) = thredops::with_pool!(app.state.store, |p| async {
        let c = sqlx::query_scalar("SELECT count(*) FROM support_conversations")
            .fetch_one(p)
            .await?;
        let m = sqlx::query_scalar("SELECT count(*) FROM support_messages")
            .fetch_one(p)
            .await?;
        Ok::<_, sqlx::Error>((c, m))
    }
    .await)
    .unwrap();
    assert_eq!(
        (conversations, messages),
        (1, 1),
        "only the visitor's chat is left"
    );
}

/// Two `thredops` instances on one PostgreSQL database: a reply sent through one reaches a
/// visitor connected to the other.
#[tokio::test]
async fn two_instances_on_postgres_deliver_a_message_sent_on_one_to_a_client_on_the_other() {
    let Some(one) = TestApp::spawn(Backend::Postgres).await else {
        eprintln!("skipped: THREDOPS_TEST_DATABASE_URL is not set");
        return;
    };
    let url = match &one.state.settings.database {
        thredops::config::DatabaseTarget::Postgres(url) => url.expose().to_owned(),
        other => panic!("{other:?}"),
    };
    let dir = one.data_dir.to_string_lossy().to_string();
    let two = TestApp::spawn_with(Backend::Sqlite, |raw| {
        raw.set("database_url", url);
        raw.set("data_dir", dir);
    })
    .await
    .unwrap();

    let (desk, _) = agent(&one, "ops@support.example").await;
    let visitor = Browser::new(&two);
    let chat = visitor.open_chat().await;
    let id = chat["conversation_id"].as_str().unwrap();
    let mut widget = visitor.socket("/api/v1/support/chat/socket").await;
    widget.next_of("hello").await;
    let mut console = desk.socket("/api/v1/support/console/socket").await;
    console.next_of("hello").await;

    let (code, sent) = desk
        .post(
            &format!("/api/v1/support/conversations/{id}/messages"),
            json!({"body": "Hello from instance one"}),
        )
        .await;
    assert_eq!(code, 201);
    let got = widget.message().await;
    assert_eq!(
        (got["id"].clone(), got["body"].as_str()),
        (sent["id"].clone(), Some("Hello from instance one"))
    );
    // And back: the visitor on instance two reaches the console on instance one.
    widget
        .send(json!({"type": "send", "body": "Hello from instance two", "client_id": "x"}))
        .await;
    let back = console.message_from("customer").await;
    assert_eq!(back["body"], "Hello from instance two");
    drop(two);
}
