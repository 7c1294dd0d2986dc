//! Support desk black-box tests: real WebSocket connections between visitors and agents.

mod attachments;
mod bench;
mod deletion;
mod harness;
mod inbox;
mod pages;
mod threads_data;
mod workflow;

use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_backends;
use harness::{Browser, agent};

on_both_backends!(
    a_visitor_and_an_agent_converse_live_with_typing_and_read_marks,
    the_continuity_cookie_brings_a_visitor_back_and_opens_no_one_elses_chat,
    a_reconnect_resumes_after_the_last_seen_message_without_loss_or_duplicates,
    oversized_and_too_fast_messages_are_refused_without_losing_the_rest,
    a_signed_in_creator_finds_their_chat_on_another_device,
    anonymous_chats_and_rest_messages_are_throttled,
);

async fn anonymous_chats_and_rest_messages_are_throttled(app: TestApp) {
    // One address: a few anonymous chats, then a wait.
    for n in 0..5 {
        let (status, body) = Browser::new(&app)
            .post("/api/v1/support/chat", json!({}))
            .await;
        assert_eq!(status, 200, "chat {n}: {body}");
    }
    let (status, body) = Browser::new(&app)
        .post("/api/v1/support/chat", json!({}))
        .await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(body["error"]["code"], "rate_limited");
    // A visitor who already has a chat keeps it: the budget is for new identities only.
    // Messages over REST: a burst of ten, then the pace of the live socket.
    let creator = Browser::new(&app);
    creator.signup("burst@example.com").await;
    creator.open_chat().await;
    let mut refused = 0;
    for n in 0..30 {
        let (status, _) = creator
            .post(
                "/api/v1/support/chat/messages",
                json!({"body": format!("message {n}")}),
            )
            .await;
        match status {
            201 => {}
            429 => refused += 1,
            other => panic!("unexpected {other}"),
        }
    }
    assert!(refused >= 10, "only {refused} of 30 refused");
    let (_, messages) = creator.get("/api/v1/support/chat/messages").await;
    let kept = messages
        .as_array()
        .map(Vec::len)
        .unwrap_or_else(|| messages["messages"].as_array().map(Vec::len).unwrap_or(0));
    assert_eq!(
        kept,
        30 - refused,
        "every accepted message is kept: {messages}"
    );
}

async fn a_signed_in_creator_finds_their_chat_on_another_device(app: TestApp) {
    let laptop = Browser::new(&app);
    laptop.signup("maya@example.com").await;
    let chat = laptop.open_chat().await;
    assert_eq!(chat["signed_in"], true);
    assert_eq!(
        chat["email"], "maya@example.com",
        "the offline form is prefilled with the account email"
    );
    assert!(
        laptop
            .cookie_header()
            .unwrap()
            .split("; ")
            .all(|c| !c.starts_with("thredops_support="))
    );
    laptop
        .post(
            "/api/v1/support/chat/messages",
            json!({"body": "Started on my laptop"}),
        )
        .await;

    let phone = Browser::new(&app);
    let (status, _) = phone
        .post(
            "/api/v1/auth/login",
            json!({"email": "maya@example.com", "password": crate::connect::PASSWORD}),
        )
        .await;
    assert_eq!(status, 200);
    let same = phone.open_chat().await;
    assert_eq!(same["conversation_id"], chat["conversation_id"]);
    assert_eq!(same["messages"][0]["body"], "Started on my laptop");
}

