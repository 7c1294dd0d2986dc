//! Listening against the sandbox's public posts: a saved keyword or tag search asks for its
//! permission first, collects new matching posts hourly with one call, counts them per day,
//! offers a reply, and is private, exported and purged with the account or the profile.

use chrono::Duration;
use reqwest::StatusCode;
use serde_json::{Value, json};
use threads_sandbox::PublicPostSummary;

use crate::competitors::{allow, setup};
use crate::connect::{csrf_in, run_due_now, sandbox};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    a_tag_search_collects_new_posts_hourly_and_counts_them_per_day,
    bad_searches_are_refused_beside_the_field_and_keep_what_was_typed,
    searches_are_private_exported_and_go_with_the_profile,
);

async fn save(app: &TestApp, profile: &str, query: &str, mode: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/listening/searches",
        &json!({"profile_id": profile, "query": query, "mode": mode}),
    )
    .await
}

/// The sandbox's posts a tag search for `tag` finds, published after `after`.
fn tagged(app: &TestApp, tag: &str, after: i64) -> Vec<PublicPostSummary> {
    sandbox(app)
        .public_posts()
        .into_iter()
        .filter(|p| p.topic_tag.as_deref() == Some(tag) && p.ts > after)
        .collect()
}

async fn results(app: &TestApp, id: &str) -> Value {
    let r = app
        .get(&format!("/api/v1/listening/searches/{id}/matches"))
        .await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

async fn calls_24h(app: &TestApp, profile: &str) -> i64 {
    let since = sandbox(app).clock().now_ts() - 86_400;
    app.state
        .store
        .api_calls_since(&thredops::domain::ProfileId::from(profile), since)
        .await
        .unwrap()
}

async fn a_tag_search_collects_new_posts_hourly_and_counts_them_per_day(app: TestApp) {
    let (profile, user) = setup(&app, "listenmain").await;
    let page = app.get("/app/listening").await.text().await.unwrap();
    assert!(
        page.contains("Allow ThredOps to search public posts"),
        "{page}"
    );
    assert_eq!(save(&app, &profile, "coffee", "tag").await.status(), 422);
    allow(&app, "/app/listening", user, "threads_keyword_search").await;
    // The reconnection starts the profile's own sync; let it finish so only the search counts.
    for kind in [thredops::sync::kind::BACKFILL, thredops::sync::kind::SYNC] {
        run_due_now(&app, kind).await;
    }

    let start = sandbox(&app).clock().now_ts();
    let r = save(&app, &profile, "#coffee", "tag").await;
    assert_eq!(r.status(), 201);
    let search: Value = r.json().await.unwrap();
    assert_eq!(search["query"], "coffee");
    let id = search["id"].as_str().unwrap().to_owned();
    let before = calls_24h(&app, &profile).await;
    run_due_now(&app, thredops::listening::SEARCH).await;
    assert_eq!(
        calls_24h(&app, &profile).await - before,
        1,
        "one call per run"
    );

    // The first run finds the last 7 days' posts with the tag, newest first.
    let expected = tagged(&app, "coffee", start - 7 * 86_400 - 1);
    assert!(!expected.is_empty());
    let found = results(&app, &id).await;
    assert_eq!(found["search"]["last_status"], "ok", "{found}");
    assert_eq!(found["search"]["last_new"], expected.len());
    let matches = found["matches"].as_array().unwrap();
    assert_eq!(matches.len(), expected.len());
    let newest = expected.iter().max_by_key(|p| (p.ts, p.id)).unwrap();
    assert_eq!(matches[0]["media_id"], newest.id.to_string());
    assert_eq!(matches[0]["username"], newest.username.as_str());
    assert_eq!(matches[0]["text"], newest.text.as_str());
    assert_eq!(
        matches[0]["reply_url"],
        format!(
            "/app/schedule/new?profile_id={profile}&reply_to_id={}",
            newest.id
        )
    );
    let volume = found["volume"].as_array().unwrap();
    assert_eq!(volume.len(), 14);
    let total: u64 = volume.iter().map(|d| d["matches"].as_u64().unwrap()).sum();
    assert_eq!(total as usize, expected.len());

    // Hours later only the posts published since are new; nothing is stored twice.
    sandbox(&app).clock().advance(Duration::hours(30)).unwrap();
    run_due_now(&app, thredops::listening::SEARCH).await;
    let later = tagged(&app, "coffee", start);
    let found = results(&app, &id).await;
    assert_eq!(found["search"]["last_new"], later.len(), "{found}");
    assert_eq!(found["search"]["matches"], expected.len() + later.len());

    // The page lists the search, its chart with a data table, and the posts with Reply.
    let page = app
        .get(&format!("/app/listening?profile_id={profile}&search={id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("#coffee"));
    assert!(page.contains("id=\"listening-volume-t\""));
    assert!(page.contains("Data table: Matching posts per day"));
    assert!(page.contains(&format!("id=\"match-{}\"", newest.id)));
    // The inbox lists the newest found posts too, each with its Reply, named by its search.
    let inbox = app.get("/app/inbox").await.text().await.unwrap();
    let section = inbox
        .split("id=\"listening-matches\"")
        .nth(1)
        .expect("the inbox has a Listening section");
    assert!(
        section.contains(&format!("data-media=\"{}\"", newest.id)),
        "{section}"
    );
    assert!(section.contains("found by #coffee"));
    // (The template escapes the link's slashes and ampersand.)
    let reply = format!("reply_to_id={}\" class=\"reply-link\"", newest.id);
    assert!(section.contains(&reply), "{section}");
    assert!(section.contains(&profile));

    // Removing the search removes what it found; its pending run ends quietly.
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/listening/searches/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let list: Vec<Value> = app
        .get("/api/v1/listening/searches")
        .await
        .json()
        .await
        .unwrap();
    assert!(list.is_empty());
    run_due_now(&app, thredops::listening::SEARCH).await;
    let left: i64 = thredops::with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM listening_matches"
    )
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(left, 0);
}

async fn bad_searches_are_refused_beside_the_field_and_keep_what_was_typed(app: TestApp) {
    let (profile, user) = setup(&app, "listenbad").await;
    allow(&app, "/app/listening", user, "threads_keyword_search").await;
    for (query, mode, field, words) in [
        ("   ", "keyword", "query", "Enter a keyword"),
        ("cold brew", "tag", "query", "one word"),
        (&"x".repeat(101)[..], "keyword", "query", "100 characters"),
    ] {
        let r = save(&app, &profile, query, mode).await;
        assert_eq!(r.status(), 422, "{query}");
        let body: Value = r.json().await.unwrap();
        let said = body["error"]["fields"][field].as_str().unwrap_or_default();
        assert!(said.contains(words), "{query}: {body}");
    }
    let r = save(&app, &profile, "coffee", "sometimes").await;
    assert_eq!(r.status(), 422);
    let r = save(&app, &profile, "someone else's", "keyword").await;
    assert_eq!(r.status(), 201);
    let r = save(&app, &profile, "someone else's", "keyword").await;
    assert_eq!(r.status(), 422, "the same search twice");
    let r = app
        .post_json(
            "/api/v1/listening/searches",
            &json!({"profile_id": profile, "query": "x", "extra": 1}),
        )
        .await;
    assert_eq!(r.status(), 422, "unknown fields are refused");

    let page = app.get("/app/listening").await.text().await.unwrap();
    let r = app
        .client
        .post(app.url("/app/listening"))
        .form(&[
            ("csrf", csrf_in(&page).as_str()),
            ("profile_id", profile.as_str()),
            ("query", "cold brew"),
            ("mode", "tag"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text().await.unwrap();
    assert!(page.contains("id=\"query-error\""), "{page}");
    assert!(page.contains("value=\"cold brew\""));
    assert!(page.contains("value=\"tag\" checked"));
}

async fn searches_are_private_exported_and_go_with_the_profile(app: TestApp) {
    let (profile, user) = setup(&app, "listenpriv").await;
    allow(&app, "/app/listening", user, "threads_keyword_search").await;
    let search: Value = save(&app, &profile, "rustlang", "tag")
        .await
        .json()
        .await
        .unwrap();
    let id = search["id"].as_str().unwrap().to_owned();
    run_due_now(&app, thredops::listening::SEARCH).await;
    let found = results(&app, &id).await;
    let first = found["matches"][0].clone();
    assert!(first["text"].is_string(), "{found}");

    // Another user sees nothing of it.
    let other = crate::competitors::stranger(
        &app,
        "listenstranger@example.com",
        "/api/v1/listening/searches",
    )
    .await;
    for r in [
        other
            .get(app.url(&format!("/api/v1/listening/searches/{id}/matches")))
            .send()
            .await
            .unwrap(),
        other
            .delete(app.url(&format!("/api/v1/listening/searches/{id}")))
            .send()
            .await
            .unwrap(),
    ] {
        assert_eq!(r.status(), 404);
    }

    // Authors and texts are sealed at rest, and opened in the export.
    let sealed: Vec<Vec<u8>> = thredops::with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT content_enc FROM listening_matches"
    )
    .fetch_all(p)
    .await)
    .unwrap();
    let text = first["text"].as_str().unwrap();
    assert!(
        sealed
            .iter()
            .all(|s| !String::from_utf8_lossy(s).contains(text))
    );
    let r = app.get("/settings/privacy/export").await;
    let files = crate::privacy::untar(&r.bytes().await.unwrap());
    let content: Value =
        serde_json::from_str(&crate::competitors::file_in(&files, "content.json")).unwrap();
    assert_eq!(content["listening"][0]["query"], "rustlang");
    assert!(
        content["listening"][0]["matches"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["content"]["text"] == text)
    );
    assert!(
        files
            .iter()
            .any(|(n, b)| n.ends_with("tables/listening_matches.csv")
                && String::from_utf8_lossy(b).contains(&id))
    );

    // Disconnecting the profile stops the runs; deleting its history deletes the searches.
    let page = app
        .get(&format!("/app/profiles/{profile}"))
        .await
        .text()
        .await
        .unwrap();
    let r = app
        .client
        .post(app.url(&format!("/app/profiles/{profile}/disconnect")))
        .form(&[
            ("csrf", csrf_in(&page).as_str()),
            ("history", "delete"),
            ("confirm", "delete"),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_redirection() || r.status().is_success(),
        "{}",
        r.status()
    );
    let pending: i64 = thredops::with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM jobs WHERE kind = $1 AND state IN ('queued', 'running')"
    )
    .bind(thredops::listening::SEARCH)
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(pending, 0);
    let left: i64 = thredops::with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM listening_searches"
    )
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(left, 0);
}

on_both_backends!(a_typical_creators_day_of_benchmarks_and_listening_costs_82_calls);

/// The daily call cost recorded in docs/benchmarks.md: 5 competitors and 3 saved searches
/// through one profile, over one simulated day after their first runs.
async fn a_typical_creators_day_of_benchmarks_and_listening_costs_82_calls(app: TestApp) {
    let (profile, user) = setup(&app, "listencost").await;
    allow(&app, "/app/competitors", user, "threads_profile_discovery").await;
    allow(&app, "/app/listening", user, "threads_keyword_search").await;
    let p = crate::connect::profile(&app, &profile).await;
    let scopes = p["scopes"].to_string();
    assert!(
        scopes.contains("threads_profile_discovery") && scopes.contains("threads_keyword_search"),
        "the second consent kept the first: {p}"
    );
    let (found, _) = crate::competitors::public(&app);
    for c in found.iter().take(5) {
        assert_eq!(
            crate::competitors::add(&app, &profile, &c.username)
                .await
                .status(),
            201
        );
    }
    for (q, mode) in [("coffee", "tag"), ("running", "keyword"), ("design", "tag")] {
        assert_eq!(save(&app, &profile, q, mode).await.status(), 201);
    }
    run_due_now(&app, thredops::competitors::SNAPSHOT).await;
    run_due_now(&app, thredops::listening::SEARCH).await;

    let total = || async {
        app.state
            .store
            .api_calls_since(&thredops::domain::ProfileId::from(profile.as_str()), 0)
            .await
            .unwrap()
    };
    let before = total().await;
    for _ in 0..24 {
        sandbox(&app).clock().advance(Duration::hours(1)).unwrap();
        run_due_now(&app, thredops::listening::SEARCH).await;
    }
    let listening = total().await - before;
    run_due_now(&app, thredops::competitors::SNAPSHOT).await;
    let competitors = total().await - before - listening;
    let day = competitors + listening;
    let share = day as f64 * 100.0 / 48_000.0;
    eprintln!(
        "daily calls: competitors {competitors} (5), listening {listening} (3 searches), total {day} = {share:.2} % of 48,000, {:.2} % of ThredOps' {} budget",
        day as f64 * 100.0 / thredops::sync::DAILY_CALL_BUDGET as f64,
        thredops::sync::DAILY_CALL_BUDGET
    );
    assert_eq!(
        competitors,
        5 * 2,
        "a lookup and one page of posts per competitor"
    );
    assert_eq!(
        listening,
        3 * 24,
        "one search call per saved search and hour"
    );
    assert!(share < 1.0);
    let list: Vec<Value> = app.get("/api/v1/competitors").await.json().await.unwrap();
    assert!(list.iter().all(|c| c["last_status"] == "ok"), "{list:?}");
}
