//! Every signed-in API operation and the app's pages, tried by each role in a workspace and by
//! people outside it: a role reaches exactly what the role table gives it, and nobody outside
//! finds anything of the workspace (0 leaks).

use reqwest::{Method, StatusCode};
use serde_json::json;
use thredops::domain::WorkspaceRole;
use thredops::workspaces::access::need;

use super::{call, connected_profile, member, person, small_creator};
use crate::connect::{connect_as, csrf_in};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    each_role_reaches_exactly_what_its_role_allows_on_every_api_operation,
    each_role_reaches_exactly_what_its_role_allows_on_the_pages,
    nobody_outside_a_workspace_finds_anything_of_it,
);

/// What a refusal for the role says.
const ROLE_REFUSAL: &str = "role in this";

/// Operations that end the session or the account, or take the profile away from the others,
/// when a role may make them: the role table still covers them (unit tests); here they would
/// end the run.
fn ends_the_run(method: &Method, path: &str) -> bool {
    matches!(
        (method.as_str(), path),
        ("POST", "/api/v1/auth/logout")
            | ("POST", "/api/v1/privacy/delete-account")
            | ("DELETE", "/api/v1/profiles/{id}")
            | ("GET", "/api/v1/support/chat/socket")
    )
}

/// The operation's path with the workspace's profile for a profile id and a made-up id for
/// everything else.
fn concrete(path: &str, profile: &str) -> String {
    let mut out = Vec::new();
    let mut after_profiles = false;
    for segment in path.split('/') {
        if segment.starts_with('{') {
            out.push(if after_profiles {
                profile.to_owned()
            } else {
                "x0".to_owned()
            });
        } else {
            out.push(segment.to_owned());
        }
        after_profiles = segment == "profiles";
    }
    out.join("/")
}

struct Workspace {
    app: TestApp,
    owner: reqwest::Client,
    profile: String,
    planted: String,
}

