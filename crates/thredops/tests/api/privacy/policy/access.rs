//! Export of everything we hold, and staff access shown to the user.

use reqwest::StatusCode;
use serde_json::{Value, json};

use super::super::{creator_account, untar};
use crate::connect::PASSWORD;
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    users_can_export_everything_we_hold,
    the_export_shows_drafts_scheduled_posts_audits_and_support_conversations_readably,
    staff_access_is_least_privilege_and_shown_to_the_user,
);

async fn users_can_export_everything_we_hold(app: TestApp) {
    let (_, _, _) = creator_account(&app, "exp@example.com", "exp_posts", 7).await;
    let r = app.get("/settings/privacy/export").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/x-tar");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"thredops-export-")
    );
    let files = untar(&r.bytes().await.unwrap());
    let file = |name: &str| {
        let (_, body) = files
            .iter()
            .find(|(n, _)| n == &format!("thredops-export/{name}"))
            .unwrap_or_else(|| panic!("no {name}"));
        String::from_utf8(body.clone()).unwrap()
    };
    let users = file("tables/users.csv");
    assert!(
        users.contains("exp@example.com")
            && !users.contains("password_hash")
            && !users.contains("$argon2")
    );
    assert_eq!(
        file("tables/posts.csv").lines().count(),
        1 + 7,
        "a header and one line per post"
    );
    assert!(!file("tables/threads_profiles.csv").contains("token_enc"));
    let data: Value = serde_json::from_str(&file("threads-data.json")).unwrap();
    let profile = &data["profiles"][0];
    assert_eq!(profile["profile"]["username"], "exp_posts");
    assert_eq!(profile["posts"].as_array().unwrap().len(), 7);
    assert!(
        profile["posts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["content"].is_object()),
        "post contents opened"
    );
    assert!(file("README.txt").contains("tables/posts.csv"));
    assert!(
        !files.iter().any(|(n, _)| n.contains("data_keys")),
        "key material is never exported"
    );
}

