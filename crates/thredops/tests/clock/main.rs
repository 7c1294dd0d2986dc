//! Behaviour that waits days, seen through the product's own surface after moving its clock
//! (`thredops::clock::advance`) instead of writing past times into the database.
//!
//! The clock is one per process, so these tests live in a binary of their own and take turns.

// The API suite's helpers, of which this binary uses a few.
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use helpers::{TestApp, client, link_token, sign_up_with};

on_both_backends!(
    a_session_left_unused_past_the_idle_limit_signs_out_and_one_in_use_stays,
    an_invitation_stops_working_seven_days_after_it_was_sent,
);

/// Moving the clock is seen by every test in the process: one at a time.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const PASSWORD: &str = "tidal-marmot-lantern";
const HOUR: Duration = Duration::from_secs(3600);

async fn me(app: &TestApp, c: &reqwest::Client) -> StatusCode {
    c.get(app.url("/api/v1/me")).send().await.unwrap().status()
}

async fn a_session_left_unused_past_the_idle_limit_signs_out_and_one_in_use_stays(app: TestApp) {
    let _turn = TURN.lock().await;
    let idle = app.state.settings.session_idle;
    let (busy, quiet) = (client(), client());
    for (c, email) in [(&busy, "busy@example.com"), (&quiet, "quiet@example.com")] {
        let r = sign_up_with(&app, c, email, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::OK);
    }

    // The busy session is used just inside the limit, twice: each use starts the wait again.
    for _ in 0..2 {
        thredops::clock::advance(idle - HOUR);
        assert_eq!(
            me(&app, &busy).await,
            StatusCode::OK,
            "used within the limit"
        );
    }
    assert_eq!(
        me(&app, &quiet).await,
        StatusCode::UNAUTHORIZED,
        "unused for longer than the limit"
    );
    thredops::clock::advance(2 * HOUR);
    assert_eq!(
        me(&app, &busy).await,
        StatusCode::OK,
        "its last use was two hours ago"
    );
}

async fn an_invitation_stops_working_seven_days_after_it_was_sent(app: TestApp) {
    let _turn = TURN.lock().await;
    let owner = client();
    sign_up_with(&app, &owner, "owner@example.com", PASSWORD).await;
    let mut tokens = Vec::new();
    for email in ["prompt@example.com", "late@example.com"] {
        let r = owner
            .post(app.url("/api/v1/workspaces/invitations"))
            .json(&json!({"email": email, "role": "editor"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let mail = app.next_mail(email, "You are invited", 0).await;
        tokens.push(link_token(&mail, "/app/workspaces/accept"));
    }
    let accept = |email: &'static str, token: String| {
        let app = &app;
        async move {
            let c = client();
            sign_up_with(app, &c, email, PASSWORD).await;
            c.post(app.url("/api/v1/workspaces/invitations/accept"))
                .json(&json!({ "token": token }))
                .send()
                .await
                .unwrap()
        }
    };

    thredops::clock::advance(7 * 24 * HOUR - HOUR);
    let r = accept("prompt@example.com", tokens[0].clone()).await;
    assert_eq!(r.status(), StatusCode::OK, "six days and 23 hours on");

    thredops::clock::advance(2 * HOUR);
    let r = accept("late@example.com", tokens[1].clone()).await;
    let status = r.status();
    let body = r.text().await.unwrap();
    assert!(status.is_client_error(), "{status}: {body}");
    assert!(
        body.contains("expired") || body.contains("no longer"),
        "{body}"
    );
}
