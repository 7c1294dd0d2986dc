//! The support chat widget in a real browser: a visitor on the landing page chats with an agent
//! (driven from Rust over the console socket), sees the read mark, typing, the reply and the
//! unread badge, and gets the conversation back after a reload through the continuity cookie.

use std::sync::Arc;
use std::time::{Duration, Instant};

use fantoccini::Locator;
use futures_util::{SinkExt, StreamExt};
use reqwest::cookie::CookieStore;
use serde_json::{Value, json};
use thredops::domain::{Email, Role};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::driver::Browser;
use crate::helpers::{Backend, TestApp};

const PASSWORD: &str = "support-journey-passphrase";

/// A support agent at the console: signed in over HTTP, online while the socket is open.
struct Desk {
    socket: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Desk {
    async fn online(app: &TestApp, email: &str) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        let r = crate::helpers::sign_up_with(app, &http, email, PASSWORD).await;
        assert_eq!(r.status(), 200);
        let email = Email::parse(email).unwrap();
        app.state
            .store
            .set_role(&email, Role::Support)
            .await
            .unwrap();
        // Staff tools need two-step sign-in.
        crate::helpers::enrol_totp(app, &http).await;
        let cookies = jar.cookies(&app.address.parse().unwrap()).unwrap();
        let url = app
            .url("/api/v1/support/console/socket")
            .replace("http://", "ws://");
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert("cookie", cookies);
        let (socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        let mut desk = Self { socket };
        desk.next_of("hello").await;
        desk
    }

    async fn send(&mut self, frame: Value) {
        let text = Message::Text(frame.to_string().into());
        self.socket.send(text).await.unwrap();
    }

    /// The next frame of `kind`, within 20 seconds.
    async fn next_of(&mut self, kind: &str) -> Value {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let frame = tokio::time::timeout_at(deadline, self.socket.next())
                .await
                .unwrap_or_else(|_| panic!("no {kind} frame within 20 seconds"))
                .expect("console socket open")
                .unwrap();
            if let Message::Text(t) = frame {
                let v: Value = serde_json::from_str(t.as_str()).unwrap();
                if v["type"] == kind {
                    return v;
                }
            }
        }
    }
}