/// Plants a unique string in every kind of content a user has, then finds each in the archive.
async fn the_export_shows_drafts_scheduled_posts_audits_and_support_conversations_readably(
    app: TestApp,
) {
    let (user, profile, _) = creator_account(&app, "planted@example.com", "planted", 2).await;
    let mark = |what: &str| format!("planted-{what}-{}", uuid::Uuid::new_v4().simple());
    let (draft, scheduled, audit, experiment, ticket, ticket_reply, chat) = (
        mark("draft"),
        mark("scheduled"),
        mark("audit"),
        mark("experiment"),
        mark("ticket"),
        mark("ticket-reply"),
        mark("chat"),
    );
    let post = |text: &str, action: &str| {
        json!({"profile_id": profile, "content": {"parts": [{"text": text}]}, "action": action,
            "local_time": "2031-05-04T10:30"})
    };
    for (text, action) in [(&draft, "draft"), (&scheduled, "schedule")] {
        let r = app
            .post_json("/api/v1/publishing/posts", &post(text, action))
            .await;
        assert_eq!(r.status(), StatusCode::CREATED, "{action}");
    }
    let r = app
        .post_json(
            "/api/v1/support/tickets",
            &json!({"category": "bug", "subject": ticket, "body": "It broke"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let ticket_id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post_json(
            &format!("/api/v1/support/tickets/{ticket_id}/messages"),
            &json!({"body": ticket_reply}),
        )
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    app.post_json("/api/v1/support/chat", &json!({})).await;
    let r = app
        .post_json("/api/v1/support/chat/messages", &json!({"body": chat}))
        .await;
    assert!(r.status().is_success(), "{}", r.status());
    // Audits and experiments are written by the strategist from synced data; plant them sealed
    // under the user's key as it does.
    let key = app
        .state
        .vault
        .data_key(&thredops::domain::WorkspaceId::from(user.as_str()))
        .await
        .unwrap();
    let report = key.seal(
        thredops::strategy::AUDIT_PURPOSE,
        "audit-planted",
        json!({"summary": audit}).to_string().as_bytes(),
    );
    let spec = key.seal(
        thredops::strategy::EXPERIMENT_PURPOSE,
        "experiment-planted",
        json!({"hypothesis": experiment}).to_string().as_bytes(),
    );
    thredops::with_pool!(app.state.store, |p| async {
        sqlx::query("INSERT INTO strategy_audits (id, profile_id, user_id, status, progress, score, report_enc, created_at) VALUES ('audit-planted', $1, $2, 'done', 100, 70, $3, 0)")
            .bind(&profile).bind(&user).bind(&report).execute(p).await?;
        sqlx::query("INSERT INTO strategy_experiments (id, profile_id, user_id, status, starts_at, ends_at, spec_enc, created_at) VALUES ('experiment-planted', $1, $2, 'running', 0, 1, $3, 0)")
            .bind(&profile).bind(&user).bind(&spec).execute(p).await.map(|r| r.rows_affected())
    }
    .await)
    .unwrap();

    let r = app.get("/settings/privacy/export").await;
    assert_eq!(r.status(), StatusCode::OK);
    let files = untar(&r.bytes().await.unwrap());
    let content = files
        .iter()
        .find(|(n, _)| n == "thredops-export/content.json")
        .map(|(_, b)| String::from_utf8(b.clone()).unwrap())
        .expect("content.json in the archive");
    for planted in [
        &draft,
        &scheduled,
        &audit,
        &experiment,
        &ticket,
        &ticket_reply,
        &chat,
    ] {
        assert!(content.contains(planted.as_str()), "{planted} not exported");
    }
    let content: Value = serde_json::from_str(&content).unwrap();
    let states: Vec<&str> = content["planned_posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["state"].as_str().unwrap())
        .collect();
    assert!(
        states.contains(&"draft") && states.contains(&"scheduled"),
        "{states:?}"
    );
    let readme = &files
        .iter()
        .find(|(n, _)| n == "thredops-export/README.txt")
        .unwrap()
        .1;
    assert!(String::from_utf8_lossy(readme).contains("content.json"));
}

async fn staff_access_is_least_privilege_and_shown_to_the_user(app: TestApp) {
    let user = app
        .signup("creator@example.com", PASSWORD)
        .await
        .json::<Value>()
        .await
        .unwrap();
    let id = user["id"].as_str().unwrap();
    let agent = app.new_client();
    let r = crate::helpers::sign_up_with(&app, &agent, "agent@example.com", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let view = |reason: &str| {
        agent
            .get(app.url(&format!("/api/v1/staff/users/{id}?reason={reason}")))
            .send()
    };
    assert_eq!(
        view("ticket%20123").await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "users are not staff"
    );
    assert!(
        thredops::privacy::staff::grant(&app.state.store, "agent@example.com", "root")
            .await
            .is_err()
    );
    thredops::privacy::staff::grant(&app.state.store, "agent@example.com", "support")
        .await
        .unwrap();
    assert_eq!(
        view("ticket%20123").await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "a staff role waits for two-step sign-in"
    );
    crate::helpers::enrol_totp(&app, &agent).await;
    let r = view("").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json::<Value>().await.unwrap()["error"]["fields"]["reason"].is_string());
    let r = agent
        .get(app.url("/api/v1/staff/users/nobody?reason=ticket%20123"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = view("ticket%20123%20login%20help").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let summary: Value = r.json().await.unwrap();
    assert_eq!(summary["email"], "creator@example.com");
    assert!(summary.get("posts").is_none() && summary["profiles"].as_array().unwrap().is_empty());
    let log: Vec<Value> = app
        .get("/api/v1/privacy/access-log")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0]["staff_role"].as_str(), log[0]["reason"].as_str()),
        (Some("support"), Some("ticket 123 login help"))
    );
    let page = app.get("/settings/privacy").await.text().await.unwrap();
    assert!(page.contains("A support agent") && page.contains("ticket 123 login help"));
    let mine: Vec<Value> = agent
        .get(app.url("/api/v1/privacy/access-log"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(mine.is_empty(), "the log is per user");
}

/// Roles are granted only from the command line, by someone with access to the server.
#[tokio::test]
async fn staff_roles_are_granted_with_the_admin_command() {
    let app = TestApp::spawn(crate::helpers::Backend::Sqlite)
        .await
        .unwrap();
    app.signup("agent2@example.com", PASSWORD).await;
    let grant = |email: &str, role: &str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_thredops"));
        for (key, _) in std::env::vars().filter(|(k, _)| k.starts_with("THREDOPS_")) {
            cmd.env_remove(key);
        }
        cmd.args(["admin", "grant", email, role])
            .env("THREDOPS_DATA_DIR", &app.data_dir)
            .env("THREDOPS_LOG", "error")
            .output()
            .unwrap()
    };
    let out = grant("nobody@example.com", "support");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no account with the email"));
    let out = grant("agent2@example.com", "superuser");
    assert!(String::from_utf8_lossy(&out.stderr).contains("use user, support or admin"));
    let out = grant("Agent2@Example.com", "admin");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let email = thredops::domain::Email::parse("agent2@example.com").unwrap();
    let user = app
        .state
        .store
        .user_by_email(&email)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(user.role.as_str(), "admin");
}
