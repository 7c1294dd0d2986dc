//! Workspaces: invitations, switching, roles, removal, and what each role and an outsider can
//! reach (`matrix`).

mod approvals;
mod matrix;
mod personal;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, client, link_token, sign_up_with};
use crate::on_both_backends;

on_both_backends!(
    an_existing_account_is_its_own_workspace_and_owner,
    an_invited_editor_joins_schedules_on_the_owners_profile_and_switches_back,
    an_invitation_works_once_for_its_address_only,
    a_removed_member_loses_the_workspace_at_their_next_request_and_their_token_stops,
    only_the_owner_handles_admins_and_bad_invitations_are_refused_with_reasons,
    a_member_sees_and_signs_out_only_their_own_sessions_while_in_the_owners_workspace,
);

pub const PASSWORD: &str = "tidal-marmot-lantern";

/// A signed-in client of a new account.
pub async fn person(app: &TestApp, email: &str) -> reqwest::Client {
    let c = client();
    let r = sign_up_with(app, &c, email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK, "{email} signed up");
    c
}

/// `method` on `path` with a JSON body, as `c`.
pub async fn call(
    app: &TestApp,
    c: &reqwest::Client,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut r = c.request(method, app.url(path));
    if let Some(body) = body {
        r = r.json(&body);
    }
    r.send().await.unwrap()
}

