//! RSS and Atom feeds to drafts, against a real feed server on a loopback port: new items become
//! drafts once, a 304 to the stored ETag makes nothing, a broken feed shows its error and makes
//! nothing, feeds are private to their owner, exported and purged with the account.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use thredops::publishing::feeds;

use super::support::*;
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    rss_and_atom_items_become_drafts_once_and_a_304_makes_nothing,
    a_broken_feed_shows_its_error_on_the_page_and_makes_nothing,
    feeds_are_private_exported_and_purged_with_the_account,
);

// Only public hosts unless the deployment allows others: a feed address cannot reach the
// server's own network.
#[tokio::test]
async fn private_addresses_are_refused_by_default_sqlite() {
    let app = TestApp::spawn_with(crate::helpers::Backend::Sqlite, |raw| {
        raw.set("feeds_private_hosts", "false")
    })
    .await
    .unwrap();
    private_addresses_are_refused_by_default(app).await;
}

#[tokio::test]
async fn private_addresses_are_refused_by_default_postgres() {
    let spawned = TestApp::spawn_with(crate::helpers::Backend::Postgres, |raw| {
        raw.set("feeds_private_hosts", "false")
    })
    .await;
    match spawned {
        Some(app) => private_addresses_are_refused_by_default(app).await,
        None => eprintln!("skipped on PostgreSQL: THREDOPS_TEST_DATABASE_URL is not set"),
    }
}

async fn private_addresses_are_refused_by_default(app: TestApp) {
    let (profile, _) = setup(&app, "feedprivate").await;
    let (base, seen) = feed_server().await;
    let r = follow(&app, &profile, &format!("{base}/rss.xml")).await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert!(body.to_string().contains("private network"), "{body}");
    // A name that resolves to loopback is added, but never read: the poll says why.
    let port = base.rsplit(':').next().unwrap();
    add_feed(&app, &profile, &format!("http://localhost:{port}/rss.xml")).await;
    feeds::poll_due(&app.state, thredops::clock::now())
        .await
        .unwrap();
    let list = settled(&app).await;
    assert_eq!(list[0]["last_status"], "error");
    assert!(
        list[0]["last_result"]
            .as_str()
            .unwrap()
            .contains("private network"),
        "{list:?}"
    );
    assert!(
        seen.lock().unwrap().is_empty(),
        "the feed server was never asked"
    );
    assert!(drafts(&app).await.is_empty());
}

const RSS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>The blog</title><link>https://blog.example/</link>
<item><title>Why we ship on Fridays &amp; sleep well</title><link>https://blog.example/fridays</link><guid isPermaLink="false">post-1</guid></item>
<item><title><![CDATA[Ten <em>small</em> habits]]></title><link>https://blog.example/habits</link></item>
</channel></rss>"#;

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Podcast</title><link href="https://pod.example/"/>
<entry><title>Episode 12: quiet growth</title><link rel="alternate" href="https://pod.example/12"/><id>urn:pod:12</id><updated>2026-11-01T10:00:00Z</updated></entry>
</feed>"#;

const ETAG: &str = "\"rss-v1\"";
const MODIFIED: &str = "Sun, 01 Nov 2026 10:00:00 GMT";

/// What the feed server saw: (path, If-None-Match, If-Modified-Since) per request.
type Seen = Arc<Mutex<Vec<(String, Option<String>, Option<String>)>>>;

/// A feed server on a loopback port: its base URL and what it saw.
async fn feed_server() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let record = |path: &'static str, seen: Seen| {
        move |headers: HeaderMap| {
            let seen = seen.clone();
            async move {
                let h = |n: header::HeaderName| {
                    headers
                        .get(n)
                        .and_then(|v| v.to_str().ok())
                        .map(str::to_owned)
                };
                let (etag, since) = (h(header::IF_NONE_MATCH), h(header::IF_MODIFIED_SINCE));
                seen.lock()
                    .unwrap()
                    .push((path.to_owned(), etag.clone(), since.clone()));
                let response: Response = match path {
                    "/rss.xml" if etag.as_deref() == Some(ETAG) => {
                        StatusCode::NOT_MODIFIED.into_response()
                    }
                    "/rss.xml" => (
                        [
                            (header::CONTENT_TYPE, "application/rss+xml"),
                            (header::ETAG, ETAG),
                        ],
                        RSS,
                    )
                        .into_response(),
                    "/atom.xml" if since.as_deref() == Some(MODIFIED) => {
                        StatusCode::NOT_MODIFIED.into_response()
                    }
                    "/atom.xml" => (
                        [
                            (header::CONTENT_TYPE, "application/atom+xml"),
                            (header::LAST_MODIFIED, MODIFIED),
                        ],
                        ATOM,
                    )
                        .into_response(),
                    _ => (
                        [(header::CONTENT_TYPE, "application/rss+xml")],
                        "<rss><channel><item><title>Never closed</channel></rss>",
                    )
                        .into_response(),
                };
                response
            }
        }
    };
    let app = Router::new()
        .route("/rss.xml", get(record("/rss.xml", seen.clone())))
        .route("/atom.xml", get(record("/atom.xml", seen.clone())))
        .route("/broken.xml", get(record("/broken.xml", seen.clone())));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, seen)
}