async fn a_visitor_and_an_agent_converse_live_with_typing_and_read_marks(app: TestApp) {
    let (agent_browser, agent_id) = agent(&app, "alex@support.example").await;
    let mut console = agent_browser.socket("/api/v1/support/console/socket").await;
    assert_eq!(
        console.next_of("hello").await["agent_id"],
        agent_id.as_str()
    );

    let visitor = Browser::new(&app);
    let chat = visitor.open_chat().await;
    assert_eq!(chat["agents_online"], true, "{chat}");
    assert_eq!(chat["messages"], json!([]));
    let mut widget = visitor.socket("/api/v1/support/chat/socket").await;
    let hello = widget.next_of("hello").await;
    assert_eq!(hello["conversation_id"], chat["conversation_id"]);

    widget
        .send(json!({"type": "send", "body": "  My sync is stuck at 40%  ", "client_id": "c-1"}))
        .await;
    let ack = widget.next_of("ack").await;
    assert_eq!(ack["client_id"], "c-1");
    let seen = console.message().await;
    assert_eq!(seen["body"], "My sync is stuck at 40%");
    assert_eq!(seen["author"], "customer");
    assert_eq!(seen["id"], ack["id"]);
    let conversation_id = seen["conversation_id"].as_str().unwrap().to_owned();
    // The only online agent gets the new conversation.
    let assigned = console.next_of("conversation").await;
    assert_eq!(assigned["assignee_id"], agent_id.as_str());

    widget.send(json!({"type": "typing", "typing": true})).await;
    let typing = console.next_of("typing").await;
    assert_eq!(
        (typing["from"].as_str(), typing["typing"].as_bool()),
        (Some("customer"), Some(true))
    );

    console
        .send(json!({"type": "send", "conversation_id": conversation_id, "body": "Internal: check the backfill job", "private": true, "client_id": "n-1"}))
        .await;
    console
        .send(json!({"type": "send", "conversation_id": conversation_id, "body": "Hi! Looking at it now.", "client_id": "a-1"}))
        .await;
    let reply = widget.message_from("agent").await;
    assert_eq!(
        reply["body"], "Hi! Looking at it now.",
        "the private note never reaches the visitor"
    );
    assert_eq!(
        (reply["author"].as_str(), reply["agent_name"].as_str()),
        (Some("agent"), Some("alex"))
    );

    widget
        .send(json!({"type": "read", "up_to": reply["id"]}))
        .await;
    let read = console.next_of("read").await;
    assert_eq!(
        (read["by"].as_str(), read["up_to"].clone()),
        (Some("customer"), reply["id"].clone())
    );

    // The agent's view holds all three lines, the note included; the visitor's history two.
    let (status, detail) = agent_browser
        .get(&format!("/api/v1/support/conversations/{conversation_id}"))
        .await;
    assert_eq!(status, 200, "{detail}");
    let authors: Vec<&str> = detail["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["author"].as_str().unwrap())
        .collect();
    assert_eq!(authors, ["customer", "note", "agent"]);
    assert_eq!(detail["customer"]["kind"], "Visitor");
    let (_, history) = visitor.get("/api/v1/support/chat/messages").await;
    assert_eq!(history.as_array().unwrap().len(), 2, "{history}");
    let reopened = visitor.open_chat().await;
    assert_eq!(reopened["unread"], 0, "the reply was marked read");
}

async fn the_continuity_cookie_brings_a_visitor_back_and_opens_no_one_elses_chat(app: TestApp) {
    let maya = Browser::new(&app);
    let first = maya.open_chat().await;
    let cookie = maya.cookie_header().expect("the chat set a cookie");
    assert!(cookie.starts_with("thredops_support="), "{cookie}");
    let token = cookie.trim_start_matches("thredops_support=").to_owned();
    assert_eq!(token.len(), 43, "256 random bits, base64url");
    let (status, _) = maya
        .post(
            "/api/v1/support/chat/messages",
            json!({"body": "Do you support two accounts?"}),
        )
        .await;
    assert_eq!(status, 201);

    // Same cookie on another day (a new browser process): same conversation, same history.
    let back = maya.clone_to(&app.address);
    let again = back.open_chat().await;
    assert_eq!(again["conversation_id"], first["conversation_id"]);
    assert_eq!(again["messages"][0]["body"], "Do you support two accounts?");

    // Someone else, and someone with a made-up token, get their own empty chat.
    let other = Browser::new(&app);
    let theirs = other.open_chat().await;
    assert_ne!(theirs["conversation_id"], first["conversation_id"]);
    assert_eq!(theirs["messages"], json!([]));
    let forger = Browser::new(&app);
    forger.jar_add(
        &app.address,
        "thredops_support=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
    );
    let forged = forger.open_chat().await;
    assert_ne!(forged["conversation_id"], first["conversation_id"]);
    assert_eq!(forged["messages"], json!([]));

    // Without any cookie there is no chat to read, and the token is stored only as a hash.
    let (status, _) = Browser::new(&app)
        .get("/api/v1/support/chat/messages")
        .await;
    assert_eq!(status, 404);
    let stored: Vec<String> = thredops::with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT token_hash FROM support_visitors"
    )
    .fetch_all(p)
    .await)
    .unwrap();
    assert!(
        stored.iter().all(|h| h.len() == 64 && *h != token),
        "{stored:?}"
    );

    // Pages of other sites cannot open the visitor's chat socket with the visitor's cookie.
    let socket = "/api/v1/support/chat/socket";
    assert_eq!(
        maya.handshake_status(socket, "https://evil.example").await,
        403
    );
    assert_eq!(maya.handshake_status(socket, &app.address).await, 101);

    // A visitor is not an agent.
    let (status, _) = maya.get("/api/v1/support/inbox").await;
    assert_eq!(status, 401);
    // The cookie is listed in the cookie policy.
    let policy = app.get("/cookies").await.text().await.unwrap();
    assert!(
        policy.contains("thredops_support"),
        "cookie policy lists the chat cookie"
    );
}

