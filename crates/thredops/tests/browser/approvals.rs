//! A studio turns approvals on, its editor's post waits past its time, and the client, with
//! nothing but the review link, first asks for a change (a missing comment is named beside its
//! field) and then approves; the post goes out only then.

use serde_json::{Value, json};
use thredops::publishing::approvals::HELD_NOTE;
use thredops::publishing::publisher::KIND;

use crate::connect::run_due_now;
use crate::helpers::{client, link_token, sign_up_with};
use crate::setup::{Journey, PASSWORD, creator};

#[tokio::test]
async fn a_client_asks_for_a_change_then_approves_through_the_review_link() {
    let Some(j) = Journey::start("approvals").await else {
        return;
    };
    let owner = "studio.owner@example.com";
    j.sign_up(owner).await;
    let profile = j.connect(creator("studio_brand", 40, 3_200)).await;

    // The owner turns approvals on and invites an editor from the Team page.
    j.click_link("Team").await;
    j.wait_for_text("Team and workspaces").await;
    j.click("#approvals input[name=required]").await;
    j.click("form[action='/app/workspaces/approvals'] button")
        .await;
    j.wait_for_text("Approvals are on").await;
    j.step("approvals-on").await;
    j.fill("#invite-email", "studio.editor@example.com").await;
    j.click("form[action='/app/workspaces/members'] button")
        .await;
    j.wait_for_text("Invitation sent").await;

    // The editor joins (their own browser: a client of the API) and schedules a post for now.
    let editor = client();
    let r = sign_up_with(&j.app, &editor, "studio.editor@example.com", PASSWORD).await;
    assert_eq!(r.status(), 200);
    let mail = j
        .app
        .next_mail("studio.editor@example.com", "You are invited", 0)
        .await;
    let r = editor
        .post(j.app.url("/api/v1/workspaces/invitations/accept"))
        .json(&json!({"token": link_token(&mail, "/app/workspaces/accept")}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = editor
        .post(j.app.url("/api/v1/publishing/posts"))
        .json(&json!({
            "profile_id": profile,
            "content": {"parts": [{"text": "Spring collection teaser"}]},
            "action": "schedule",
            "local_time": thredops::clock::now().format("%Y-%m-%dT%H:%M").to_string(),
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let post_id = r.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    run_due_now(&j.app, KIND).await;
    let post = |id: String| {
        let url = j.app.url(&format!("/api/v1/publishing/posts/{id}"));
        let editor = editor.clone();
        async move {
            editor
                .get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let held = post(post_id.clone()).await;
    assert_eq!(held["state"], "scheduled", "{held}");
    assert_eq!(held["note"], HELD_NOTE);

    // The owner makes a review link and sends it to the client.
    j.open("/app/workspaces").await;
    j.click("form[action='/app/workspaces/review-links'] button")
        .await;
    j.wait_for_text("Client review link, working until").await;
    let link = j
        .element("[data-review-link]")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap();
    j.step("review-link").await;

    // The client opens it: the post, its profile and two choices.
    j.open(&format!(
        "/review/{}",
        link.split("/review/").nth(1).unwrap()
    ))
    .await;
    j.wait_for_text("Posts for your approval").await;
    assert!(j.text().await.contains("Spring collection teaser"));
    assert!(j.text().await.contains("@studio_brand"));
    j.step("client-queue").await;
    // Asking for changes without saying which: the field says so, nothing is recorded.
    j.click(".review-item form[action$='/changes'] button")
        .await;
    j.wait_for_text("Say what should change").await;
    assert_eq!(
        j.element(".review-item textarea")
            .await
            .attr("aria-invalid")
            .await
            .unwrap()
            .as_deref(),
        Some("true")
    );
    j.step_refused("client-comment-missing", 422).await;
    j.fill(".review-item textarea", "Mention the launch date, please")
        .await;
    j.click(".review-item form[action$='/changes'] button")
        .await;
    j.wait_for_text("Sent back with your comment").await;
    assert!(j.text().await.contains("Changes asked for"));
    j.step("client-changes-asked").await;
    // The editor reads the comment on the post's timeline; it is still held.
    run_due_now(&j.app, KIND).await;
    let back = post(post_id.clone()).await;
    assert_eq!(back["state"], "scheduled");
    assert!(
        back["timeline"]
            .to_string()
            .contains("Mention the launch date, please"),
        "{back}"
    );

    // The client approves; the post goes out.
    j.click(".review-item form[action$='/approve'] button")
        .await;
    j.wait_for_text("Approved: it is published at its time")
        .await;
    assert!(j.text().await.contains("Nothing waits for approval"));
    j.step("client-approved").await;
    run_due_now(&j.app, KIND).await;
    let published = post(post_id).await;
    assert_eq!(published["state"], "published", "{published}");
    j.finish().await;
}
