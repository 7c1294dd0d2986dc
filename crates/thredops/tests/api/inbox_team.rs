//! Inbox items handed to the people of a workspace: the owner assigns an item to an editor,
//! who finds it under "assigned to me"; an outsider or a client reviewer (who cannot read the
//! inbox) is refused, naming the field; the page's control lists the workspace's people.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::inbox::inbox_on;
use crate::on_both_backends;
use crate::workspaces::{call, json_of, member, person};

on_both_backends!(an_owner_assigns_an_item_to_an_editor_who_finds_it_and_outsiders_are_refused,);

/// The items `c` lists with `query`.
async fn listed(app: &TestApp, c: &reqwest::Client, query: &str) -> Vec<Value> {
    let r = call(
        app,
        c,
        Method::GET,
        &format!("/api/v1/inbox/items?limit=200{query}"),
        None,
    )
    .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// Assigns item `id` to `assignee` as `c`.
async fn assign(app: &TestApp, c: &reqwest::Client, id: &str, assignee: &str) -> reqwest::Response {
    call(
        app,
        c,
        Method::PUT,
        &format!("/api/v1/inbox/items/{id}/assignee"),
        Some(json!({"assignee": assignee})),
    )
    .await
}

/// The account id of `c`.
async fn id_of(app: &TestApp, c: &reqwest::Client) -> String {
    let me = json_of(call(app, c, Method::GET, "/api/v1/me", None).await).await;
    me["id"].as_str().unwrap().to_owned()
}

async fn an_owner_assigns_an_item_to_an_editor_who_finds_it_and_outsiders_are_refused(
    app: TestApp,
) {
    inbox_on(&app, "agency@example.com").await;
    let owner = app.client.clone();
    let editor = member(&app, &owner, "edi@example.com", "editor").await;
    let reviewer = member(&app, &owner, "rita@example.com", "reviewer").await;
    let outsider = person(&app, "outsider@example.com").await;
    let (editor_id, reviewer_id, outsider_id) = (
        id_of(&app, &editor).await,
        id_of(&app, &reviewer).await,
        id_of(&app, &outsider).await,
    );
    let all = listed(&app, &owner, "").await;
    assert!(all.len() >= 2, "the inbox has items: {}", all.len());
    let item = all[0]["id"].as_str().unwrap();

    // Nothing is assigned to the editor yet.
    assert!(
        listed(&app, &editor, "&assigned_to_me=true")
            .await
            .is_empty()
    );

    // The owner hands the item to the editor, who finds it under "assigned to me".
    let r = assign(&app, &owner, item, &editor_id).await;
    assert_eq!(r.status(), 200);
    let assigned = json_of(r).await;
    assert_eq!(assigned["assignee"], editor_id.as_str());
    assert_eq!(assigned["assigned_to_me"], false, "not the owner's");
    let mine = listed(&app, &editor, "&assigned_to_me=true").await;
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0]["id"], item);
    assert_eq!(mine[0]["assigned_to_me"], true);
    assert!(
        listed(&app, &owner, "&assigned_to_me=true")
            .await
            .is_empty(),
        "the owner's own filter does not show the editor's item"
    );

    // The editor takes another item with "me"; the owner keeps their own with their id.
    let second = all[1]["id"].as_str().unwrap();
    let r = assign(&app, &editor, second, "me").await;
    assert_eq!(json_of(r).await["assignee"], editor_id.as_str());
    assert_eq!(listed(&app, &editor, "&assigned_to_me=true").await.len(), 2);
    let owner_id = id_of(&app, &owner).await;
    let r = assign(&app, &editor, second, &owner_id).await;
    assert_eq!(r.status(), 200);
    assert_eq!(listed(&app, &owner, "&assigned_to_me=true").await.len(), 1);

    // Someone outside the workspace, or a client reviewer who cannot read the inbox, is
    // refused with the field named, and the item keeps its assignee.
    for who in [&outsider_id, &reviewer_id] {
        let r = assign(&app, &owner, item, who).await;
        assert_eq!(r.status(), 422);
        let body = json_of(r).await;
        assert!(
            body["error"]["fields"]["assignee"]
                .as_str()
                .is_some_and(|m| m.contains("person of this workspace")),
            "{body}"
        );
    }
    let kept = listed(&app, &editor, "&assigned_to_me=true").await;
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0]["id"], item);

    // The page's control offers the owner and the editor, by address, and no one else.
    let page = app.get("/app/inbox").await.text().await.unwrap();
    for (id, email) in [
        (&owner_id, "agency@example.com"),
        (&editor_id, "edi@example.com"),
    ] {
        assert!(
            page.contains(&format!("<option value=\"{id}\"")) && page.contains(email),
            "{email} can be chosen"
        );
    }
    assert!(!page.contains(&format!("<option value=\"{reviewer_id}\"")));
    assert!(!page.contains(&format!("<option value=\"{outsider_id}\"")));
    assert!(page.contains("Assigned to edi@example.com"));
}