/// An owner with a synced profile and a planted draft.
async fn workspace(app: TestApp) -> Workspace {
    let owner = person(&app, "owner@agency.example").await;
    let profile = connected_profile(&app, &owner, 3).await;
    let planted = "Planted draft of the agency 5e1d".to_owned();
    let r = call(
        &app,
        &owner,
        Method::POST,
        "/api/v1/publishing/posts",
        Some(json!({"profile_id": profile, "content": {"parts": [{"text": planted}]}, "action": "draft"})),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::CREATED,
        "{}",
        r.text().await.unwrap()
    );
    let r = call(
        &app,
        &owner,
        Method::PUT,
        "/api/v1/workspaces/current/name",
        Some(json!({"name": "Agency 5e1d"})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    Workspace {
        app,
        owner,
        profile,
        planted,
    }
}

const ROLES: [WorkspaceRole; 4] = [
    WorkspaceRole::Admin,
    WorkspaceRole::Editor,
    WorkspaceRole::Viewer,
    WorkspaceRole::Reviewer,
];

async fn each_role_reaches_exactly_what_its_role_allows_on_every_api_operation(app: TestApp) {
    let w = workspace(app).await;
    let mut tried = 0;
    let mut refused = 0;
    for role in ROLES {
        let email = format!("{}@agency.example", role.as_str());
        let c = member(&w.app, &w.owner, &email, role.as_str()).await;
        for e in thredops::http::api::endpoints() {
            if !e.auth || ends_the_run(&e.method, e.path) {
                continue;
            }
            let path = concrete(e.path, &w.profile);
            let body = (e.method != Method::GET && e.method != Method::DELETE).then(|| json!({}));
            let r = call(&w.app, &c, e.method.clone(), &path, body).await;
            let status = r.status();
            let text = r.text().await.unwrap();
            let allowed = role.may(need(e.method.as_str(), &path));
            let role_refusal = status == StatusCode::FORBIDDEN && text.contains(ROLE_REFUSAL);
            assert_eq!(
                role_refusal, !allowed,
                "{role:?} {} {path}: {status} {text}",
                e.method
            );
            tried += 1;
            refused += usize::from(role_refusal);
        }
        // Nothing the members did changed what the workspace holds.
        let posts = call(
            &w.app,
            &w.owner,
            Method::GET,
            "/api/v1/publishing/posts",
            None,
        )
        .await
        .text()
        .await
        .unwrap();
        assert!(posts.contains(&w.planted), "{role:?} run lost the draft");
    }
    assert!(tried > 300, "only {tried} requests");
    assert!(refused > 100, "only {refused} refusals");
}

async fn each_role_reaches_exactly_what_its_role_allows_on_the_pages(app: TestApp) {
    let w = workspace(app).await;
    let p = &w.profile;
    let reads = [
        "/app".to_owned(),
        "/app/analytics".to_owned(),
        "/app/schedule".to_owned(),
        "/app/inbox".to_owned(),
        "/app/profiles".to_owned(),
        format!("/app/profiles/{p}"),
        format!("/app/profiles/{p}/analytics"),
        "/app/strategist".to_owned(),
        "/app/notifications".to_owned(),
        "/app/billing".to_owned(),
        "/settings".to_owned(),
        "/settings/webhooks".to_owned(),
        "/app/workspaces".to_owned(),
        "/app/support".to_owned(),
    ];
    // Forms whose refusal is checked (made with the page's own CSRF token).
    let writes = [
        format!("/app/profiles/{p}/disconnect"),
        format!("/app/profiles/{p}/sync"),
        "/app/schedule/acknowledge".to_owned(),
        "/app/workspaces/members".to_owned(),
        "/app/billing/checkout".to_owned(),
    ];
    for role in ROLES {
        let email = format!("{}@agency.example", role.as_str());
        let c = member(&w.app, &w.owner, &email, role.as_str()).await;
        for path in &reads {
            let r = c
                .get(w.app.url(path))
                .header("accept", "text/html")
                .send()
                .await
                .unwrap();
            let status = r.status();
            let allowed = role.may(need("GET", path));
            assert_eq!(
                status == StatusCode::FORBIDDEN,
                !allowed,
                "{role:?} GET {path}: {status}"
            );
            if allowed {
                // A page, or the redirect some areas answer with (to their first profile).
                assert!(
                    status == StatusCode::OK || status.is_redirection(),
                    "{role:?} GET {path}: {status}"
                );
            } else {
                let kind = r.headers()["content-type"].to_str().unwrap().to_owned();
                assert!(kind.starts_with("text/html"), "{role:?} GET {path}: {kind}");
            }
        }
        let html = c
            .get(w.app.url("/app/workspaces"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(
            html.contains("Agency 5e1d"),
            "the header names the workspace"
        );
        // A client reviewer's navigation offers the queue, not the pages they cannot open.
        let reviewer = role == WorkspaceRole::Reviewer;
        let nav = html
            .split("aria-label=\"Product\"")
            .nth(1)
            .and_then(|rest| rest.split("</nav>").next())
            .unwrap_or_default();
        // (Labels, since the template escapes the links' slashes.)
        assert_eq!(nav.contains(">Review queue<"), reviewer, "{role:?}");
        assert_eq!(nav.contains(">Analytics<"), !reviewer, "{role:?}");
        let csrf = csrf_in(&html);
        for path in &writes {
            if role.may(need("POST", path)) {
                continue;
            }
            let r = c
                .post(w.app.url(path))
                .form(&[("csrf", csrf.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::FORBIDDEN, "{role:?} POST {path}");
        }
    }
    // The profile is still connected: no refused form did anything.
    let profile: serde_json::Value = call(
        &w.app,
        &w.owner,
        Method::GET,
        &format!("/api/v1/profiles/{}", w.profile),
        None,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(profile["status"], "active", "{profile}");
}

async fn nobody_outside_a_workspace_finds_anything_of_it(app: TestApp) {
    let w = workspace(app).await;
    // An outsider with a workspace of their own, and a former member back in theirs.
    let outsider = person(&w.app, "outsider@elsewhere.example").await;
    connect_as(&w.app, &outsider, small_creator(&w.app, 4)).await;
    let former = member(&w.app, &w.owner, "former@agency.example", "admin").await;
    let former_own = call(&w.app, &former, Method::GET, "/api/v1/workspaces", None)
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap()["workspaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["own"] == true)
        .unwrap()["id"]
        .clone();
    let r = call(
        &w.app,
        &former,
        Method::PUT,
        "/api/v1/workspaces/current",
        Some(json!({"workspace_id": former_own})),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let secrets = [w.profile.as_str(), w.planted.as_str(), "Agency 5e1d"];
    let mut tried = 0;
    for c in [&outsider, &former] {
        for e in thredops::http::api::endpoints() {
            if !e.auth || e.method != Method::GET || ends_the_run(&e.method, e.path) {
                continue;
            }
            let path = concrete(e.path, &w.profile);
            let r = call(&w.app, c, Method::GET, &path, None).await;
            let status = r.status();
            let text = r.text().await.unwrap();
            if path.contains(&w.profile) {
                assert!(
                    status == StatusCode::NOT_FOUND || status == StatusCode::FORBIDDEN,
                    "GET {path}: {status} {text}"
                );
            }
            // The former member may still be listed as having belonged nowhere; nothing of
            // the workspace's data is in any answer.
            for secret in secrets {
                let in_own_list = e.path == "/api/v1/workspaces" && secret == "Agency 5e1d";
                if in_own_list && std::ptr::eq(c, &former) {
                    // The former member still belongs to it: the list names it, nothing more.
                    continue;
                }
                assert!(!text.contains(secret), "GET {path} shows {secret}: {text}");
            }
            tried += 1;
        }
        for page in [
            "/app",
            "/app/schedule",
            "/app/profiles",
            "/app/inbox",
            "/app/analytics",
        ] {
            let text = c
                .get(w.app.url(page))
                .send()
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            for secret in secrets {
                assert!(!text.contains(secret), "{page} shows {secret}");
            }
        }
        let r = c
            .get(w.app.url(&format!("/app/profiles/{}", w.profile)))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
    }
    assert!(tried > 60, "only {tried} reads");
}
