//! The console's inbox past its first page, and search.

use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_backends;

use super::harness::{Browser, agent};

on_both_backends!(agents_page_through_the_inbox_and_search_it);

async fn agents_page_through_the_inbox_and_search_it(app: TestApp) {
    let maya = Browser::new(&app);
    maya.signup("maya.lopez@example.com").await;
    for n in 0..55 {
        let body = if n == 7 {
            "My zebra_invoice is wrong".to_owned()
        } else {
            format!("Question number {n}")
        };
        let (code, t) = maya
            .post(
                "/api/v1/support/tickets",
                json!({"category": "billing", "subject": format!("Ticket {n}"), "body": body}),
            )
            .await;
        assert_eq!(code, 201, "{t}");
    }
    let (desk, _) = agent(&app, "dee@support.example").await;
    let (_, first) = desk.get("/api/v1/support/inbox?kind=ticket").await;
    let (_, second) = desk.get("/api/v1/support/inbox?kind=ticket&page=1").await;
    assert_eq!(first.as_array().unwrap().len(), 50);
    assert_eq!(
        second.as_array().unwrap().len(),
        5,
        "the rest on the next page"
    );

    // The page links to the older conversations, keeping the filters.
    let html = |path: String| {
        let desk = &desk;
        let app = &app;
        async move {
            desk.client
                .get(app.url(&path))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap()
                .replace("&amp;", "&")
                .replace("&#x2f;", "/")
        }
    };
    let page = html("/app/support/console?kind=ticket".into()).await;
    assert_eq!(page.matches("data-row=").count(), 50);
    let marker = "id=\"older-conversations\"";
    assert!(page.contains(marker), "{page}");
    let at = page.find("rel=\"next\"").unwrap();
    let href_at = page[..at].rfind("href=\"").unwrap() + 6;
    let older = page[href_at..].split('"').next().unwrap().to_owned();
    assert!(
        older.contains("kind=ticket") && older.contains("page=1"),
        "{older}"
    );
    let page = html(older).await;
    assert_eq!(page.matches("data-row=").count(), 5);
    assert!(page.contains("rel=\"prev\"") && !page.contains(marker));

    // Search finds words in messages, subjects and the customer's email; wildcards are literal.
    let (_, hits) = desk.get("/api/v1/support/inbox?q=ZEBRA_invoice").await;
    let hits = hits.as_array().unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["subject"], "Ticket 7");
    let (_, hits) = desk.get("/api/v1/support/inbox?q=Ticket%2012").await;
    assert_eq!(hits.as_array().unwrap().len(), 1);
    let (_, hits) = desk.get("/api/v1/support/inbox?q=maya.lopez&page=1").await;
    assert_eq!(hits.as_array().unwrap().len(), 5);
    let (_, hits) = desk.get("/api/v1/support/inbox?q=%25").await;
    assert_eq!(hits.as_array().unwrap().len(), 0, "% is not a wildcard");
    let page = html("/app/support/console?q=zebra".into()).await;
    assert_eq!(page.matches("data-row=").count(), 1);
    assert!(page.contains("value=\"zebra\""));
}

on_both_backends!(when_nobody_is_online_the_team_is_emailed_once_about_a_waiting_customer);

async fn when_nobody_is_online_the_team_is_emailed_once_about_a_waiting_customer(app: TestApp) {
    let (desk, _) = agent(&app, "dee@support.example").await;
    let team_mails = |app: &TestApp| {
        app.state
            .mailer
            .outbox_messages()
            .into_iter()
            .filter(|m| m.contains("a customer is waiting"))
            .collect::<Vec<_>>()
    };
    let creator = Browser::new(&app);
    creator.signup("waiting@example.com").await;
    creator.open_chat().await;
    for body in ["Hello?", "Anyone there?"] {
        let (code, _) = creator
            .post("/api/v1/support/chat/messages", json!({"body": body}))
            .await;
        assert_eq!(code, 201);
    }
    crate::connect::run_due_now(&app, thredops::support::kind::NOTIFY_TEAM).await;
    let mails = team_mails(&app);
    assert_eq!(mails.len(), 1, "two messages, one email: {mails:?}");
    assert!(mails[0].contains("To: dee@support.example"));
    assert!(mails[0].contains("2 message(s) in the live chat"));
    assert!(mails[0].contains("/app/support/console?c="));

    // With an agent online nobody is emailed.
    let mut console = desk.socket("/api/v1/support/console/socket").await;
    console.next_of("hello").await;
    let (code, _) = creator
        .post(
            "/api/v1/support/chat/messages",
            json!({"body": "Still here"}),
        )
        .await;
    assert_eq!(code, 201);
    crate::connect::run_due_now(&app, thredops::support::kind::NOTIFY_TEAM).await;
    assert_eq!(team_mails(&app).len(), 1);
    console.close().await;
}

