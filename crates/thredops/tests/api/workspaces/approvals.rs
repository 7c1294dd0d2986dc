//! Approvals: nothing unapproved is published; approvers decide in the app or through a signed,
//! expiring client review link.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use thredops::publishing::approvals::HELD_NOTE;
use thredops::publishing::publisher::KIND;

use super::{call, connected_profile, json_of, member, person};
use crate::connect::run_due_now;
use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::publishing::support::now_local;

on_both_backends!(
    an_editors_post_waits_past_its_time_until_a_client_link_approves_it,
    changes_asked_for_keep_the_post_back_and_the_writer_reads_the_comment,
    review_links_expire_end_together_and_cannot_be_forged,
);

struct Team {
    app: TestApp,
    owner: reqwest::Client,
    editor: reqwest::Client,
    profile: String,
}

async fn team(app: TestApp, n: u32) -> Team {
    let owner = person(&app, &format!("owner{n}@studio.example")).await;
    let profile = connected_profile(&app, &owner, 10 + n).await;
    let r = call(
        &app,
        &owner,
        Method::PUT,
        "/api/v1/workspaces/current/approvals",
        Some(json!({"required": true})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let editor = member(&app, &owner, &format!("editor{n}@studio.example"), "editor").await;
    Team {
        app,
        owner,
        editor,
        profile,
    }
}

/// Schedules `text` for this minute as `c`; answers the post's id.
async fn schedule_now(t: &Team, c: &reqwest::Client, text: &str) -> String {
    let r = call(
        &t.app,
        c,
        Method::POST,
        "/api/v1/publishing/posts",
        Some(json!({
            "profile_id": t.profile,
            "content": {"parts": [{"text": text}]},
            "action": "schedule",
            "local_time": now_local(),
        })),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    json_of(r).await["id"].as_str().unwrap().to_owned()
}

async fn post(t: &Team, id: &str) -> Value {
    json_of(
        call(
            &t.app,
            &t.owner,
            Method::GET,
            &format!("/api/v1/publishing/posts/{id}"),
            None,
        )
        .await,
    )
    .await
}

async fn link(t: &Team, days: u32) -> String {
    let r = call(
        &t.app,
        &t.owner,
        Method::POST,
        "/api/v1/workspaces/current/review-links",
        Some(json!({"days": days})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let url = json_of(r).await["url"].as_str().unwrap().to_owned();
    url.split("/review/").nth(1).unwrap().to_owned()
}

/// Submits a client decision form and answers the status.
async fn client_decides(
    t: &Team,
    token: &str,
    post: &str,
    decision: &str,
    comment: &str,
) -> StatusCode {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(
            t.app
                .url(&format!("/review/{token}/posts/{post}/{decision}")),
        )
        .form(&[("comment", comment)])
        .send()
        .await
        .unwrap()
        .status()
}

async fn an_editors_post_waits_past_its_time_until_a_client_link_approves_it(app: TestApp) {
    let t = team(app, 1).await;
    let id = schedule_now(&t, &t.editor, "Launch day, written by the editor 91c4").await;
    // Its time comes: the publisher holds it.
    run_due_now(&t.app, KIND).await;
    let held = post(&t, &id).await;
    assert_eq!(held["state"], "scheduled", "{held}");
    assert_eq!(held["note"], HELD_NOTE);
    assert!(held["media_id"].is_null());
    // It looks again (every minute), and still holds it.
    run_due_now(&t.app, KIND).await;
    assert_eq!(post(&t, &id).await["state"], "scheduled");
    // The owner's own post is not held.
    let own = schedule_now(&t, &t.owner, "Written by the owner 91c4").await;
    run_due_now(&t.app, KIND).await;
    assert_eq!(post(&t, &own).await["state"], "published");

    // The client's page lists the waiting post, with its text.
    let token = link(&t, 7).await;
    let page = reqwest::get(t.app.url(&format!("/review/{token}")))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("Launch day, written by the editor 91c4"),
        "{page}"
    );
    assert!(!page.contains("Written by the owner 91c4"));
    assert_eq!(
        client_decides(&t, &token, &id, "approve", "").await,
        StatusCode::SEE_OTHER
    );
    run_due_now(&t.app, KIND).await;
    let published = post(&t, &id).await;
    assert_eq!(published["state"], "published", "{published}");
    assert!(published["note"].is_null(), "{published}");
    // An editor's change to a post sends it back: the queue has it again.
    let again = schedule_now(&t, &t.editor, "Second try 91c4").await;
    let queue =
        json_of(call(&t.app, &t.owner, Method::GET, "/api/v1/review/posts", None).await).await;
    let ids: Vec<&str> = queue["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["post_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [again.as_str()]);
}

async fn changes_asked_for_keep_the_post_back_and_the_writer_reads_the_comment(app: TestApp) {
    let t = team(app, 2).await;
    let id = schedule_now(&t, &t.editor, "Draft headline 4b2e").await;
    let reviewer = member(&t.app, &t.owner, "client2@brand.example", "reviewer").await;
    // A reviewer sees the queue but nothing else of the workspace.
    let r = call(
        &t.app,
        &reviewer,
        Method::GET,
        "/api/v1/publishing/posts",
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // Asking for changes needs a comment, and says so.
    let path = format!("/api/v1/review/posts/{id}/request-changes");
    let r = call(
        &t.app,
        &reviewer,
        Method::POST,
        &path,
        Some(json!({"comment": "  "})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(json_of(r).await["error"]["fields"]["comment"].is_string());
    let r = call(
        &t.app,
        &reviewer,
        Method::POST,
        &path,
        Some(json!({"comment": "Use the new product name, please"})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(json_of(r).await["approval"], "changes_requested");
    run_due_now(&t.app, KIND).await;
    assert_eq!(post(&t, &id).await["state"], "scheduled");
    // The comment is on the queue for the team, by its author.
    let queue =
        json_of(call(&t.app, &t.owner, Method::GET, "/api/v1/review/posts", None).await).await;
    let reviews = &queue["posts"][0]["reviews"];
    assert_eq!(reviews[0]["reviewer"], "client2@brand.example");
    assert_eq!(reviews[0]["comment"], "Use the new product name, please");
    // The writer reads it on the post's timeline.
    let timeline = call(
        &t.app,
        &t.editor,
        Method::GET,
        &format!("/api/v1/publishing/posts/{id}"),
        None,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        timeline.contains("client2@brand.example asked for changes: \u{201c}Use the new product name, please\u{201d}"),
        "{timeline}"
    );
    // The owner's export has the decision readable and the workspace's members; the editor's
    // has their membership.
    let export = |c: &reqwest::Client| {
        let url = t.app.url("/settings/privacy/export");
        let c = c.clone();
        async move {
            let bytes = c.get(url).send().await.unwrap().bytes().await.unwrap();
            crate::privacy::untar(&bytes)
                .into_iter()
                .map(|(name, body)| (name, String::from_utf8_lossy(&body).into_owned()))
                .collect::<Vec<_>>()
        }
    };
    let file = |files: &[(String, String)], name: &str| {
        files
            .iter()
            .find(|(n, _)| n == &format!("thredops-export/{name}"))
            .map(|(_, b)| b.clone())
            .unwrap_or_else(|| panic!("no {name}"))
    };
    let owners = export(&t.owner).await;
    assert!(file(&owners, "content.json").contains("Use the new product name, please"));
    let members = file(&owners, "tables/workspace_members.csv");
    assert_eq!(members.lines().count(), 1 + 2, "{members}");
    let editors = export(&t.editor).await;
    let membership = file(&editors, "tables/workspace_members.csv");
    assert_eq!(membership.lines().count(), 1 + 1, "{membership}");
    assert!(membership.contains("editor"));
    // An editor cannot approve their own post.
    let r = call(
        &t.app,
        &t.editor,
        Method::POST,
        &format!("/api/v1/review/posts/{id}/approve"),
        Some(json!({})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // An admin can.
    let admin = member(&t.app, &t.owner, "admin2@studio.example", "admin").await;
    let r = call(
        &t.app,
        &admin,
        Method::POST,
        &format!("/api/v1/review/posts/{id}/approve"),
        Some(json!({})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    run_due_now(&t.app, KIND).await;
    assert_eq!(post(&t, &id).await["state"], "published");
}

async fn review_links_expire_end_together_and_cannot_be_forged(app: TestApp) {
    let t = team(app, 3).await;
    let id = schedule_now(&t, &t.editor, "Held for a client 0d7f").await;
    let token = link(&t, 1).await;
    let status = |token: String| {
        let url = t.app.url(&format!("/review/{token}"));
        async move { reqwest::get(url).await.unwrap().status() }
    };
    assert_eq!(status(token.clone()).await, StatusCode::OK);
    // A token of another workspace's id with this one's seal, a changed seal, or garbage.
    let (workspace, seal) = token.split_once('.').unwrap();
    let mut flipped = seal.to_owned().into_bytes();
    flipped[5] = if flipped[5] == b'A' { b'B' } else { b'A' };
    for forged in [
        format!("someone-else.{seal}"),
        format!("{workspace}.{}", String::from_utf8(flipped).unwrap()),
        "nonsense".to_owned(),
    ] {
        assert_eq!(status(forged.clone()).await, StatusCode::GONE, "{forged}");
        assert_eq!(
            client_decides(&t, &forged, &id, "approve", "").await,
            StatusCode::GONE
        );
    }
    // Ending every link ends this one; a new one works.
    let r = call(
        &t.app,
        &t.owner,
        Method::DELETE,
        "/api/v1/workspaces/current/review-links",
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(status(token.clone()).await, StatusCode::GONE);
    assert_eq!(
        client_decides(&t, &token, &id, "approve", "").await,
        StatusCode::GONE
    );
    let fresh = link(&t, 1).await;
    assert_eq!(status(fresh).await, StatusCode::OK);
    // Links last 1 to 30 days.
    for days in [0, 31] {
        let r = call(
            &t.app,
            &t.owner,
            Method::POST,
            "/api/v1/workspaces/current/review-links",
            Some(json!({"days": days})),
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{days}");
    }
    // Nothing approved it: it is still held.
    run_due_now(&t.app, KIND).await;
    assert_eq!(post(&t, &id).await["state"], "scheduled");
}
