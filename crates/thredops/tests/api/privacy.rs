//! Privacy black-box tests: one test per promise of the privacy policy lives in `policy`; this
//! module holds the helpers they share.

mod policy;

use reqwest::StatusCode;
use serde_json::Value;
use thredops::with_pool;

use crate::connect::{self, PASSWORD, csrf_in};
use crate::helpers::TestApp;

/// Ids whose every trace must be gone after a purge.
#[derive(Debug, Default, Clone)]
pub struct Traces {
    pub user_ids: Vec<String>,
    pub profile_ids: Vec<String>,
    pub threads_user_ids: Vec<String>,
}

async fn columns(app: &TestApp, table: &str) -> Vec<String> {
    match app.state.store.pool_for_tests() {
        thredops::store::Pool::Sqlite(p) => {
            sqlx::query_scalar("SELECT name FROM pragma_table_info($1)")
                .bind(table)
                .fetch_all(p)
                .await
        }
        thredops::store::Pool::Postgres(p) => sqlx::query_scalar(
            "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1",
        )
        .bind(table)
        .fetch_all(p)
        .await,
    }
    .unwrap()
}

/// Counts, in EVERY table, the rows whose user_id / profile_id / threads_user_id (and the ids of
/// `users` and `threads_profiles`, and job subjects) name one of `traces`. Returns the offenders.
pub async fn remaining_traces(app: &TestApp, traces: &Traces) -> Vec<String> {
    let mut found = Vec::new();
    let tables = app.state.store.table_names().await.unwrap();
    assert!(tables.len() > 10, "the helper sees every table: {tables:?}");
    for table in tables {
        let cols = columns(app, &table).await;
        let mut checks: Vec<(&str, &Vec<String>)> = Vec::new();
        for col in &cols {
            match col.as_str() {
                "user_id" => checks.push(("user_id", &traces.user_ids)),
                "profile_id" => checks.push(("profile_id", &traces.profile_ids)),
                "threads_user_id" => checks.push(("threads_user_id", &traces.threads_user_ids)),
                "subject" if table == "jobs" => checks.push(("subject", &traces.profile_ids)),
                "id" if table == "users" => checks.push(("id", &traces.user_ids)),
                "id" if table == "threads_profiles" => checks.push(("id", &traces.profile_ids)),
                _ => {}
            }
        }
        for (col, values) in checks {
            for value in values {
                let sql = format!("SELECT count(*) FROM \"{table}\" WHERE \"{col}\" = $1");
                let n: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
                    sqlx::AssertSqlSafe(sql.clone())
                )
                .bind(value)
                .fetch_one(p)
                .await)
                .unwrap();
                if n > 0 {
                    found.push(format!("{table}.{col} = {value}: {n} rows"));
                }
            }
        }
    }
    found
}

/// Signs up, connects a sandbox creator with `posts` posts and waits for the history.
/// Returns (user id, profile id, Threads user id).
pub async fn creator_account(
    app: &TestApp,
    email: &str,
    name: &str,
    posts: usize,
) -> (String, String, String) {
    let r = app.signup(email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let me: Value = r.json().await.unwrap();
    let c = connect::creator(app, name, posts, 1_000);
    let profile = connect::connect(app, c.user_id).await;
    let p = connect::wait_for_backfill(app, &profile).await;
    let threads_user_id = p["threads_user_id"].as_str().unwrap().to_owned();
    (
        me["id"].as_str().unwrap().to_owned(),
        profile,
        threads_user_id,
    )
}

/// The CSRF token of the privacy settings page for the app's client.
pub async fn settings_csrf(app: &TestApp) -> String {
    let html = app.get("/settings/privacy").await.text().await.unwrap();
    csrf_in(&html)
}

/// The signed-in user's export as a lookup: the text of the file whose name ends with a name.
pub async fn export_reader(app: &TestApp) -> impl Fn(&str) -> String {
    let r = app.get("/settings/privacy/export").await;
    assert_eq!(r.status(), 200);
    let files = untar(&r.bytes().await.unwrap());
    move |name: &str| {
        files
            .iter()
            .find(|(n, _)| n.ends_with(name))
            .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_else(|| panic!("no {name} in the export"))
    }
}

/// Deletes the signed-in account from Settings; returns the traces of `traces` left in tables
/// whose names start with `prefix`.
pub async fn delete_account_leaves(app: &TestApp, traces: &Traces, prefix: &str) -> Vec<String> {
    let csrf = settings_csrf(app).await;
    let r = app
        .client
        .post(app.url("/settings/privacy/delete"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("password", crate::connect::PASSWORD),
            ("confirm", "DELETE"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    remaining_traces(app, traces)
        .await
        .into_iter()
        .filter(|t| t.starts_with(prefix))
        .collect()
}

/// Every outbox message so far.
pub fn outbox(app: &TestApp) -> Vec<String> {
    app.state.mailer.outbox_messages()
}

/// A signed request as Meta makes it for the sandbox app.
pub fn signed(app: &TestApp, threads_user_id: &str, issued_at: i64) -> String {
    thredops::privacy::signed_request::encode(
        app.state.threads.app.client_secret.expose(),
        &serde_json::json!({"algorithm": "HMAC-SHA256", "issued_at": issued_at, "user_id": threads_user_id}),
    )
}

/// Posts a Meta callback the way Meta does: a form body, no cookies.
pub async fn meta_callback(app: &TestApp, hook: &str, signed_request: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(app.url(&format!("/hooks/threads/{hook}")))
        .form(&[("signed_request", signed_request)])
        .send()
        .await
        .unwrap()
}

/// The first `http...` link in `text` that starts with `prefix`.
pub fn link_after(text: &str, prefix: &str) -> String {
    let start = text
        .find(prefix)
        .unwrap_or_else(|| panic!("no {prefix} in {text}"));
    text[start..]
        .split(|c: char| c.is_whitespace())
        .next()
        .unwrap()
        .to_owned()
}

/// Files of a tar archive by name (regular files only, as our export writes them).
pub fn untar(bytes: &[u8]) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at + 512 <= bytes.len() && bytes[at] != 0 {
        let header = &bytes[at..at + 512];
        let name = String::from_utf8_lossy(&header[..100])
            .trim_end_matches('\0')
            .to_owned();
        let size_text = String::from_utf8_lossy(&header[124..135])
            .trim_matches(['\0', ' '])
            .to_owned();
        let size = usize::from_str_radix(&size_text, 8).unwrap();
        let body = bytes[at + 512..at + 512 + size].to_vec();
        out.push((name, body));
        at += 512 + size.div_ceil(512) * 512;
    }
    out
}