async fn follow(app: &TestApp, profile: &str, url: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/publishing/feeds",
        &json!({"profile_id": profile, "url": url}),
    )
    .await
}

async fn add_feed(app: &TestApp, profile: &str, url: &str) -> Value {
    let r = follow(app, profile, url).await;
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{v}");
    v
}

async fn feeds_list(app: &TestApp) -> Vec<Value> {
    app.get("/api/v1/publishing/feeds")
        .await
        .json()
        .await
        .unwrap()
}

/// Waits until every feed has finished a poll (the background job may be polling too).
async fn settled(app: &TestApp) -> Vec<Value> {
    for _ in 0..100 {
        let list = feeds_list(app).await;
        if list.iter().all(|f| !f["last_status"].is_null()) {
            return list;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("feeds never finished polling: {:?}", feeds_list(app).await);
}

async fn drafts(app: &TestApp) -> Vec<Value> {
    let all: Vec<Value> = app
        .get("/api/v1/publishing/posts")
        .await
        .json()
        .await
        .unwrap();
    all.into_iter().filter(|p| p["state"] == "draft").collect()
}

fn feed_with<'a>(list: &'a [Value], path: &str) -> &'a Value {
    list.iter()
        .find(|f| f["url"].as_str().unwrap().ends_with(path))
        .unwrap_or_else(|| panic!("no {path} in {list:?}"))
}

