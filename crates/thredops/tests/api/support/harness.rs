//! Browsers with their own cookie jars, and real WebSocket connections to the chat.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::cookie::CookieStore;
use serde_json::{Value, json};
use thredops::domain::{Email, Role};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::connect::PASSWORD;
use crate::helpers::TestApp;

/// One browser: a cookie jar shared by its HTTP client and its sockets.
pub struct Browser {
    pub client: reqwest::Client,
    jar: Arc<reqwest::cookie::Jar>,
    base: String,
    state: Option<thredops::app::AppState>,
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        let mut b = Self::at(&app.address);
        b.state = Some(app.state.clone());
        b
    }

    pub fn at(address: &str) -> Self {
        let jar = Arc::new(reqwest::cookie::Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        Self {
            client,
            jar,
            base: address.to_owned(),
            state: None,
        }
    }

    /// The same cookies, pointed at another instance.
    pub fn clone_to(&self, address: &str) -> Self {
        let other = Self::at(address);
        if let Some(cookies) = self.cookie_header() {
            let url = reqwest::Url::parse(address).unwrap();
            for pair in cookies.split("; ") {
                other.jar.add_cookie_str(pair, &url);
            }
        }
        other
    }

    /// Plants a cookie as if the server had set it.
    pub fn jar_add(&self, address: &str, cookie: &str) {
        self.jar
            .add_cookie_str(cookie, &reqwest::Url::parse(address).unwrap());
    }

    pub fn cookie_header(&self) -> Option<String> {
        let url = reqwest::Url::parse(&self.base).unwrap();
        self.jar
            .cookies(&url)
            .map(|v| v.to_str().unwrap().to_owned())
    }

    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        let text = r.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        self.send(reqwest::Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::POST, path, Some(body)).await
    }

    pub async fn put(&self, path: &str, body: Value) -> (u16, Value) {
        self.send(reqwest::Method::PUT, path, Some(body)).await
    }

    /// Opens the chat (a visitor gets the continuity cookie here).
    pub async fn open_chat(&self) -> Value {
        let (status, body) = self.post("/api/v1/support/chat", json!({})).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Opens a WebSocket at `path` with this browser's cookies.
    pub async fn socket(&self, path: &str) -> Ws {
        let url = format!("{}{path}", self.base.replace("http://", "ws://"));
        let mut request = url.into_client_request().unwrap();
        if let Some(c) = self.cookie_header() {
            request.headers_mut().insert("cookie", c.parse().unwrap());
        }
        let (stream, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("socket opens");
        Ws { stream }
    }

    /// The HTTP status a socket handshake with `origin` gets (101 when it opens).
    pub async fn handshake_status(&self, path: &str, origin: &str) -> u16 {
        let url = format!("{}{path}", self.base.replace("http://", "ws://"));
        let mut request = url.into_client_request().unwrap();
        request
            .headers_mut()
            .insert("origin", origin.parse().unwrap());
        if let Some(c) = self.cookie_header() {
            request.headers_mut().insert("cookie", c.parse().unwrap());
        }
        match tokio_tungstenite::connect_async(request).await {
            Ok((_, response)) => response.status().as_u16(),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                response.status().as_u16()
            }
            Err(e) => panic!("handshake failed: {e}"),
        }
    }

    /// Signs up and returns the account id.
    pub async fn signup(&self, email: &str) -> String {
        let r = crate::helpers::sign_up_at(
            self.state
                .as_ref()
                .expect("a browser made with Browser::new"),
            &self.base,
            &self.client,
            email,
            PASSWORD,
        )
        .await;
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        body["id"].as_str().unwrap().to_owned()
    }
}

/// A signed-in support agent's browser and account id.
pub async fn agent(app: &TestApp, email: &str) -> (Browser, String) {
    let b = Browser::new(app);
    let id = b.signup(email).await;
    app.state
        .store
        .set_role(&Email::parse(email).unwrap(), Role::Support)
        .await
        .unwrap();
    // Staff tools need two-step sign-in.
    crate::helpers::enrol_totp(app, &b.client).await;
    (b, id)
}

/// An open chat socket.
pub struct Ws {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

impl Ws {
    pub async fn send(&mut self, v: Value) {
        self.stream
            .send(Message::Text(v.to_string().into()))
            .await
            .unwrap();
    }

    /// The next frame, within 10 seconds.
    pub async fn next(&mut self) -> Value {
        loop {
            let frame = tokio::time::timeout(Duration::from_secs(10), self.stream.next())
                .await
                .expect("a frame within 10 seconds")
                .expect("socket still open")
                .expect("frame reads");
            if let Message::Text(t) = frame {
                return serde_json::from_str(t.as_str()).unwrap();
            }
        }
    }

    /// The next frame of `kind`, skipping others.
    pub async fn next_of(&mut self, kind: &str) -> Value {
        loop {
            let v = self.next().await;
            if v["type"] == kind {
                return v;
            }
        }
    }

    /// The next message event's message.
    pub async fn message(&mut self) -> Value {
        self.next_of("message").await["message"].clone()
    }

    /// The next message written by `author` ("customer", "agent", "note").
    pub async fn message_from(&mut self, author: &str) -> Value {
        loop {
            let m = self.message().await;
            if m["author"] == author {
                return m;
            }
        }
    }

    /// Closes politely.
    pub async fn close(mut self) {
        let _ = self.stream.close(None).await;
    }
}