/// Waits (bounded) until the element at `css` is shown (`true`) or hidden or absent (`false`).
async fn wait_shown(browser: &Browser, css: &str, shown: bool) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let now = match browser.client.find(Locator::Css(css)).await {
            Ok(e) => e.is_displayed().await.unwrap_or(false),
            Err(_) => false,
        };
        if now == shown {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{css} never became {}",
            if shown { "visible" } else { "hidden" }
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn click(browser: &Browser, css: &str) {
    let element = browser.client.find(Locator::Css(css)).await.unwrap();
    element.click().await.unwrap();
}

#[tokio::test]
async fn a_visitor_chats_with_an_agent_from_the_landing_page_and_finds_it_after_a_reload() {
    let Some(browser) = Browser::start("support-chat").await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let mut desk = Desk::online(&app, "kai@support.example").await;
    let c = &browser.client;

    // The widget's launcher appears once the script runs; no cookie until it is opened.
    c.goto(&app.url("/")).await.unwrap();
    wait_shown(&browser, "[data-launcher]", true).await;
    wait_shown(&browser, "[data-badge]", false).await;
    assert!(c.get_named_cookie("thredops_support").await.is_err());
    browser.step("landing-widget").await;
    click(&browser, "[data-launcher]").await;
    browser.wait_for_text("We are online").await;
    assert!(c.get_named_cookie("thredops_support").await.is_ok());
    browser.step("chat-open").await;

    // The visitor writes; the agent receives it, then is seen typing.
    let body = c.find(Locator::Id("support-body")).await.unwrap();
    body.send_keys("My sync is stuck at 40%").await.unwrap();
    click(&browser, "[data-compose] button[type=submit]").await;
    let message = desk.next_of("message").await["message"].clone();
    assert_eq!(message["body"], "My sync is stuck at 40%");
    let conversation = message["conversation_id"].clone();
    wait_shown(&browser, ".support-msg-customer[data-id]", true).await;
    browser.step("message-sent").await;
    desk.send(json!({"type": "read", "conversation_id": conversation, "up_to": message["id"]}))
        .await;
    wait_shown(&browser, ".support-msg-customer.support-seen", true).await;
    desk.send(json!({"type": "typing", "conversation_id": conversation, "typing": true}))
        .await;
    browser.wait_for_text("Support is typing").await;
    browser.step("agent-typing").await;

    // With the panel closed, the reply shows as an unread badge on the launcher.
    click(&browser, "[data-close]").await;
    wait_shown(&browser, "[data-panel]", false).await;
    desk.send(json!({"type": "send", "conversation_id": conversation, "body": "Hi! Looking at it now.", "client_id": "a-1"}))
        .await;
    wait_shown(&browser, "[data-badge]", true).await;
    let badge = c.find(Locator::Css("[data-badge]")).await.unwrap();
    assert_eq!(badge.text().await.unwrap(), "1");
    browser.step("unread-badge").await;

    // Opening the chat shows the reply, clears the badge and tells the agent it was read.
    click(&browser, "[data-launcher]").await;
    browser.wait_for_text("Hi! Looking at it now.").await;
    wait_shown(&browser, "[data-badge]", false).await;
    assert!(!browser.text().await.contains("Support is typing"));
    let read = desk.next_of("read").await;
    assert_eq!(read["by"], "customer");
    browser.step("reply-read").await;

    // A screenshot: a file that is no image is refused beside the file input and what is being
    // typed stays; a real PNG arrives as a thumbnail on both sides.
    let dir = std::env::temp_dir().join(format!("thredops-chat-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let fake = dir.join("screenshot.png");
    std::fs::write(&fake, b"GIF89a-renamed-to-look-like-a-png").unwrap();
    let real = dir.join("sync-stuck.png");
    std::fs::write(&real, crate::publishing::solid_png(120, 80, [200, 40, 40])).unwrap();
    let body = c.find(Locator::Id("support-body")).await.unwrap();
    body.send_keys("Here is what I see").await.unwrap();
    let file = c.find(Locator::Id("support-file")).await.unwrap();
    file.send_keys(fake.to_str().unwrap()).await.unwrap();
    browser
        .wait_for_text("Attach a JPEG or PNG image; this file is neither.")
        .await;
    wait_shown(&browser, "#support-file-error", true).await;
    assert_eq!(
        c.find(Locator::Id("support-file"))
            .await
            .unwrap()
            .attr("aria-invalid")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    assert_eq!(
        body.prop("value").await.unwrap().as_deref(),
        Some("Here is what I see"),
        "the text being typed is kept"
    );
    browser.step_refused("image-refused", 422).await;
    file.send_keys(real.to_str().unwrap()).await.unwrap();
    let sent = desk.next_of("message").await["message"].clone();
    assert_eq!(sent["attachment"]["file_name"], "sync-stuck.png");
    wait_shown(
        &browser,
        ".support-msg-customer[data-id] img.support-thumb",
        true,
    )
    .await;
    wait_shown(&browser, "#support-file-error", false).await;
    let width = c
        .execute(
            "var i = document.querySelector('img.support-thumb'); return i.complete ? i.naturalWidth : 0;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(width, json!(120), "the thumbnail is the image itself");
    browser.step("image-sent").await;
    std::fs::remove_dir_all(&dir).unwrap();

    // After a reload the continuity cookie brings the same conversation back.
    c.execute("window.beforeReload = true;", vec![])
        .await
        .unwrap();
    c.refresh().await.unwrap();
    let reloaded = c
        .execute("return window.beforeReload === undefined;", vec![])
        .await
        .unwrap();
    assert_eq!(reloaded, json!(true), "the page was loaded afresh");
    wait_shown(&browser, "[data-launcher]", true).await;
    click(&browser, "[data-launcher]").await;
    browser.wait_for_text("Hi! Looking at it now.").await;
    let text = browser.text().await;
    assert!(text.contains("My sync is stuck at 40%"), "{text}");
    wait_shown(&browser, "img.support-thumb[alt='sync-stuck.png']", true).await;
    browser.step("after-reload").await;
    browser.finish().await;
    // As in `setup::Journey::finish`: close SQLite before the process can exit.
    app.state.store.close().await;
}

/// A support agent's session, made over HTTP (signed up, address confirmed, two-step sign-in
/// enrolled as staff tools require) and handed to the browser: the journey's browser becomes
/// the agent's.
pub(crate) struct AgentSession {
    jar: Arc<reqwest::cookie::Jar>,
}

impl AgentSession {
    pub(crate) async fn create(app: &TestApp, email: &str) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let http = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .build()
            .unwrap();
        let r = crate::helpers::sign_up_with(app, &http, email, PASSWORD).await;
        assert_eq!(r.status(), 200);
        app.state
            .store
            .set_role(&Email::parse(email).unwrap(), Role::Support)
            .await
            .unwrap();
        crate::helpers::enrol_totp(app, &http).await;
        Self { jar }
    }

    /// Signs the browser in as this agent (any other session's cookies are dropped).
    pub(crate) async fn enter(&self, j: &crate::setup::Journey) {
        j.open("/").await;
        j.client.delete_all_cookies().await.unwrap();
        let header = self
            .jar
            .cookies(&j.app.address.parse().unwrap())
            .expect("the agent has a session");
        // Set from the page (WebDriver's cookie command refuses these on a plain-http origin);
        // the server reads the cookie the same way whoever set it.
        for pair in header.to_str().unwrap().split("; ") {
            j.client
                .execute(
                    "document.cookie = arguments[0] + '; path=/; SameSite=Lax';",
                    vec![json!(pair)],
                )
                .await
                .unwrap();
        }
    }
}

/// A creator asks for deletion through a support ticket, confirms through the emailed link, and a
/// support agent carries it out from the console, which shows the deadline and then the receipt.
#[tokio::test]
async fn a_deletion_request_ticket_is_confirmed_by_email_and_carried_out_from_the_console() {
    let Some(j) = crate::setup::Journey::start("support-deletion").await else {
        return;
    };
    let email = "ines.moreau@example.com";
    j.sign_up(email).await;
    let agent = AgentSession::create(&j.app, "noor@support.example").await;

    // The ticket form starts at a neutral category; the creator picks the deletion request.
    j.open("/app/support").await;
    j.wait_for_text("Open a ticket").await;
    let category = j.element("#category").await;
    assert_eq!(
        category.prop("value").await.unwrap().as_deref(),
        Some("other")
    );
    category.select_by_value("data_deletion").await.unwrap();
    j.fill("#subject", "Please delete my account").await;
    j.fill("#body", "I am leaving ThredOps; erase everything.")
        .await;
    j.step("deletion-ticket-filled").await;
    j.click("form[action='/app/support/tickets'] button[type=submit]")
        .await;
    j.wait_for_text("We emailed a confirmation link").await;
    j.step("deletion-ticket-opened").await;
    let ticket = j.path().await;
    let id = ticket
        .trim_start_matches("/app/support/tickets/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();

    // The link in the email, opened in the browser: a page with a button.
    let mail = j.app.state.mailer.outbox_messages().join("\n");
    let marker = "/privacy/deletion-request/ticket?token=";
    let at = mail.find(marker).expect("a confirmation link was emailed");
    let link: String = mail[at..].split_whitespace().next().unwrap().to_owned();
    j.open(&link).await;
    j.wait_for_text("Confirm your deletion request").await;
    j.step("deletion-confirm").await;
    j.click("form[action='/privacy/deletion-request/ticket'] button")
        .await;
    j.wait_for_text("your request is confirmed").await;
    j.step("deletion-confirmed").await;

    // The agent works on this browser and finds the request with its deadline.
    agent.enter(&j).await;
    j.open(&format!("/app/support/console?c={id}")).await;
    j.wait_for_text("Data deletion request").await;
    let panel = j.element("#deletion-request").await.text().await.unwrap();
    assert!(panel.contains("days left"), "{panel}");
    assert!(panel.contains("confirmed by the emailed link"), "{panel}");
    j.step("console-deletion-request").await;
    j.click("form[action$='/erase'] button").await;
    j.wait_for_text("The account was deleted").await;
    let notice = j.element("#console-notice").await.text().await.unwrap();
    assert!(notice.contains("/privacy/deletion/"), "{notice}");
    j.step("console-deleted").await;
    assert!(
        j.app
            .state
            .store
            .user_by_email(&Email::parse(email).unwrap())
            .await
            .unwrap()
            .is_none(),
        "the account is gone"
    );
    j.finish().await;
}

/// At the console, a reply the server refuses (an unknown canned shortcut) shows the reason and
/// keeps the text in the box; a valid reply then goes through and the box empties.
#[tokio::test]
async fn a_refused_console_reply_shows_why_and_keeps_the_text() {
    let Some(j) = crate::setup::Journey::start("support-refused-reply").await else {
        return;
    };
    let creator = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let r = crate::helpers::sign_up_with(&j.app, &creator, "omar@example.com", PASSWORD).await;
    assert_eq!(r.status(), 200);
    creator
        .post(j.app.url("/api/v1/support/chat"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let m: Value = creator
        .post(j.app.url("/api/v1/support/chat/messages"))
        .json(&json!({"body": "Where are my invoices?"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = m["conversation_id"].as_str().unwrap().to_owned();

    let agent = "rita@support.example";
    AgentSession::create(&j.app, agent).await.enter(&j).await;
    j.open(&format!("/app/support/console?c={id}")).await;
    j.wait_for_text("Where are my invoices?").await;
    // The console's live socket is open once the agent shows online.
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let online = j
            .app
            .state
            .store
            .support_online_agents(thredops::clock::now().timestamp())
            .await
            .unwrap();
        if online.iter().any(|(_, email)| email == agent) {
            break;
        }
        assert!(Instant::now() < deadline, "the console never went live");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    j.fill("#reply-body", "/no-such-shortcut").await;
    j.click("form[data-agent-compose] button[type=submit]")
        .await;
    j.wait_for_text("There is no canned response /no-such-shortcut.")
        .await;
    let kept = j.element("#reply-body").await.prop("value").await.unwrap();
    assert_eq!(
        kept.as_deref(),
        Some("/no-such-shortcut"),
        "the text is kept"
    );
    j.step("console-reply-refused").await;

    j.element("#reply-body").await.clear().await.unwrap();
    j.fill("#reply-body", "On the Billing page, under Invoices.")
        .await;
    j.click("form[data-agent-compose] button[type=submit]")
        .await;
    j.wait_for_text("On the Billing page, under Invoices.")
        .await;
    j.wait_until(Duration::from_secs(20), |text| {
        !text.contains("There is no canned response")
    })
    .await;
    let left = j.element("#reply-body").await.prop("value").await.unwrap();
    assert_eq!(left.as_deref(), Some(""), "a stored reply empties the box");
    j.step("console-reply-sent").await;

    // Someone new writes while the agent types: the inbox offers the new conversation live,
    // without a reload that would lose the draft.
    j.fill("#reply-body", "A draft in progress").await;
    let newcomer = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    newcomer
        .post(j.app.url("/api/v1/support/chat"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    let r = newcomer
        .post(j.app.url("/api/v1/support/chat/messages"))
        .json(&json!({"body": "Hi, is anyone there?"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    j.wait_for_text("New message from a conversation not listed here")
        .await;
    let draft = j.element("#reply-body").await.prop("value").await.unwrap();
    assert_eq!(draft.as_deref(), Some("A draft in progress"));
    j.step("console-new-conversation").await;

    // The agent sends an image: a file that is no image is refused under the file input, the
    // draft stays; a real one shows as a thumbnail and reaches the customer.
    let dir = std::env::temp_dir().join(format!("thredops-console-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let fake = dir.join("invoices.png");
    std::fs::write(&fake, b"%PDF-1.7 not an image").unwrap();
    let real = dir.join("billing-page.png");
    std::fs::write(&real, crate::publishing::solid_png(160, 100, [40, 120, 60])).unwrap();
    j.fill("#attach-file", fake.to_str().unwrap()).await;
    j.click("form[data-agent-attach] button[type=submit]").await;
    j.wait_for_text("Attach a JPEG or PNG image; this file is neither.")
        .await;
    let draft = j.element("#reply-body").await.prop("value").await.unwrap();
    assert_eq!(draft.as_deref(), Some("A draft in progress"));
    j.step_refused("console-image-refused", 422).await;
    j.element("#attach-file").await.clear().await.unwrap();
    j.fill("#attach-file", real.to_str().unwrap()).await;
    j.click("form[data-agent-attach] button[type=submit]").await;
    j.wait_until(Duration::from_secs(20), |text| {
        text.contains("Image: billing-page.png") && !text.contains("Attach a JPEG or PNG image")
    })
    .await;
    assert_eq!(
        j.count(".support-msg-agent img.support-thumb[alt='billing-page.png']")
            .await,
        1
    );
    let draft = j.element("#reply-body").await.prop("value").await.unwrap();
    assert_eq!(draft.as_deref(), Some("A draft in progress"));
    let messages: Value = creator
        .get(j.app.url("/api/v1/support/chat/messages"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let image = messages
        .as_array()
        .unwrap()
        .iter()
        .find(|m| !m["attachment"].is_null())
        .expect("the customer has the image");
    let r = creator
        .get(j.app.url(image["attachment"]["url"].as_str().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    j.step("console-image-sent").await;
    std::fs::remove_dir_all(&dir).unwrap();
    j.finish().await;
}
