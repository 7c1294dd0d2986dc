//! Accessibility: axe-core checks every page (public, signed in with a synced sandbox profile,
//! and the staff console) at desktop (1366×900) and phone (390×844) size, and fails on any
//! critical or serious violation. axe-core comes from npm (`.ci/run` installs a pinned version
//! under `.ci/axe`, or point `THREDOPS_AXE_JS` at an `axe.min.js`); without it the check is
//! skipped with a message, unless `THREDOPS_REQUIRE_BROWSER=1` makes that a failure.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;

use crate::setup::{Journey, creator};
use crate::support::AgentSession;

/// Where `.ci/run` installs axe-core.
fn axe_path() -> PathBuf {
    std::env::var_os("THREDOPS_AXE_JS").map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../../.ci/axe/node_modules/axe-core/axe.min.js")
        },
        PathBuf::from,
    )
}

/// axe-core's source, or `None` (skipped, and said so) when it is not installed.
pub fn axe_source(journey: &str) -> Option<String> {
    let path = axe_path();
    match std::fs::read_to_string(&path) {
        Ok(source) => Some(source),
        Err(e) if std::env::var("THREDOPS_REQUIRE_BROWSER").is_ok_and(|v| v == "1") => {
            panic!(
                "axe-core is required (THREDOPS_REQUIRE_BROWSER=1) but {} cannot be read: {e}",
                path.display()
            )
        }
        Err(_) => {
            eprintln!(
                "accessibility check '{journey}' skipped: install axe-core (npm install --prefix .ci/axe axe-core, as .ci/run does) or set THREDOPS_AXE_JS"
            );
            None
        }
    }
}

/// Runs axe on the page and lists its violations as (impact, "rule: help — where").
const RUN: &str = r#"
var done = arguments[arguments.length - 1];
axe.run(document, { resultTypes: ["violations"] }).then(function (r) {
  done(r.violations.map(function (v) {
    return [v.impact || "", v.id + ": " + v.help + " — " + v.nodes.slice(0, 3).map(function (n) {
      return n.target.join(" ") + " (" + (n.failureSummary || "").replace(/\s+/g, " ") + ")";
    }).join("; ")];
  }));
}, function (e) { done([["critical", "axe failed to run: " + e]]); });
"#;

/// The pages a creator reaches, the staff console last.
async fn pages(j: &Journey, profile: &str) -> Vec<String> {
    j.open(&format!("/app/profiles/{profile}/posts?period=all"))
        .await;
    let media = j
        .element("table.an-posts tbody a")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    let mut pages: Vec<String> = [
        "/app",
        "/app/profiles",
        "/app/profiles/PROFILE",
        "/app/profiles/PROFILE/analytics?period=all",
        "/app/profiles/PROFILE/analytics/report?period=all",
        "/app/profiles/PROFILE/posts?period=all",
        "/app/analytics/timezone",
        "/app/schedule",
        "/app/schedule/new",
        "/app/inbox",
        "/app/inbox/setup?profile=PROFILE",
        "/app/strategist/PROFILE",
        "/app/audit/PROFILE",
        "/app/billing",
        "/app/competitors",
        "/app/listening",
        "/app/support",
        "/settings",
        "/settings/security",
        "/settings/privacy",
        "/settings/tokens",
        "/settings/webhooks",
        "/app/schedule/feeds",
        "/app/schedule/recurring",
        "/app/schedule/evergreen",
        "/app/schedule/import",
        "/app/notifications",
        "/app/audit",
        "/app/workspaces",
    ]
    .iter()
    .map(|p| p.replace("PROFILE", profile))
    .collect();
    pages.push(media);
    // A scheduled post's page and a support ticket's page, made as the creator would.
    j.open("/app/schedule").await;
    let day = (thredops::clock::now() + chrono::Duration::days(2)).date_naive();
    let post = j
        .client
        .execute_async(
            crate::mobile::SCHEDULE,
            vec![json!(profile), json!(format!("{day}T09:30"))],
        )
        .await
        .unwrap();
    assert_eq!(post[0], 200, "scheduled: {post}");
    pages.push(format!(
        "/app/schedule/posts/{}",
        post[1]["id"].as_str().unwrap()
    ));
    let ticket = j.client.execute_async(TICKET, vec![]).await.unwrap();
    assert_eq!(ticket[0], 201, "ticket: {ticket}");
    pages.push(format!(
        "/app/support/tickets/{}",
        ticket[1]["id"].as_str().unwrap()
    ));
    // An invitation waiting on the Team page, and the page its mailed link opens.
    let invited = j.client.execute_async(INVITE, vec![]).await.unwrap();
    assert_eq!(invited[0], 201, "invited: {invited}");
    let mail = j.app.next_mail(INVITED, "You are invited", 0).await;
    let token = crate::helpers::link_token(&mail, "/app/workspaces/accept");
    pages.push(format!("/app/workspaces/accept?token={token}"));
    // Approvals on, the scheduled post waiting in the queue, and a client review link to it.
    let link = j.client.execute_async(REVIEW_LINK, vec![]).await.unwrap();
    assert_eq!(link[0], 201, "review link: {link}");
    j.app
        .state
        .store
        .set_post_approval(
            &post[1]["id"].as_str().unwrap().into(),
            thredops::publishing::approvals::Approval::Pending,
        )
        .await
        .unwrap();
    pages.push("/app/review".to_owned());
    let url = link[1]["url"].as_str().unwrap();
    pages.push(format!("/review/{}", url.split("/review/").nth(1).unwrap()));
    pages
}

