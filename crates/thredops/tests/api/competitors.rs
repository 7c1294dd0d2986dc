//! Competitor benchmarks against the sandbox's public profiles: the feature asks for its
//! permission first, adds only profiles Threads shows, snapshots them daily within the
//! profile's budget, compares them with the user's own profile, and is private, exported and
//! purged with the account.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use threads_sandbox::PublicProfileSummary;

use crate::connect::{creator, csrf_in, decide, run_due_now, sandbox, wait_for_backfill};
use crate::helpers::{Backend, TestApp};
use crate::on_both_backends;

on_both_backends!(
    the_page_asks_for_the_permission_before_anything_is_looked_up,
    a_public_profile_is_snapshotted_and_compared_with_your_own,
    unknown_small_and_repeated_profiles_are_refused_beside_the_field,
    competitors_are_private_exported_and_purged_with_the_account,
    disconnecting_stops_the_daily_runs_and_connecting_again_resumes_them,
);

/// Signs up, connects a creator with some history; returns (profile id, creator user id).
pub async fn setup(app: &TestApp, name: &str) -> (String, u64) {
    app.signup(&format!("{name}@example.com"), crate::connect::PASSWORD)
        .await;
    let c = creator(app, name, 12, 2_000);
    let id = crate::connect::connect(app, c.user_id).await;
    wait_for_backfill(app, &id).await;
    (id, c.user_id)
}

