use std::time::Duration;

use threads_api::{AccessToken, ClientSecret, ContainerBuilder, RetryPolicy, ThreadsClient};

use crate::server::{Reply, TOKEN, TestServer};

fn assert_no_secret(text: &str) {
    assert!(!text.contains(TOKEN), "token leaked: {text}");
    assert!(!text.contains("APPSECRET"), "secret leaked: {text}");
}

#[tokio::test]
async fn a_connect_error_does_not_reveal_the_token() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let client = ThreadsClient::builder()
        .graph_base(url)
        .retry(RetryPolicy::none())
        .build()
        .unwrap();
    let err = client
        .session(AccessToken::new(TOKEN))
        .profile()
        .await
        .unwrap_err();
    assert_no_secret(&err.to_string());
    assert_no_secret(&format!("{err:?}"));
    let err = client
        .exchange_for_long_lived(
            &ClientSecret::new("APPSECRET"),
            &AccessToken::new(TOKEN),
            chrono::Utc::now(),
        )
        .await
        .unwrap_err();
    assert_no_secret(&err.to_string());
    assert_no_secret(&format!("{err:?}"));
}

#[tokio::test]
async fn a_timeout_does_not_reveal_the_token() {
    let server = TestServer::start().await;
    server.on(
        "GET /v1.0/me",
        [Reply::ok("profile").delayed(Duration::from_millis(800))],
    );
    let client = server.client_with(RetryPolicy::none());
    let err = client
        .session(AccessToken::new(TOKEN))
        .profile()
        .await
        .unwrap_err();
    assert!(err.is_retryable());
    assert_no_secret(&err.to_string());
    assert_no_secret(&format!("{err:?}"));
}

#[tokio::test]
async fn a_body_that_echoes_the_token_is_redacted() {
    let server = TestServer::start().await;
    let echo =
        format!("<html>bad gateway for /me?access_token={TOKEN}&client_secret=APPSECRET</html>");
    server.on("GET /v1.0/me", [Reply::raw(502, echo)]);
    let client = server.client_with(RetryPolicy::none());
    let err = client
        .session(AccessToken::new(TOKEN))
        .profile()
        .await
        .unwrap_err();
    assert_no_secret(&err.to_string());
    assert_no_secret(&format!("{err:?}"));
    assert!(err.to_string().contains("access_token=***"));
}

#[tokio::test]
async fn reads_send_the_token_as_a_query_parameter_and_writes_in_the_form_body() {
    let server = TestServer::start().await;
    server.on("GET /v1.0/me", [Reply::ok("profile")]);
    server.on("POST /v1.0/me/threads", [Reply::ok("id")]);
    let session = server.session();
    session.profile().await.unwrap();
    session
        .create_container(&ContainerBuilder::text("hi").build().unwrap())
        .await
        .unwrap();
    let requests = server.requests();
    assert!(requests[0].query.contains(&format!("access_token={TOKEN}")));
    assert!(
        !requests[1].query.contains("access_token"),
        "no token in POST URLs"
    );
    assert!(requests[1].body.contains(&format!("access_token={TOKEN}")));
    assert_eq!(format!("{:?}", session.token()), "AccessToken(***)");
    assert!(!format!("{session:?}").contains(TOKEN));
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let server = TestServer::start().await;
    server.on(
        "GET /v1.0/me",
        [Reply::raw(302, "").header("location", "http://127.0.0.1:9/steal")],
    );
    let err = server.session().profile().await.unwrap_err();
    assert_eq!(err.status(), Some(302));
    assert_eq!(server.requests().len(), 1);
}