/// Turns approvals on and makes a client review link through the JSON API with the browser's
/// session.
const REVIEW_LINK: &str = r#"
var done = arguments[arguments.length - 1];
fetch('/api/v1/workspaces/current/approvals', { method: 'PUT', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ required: true }) })
  .then(function () {
    return fetch('/api/v1/workspaces/current/review-links', { method: 'POST',
      headers: { 'content-type': 'application/json' }, body: JSON.stringify({ days: 3 }) });
  })
  .then(function (r) { return r.json().then(function (b) { done([r.status, b]); }); })
  .catch(function (e) { done([0, String(e)]); });
"#;

/// Who the accessibility check invites to the workspace.
const INVITED: &str = "axe.invitee@example.com";

/// Invites [`INVITED`] as an editor through the JSON API with the browser's session.
const INVITE: &str = r#"
var done = arguments[arguments.length - 1];
fetch('/api/v1/workspaces/invitations', { method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ email: 'axe.invitee@example.com', role: 'editor' }) })
  .then(function (r) { return r.json().then(function (b) { done([r.status, b]); }); })
  .catch(function (e) { done([0, String(e)]); });
"#;

/// Opens a support ticket through the JSON API with the browser's session.
const TICKET: &str = r#"
var done = arguments[arguments.length - 1];
fetch('/api/v1/support/tickets', { method: 'POST', headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ category: 'bug', subject: 'The calendar', body: 'A question about the calendar.' }) })
  .then(function (r) { return r.json().then(function (b) { done([r.status, b]); }); })
  .catch(function (e) { done([0, String(e)]); });
"#;

const PUBLIC: &[&str] = &[
    "/",
    "/pricing",
    "/signup",
    "/login",
    "/forgot-password",
    "/privacy",
    "/cookies",
    "/privacy/deletion-request",
];

/// Checks one page; returns its serious and critical violations.
async fn check(j: &Journey, axe: &str, path: &str) -> Vec<String> {
    j.open(path).await;
    // Let deferred scripts (tooltips, the chat widget) set the page up first.
    j.wait_until(Duration::from_secs(20), |t| !t.is_empty())
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    // A page that failed to load would be an error page checked in its place.
    let status = j
        .client
        .execute(
            "return performance.getEntriesByType('navigation')[0].responseStatus;",
            vec![],
        )
        .await
        .unwrap();
    if status != 200 {
        return vec![format!("{path}: answered {status}, not the page")];
    }
    j.client
        .execute(&format!("{axe}\nreturn typeof window.axe;"), vec![])
        .await
        .unwrap();
    let found = j.client.execute_async(RUN, vec![]).await.unwrap();
    let mut bad = Vec::new();
    for v in found.as_array().into_iter().flatten() {
        let (impact, what) = (v[0].as_str().unwrap_or(""), v[1].as_str().unwrap_or(""));
        if matches!(impact, "critical" | "serious") {
            bad.push(format!("{path}: [{impact}] {what}"));
        } else {
            eprintln!("axe ({impact}) {path}: {what}");
        }
    }
    bad
}

async fn every_page_passes_axe(name: &str, width: u32, height: u32) {
    let Some(axe) = axe_source(name) else {
        return;
    };
    let Some(j) = Journey::start_sized(name, width, height).await else {
        return;
    };
    let mut bad = Vec::new();
    for path in PUBLIC {
        bad.extend(check(&j, &axe, path).await);
    }
    j.sign_up(&format!("{name}@example.com")).await;
    let id = j.connect(creator("axe_reader", 120, 2_400)).await;
    // A finished audit, for its printable report.
    j.open(&format!("/app/audit/{id}")).await;
    j.click("form[action$='/run'] button").await;
    j.wait_until(Duration::from_secs(60), |t| {
        t.contains("Open the printable report")
    })
    .await;
    let report = j
        .element("a[href^='/app/audit/reports/']")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    for path in pages(&j, &id).await.iter().chain([&report]) {
        bad.extend(check(&j, &axe, path).await);
    }
    let agent = AgentSession::create(&j.app, &format!("{name}.agent@support.example")).await;
    agent.enter(&j).await;
    bad.extend(check(&j, &axe, "/app/support/console").await);
    assert!(
        bad.is_empty(),
        "{} serious or critical accessibility violations:\n{}",
        bad.len(),
        bad.join("\n")
    );
    j.finish().await;
}

#[tokio::test]
async fn every_page_passes_axe_on_a_desktop() {
    every_page_passes_axe("axe-desktop", 1366, 900).await;
}

#[tokio::test]
async fn every_page_passes_axe_on_a_phone() {
    every_page_passes_axe("axe-phone", 390, 844).await;
}