/// Presses the "Allow ..." button of a feature and consents on the sandbox's page as
/// `threads_user`; the profile comes back with the extra scope.
pub async fn allow(app: &TestApp, page_path: &str, threads_user: u64, feature: &str) {
    let page = app.get(page_path).await.text().await.unwrap();
    assert!(
        page.contains(&format!("name=\"feature\" value=\"{feature}\"")),
        "{page}"
    );
    let r = app
        .client
        .post(app.url("/app/profiles/connect"))
        .form(&[("csrf", csrf_in(&page).as_str()), ("feature", feature)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let authorize = r.headers()["location"].to_str().unwrap().to_owned();
    assert!(authorize.contains(feature), "{authorize}");
    let consent = app
        .client
        .get(&authorize)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let callback = decide(app, &app.client, &consent, threads_user, "allow").await;
    let r = app.client.get(callback).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let back = r.headers()["location"].to_str().unwrap();
    assert!(back.ends_with("connected=again"), "{back}");
}

/// The sandbox's public profiles that profile discovery finds, and those it does not.
pub fn public(app: &TestApp) -> (Vec<PublicProfileSummary>, Vec<PublicProfileSummary>) {
    sandbox(app)
        .public_profiles()
        .into_iter()
        .partition(|p| p.discoverable)
}

pub async fn add(app: &TestApp, profile: &str, username: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/competitors",
        &json!({"profile_id": profile, "username": username}),
    )
    .await
}

async fn benchmark(app: &TestApp, profile: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/profiles/{profile}/benchmark"))
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn the_page_asks_for_the_permission_before_anything_is_looked_up(app: TestApp) {
    let (profile, user) = setup(&app, "benchask").await;
    let page = app.get("/app/competitors").await.text().await.unwrap();
    assert!(
        page.contains("Allow ThredOps to look up public profiles"),
        "{page}"
    );
    assert!(
        page.contains("compare them with your own"),
        "the reason is shown"
    );
    assert!(
        !page.contains("class=\"alert alert-error\""),
        "not an error: {page}"
    );
    let bench = benchmark(&app, &profile).await;
    assert_eq!(bench["discovery_allowed"], false);
    let (found, _) = public(&app);
    let r = add(&app, &profile, &found[0].username).await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["fields"]["profile_id"]
            .as_str()
            .unwrap()
            .contains("Allow ThredOps"),
        "{body}"
    );

    allow(&app, "/app/competitors", user, "threads_profile_discovery").await;
    let p = crate::connect::profile(&app, &profile).await;
    let scopes = p["scopes"].as_array().unwrap();
    assert!(
        scopes.iter().any(|s| s == "threads_profile_discovery"),
        "{p}"
    );
    assert!(
        !scopes.iter().any(|s| s == "threads_keyword_search"),
        "only what was asked: {p}"
    );
    let page = app.get("/app/competitors").await.text().await.unwrap();
    assert!(!page.contains("Allow ThredOps to look up public profiles"));
    assert!(page.contains("Add a competitor"));
}

async fn a_public_profile_is_snapshotted_and_compared_with_your_own(app: TestApp) {
    let (profile, user) = setup(&app, "benchmain").await;
    allow(&app, "/app/competitors", user, "threads_profile_discovery").await;
    let (found, _) = public(&app);
    let target = &found[0];
    let r = add(
        &app,
        &profile,
        &format!("@{}", target.username.to_uppercase()),
    )
    .await;
    assert_eq!(r.status(), 201);
    let added: Value = r.json().await.unwrap();
    assert_eq!(added["username"], target.username.as_str());
    assert_eq!(added["followers"], target.followers_count);
    run_due_now(&app, thredops::competitors::SNAPSHOT).await;

    // The first run collected the last 28 days of public posts with two calls.
    let now = sandbox(&app).clock().now_ts();
    let window: Vec<_> = sandbox(&app)
        .public_posts()
        .into_iter()
        .filter(|p| p.username == target.username && p.ts > now - 28 * 86_400)
        .collect();
    assert!(!window.is_empty());
    let list: Vec<Value> = app.get("/api/v1/competitors").await.json().await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0]["last_status"], "ok", "{list:?}");
    assert_eq!(list[0]["last_calls"], 2, "{list:?}");
    assert_eq!(list[0]["posts_stored"], window.len());
    assert_eq!(list[0]["snapshots"], 1);

    let bench = benchmark(&app, &profile).await;
    assert_eq!(bench["comparison"].as_array().unwrap().len(), 2);
    assert_eq!(bench["comparison"][0]["own"], true);
    assert_eq!(bench["comparison"][0]["who"], "@benchmain");
    let theirs = &bench["comparison"][1];
    assert_eq!(theirs["who"], format!("@{}", target.username));
    let per_week = (window.len() as f64 * 7.0 / 28.0 * 100.0).round() / 100.0;
    assert_eq!(theirs["posts_per_week"].as_f64().unwrap(), per_week);
    let text = window
        .iter()
        .filter(|p| p.media_type == "TEXT_POST")
        .count() as f64;
    let share = (text * 100.0 / window.len() as f64 * 100.0).round() / 100.0;
    assert_eq!(theirs["formats"]["text"].as_f64().unwrap(), share);
    assert!(theirs["growth"].is_null(), "one snapshot has no growth yet");

    // A day later the next run adds a snapshot (public followers stand still in the sandbox).
    sandbox(&app).clock().advance(Duration::days(1)).unwrap();
    run_due_now(&app, thredops::competitors::SNAPSHOT).await;
    let bench = benchmark(&app, &profile).await;
    assert_eq!(bench["competitors"][0]["snapshots"], 2, "{bench}");
    assert_eq!(bench["comparison"][1]["growth"], 0);

    // The page shows the four charts, each with its data table naming both profiles.
    let page = app
        .get(&format!("/app/competitors?profile_id={profile}"))
        .await
        .text()
        .await
        .unwrap();
    for id in [
        "bench-growth",
        "bench-cadence",
        "bench-formats",
        "bench-engagement",
    ] {
        assert!(page.contains(&format!("id=\"{id}-t\"")), "{id}");
    }
    assert_eq!(page.matches("Data table:").count(), 4);
    assert!(page.contains(&format!("@{}", target.username)));
    assert!(page.contains("1 of unlimited competitors"), "usage shown");

    // Removing it deletes it.
    let id = list[0]["id"].as_str().unwrap();
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/competitors/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let list: Vec<Value> = app.get("/api/v1/competitors").await.json().await.unwrap();
    assert!(list.is_empty());
}

