use std::time::{Duration, Instant};

use threads_api::{
    AccessToken, ContainerBuilder, ContainerId, Error, ErrorClass, RetryPolicy, ThreadsClient,
    TransportKind,
};

use crate::server::{Reply, TOKEN, TestServer};

fn throttled() -> Reply {
    Reply::fixture(403, "error_throttled")
}

#[tokio::test]
async fn a_429_then_success_is_retried() {
    let server = TestServer::start().await;
    server.on(
        "GET /v1.0/me",
        [Reply::raw(429, "{}"), Reply::ok("profile")],
    );
    let session = server.session();
    let profile = session.profile().await.unwrap();
    assert_eq!(profile.username.as_deref(), Some("threadsapitestuser"));
    assert_eq!(session.client().calls_made(), 2);
}

#[tokio::test]
async fn server_errors_and_throttling_codes_are_retried_until_success() {
    let server = TestServer::start().await;
    server.on(
        "GET /v1.0/me",
        [
            Reply::raw(500, "<html>oops</html>"),
            Reply::raw(503, "{}"),
            throttled(),
            Reply::ok("profile"),
        ],
    );
    let session = server.session();
    assert!(session.profile().await.is_ok());
    assert_eq!(session.client().calls_made(), 4);
}

#[tokio::test]
async fn retries_stop_at_max_attempts_with_a_retry_later_error() {
    let server = TestServer::start().await;
    server.on("GET /v1.0/me", [throttled()]);
    let session = server.session();
    let err = session.profile().await.unwrap_err();
    assert!(
        matches!(err.class(), ErrorClass::RetryLater { .. }),
        "{err:?}"
    );
    assert_eq!(err.api_error().unwrap().code, Some(4));
    assert_eq!(session.client().calls_made(), 4);
}

#[tokio::test]
async fn an_expired_token_is_surfaced_as_reauth_without_retrying() {
    let server = TestServer::start().await;
    server.on(
        "GET /v1.0/me",
        [
            Reply::fixture(400, "error_token_expired"),
            Reply::ok("profile"),
        ],
    );
    let session = server.session();
    let err = session.profile().await.unwrap_err();
    assert_eq!(err.class(), ErrorClass::Reauth);
    assert_eq!(err.status(), Some(400));
    assert_eq!(session.client().calls_made(), 1);
}

#[tokio::test]
async fn a_malformed_2xx_body_is_retried_once() {
    let server = TestServer::start().await;
    server.on(
        "GET /v1.0/me",
        [Reply::raw(200, r#"{"id":"12"#), Reply::ok("profile")],
    );
    let session = server.session();
    assert!(session.profile().await.is_ok());
    assert_eq!(session.client().calls_made(), 2);

    let server = TestServer::start().await;
    server.on("GET /v1.0/me", [Reply::raw(200, "not json at all")]);
    let session = server.session();
    let err = session.profile().await.unwrap_err();
    assert!(matches!(err, Error::Decode { status: 200, .. }), "{err:?}");
    assert!(err.is_retryable(), "the caller may try again later");
    assert_eq!(
        session.client().calls_made(),
        2,
        "only one retry for garbage bodies"
    );
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let server = TestServer::start().await;
    server.on(
        "GET /v1.0/me",
        [
            Reply::raw(429, "{}").header("retry-after", "1"),
            Reply::ok("profile"),
        ],
    );
    let session = server.session();
    let started = Instant::now();
    assert!(session.profile().await.is_ok());
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(session.client().calls_made(), 2);
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_goes_to_the_caller() {
    let server = TestServer::start().await;
    server.on(
        "GET /v1.0/me",
        [
            throttled().header("retry-after", "120"),
            Reply::ok("profile"),
        ],
    );
    let session = server.session();
    let err = session.profile().await.unwrap_err();
    // Handed back at once: one call, no second attempt after a sleep.
    assert_eq!(session.client().calls_made(), 1);
    assert_eq!(err.retry_after(), Some(Duration::from_secs(120)));
    assert_eq!(
        err.class(),
        ErrorClass::RetryLater {
            after: Duration::from_secs(120)
        }
    );
    assert_eq!(session.client().calls_made(), 1);
}

#[tokio::test]
async fn publish_is_not_repeated_after_a_server_error() {
    let server = TestServer::start().await;
    server.on(
        "POST /v1.0/me/threads_publish",
        [Reply::raw(500, "{}"), Reply::ok("id")],
    );
    let session = server.session();
    let err = session
        .publish(&ContainerId::from("3001"))
        .await
        .unwrap_err();
    assert_eq!(err.status(), Some(500));
    assert_eq!(session.client().calls_made(), 1);
}

#[tokio::test]
async fn publish_is_repeated_after_throttling_because_nothing_happened() {
    let server = TestServer::start().await;
    server.on(
        "POST /v1.0/me/threads_publish",
        [Reply::raw(429, "{}"), throttled(), Reply::ok("id")],
    );
    let session = server.session();
    let id = session.publish(&ContainerId::from("3001")).await.unwrap();
    assert_eq!(id.as_str(), "3001");
    assert_eq!(session.client().calls_made(), 3);
}

#[tokio::test]
async fn a_container_that_is_not_ready_is_reported_not_retried() {
    let server = TestServer::start().await;
    server.on(
        "POST /v1.0/me/threads_publish",
        [Reply::fixture(400, "error_not_ready")],
    );
    let session = server.session();
    let err = session
        .publish(&ContainerId::from("3001"))
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::NotReady);
    assert_eq!(session.client().calls_made(), 1);
}

#[tokio::test]
async fn a_timeout_after_sending_is_retried_for_reads_but_not_for_creation() {
    let server = TestServer::start().await;
    let slow = Reply::ok("id").delayed(Duration::from_millis(800));
    server.on("POST /v1.0/me/threads", [slow.clone()]);
    server.on("GET /v1.0/me", [slow]);
    let session = server.session();
    let container = ContainerBuilder::text("hello").build().unwrap();
    let err = session.create_container(&container).await.unwrap_err();
    assert!(
        matches!(&err, Error::Transport(t) if t.kind == TransportKind::Timeout),
        "{err:?}"
    );
    assert_eq!(session.client().calls_made(), 1);

    let err = session.profile().await.unwrap_err();
    assert!(err.is_retryable());
    assert_eq!(session.client().calls_made(), 1 + 4);
}

#[tokio::test]
async fn connect_errors_are_retried_even_for_publishing() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let client = ThreadsClient::builder()
        .graph_base(url)
        .retry(RetryPolicy {
            max_attempts: 3,
            ..RetryPolicy::fast_for_tests()
        })
        .build()
        .unwrap();
    let session = client.session(AccessToken::new(TOKEN));
    let err = session.publish(&ContainerId::from("1")).await.unwrap_err();
    assert!(
        matches!(&err, Error::Transport(t) if t.kind == TransportKind::Connect),
        "{err:?}"
    );
    assert!(err.is_retryable());
    assert_eq!(client.calls_made(), 3);
}

#[tokio::test]
async fn an_exhausted_daily_quota_is_reported_without_retrying() {
    let server = TestServer::start().await;
    server.on(
        "POST /v1.0/me/threads_publish",
        [Reply::fixture(400, "error_quota"), Reply::ok("id")],
    );
    let session = server.session();
    let err = session
        .publish(&ContainerId::from("3001"))
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::QuotaExhausted);
    assert_eq!(session.client().calls_made(), 1);
}