on_both_backends!(an_agent_turns_a_chat_into_a_ticket_and_the_customer_finds_it_there);

async fn an_agent_turns_a_chat_into_a_ticket_and_the_customer_finds_it_there(app: TestApp) {
    let creator = Browser::new(&app);
    creator.signup("follow.up@example.com").await;
    creator.open_chat().await;
    let (_, m) = creator
        .post(
            "/api/v1/support/chat/messages",
            json!({"body": "My scheduled posts vanished last week"}),
        )
        .await;
    let chat = m["conversation_id"].as_str().unwrap().to_owned();
    let (desk, _) = agent(&app, "dee@support.example").await;
    let console = desk
        .client
        .get(app.url(&format!("/app/support/console?c={chat}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(console.contains("id=\"to-ticket\""));
    let r = desk
        .client
        .post(app.url(&format!("/app/support/console/{chat}/to-ticket")))
        .form(&[
            ("csrf", crate::connect::csrf_in(&console).as_str()),
            ("subject", "Scheduled posts missing"),
            ("category", "bug"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);

    let (_, tickets) = creator.get("/api/v1/support/tickets").await;
    let tickets = tickets.as_array().unwrap();
    assert_eq!(tickets.len(), 1);
    assert_eq!(tickets[0]["id"], chat.as_str());
    assert_eq!(tickets[0]["subject"], "Scheduled posts missing");
    assert_eq!(tickets[0]["category"], "bug");
    let (_, ticket) = creator
        .get(&format!("/api/v1/support/tickets/{chat}"))
        .await;
    let bodies: Vec<&str> = ticket["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert!(bodies.contains(&"My scheduled posts vanished last week"));
    assert!(
        bodies
            .iter()
            .any(|b| b.contains("This chat is now a ticket")),
        "{bodies:?}"
    );
    // The next chat starts afresh.
    let opened = creator.open_chat().await;
    assert_ne!(opened["conversation"]["id"], chat.as_str(), "{opened}");
}

on_both_backends!(customers_see_the_name_an_agent_chose);

async fn customers_see_the_name_an_agent_chose(app: TestApp) {
    let creator = Browser::new(&app);
    creator.signup("named@example.com").await;
    creator.open_chat().await;
    let (_, m) = creator
        .post("/api/v1/support/chat/messages", json!({"body": "Hi"}))
        .await;
    let chat = m["conversation_id"].as_str().unwrap().to_owned();
    let (desk, _) = agent(&app, "dee.k@support.example").await;
    let page = |desk: &Browser| {
        let url = app.url("/app/support/console");
        let client = desk.client.clone();
        async move { client.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let console = page(&desk).await;
    let csrf = crate::connect::csrf_in(&console);
    let refused = desk
        .client
        .post(app.url("/app/support/console/name"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("display_name", "dee@evil.example"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 422, "a name cannot look like an address");
    let r = desk
        .client
        .post(app.url("/app/support/console/name"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("display_name", "Dee from ThredOps"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let (code, _) = desk
        .post(
            &format!("/api/v1/support/conversations/{chat}/messages"),
            json!({"body": "Hello! How can I help?"}),
        )
        .await;
    assert!(code == 200 || code == 201, "{code}");
    let (_, history) = creator.get("/api/v1/support/chat/messages").await;
    let reply = history
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["author"] == "agent")
        .expect("the reply");
    assert_eq!(reply["agent_name"], "Dee from ThredOps");
    assert!(page(&desk).await.contains("value=\"Dee from ThredOps\""));
}

on_both_backends!(what_a_visitor_wrote_joins_the_account_they_sign_in_to);

async fn what_a_visitor_wrote_joins_the_account_they_sign_in_to(app: TestApp) {
    let bodies = |history: &serde_json::Value| {
        history
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["body"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    // An account with a chat of its own, then signed out.
    let device = Browser::new(&app);
    device.signup("joined@example.com").await;
    device.open_chat().await;
    device
        .post(
            "/api/v1/support/chat/messages",
            json!({"body": "As a member: hello"}),
        )
        .await;
    device.post("/api/v1/auth/logout", json!({})).await;
    // Signed out on the same device, the visitor chats anonymously...
    device.open_chat().await;
    let (code, _) = device
        .post(
            "/api/v1/support/chat/messages",
            json!({"body": "As a visitor: my card failed"}),
        )
        .await;
    assert_eq!(code, 201);
    let (_, anonymous) = device.get("/api/v1/support/chat/messages").await;
    assert_eq!(bodies(&anonymous), ["As a visitor: my card failed"]);
    // ...then signs in: one chat holds both.
    let (code, _) = device
        .post(
            "/api/v1/auth/login",
            json!({"email": "joined@example.com", "password": crate::connect::PASSWORD}),
        )
        .await;
    assert_eq!(code, 200);
    device.open_chat().await;
    let (_, history) = device.get("/api/v1/support/chat/messages").await;
    assert_eq!(
        bodies(&history),
        ["As a member: hello", "As a visitor: my card failed"]
    );
    let (desk, _) = agent(&app, "dee@support.example").await;
    let (_, inbox) = desk.get("/api/v1/support/inbox?kind=chat").await;
    let inbox = inbox.as_array().unwrap();
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert_eq!(inbox[0]["customer_email"], "joined@example.com");
}

on_both_backends!(a_visitor_who_signs_up_finds_their_anonymous_chat_in_the_new_account);

async fn a_visitor_who_signs_up_finds_their_anonymous_chat_in_the_new_account(app: TestApp) {
    // A visitor asks before having an account, with a screenshot.
    let device = Browser::new(&app);
    device.open_chat().await;
    let (code, _) = device
        .post(
            "/api/v1/support/chat/messages",
            json!({"body": "Before signing up: does the Pro plan include analytics?"}),
        )
        .await;
    assert_eq!(code, 201);
    let r = device
        .client
        .post(app.url("/api/v1/support/chat/attachments?filename=pricing.png"))
        .body(crate::publishing::support::png(120, 80))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let image: serde_json::Value = r.json().await.unwrap();
    let image_url = image["attachment"]["url"].as_str().unwrap().to_owned();
    let (desk, _) = agent(&app, "sam@support.example").await;
    let (_, inbox) = desk.get("/api/v1/support/inbox?kind=chat").await;
    let visitor_conversation = inbox[0]["id"].clone();
    let (code, _) = desk
        .post(
            &format!(
                "/api/v1/support/conversations/{}/messages",
                visitor_conversation.as_str().unwrap()
            ),
            json!({"body": "Yes, it does."}),
        )
        .await;
    assert_eq!(code, 201);

    // On the same device they sign up through the mailed confirmation link (which signs in).
    let account = device.signup("newcomer@example.com").await;
    let chat = device.open_chat().await;
    assert_eq!(chat["signed_in"], true);
    let bodies: Vec<&str> = chat["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(
        bodies,
        [
            "Before signing up: does the Pro plan include analytics?",
            "Image: pricing.png",
            "Yes, it does."
        ],
        "the whole anonymous chat is in the new account"
    );
    assert_eq!(chat["conversation_id"], visitor_conversation);
    let r = device.client.get(app.url(&image_url)).send().await.unwrap();
    assert_eq!(r.status(), 200, "their image is theirs after signing up");

    // Another device of the same account finds it too, and the agent sees the account.
    let other = Browser::new(&app);
    let (code, _) = other
        .post(
            "/api/v1/auth/login",
            json!({"email": "newcomer@example.com", "password": crate::connect::PASSWORD}),
        )
        .await;
    assert_eq!(code, 200);
    let elsewhere = other.open_chat().await;
    assert_eq!(elsewhere["conversation_id"], visitor_conversation);
    assert_eq!(elsewhere["messages"].as_array().unwrap().len(), 3);
    let (_, inbox) = desk.get("/api/v1/support/inbox?kind=chat").await;
    let inbox = inbox.as_array().unwrap();
    assert_eq!(inbox.len(), 1, "{inbox:?}");
    assert_eq!(inbox[0]["customer_email"], "newcomer@example.com");
    assert_eq!(inbox[0]["user_id"], account.as_str());
}