async fn unknown_small_and_repeated_profiles_are_refused_beside_the_field(app: TestApp) {
    let (profile, user) = setup(&app, "benchbad").await;
    allow(&app, "/app/competitors", user, "threads_profile_discovery").await;
    let (found, hidden) = public(&app);
    let small = hidden.iter().find(|p| p.followers_count < 1_000).unwrap();
    for (name, words) in [
        ("nobody.here", "found no public profile @nobody.here"),
        (small.username.as_str(), "1,000 followers"),
        ("not a name!", "letters, digits, dots and underscores"),
        ("", "Enter the competitor"),
    ] {
        let r = add(&app, &profile, name).await;
        assert_eq!(r.status(), 422, "{name}");
        let body: Value = r.json().await.unwrap();
        let field = body["error"]["fields"]["username"]
            .as_str()
            .unwrap_or_default();
        assert!(field.contains(words), "{name}: {body}");
    }
    assert_eq!(add(&app, &profile, &found[1].username).await.status(), 201);
    let r = add(&app, &profile, &found[1].username).await;
    assert_eq!(r.status(), 422);

    // On the page the error sits beside the field and the typed name stays.
    let page = app.get("/app/competitors").await.text().await.unwrap();
    let r = app
        .client
        .post(app.url("/app/competitors"))
        .form(&[
            ("csrf", csrf_in(&page).as_str()),
            ("profile_id", profile.as_str()),
            ("username", "nobody.here"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"username-error\""), "{page}");
    assert!(page.contains("value=\"nobody.here\""));
    assert!(
        page.contains("standard access"),
        "the standard-access case is explained"
    );
}

#[tokio::test]
async fn over_the_plan_limit_a_competitor_is_refused_with_the_plan_page_sqlite() {
    over_the_plan_limit(Backend::Sqlite).await;
}

#[tokio::test]
async fn over_the_plan_limit_a_competitor_is_refused_with_the_plan_page_postgres() {
    over_the_plan_limit(Backend::Postgres).await;
}

async fn over_the_plan_limit(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, |raw| {
        raw.set("stripe_secret_key", "sk_test_thredops");
        raw.set("stripe_webhook_secret", "whsec_thredops");
        raw.set("stripe_api_base", "http://127.0.0.1:9");
        raw.set(
            "billing_free_limits",
            "profiles=1,strategist=off,audits=1,history_days=90,competitors=1",
        );
    })
    .await
    else {
        return eprintln!("skipped on PostgreSQL: THREDOPS_TEST_DATABASE_URL is not set");
    };
    let (profile, user) = setup(&app, "benchplan").await;
    allow(&app, "/app/competitors", user, "threads_profile_discovery").await;
    let (found, _) = public(&app);
    assert_eq!(add(&app, &profile, &found[0].username).await.status(), 201);
    let page = app.get("/app/competitors").await.text().await.unwrap();
    assert!(
        page.contains("1 of 1 competitors on your Free plan"),
        "{page}"
    );
    let r = add(&app, &profile, &found[1].username).await;
    assert_eq!(r.status(), StatusCode::PAYMENT_REQUIRED);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["limit"], "competitors", "{body}");
    let r = app
        .client
        .post(app.url("/app/competitors"))
        .form(&[
            ("csrf", csrf_in(&page).as_str()),
            ("profile_id", profile.as_str()),
            ("username", found[1].username.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYMENT_REQUIRED);
    let page = r.text().await.unwrap();
    assert!(page.contains("includes 1 tracked competitor"), "{page}");
}

async fn competitors_are_private_exported_and_purged_with_the_account(app: TestApp) {
    let (profile, user) = setup(&app, "benchpriv").await;
    allow(&app, "/app/competitors", user, "threads_profile_discovery").await;
    let (found, _) = public(&app);
    let added: Value = add(&app, &profile, &found[0].username)
        .await
        .json()
        .await
        .unwrap();
    let id = added["id"].as_str().unwrap().to_owned();
    run_due_now(&app, thredops::competitors::SNAPSHOT).await;

    // Another user sees nothing of it and cannot remove it or benchmark the profile.
    let other = stranger(&app, "benchstranger@example.com", "/api/v1/competitors").await;
    let r = other
        .delete(app.url(&format!("/api/v1/competitors/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = other
        .get(app.url(&format!("/api/v1/profiles/{profile}/benchmark")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    // Post texts are sealed at rest.
    let sealed: Vec<Vec<u8>> = thredops::with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT content_enc FROM competitor_posts WHERE competitor_id = $1"
    )
    .bind(&id)
    .fetch_all(p)
    .await)
    .unwrap();
    assert!(!sealed.is_empty());
    let first = sandbox(&app)
        .public_posts()
        .into_iter()
        .find(|p| p.username == found[0].username)
        .unwrap();
    assert!(
        sealed
            .iter()
            .all(|s| !String::from_utf8_lossy(s).contains(&first.text))
    );

    // The export holds the competitor with its snapshots and opened posts.
    let r = app.get("/settings/privacy/export").await;
    assert_eq!(r.status(), 200);
    let files = crate::privacy::untar(&r.bytes().await.unwrap());
    let file = |name: &str| file_in(&files, name);
    let content: Value = serde_json::from_str(&file("content.json")).unwrap();
    let exported = &content["competitors"][0];
    assert_eq!(exported["username"], found[0].username.as_str());
    assert_eq!(
        exported["snapshots"][0]["followers"],
        found[0].followers_count
    );
    assert!(
        exported["posts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["content"]["text"] == first.text.as_str()),
        "{exported}"
    );
    assert!(file("tables/competitor_snapshots.csv").contains(&id));

    // Deleting the account deletes them.
    let csrf = crate::privacy::settings_csrf(&app).await;
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
    let traces = crate::privacy::Traces {
        user_ids: vec![],
        profile_ids: vec![profile],
        threads_user_ids: vec![],
    };
    let left: Vec<String> = crate::privacy::remaining_traces(&app, &traces)
        .await
        .into_iter()
        .filter(|t| t.starts_with("competitor"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    let rows: i64 = thredops::with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM competitor_posts"
    )
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(rows, 0);
}

/// Signs up another user, who finds nothing at `list` (an API listing); returns their client.
pub async fn stranger(app: &TestApp, email: &str, list: &str) -> reqwest::Client {
    let other = app.new_client();
    crate::helpers::sign_up_with(app, &other, email, crate::connect::PASSWORD).await;
    let theirs: Vec<Value> = other
        .get(app.url(list))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(theirs.is_empty(), "{list} shows another user's data");
    other
}

/// A file of an unpacked export, as text.
pub fn file_in(files: &[(String, Vec<u8>)], name: &str) -> String {
    files
        .iter()
        .find(|(n, _)| n.ends_with(name))
        .map(|(_, b)| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_else(|| panic!("no {name} in the export"))
}

async fn pending_snapshots(app: &TestApp) -> i64 {
    thredops::with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM jobs WHERE kind = $1 AND state IN ('queued', 'running')"
    )
    .bind(thredops::competitors::SNAPSHOT)
    .fetch_one(p)
    .await)
    .unwrap()
}

async fn disconnecting_stops_the_daily_runs_and_connecting_again_resumes_them(app: TestApp) {
    let (profile, user) = setup(&app, "benchpause").await;
    allow(&app, "/app/competitors", user, "threads_profile_discovery").await;
    let (found, _) = public(&app);
    assert_eq!(add(&app, &profile, &found[0].username).await.status(), 201);
    run_due_now(&app, thredops::competitors::SNAPSHOT).await;
    assert_eq!(pending_snapshots(&app).await, 1, "the next daily run waits");

    let page = app
        .get(&format!("/app/profiles/{profile}"))
        .await
        .text()
        .await
        .unwrap();
    let r = app
        .client
        .post(app.url(&format!("/app/profiles/{profile}/disconnect")))
        .form(&[("csrf", csrf_in(&page).as_str()), ("history", "keep")])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_redirection(), "{}", r.status());
    assert_eq!(
        pending_snapshots(&app).await,
        0,
        "disconnecting cancels the runs"
    );
    let list: Vec<Value> = app.get("/api/v1/competitors").await.json().await.unwrap();
    assert_eq!(list.len(), 1, "the history is kept");

    // Connecting the same account again asks for the permission it had and resumes the runs.
    let (authorize, consent) = crate::connect::start_connect(&app, &app.client).await;
    assert!(
        authorize.contains("threads_profile_discovery"),
        "{authorize}"
    );
    let callback = decide(&app, &app.client, &consent, user, "allow").await;
    assert_eq!(
        app.client.get(callback).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(pending_snapshots(&app).await, 1);
    run_due_now(&app, thredops::competitors::SNAPSHOT).await;
    let list: Vec<Value> = app.get("/api/v1/competitors").await.json().await.unwrap();
    assert_eq!(list[0]["last_status"], "ok", "{list:?}");
}
