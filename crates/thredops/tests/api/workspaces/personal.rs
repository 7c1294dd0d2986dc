//! Personal things stay personal in someone else's workspace: a member's email choices are
//! their own on the settings page as in the API, whichever workspace they act in.

use reqwest::{Method, StatusCode};
use serde_json::json;

use super::{call, json_of, member, person};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(a_members_settings_page_shows_their_own_email_choices_not_the_owners);

async fn settings_page(app: &TestApp, c: &reqwest::Client) -> String {
    let r = c.get(app.url("/settings")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.text().await.unwrap()
}

async fn a_members_settings_page_shows_their_own_email_choices_not_the_owners(app: TestApp) {
    let owner = person(&app, "choices-owner@example.com").await;
    let r = call(
        &app,
        &owner,
        Method::PUT,
        "/api/v1/notifications/email",
        Some(json!({"post_failed": false, "profile_reconnect": false})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let editor = member(&app, &owner, "choices-editor@example.com", "editor").await;
    // Acting in the owner's workspace, the editor's own choices (both on, as for any new
    // account), the same as the API answers them.
    let mine = json_of(
        call(
            &app,
            &editor,
            Method::GET,
            "/api/v1/notifications/email",
            None,
        )
        .await,
    )
    .await;
    assert_eq!(
        mine,
        json!({"post_failed": true, "profile_reconnect": true})
    );
    let page = settings_page(&app, &editor).await;
    assert!(
        page.contains("name=\"email_post_failed\" value=\"on\" checked"),
        "the editor's choice, not the owner's"
    );
    assert!(page.contains("name=\"email_profile_reconnect\" value=\"on\" checked"));
    // The owner's page still shows theirs.
    let page = settings_page(&app, &owner).await;
    assert!(!page.contains("name=\"email_post_failed\" value=\"on\" checked"));
}
