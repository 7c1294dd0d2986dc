//! A team in the browser: an owner invites an editor from the Team page (a mistyped address is
//! refused beside its field first, the typed text kept), the editor signs up, follows the mailed
//! link and joins, works on the owner's profile, is refused billing, and switches back to their
//! own workspace, where the owner's profile is not to be seen.

use crate::setup::{Journey, creator};

const OWNER: &str = "olga.owner@example.com";
const EDITOR: &str = "edda.editor@example.com";

/// The status the server answered the current page with.
async fn status(j: &Journey) -> u64 {
    j.client
        .execute(
            "return performance.getEntriesByType('navigation')[0].responseStatus;",
            vec![],
        )
        .await
        .unwrap()
        .as_u64()
        .unwrap()
}

#[tokio::test]
async fn an_owner_invites_an_editor_who_joins_works_there_and_switches_back() {
    let Some(j) = Journey::start("workspaces").await else {
        return;
    };
    j.sign_up(OWNER).await;
    j.connect(creator("team_creator", 40, 900)).await;

    // The Team page, from the header.
    j.click_link("Team").await;
    j.wait_for_text("Team and workspaces").await;
    assert_eq!(j.path().await, "/app/workspaces");
    j.step("team-owner").await;

    // A mistyped address is refused beside its field, and what was typed stays.
    j.fill("#invite-email", "edda.editor@").await;
    j.click("form[action='/app/workspaces/members'] button[type=submit]")
        .await;
    j.wait_for_text("Enter an email address like name@example.com.")
        .await;
    let error = j.element("#invite-email-error").await.text().await.unwrap();
    assert_eq!(error, "Enter an email address like name@example.com.");
    let field = j.element("#invite-email").await;
    assert_eq!(
        field.prop("value").await.unwrap().as_deref(),
        Some("edda.editor@")
    );
    assert_eq!(
        field.attr("aria-describedby").await.unwrap().as_deref(),
        Some("invite-email-error"),
        "the field names its error"
    );
    j.step_refused("invite-refused", 422).await;

    // The right address, as an editor.
    field.clear().await.unwrap();
    j.fill("#invite-email", EDITOR).await;
    j.element("#invite-role")
        .await
        .select_by_label("Editor")
        .await
        .unwrap();
    j.click("form[action='/app/workspaces/members'] button[type=submit]")
        .await;
    j.wait_for_text("Invitation sent.").await;
    let waiting = j
        .element(&format!("[data-invitation='{EDITOR}']"))
        .await
        .text()
        .await
        .unwrap();
    assert!(waiting.contains("as Editor"), "{waiting}");
    j.step("invited").await;

    // The editor signs up in the same browser after the owner signs out.
    j.click("form[action='/logout'] button").await;
    j.wait_for_text("Know what grows your Threads audience")
        .await;
    j.sign_up(EDITOR).await;
    let mail = j.app.next_mail(EDITOR, "You are invited", 0).await;
    assert!(mail.contains(OWNER), "the mail says who invites: {mail}");
    let token = crate::helpers::link_token(&mail, "/app/workspaces/accept");
    j.open(&format!("/app/workspaces/accept?token={token}"))
        .await;
    j.wait_for_text("You are invited to").await;
    let offer = j.text().await;
    assert!(
        offer.contains(&format!("{OWNER}'s workspace")) && offer.contains("as Editor"),
        "{offer}"
    );
    j.step("accept").await;
    j.click("form[action='/app/workspaces/accept'] button[type=submit]")
        .await;
    j.wait_for_text("You joined the workspace and now work in it.")
        .await;
    // The header names the workspace and the role (after "Workspace:" for screen readers).
    let header = j.element("a.workspace-link").await.text().await.unwrap();
    assert!(
        header.ends_with(&format!("{OWNER}'s workspace · Editor")),
        "{header}"
    );
    j.step("joined").await;

    // The owner's profile is the editor's to work with now.
    j.click_link("Profiles").await;
    j.wait_for_text("@team_creator").await;
    j.step("editor-profiles").await;

    // Billing stays the owner's.
    j.click_link("Billing").await;
    j.wait_for_text("Not allowed").await;
    assert_eq!(status(&j).await, 403);
    assert!(
        j.text()
            .await
            .contains("Your role in this workspace does not allow this."),
        "the refusal says why"
    );
    j.step_refused("billing-refused", 403).await;

    // The refusal leads to the Team page, where the editor switches to their own workspace.
    j.click_link("Your workspaces").await;
    j.wait_for_text("Team and workspaces").await;
    let people = j.element("#members").await.text().await.unwrap();
    assert!(
        people.contains(OWNER) && people.contains(EDITOR),
        "{people}"
    );
    j.step("team-editor").await;
    j.click("#workspaces form[action='/app/workspaces/switch'] button")
        .await;
    j.wait_for_text("You now work in your own workspace").await;
    assert_eq!(
        j.element("a.workspace-link").await.text().await.unwrap(),
        "Team"
    );
    j.step("switched-back").await;
    j.click_link("Profiles").await;
    j.wait_for_text("Connect a Threads profile").await;
    assert!(
        !j.text().await.contains("@team_creator"),
        "the owner's profile stays in the owner's workspace"
    );
    j.step("own-profiles").await;
    j.finish().await;
}
