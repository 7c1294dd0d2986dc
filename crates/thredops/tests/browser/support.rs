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
    browser.step("after-reload").await;
    browser.finish().await;
    // As in `setup::Journey::finish`: close SQLite before the process can exit.
    app.state.store.close().await;
}