async fn rss_and_atom_items_become_drafts_once_and_a_304_makes_nothing(app: TestApp) {
    let (profile, _) = setup(&app, "feedreader").await;
    let (base, seen) = feed_server().await;
    add_feed(&app, &profile, &format!("{base}/rss.xml")).await;
    add_feed(&app, &profile, &format!("{base}/atom.xml")).await;
    let now = thredops::clock::now();
    feeds::poll_due(&app.state, now).await.unwrap();
    let list = settled(&app).await;
    let made = drafts(&app).await;
    assert_eq!(made.len(), 3, "{made:?}");
    let text = |p: &Value| {
        p["content"]["parts"][0]["text"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    let fridays = made
        .iter()
        .find(|p| text(p).starts_with("Why we ship"))
        .expect("the RSS item");
    assert_eq!(
        text(fridays),
        "Why we ship on Fridays & sleep well\n\nhttps://blog.example/fridays"
    );
    assert_eq!(
        fridays["content"]["parts"][0]["link_attachment"],
        "https://blog.example/fridays"
    );
    assert!(fridays["scheduled_at"].is_null());
    assert!(
        made.iter()
            .any(|p| text(p) == "Ten <em>small</em> habits\n\nhttps://blog.example/habits")
    );
    assert!(
        made.iter()
            .any(|p| text(p) == "Episode 12: quiet growth\n\nhttps://pod.example/12")
    );
    let rss = feed_with(&list, "/rss.xml");
    assert_eq!(rss["last_status"], "new_items");
    assert_eq!(rss["last_new_items"], 2);
    assert_eq!(rss["drafts"].as_array().unwrap().len(), 2);
    assert!(!rss["last_polled_at"].is_null());

    // Within 30 minutes nothing is fetched again.
    let requests = seen.lock().unwrap().len();
    assert_eq!(
        feeds::poll_due(&app.state, now + chrono::Duration::minutes(10))
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        seen.lock().unwrap().len(),
        requests,
        "polled again too soon"
    );

    // Later the stored validators are sent; the server answers 304 and nothing is drafted.
    let later = now + chrono::Duration::minutes(31);
    assert_eq!(feeds::poll_due(&app.state, later).await.unwrap(), 0);
    {
        let seen = seen.lock().unwrap();
        let last_rss = seen.iter().rev().find(|(p, ..)| p == "/rss.xml").unwrap();
        assert_eq!(last_rss.1.as_deref(), Some(ETAG));
        let last_atom = seen.iter().rev().find(|(p, ..)| p == "/atom.xml").unwrap();
        assert_eq!(last_atom.2.as_deref(), Some(MODIFIED));
    }
    let list = feeds_list(&app).await;
    assert_eq!(feed_with(&list, "/rss.xml")["last_status"], "not_modified");
    assert_eq!(feed_with(&list, "/atom.xml")["last_status"], "not_modified");
    assert_eq!(drafts(&app).await.len(), 3);

    // Even when the feed is read in full again, by two pollers at once, its items stay one
    // draft each.
    thredops::with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE publishing_feeds SET etag = NULL, last_modified = NULL"
    )
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let again = later + chrono::Duration::minutes(31);
    let (a, b) = tokio::join!(
        feeds::poll_due(&app.state, again),
        feeds::poll_due(&app.state, again)
    );
    assert_eq!(a.unwrap() + b.unwrap(), 0);
    assert_eq!(drafts(&app).await.len(), 3);
    let list = feeds_list(&app).await;
    assert_eq!(feed_with(&list, "/rss.xml")["last_status"], "new_items");
    assert_eq!(feed_with(&list, "/rss.xml")["last_new_items"], 0);
}

async fn a_broken_feed_shows_its_error_on_the_page_and_makes_nothing(app: TestApp) {
    let (profile, _) = setup(&app, "feedpage").await;
    let (base, _) = feed_server().await;
    let calendar = app.get("/app/schedule").await.text().await.unwrap();
    assert!(
        calendar.contains("/app/schedule/feeds"),
        "linked from the schedule"
    );
    let page = app.get("/app/schedule/feeds").await;
    assert_eq!(page.status(), 200);
    let csrf = crate::connect::csrf_in(&page.text().await.unwrap());
    // Not http(s): refused beside the field, the input kept.
    let r = app
        .client
        .post(app.url("/app/schedule/feeds"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("profile_id", &profile),
            ("url", "ftp://files.example/feed.xml"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("http or https only"), "{html}");
    // The typed address is shown again (slashes HTML-escaped).
    assert!(
        html.contains(r#"value="ftp:&#x2f;&#x2f;files.example&#x2f;feed.xml""#),
        "{html}"
    );
    assert!(feeds_list(&app).await.is_empty());
    // A feed that is not well-formed, and one that works, added through the page.
    for path in ["/broken.xml", "/rss.xml"] {
        let r = app
            .client
            .post(app.url("/app/schedule/feeds"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("profile_id", &profile),
                ("url", &format!("{base}{path}")),
            ])
            .send()
            .await
            .unwrap();
        assert!(r.status().is_redirection(), "{}", r.status());
        assert_eq!(r.headers()["location"], "/app/schedule/feeds?done=added");
    }
    feeds::poll_due(&app.state, thredops::clock::now())
        .await
        .unwrap();
    let list = settled(&app).await;
    let broken = feed_with(&list, "/broken.xml");
    assert_eq!(broken["last_status"], "error");
    assert!(broken["drafts"].as_array().unwrap().is_empty());
    assert_eq!(drafts(&app).await.len(), 2, "only the working feed's items");
    let html = app.get("/app/schedule/feeds").await.text().await.unwrap();
    assert!(
        html.contains("Could not read the feed: The feed is not well-formed XML"),
        "{html}"
    );
    assert!(html.contains("2 new items, saved as drafts."), "{html}");
    for d in drafts(&app).await {
        let link = format!("/app/schedule/posts/{}", d["id"].as_str().unwrap());
        assert!(html.contains(&link), "{link} in {html}");
    }
}

async fn feeds_are_private_exported_and_purged_with_the_account(app: TestApp) {
    let (profile, _) = setup(&app, "feedowner").await;
    let (base, _) = feed_server().await;
    let feed = add_feed(&app, &profile, &format!("{base}/rss.xml")).await;
    let id = feed["id"].as_str().unwrap().to_owned();
    // The same feed again for the same profile is refused beside the field.
    let r = follow(&app, &profile, &format!("{base}/rss.xml")).await;
    assert_eq!(r.status(), 422);
    feeds::poll_due(&app.state, thredops::clock::now())
        .await
        .unwrap();
    settled(&app).await;

    // Another user sees nothing of it and cannot delete it or use the profile.
    let other = app.new_client();
    crate::helpers::sign_up_with(
        &app,
        &other,
        "feedstranger@example.com",
        crate::connect::PASSWORD,
    )
    .await;
    let theirs: Vec<Value> = other
        .get(app.url("/api/v1/publishing/feeds"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(theirs.is_empty());
    let r = other
        .delete(app.url(&format!("/api/v1/publishing/feeds/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = other
        .post(app.url("/api/v1/publishing/feeds"))
        .json(&json!({"profile_id": profile, "url": format!("{base}/atom.xml")}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert_eq!(feeds_list(&app).await.len(), 1);

    // The export holds the feed and the items it drafted.
    let file = crate::privacy::export_reader(&app).await;
    let content: Value = serde_json::from_str(&file("content.json")).unwrap();
    assert_eq!(content["feeds"][0]["url"], format!("{base}/rss.xml"));
    assert_eq!(content["feeds"][0]["items"].as_array().unwrap().len(), 2);
    assert!(file("tables/publishing_feeds.csv").contains(&id));
    assert!(file("tables/publishing_feed_items.csv").contains("post-1"));

    // Deleting the account removes the feed and its items.
    let user_id: String = thredops::with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT user_id FROM publishing_feeds WHERE id = $1"
    )
    .bind(&id)
    .fetch_one(p)
    .await)
    .unwrap();
    let traces = crate::privacy::Traces {
        user_ids: vec![user_id],
        profile_ids: vec![profile],
        threads_user_ids: vec![],
    };
    let left = crate::privacy::delete_account_leaves(&app, &traces, "publishing_feed").await;
    assert!(left.is_empty(), "{left:?}");
}