async fn a_reconnect_resumes_after_the_last_seen_message_without_loss_or_duplicates(app: TestApp) {
    let (agent_browser, _) = agent(&app, "sam@support.example").await;
    let visitor = Browser::new(&app);
    visitor.open_chat().await;
    let mut widget = visitor.socket("/api/v1/support/chat/socket").await;
    widget.next_of("hello").await;
    widget
        .send(json!({"type": "send", "body": "one", "client_id": "m1"}))
        .await;
    let first = widget.message().await;
    let conversation = first["conversation_id"].as_str().unwrap().to_owned();
    widget.close().await;

    // While the visitor is away the agent answers three times.
    for body in ["two", "three", "four"] {
        let (status, _) = agent_browser
            .post(
                &format!("/api/v1/support/conversations/{conversation}/messages"),
                json!({"body": body}),
            )
            .await;
        assert_eq!(status, 201);
    }
    let mut widget = visitor
        .socket(&format!(
            "/api/v1/support/chat/socket?after={}",
            first["id"]
        ))
        .await;
    widget.next_of("hello").await;
    let mut bodies = Vec::new();
    for _ in 0..3 {
        bodies.push(widget.message().await["body"].as_str().unwrap().to_owned());
    }
    assert_eq!(bodies, ["two", "three", "four"]);

    // A resend of an already stored message (its ack was lost) is acknowledged, not repeated.
    widget
        .send(json!({"type": "send", "body": "one", "client_id": "m1"}))
        .await;
    let ack = widget.next_of("ack").await;
    assert_eq!(ack["id"], first["id"]);
    widget
        .send(json!({"type": "send", "body": "five", "client_id": "m5"}))
        .await;
    let live = widget.message().await;
    assert_eq!(live["body"], "five", "no duplicate arrived before it");
    let (_, history) = visitor.get("/api/v1/support/chat/messages").await;
    let all: Vec<&str> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(all, ["one", "two", "three", "four", "five"]);
}

async fn oversized_and_too_fast_messages_are_refused_without_losing_the_rest(app: TestApp) {
    let visitor = Browser::new(&app);
    visitor.open_chat().await;
    let mut widget = visitor.socket("/api/v1/support/chat/socket").await;
    widget.next_of("hello").await;
    widget
        .send(json!({"type": "send", "body": "x".repeat(4001), "client_id": "big"}))
        .await;
    let refused = widget.next_of("error").await;
    assert_eq!(
        (refused["code"].as_str(), refused["client_id"].as_str()),
        (Some("validation_failed"), Some("big"))
    );
    assert!(
        refused["message"].as_str().unwrap().contains("4000"),
        "{refused}"
    );

    // A burst of 25: the first ones pass, the rest are refused by name; nothing half-stored.
    for i in 0..25 {
        widget
            .send(
                json!({"type": "send", "body": format!("burst {i}"), "client_id": format!("b{i}")}),
            )
            .await;
    }
    let (mut acked, mut limited) = (0, 0);
    while acked + limited < 25 {
        let v = widget.next().await;
        match v["type"].as_str() {
            Some("ack") => acked += 1,
            Some("error") => {
                assert_eq!(v["code"], "rate_limited");
                limited += 1;
            }
            _ => {}
        }
    }
    assert!(
        acked >= 9 && limited >= 10,
        "acked {acked}, limited {limited}"
    );
    let (_, history) = visitor.get("/api/v1/support/chat/messages").await;
    assert_eq!(history.as_array().unwrap().len(), acked);
}