/// Invites `email` with `role` as `owner` and returns the link's token from the mail.
pub async fn invite(app: &TestApp, owner: &reqwest::Client, email: &str, role: &str) -> String {
    let seen = app.mails(email, "You are invited").len();
    let r = call(
        app,
        owner,
        reqwest::Method::POST,
        "/api/v1/workspaces/invitations",
        Some(json!({"email": email, "role": role})),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    let mail = app.next_mail(email, "You are invited", seen).await;
    link_token(&mail, "/app/workspaces/accept")
}

/// Accepts an invitation as `c`; answers the status.
pub async fn accept(app: &TestApp, c: &reqwest::Client, token: &str) -> StatusCode {
    call(
        app,
        c,
        reqwest::Method::POST,
        "/api/v1/workspaces/invitations/accept",
        Some(json!({"token": token})),
    )
    .await
    .status()
}

/// A new account invited with `role` by `owner`, joined and acting in the owner's workspace.
pub async fn member(
    app: &TestApp,
    owner: &reqwest::Client,
    email: &str,
    role: &str,
) -> reqwest::Client {
    let token = invite(app, owner, email, role).await;
    let c = person(app, email).await;
    assert_eq!(accept(app, &c, &token).await, StatusCode::OK);
    c
}

/// Connects small creator `n` as `c`; answers the new profile's id.
pub async fn connected_profile(app: &TestApp, c: &reqwest::Client, n: u32) -> String {
    let r = crate::connect::connect_as(app, c, small_creator(app, n)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    r.headers()["location"]
        .to_str()
        .unwrap()
        .trim_start_matches("/app/profiles/")
        .split('?')
        .next()
        .unwrap()
        .to_owned()
}

/// A small sandbox creator (quick to sync), told apart by `n`.
pub fn small_creator(app: &TestApp, n: u32) -> u64 {
    crate::connect::creator(app, &format!("teamcreator{n}"), 12, 150).user_id
}

/// Gives member `user_id` of the current workspace `role`, as `c`; answers the status.
async fn set_role(app: &TestApp, c: &reqwest::Client, user_id: &str, role: &str) -> StatusCode {
    call(
        app,
        c,
        reqwest::Method::PUT,
        &format!("/api/v1/workspaces/members/{user_id}"),
        Some(json!({ "role": role })),
    )
    .await
    .status()
}

pub async fn json_of(r: reqwest::Response) -> Value {
    let status = r.status();
    let text = r.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|_| panic!("{status}: {text}"))
}

async fn workspaces(app: &TestApp, c: &reqwest::Client) -> Vec<Value> {
    let r = call(app, c, reqwest::Method::GET, "/api/v1/workspaces", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    json_of(r).await["workspaces"].as_array().unwrap().clone()
}

async fn profile_ids(app: &TestApp, c: &reqwest::Client) -> Vec<String> {
    let r = call(app, c, reqwest::Method::GET, "/api/v1/profiles", None).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body = json_of(r).await;
    let list = body
        .as_array()
        .cloned()
        .or_else(|| body["profiles"].as_array().cloned())
        .unwrap_or_default();
    list.iter()
        .map(|p| p["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn an_existing_account_is_its_own_workspace_and_owner(app: TestApp) {
    let owner = person(&app, "ines@example.com").await;
    let all = workspaces(&app, &owner).await;
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["role"], "owner");
    assert_eq!(all[0]["current"], true);
    assert_eq!(all[0]["own"], true);
    assert_eq!(all[0]["name"], "ines@example.com's workspace");
    let people = json_of(
        call(
            &app,
            &owner,
            reqwest::Method::GET,
            "/api/v1/workspaces/members",
            None,
        )
        .await,
    )
    .await;
    assert_eq!(people["members"].as_array().unwrap().len(), 1);
    assert_eq!(people["members"][0]["email"], "ines@example.com");
    assert_eq!(people["members"][0]["role"], "owner");
}

async fn an_invited_editor_joins_schedules_on_the_owners_profile_and_switches_back(app: TestApp) {
    let owner = person(&app, "owner@example.com").await;
    let profile = crate::connect::connect_as(&app, &owner, small_creator(&app, 1)).await;
    assert_eq!(profile.status(), StatusCode::SEE_OTHER);
    let owners_profiles = profile_ids(&app, &owner).await;
    assert_eq!(owners_profiles.len(), 1);

    let editor = member(&app, &owner, "edda@example.com", "editor").await;
    // The editor now acts in the owner's workspace: its profile is theirs to work with.
    assert_eq!(profile_ids(&app, &editor).await, owners_profiles);
    let mine = workspaces(&app, &editor).await;
    assert_eq!(mine.len(), 2);
    let shared = mine.iter().find(|w| w["own"] == false).unwrap();
    assert_eq!(shared["role"], "editor");
    assert_eq!(shared["current"], true);
    assert_eq!(shared["name"], "owner@example.com's workspace");

    // A draft the editor writes is the workspace's: the owner sees it.
    let text = "Planted by the editor 7f3a";
    let r = call(
        &app,
        &editor,
        reqwest::Method::POST,
        "/api/v1/publishing/posts",
        Some(json!({"profile_id": owners_profiles[0], "content": {"parts": [{"text": text}]}, "action": "draft"})),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    let owners_posts = call(
        &app,
        &owner,
        reqwest::Method::GET,
        "/api/v1/publishing/posts",
        None,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(owners_posts.contains(text), "{owners_posts}");

    // Back in their own workspace the editor sees none of it.
    let own_id = mine.iter().find(|w| w["own"] == true).unwrap()["id"].clone();
    let r = call(
        &app,
        &editor,
        reqwest::Method::PUT,
        "/api/v1/workspaces/current",
        Some(json!({"workspace_id": own_id})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(profile_ids(&app, &editor).await.is_empty());
    let posts = call(
        &app,
        &editor,
        reqwest::Method::GET,
        "/api/v1/publishing/posts",
        None,
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(!posts.contains(text), "{posts}");
    // Switching to a workspace one does not belong to is a 404, and changes nothing.
    let stranger = person(&app, "stranger@example.com").await;
    let owners_id = shared["id"].clone();
    let r = call(
        &app,
        &stranger,
        reqwest::Method::PUT,
        "/api/v1/workspaces/current",
        Some(json!({"workspace_id": owners_id})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(profile_ids(&app, &stranger).await.is_empty());
}

async fn an_invitation_works_once_for_its_address_only(app: TestApp) {
    let owner = person(&app, "olu@example.com").await;
    let token = invite(&app, &owner, "vera@example.com", "viewer").await;
    // Someone else signed in cannot use it, and it stays usable for its address.
    let other = person(&app, "mallory@example.com").await;
    assert_eq!(accept(&app, &other, &token).await, StatusCode::FORBIDDEN);
    assert_eq!(workspaces(&app, &other).await.len(), 1);
    let vera = person(&app, "vera@example.com").await;
    assert_eq!(accept(&app, &vera, &token).await, StatusCode::OK);
    assert_eq!(workspaces(&app, &vera).await.len(), 2);
    // Used once: a second use is refused.
    assert_eq!(accept(&app, &vera, &token).await, StatusCode::BAD_REQUEST);
    // A withdrawn invitation's link stops working.
    let token = invite(&app, &owner, "wes@example.com", "editor").await;
    let people = json_of(
        call(
            &app,
            &owner,
            reqwest::Method::GET,
            "/api/v1/workspaces/members",
            None,
        )
        .await,
    )
    .await;
    let waiting = people["invitations"].as_array().unwrap();
    assert_eq!(waiting.len(), 1);
    let id = waiting[0]["id"].as_str().unwrap();
    let r = call(
        &app,
        &owner,
        reqwest::Method::DELETE,
        &format!("/api/v1/workspaces/invitations/{id}"),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    let wes = person(&app, "wes@example.com").await;
    assert_eq!(accept(&app, &wes, &token).await, StatusCode::BAD_REQUEST);
    // An expired one too.
    let token = invite(&app, &owner, "xena@example.com", "editor").await;
    expire_invitations(&app).await;
    let xena = person(&app, "xena@example.com").await;
    assert_eq!(accept(&app, &xena, &token).await, StatusCode::BAD_REQUEST);
    assert_eq!(workspaces(&app, &xena).await.len(), 1);
}

/// Moves every invitation's end into the past.
async fn expire_invitations(app: &TestApp) {
    use thredops::store::Pool;
    let sql = "UPDATE workspace_invitations SET expires_at = 1";
    match app.state.store.pool_for_tests() {
        Pool::Sqlite(p) => {
            sqlx::query(sql).execute(p).await.unwrap();
        }
        Pool::Postgres(p) => {
            sqlx::query(sql).execute(p).await.unwrap();
        }
    }
}

async fn a_removed_member_loses_the_workspace_at_their_next_request_and_their_token_stops(
    app: TestApp,
) {
    let owner = person(&app, "rhea@example.com").await;
    crate::connect::connect_as(&app, &owner, small_creator(&app, 2)).await;
    let owners_profiles = profile_ids(&app, &owner).await;
    let viewer = member(&app, &owner, "vic@example.com", "viewer").await;
    assert_eq!(profile_ids(&app, &viewer).await, owners_profiles);
    // A token the viewer makes while in the workspace acts there.
    let r = call(
        &app,
        &viewer,
        reqwest::Method::POST,
        "/api/v1/tokens",
        Some(json!({"name": "script", "scopes": ["profiles:read"]})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let secret = json_of(r).await["secret"].as_str().unwrap().to_owned();
    let bearer = |path: &str| {
        reqwest::Client::new()
            .get(app.url(path))
            .bearer_auth(&secret)
            .send()
    };
    let listed = json_of(bearer("/api/v1/profiles").await.unwrap()).await;
    assert!(listed.to_string().contains(&owners_profiles[0]), "{listed}");

    let viewer_id = workspaces(&app, &viewer)
        .await
        .iter()
        .find(|w| w["own"] == true)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = call(
        &app,
        &owner,
        reqwest::Method::DELETE,
        &format!("/api/v1/workspaces/members/{viewer_id}"),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    // The same session, next request: back in their own workspace, nothing of the owner's.
    assert!(profile_ids(&app, &viewer).await.is_empty());
    assert_eq!(workspaces(&app, &viewer).await.len(), 1);
    assert_eq!(
        bearer("/api/v1/profiles").await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn only_the_owner_handles_admins_and_bad_invitations_are_refused_with_reasons(app: TestApp) {
    let owner = person(&app, "omar@example.com").await;
    let admin = member(&app, &owner, "ada@example.com", "admin").await;
    let _other_admin = member(&app, &owner, "abe@example.com", "admin").await;
    let editor = member(&app, &owner, "eli@example.com", "editor").await;
    let people = json_of(
        call(
            &app,
            &admin,
            reqwest::Method::GET,
            "/api/v1/workspaces/members",
            None,
        )
        .await,
    )
    .await;
    let id_of = |email: &str| {
        people["members"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["email"] == email)
            .unwrap()["user_id"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // An admin cannot invite, promote to, change or remove an admin.
    let r = call(
        &app,
        &admin,
        reqwest::Method::POST,
        "/api/v1/workspaces/invitations",
        Some(json!({"email": "new@example.com", "role": "admin"})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let abe = id_of("abe@example.com");
    let r = call(
        &app,
        &admin,
        reqwest::Method::DELETE,
        &format!("/api/v1/workspaces/members/{abe}"),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let eli = id_of("eli@example.com");
    assert_eq!(
        set_role(&app, &admin, &eli, "admin").await,
        StatusCode::FORBIDDEN
    );
    // ...but can make the editor a viewer; the owner can make them an admin.
    assert_eq!(
        set_role(&app, &admin, &eli, "viewer").await,
        StatusCode::NO_CONTENT
    );
    let r = call(
        &app,
        &editor,
        reqwest::Method::POST,
        "/api/v1/publishing/posts",
        Some(json!({})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN, "a viewer now");
    assert_eq!(
        set_role(&app, &owner, &eli, "admin").await,
        StatusCode::NO_CONTENT
    );
    // Bad invitations say why, and send nothing (an address with one waiting gets no second).
    invite(&app, &owner, "waiting@example.com", "editor").await;
    for (body, field) in [
        (
            json!({"email": "not an address", "role": "editor"}),
            "email",
        ),
        (json!({"email": "x@example.com", "role": "owner"}), "role"),
        (
            json!({"email": "omar@example.com", "role": "editor"}),
            "email",
        ),
        (
            json!({"email": "ada@example.com", "role": "viewer"}),
            "email",
        ),
        (
            json!({"email": "waiting@example.com", "role": "viewer"}),
            "email",
        ),
    ] {
        let r = call(
            &app,
            &owner,
            reqwest::Method::POST,
            "/api/v1/workspaces/invitations",
            Some(body.clone()),
        )
        .await;
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        let answer = json_of(r).await;
        assert!(answer.to_string().contains(field), "{body} -> {answer}");
    }
    assert!(app.mails("x@example.com", "invited").is_empty());
    assert_eq!(app.mails("waiting@example.com", "invited").len(), 1);
}

#[tokio::test]
async fn a_plan_caps_the_people_a_workspace_may_invite_sqlite() {
    seats_are_capped_by_the_plan(crate::helpers::Backend::Sqlite).await;
}

#[tokio::test]
async fn a_plan_caps_the_people_a_workspace_may_invite_postgres() {
    seats_are_capped_by_the_plan(crate::helpers::Backend::Postgres).await;
}

/// With billing on, the Free plan's seats (members and waiting invitations) are a limit the
/// invitation answers with 402 and the plan's name; a withdrawn invitation frees its seat.
async fn seats_are_capped_by_the_plan(backend: crate::helpers::Backend) {
    let Some(app) = TestApp::spawn_with(backend, |raw| {
        raw.set("stripe_secret_key", "sk_test_thredops");
        raw.set("stripe_webhook_secret", "whsec_thredops");
        raw.set("stripe_api_base", "http://127.0.0.1:9");
        raw.set(
            "billing_free_limits",
            "profiles=1,strategist=off,audits=1,history_days=90,seats=1",
        );
    })
    .await
    else {
        return eprintln!("skipped on PostgreSQL: THREDOPS_TEST_DATABASE_URL is not set");
    };
    let owner = person(&app, "solo@example.com").await;
    invite(&app, &owner, "first@example.com", "viewer").await;
    let r = call(
        &app,
        &owner,
        reqwest::Method::POST,
        "/api/v1/workspaces/invitations",
        Some(json!({"email": "second@example.com", "role": "viewer"})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::PAYMENT_REQUIRED);
    let body = json_of(r).await;
    assert_eq!(body["error"]["limit"], "seats", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Free plan includes 1 person besides you"),
        "{body}"
    );
    assert!(app.mails("second@example.com", "invited").is_empty());
    // Withdrawing the waiting invitation frees the seat.
    let people = json_of(
        call(
            &app,
            &owner,
            reqwest::Method::GET,
            "/api/v1/workspaces/members",
            None,
        )
        .await,
    )
    .await;
    let id = people["invitations"][0]["id"].as_str().unwrap().to_owned();
    let r = call(
        &app,
        &owner,
        reqwest::Method::DELETE,
        &format!("/api/v1/workspaces/invitations/{id}"),
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    invite(&app, &owner, "second@example.com", "viewer").await;
}

/// The sessions on the settings page are the person's, whichever workspace they act in.
async fn a_member_sees_and_signs_out_only_their_own_sessions_while_in_the_owners_workspace(
    app: TestApp,
) {
    let owner = person(&app, "sessions-owner@example.com").await;
    let editor = member(&app, &owner, "sessions-editor@example.com", "editor").await;
    let mut ids = Vec::new();
    for c in [&owner, &editor] {
        let me = json_of(call(&app, c, reqwest::Method::GET, "/api/v1/me", None).await).await;
        ids.push(me["id"].as_str().unwrap().to_owned());
    }
    // The editor signs in on a second device too; the page lists the sessions other than the
    // one it is read with, each with a button that signs it out.
    let r = app.login("sessions-editor@example.com", PASSWORD).await;
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    let now = thredops::clock::now_unix();
    let idle = app.state.settings.session_idle.as_secs() as i64;
    let mut sessions = Vec::new();
    for id in &ids {
        let id = thredops::domain::UserId::new(id.as_str());
        let list = thredops::services::accounts::sessions_of(&app.state, &id, now, idle)
            .await
            .unwrap();
        sessions.push(list.into_iter().map(|s| s.id).collect::<Vec<_>>());
    }
    let (owners, editors) = (&sessions[0], &sessions[1]);
    assert_eq!(editors.len(), 2, "the editor has two sessions");

    let page = editor
        .get(app.url("/settings"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        editors.iter().any(|id| page.contains(id.as_str())),
        "the editor's other session is listed"
    );
    assert!(
        !owners.iter().any(|id| page.contains(id.as_str())),
        "the owner's sessions are not"
    );

    let r = editor
        .post(app.url(&format!("/settings/sessions/{}/revoke", owners[0])))
        .header("accept", "text/html")
        .form(&[("csrf", crate::connect::csrf_in(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = call(&app, &owner, reqwest::Method::GET, "/api/v1/me", None).await;
    assert_eq!(r.status(), StatusCode::OK, "the owner is still signed in");
}
