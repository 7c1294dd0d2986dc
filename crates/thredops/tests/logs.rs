//! Tokens never reach the logs: a full connect and backfill at TRACE level, every line captured,
//! then searched for the access token and the session token.

#[path = "api/connect.rs"]
#[expect(dead_code, reason = "only part of the connect helpers is used here")]
mod connect;
#[path = "api/helpers.rs"]
#[expect(dead_code, reason = "only part of the shared helpers is used here")]
mod helpers;

use std::io::Write;
use std::sync::{Arc, Mutex};

use helpers::{Backend, TestApp};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn tokens_never_appear_in_logs_even_at_trace_level() {
    let capture = Capture::default();
    let writer = capture.clone();
    tracing_subscriber::fmt()
        .with_env_filter("trace")
        .with_writer(move || writer.clone())
        .init();
    // Installed first, so the app's own init is a no-op and everything lands in the capture.
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let signup = app.signup("lee.logs@example.com", connect::PASSWORD).await;
    let session_cookie = signup.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    let creator = connect::creator(&app, "log_watch", 60, 900);
    let id = connect::connect(&app, creator.user_id).await;
    connect::wait_for_backfill(&app, &id).await;

    let record = app
        .state
        .store
        .profile(&thredops::domain::ProfileId::from(id.as_str()))
        .await
        .unwrap()
        .unwrap();
    let token = thredops::services::profiles::access_token(&app.state, &record)
        .await
        .unwrap()
        .unwrap();
    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).into_owned();
    assert!(
        logs.len() > 1_000,
        "the capture saw the run ({} bytes)",
        logs.len()
    );
    assert!(
        logs.contains("backfill finished"),
        "sync logs were captured"
    );
    assert!(
        !logs.contains(token.expose()),
        "the Threads access token appears in the logs"
    );
    assert!(
        !logs.contains(&session_cookie),
        "the session token appears in the logs"
    );
    assert!(
        !logs.contains(connect::PASSWORD),
        "a password appears in the logs"
    );
    assert!(
        !logs.contains(app.state.threads.app.client_secret.expose()),
        "the app secret appears in the logs"
    );
}
