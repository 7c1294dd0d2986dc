//! The session check's fast paths (SQLite on the calling thread, PostgreSQL batching concurrent
//! checks into one query) answer exactly as the plain path, the reference, for every kind of
//! session a request can carry: live, signed out, idle, past its end, someone else's, acting in
//! another workspace, a membership that ended, with its own profile or another's.

use futures_util::future::join_all;
use thredops::store::{SessionCheckPath, Store};

use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::workspaces::{call, connected_profile, json_of, member, person};

on_both_backends!(the_fast_session_check_answers_as_the_plain_path_does);

/// One question a request's session check can ask.
#[derive(Debug, Clone)]
struct Check {
    session: String,
    user: String,
    profile: Option<String>,
    now: i64,
}

async fn ask(store: &Store, c: &Check, idle: i64) -> String {
    let found = match &c.profile {
        None => store
            .live_session(
                &thredops::domain::SessionId::from(c.session.as_str()),
                &thredops::domain::UserId::from(c.user.as_str()),
                c.now,
                idle,
            )
            .await
            .unwrap()
            .map(|(s, u, seat)| format!("{s:?} {u:?} {seat:?}")),
        Some(p) => store
            .live_session_with_profile(
                &thredops::domain::SessionId::from(c.session.as_str()),
                &thredops::domain::UserId::from(c.user.as_str()),
                c.now,
                idle,
                &thredops::domain::ProfileId::from(p.as_str()),
            )
            .await
            .unwrap()
            // The profile by id: its row changes while its first sync runs in the background.
            .map(|(s, u, seat, profile)| {
                let profile = profile.map(|p| p.id);
                format!("{s:?} {u:?} {seat:?} {profile:?}")
            }),
    };
    format!("{found:?}")
}

async fn me(app: &TestApp, c: &reqwest::Client) -> String {
    let r = call(app, c, reqwest::Method::GET, "/api/v1/me", None).await;
    json_of(r).await["id"].as_str().unwrap().to_owned()
}

async fn the_fast_session_check_answers_as_the_plain_path_does(app: TestApp) {
    let fast = app.state.store.clone();
    assert_ne!(
        fast.session_check_name(),
        "plain",
        "the default is a fast path"
    );
    let plain = fast.clone().with_session_check(SessionCheckPath::Plain);
    assert_eq!(plain.session_check_name(), "plain");

    let owner = person(&app, "paths-owner@example.com").await;
    let owned = connected_profile(&app, &owner, 71).await;
    let editor = member(&app, &owner, "paths-editor@example.com", "editor").await;
    let gone = member(&app, &owner, "paths-gone@example.com", "viewer").await;
    let stranger = person(&app, "paths-stranger@example.com").await;
    let theirs = connected_profile(&app, &stranger, 72).await;
    let leaver = person(&app, "paths-leaver@example.com").await;

    let mut users = Vec::new();
    for c in [&owner, &editor, &gone, &stranger, &leaver] {
        users.push(me(&app, c).await);
    }
    let now = thredops::clock::now_unix();
    let idle = app.state.settings.session_idle.as_secs() as i64;
    let mut sessions = Vec::new();
    for user in &users {
        let live = fast
            .sessions_of(&thredops::domain::UserId::from(user.as_str()), now, idle)
            .await
            .unwrap();
        assert!(!live.is_empty(), "{user} has a session");
        sessions.extend(live);
    }
    // A membership that ended and a session that was signed out.
    let r = call(
        &app,
        &owner,
        reqwest::Method::DELETE,
        &format!("/api/v1/workspaces/members/{}", users[2]),
        None,
    )
    .await;
    assert!(r.status().is_success(), "{}", r.status());
    let r = call(
        &app,
        &leaver,
        reqwest::Method::POST,
        "/api/v1/auth/logout",
        None,
    )
    .await;
    assert!(r.status().is_success(), "{}", r.status());

    let latest_end = sessions.iter().map(|s| s.expires_at).max().unwrap();
    let mut checks = Vec::new();
    for s in &sessions {
        for user in &users {
            for profile in [
                None,
                Some(&owned),
                Some(&theirs),
                Some(&"no-such-profile".to_owned()),
            ] {
                for at in [now, now + idle + 1, latest_end + 1] {
                    checks.push(Check {
                        session: s.id.clone().into(),
                        user: user.clone(),
                        profile: profile.cloned(),
                        now: at,
                    });
                }
            }
        }
    }

    let mut reference = Vec::new();
    for c in &checks {
        reference.push(ask(&plain, c, idle).await);
    }
    // The answers must tell the cases apart, or agreeing would prove nothing.
    let live = reference.iter().filter(|a| *a != "None").count();
    assert!(
        live >= 8 && live < checks.len() / 2,
        "{live} of {}",
        checks.len()
    );
    assert!(
        reference.iter().any(|a| a.contains("Some(Seat")),
        "a seat is seen"
    );
    assert!(
        reference.iter().any(|a| a.contains(owned.as_str())),
        "a profile is seen"
    );

    // One by one, then all at once (which is when checks share a batch).
    for (c, want) in checks.iter().zip(&reference) {
        assert_eq!(&ask(&fast, c, idle).await, want, "{c:?}");
    }
    let together = join_all(checks.iter().map(|c| ask(&fast, c, idle))).await;
    for ((c, got), want) in checks.iter().zip(&together).zip(&reference) {
        assert_eq!(got, want, "checked together: {c:?}");
    }
}
