//! Analytics pages and authorisation: what a signed-in creator sees, and what another user cannot.

use reqwest::StatusCode;

use super::fixtures::{Post, add_days, add_posts, empty_profile, utc};
use crate::connect::{PASSWORD, connect, creator, wait_for_backfill};
use crate::helpers::{TestApp, client};
use crate::on_both_backends;

on_both_backends!(
    another_users_profile_is_404_on_every_route,
    pages_show_charts_tables_and_explain_empty_states,
);

const API: &[&str] = &[
    "/analytics/overview",
    "/analytics/series",
    "/analytics/heatmap",
    "/analytics/breakdown",
    "/analytics/demographics",
    "/analytics/attribution",
    "/analytics/posts",
    "/analytics/posts/MEDIA",
    "/analytics/exports/posts?format=csv",
    "/analytics/exports/overview?format=json",
    "/analytics/exports/post_history?media_id=MEDIA",
];

const PAGES: &[&str] = &["/analytics", "/analytics/report", "/posts", "/posts/MEDIA"];

async fn another_users_profile_is_404_on_every_route(app: TestApp) {
    app.signup("owner@example.com", PASSWORD).await;
    let c = creator(&app, "owner_posts", 30, 300);
    let id = connect(&app, c.user_id).await;
    wait_for_backfill(&app, &id).await;
    let media = app
        .state
        .store
        .post_metrics(&thredops::domain::ProfileId::from(id.as_str()))
        .await
        .unwrap()[0]
        .0
        .clone();
    let paths: Vec<String> = API
        .iter()
        .map(|p| format!("/api/v1/profiles/{id}{}", p.replace("MEDIA", &media)))
        .chain(
            PAGES
                .iter()
                .map(|p| format!("/app/profiles/{id}{}", p.replace("MEDIA", &media))),
        )
        .collect();
    for path in &paths {
        assert_eq!(
            app.get(path).await.status(),
            StatusCode::OK,
            "the owner sees {path}"
        );
    }
    let other = client();
    let r = crate::helpers::sign_up_with(&app, &other, "intruder@example.com", PASSWORD).await;
    assert!(r.status().is_success());
    for path in &paths {
        let r = other.get(app.url(path)).send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::NOT_FOUND,
            "another user gets 404 for {path}"
        );
    }
    for path in paths.iter().filter(|p| p.starts_with("/api/")) {
        let r = client().get(app.url(path)).send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::UNAUTHORIZED,
            "{path} needs a session"
        );
    }
    // A second sign-in of the owner reads the profile until the owner signs that device out:
    // the session and the profile are checked together, and revocation bites at once.
    let laptop = client();
    let r = laptop
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "owner@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let overview = app.url(&format!("/api/v1/profiles/{id}/analytics/overview"));
    assert_eq!(
        laptop.get(&overview).send().await.unwrap().status(),
        StatusCode::OK
    );
    let sessions: Vec<serde_json::Value> =
        app.get("/api/v1/auth/sessions").await.json().await.unwrap();
    let laptop_session = sessions
        .iter()
        .find(|s| s["current"] == false)
        .expect("the laptop's session");
    let r = app
        .client
        .delete(app.url(&format!(
            "/api/v1/auth/sessions/{}",
            laptop_session["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        laptop.get(&overview).send().await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.get(&format!("/api/v1/profiles/{id}/analytics/overview"))
            .await
            .status(),
        StatusCode::OK
    );
    // Many at once from the owner, the intruder and the signed-out laptop: each request is
    // answered for its own session (on PostgreSQL, checks that arrive together are read in one
    // query).
    let callers = [
        (&app.client, StatusCode::OK),
        (&other, StatusCode::NOT_FOUND),
        (&laptop, StatusCode::UNAUTHORIZED),
    ];
    let requests = (0..60).map(|i| {
        let (caller, expected) = callers[i % callers.len()];
        let overview = &overview;
        async move {
            (
                caller.get(overview).send().await.unwrap().status(),
                expected,
            )
        }
    });
    for (status, expected) in futures_util::future::join_all(requests).await {
        assert_eq!(status, expected);
    }
    // The routes are in the OpenAPI document.
    let doc: serde_json::Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    for p in [
        "/api/v1/profiles/{id}/analytics/overview",
        "/api/v1/profiles/{id}/analytics/exports/{table}",
        "/api/v1/me/timezone",
    ] {
        assert!(doc["paths"][p].is_object(), "{p} is documented");
    }
}

async fn pages_show_charts_tables_and_explain_empty_states(app: TestApp) {
    let (id, user) = empty_profile(&app, "pia@example.com", 40).await;
    // Demographics are unavailable under 100 followers, and a profile without posts says so.
    let html = app
        .get(&format!("/app/profiles/{id}/analytics?period=7d"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("at least 100 followers"), "{html}");
    assert!(html.contains("No posts were published in this period"));
    assert!(html.contains("Follower history starts on"));
    assert!(html.contains("Times are shown in UTC until you choose your time zone"));
    // With data: the charts are labelled SVG with a data table, and nothing inline breaks the CSP.
    add_posts(
        &app,
        &id,
        &user,
        &[
            Post::new("x1", utc(2025, 6, 2, 9, 0), 500, 50),
            Post::new("x2", utc(2025, 6, 3, 18, 0), 100, 5),
        ],
    )
    .await;
    add_days(
        &app,
        &id,
        &[
            ("2025-06-01", 100, None),
            ("2025-06-02", 130, Some(4)),
            ("2025-06-03", 150, None),
        ],
    )
    .await;
    let q = "period=custom&from=2025-06-01&to=2025-06-30";
    let r = app.get(&format!("/app/profiles/{id}/analytics?{q}")).await;
    assert_eq!(r.status(), StatusCode::OK);
    let csp = r.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(csp.contains("default-src 'self'"));
    let html = r.text().await.unwrap();
    for needle in [
        "<svg class=\"chart chart-line",
        "<title id=\"followers-t\">Follower growth</title>",
        "Best time to post",
        "Data table: Follower growth",
        "estimate",
        "Engagement rate = ",
    ] {
        assert!(html.contains(needle), "dashboard shows {needle}");
    }
    assert!(
        !html.contains("style=") && !html.contains("<script>"),
        "no inline style or script"
    );
    assert!(html.contains("<script src=\"/static/analytics.js\" defer></script>"));
    // Attribution: 30 + 20 followers gained, shared by views + 1 among recent posts.
    assert!(
        html.contains("Followers gained on days with a gain: <strong>50</strong>"),
        "{html}"
    );
    let js = app.get("/static/analytics.js").await;
    assert!(
        js.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    // Explorer, post page with its Threads link, printable report.
    let posts = app
        .get(&format!(
            "/app/profiles/{id}/posts?{q}&sort=views&order=asc"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(posts.contains("aria-sort=\"ascending\""));
    assert!(
        posts.find("/posts/x2").unwrap() < posts.find("/posts/x1").unwrap(),
        "ascending views"
    );
    // minijinja escapes "/" in text as &#x2f;, which browsers read back as "/".
    let post = app
        .get(&format!("/app/profiles/{id}/posts/x1"))
        .await
        .text()
        .await
        .unwrap()
        .replace("&#x2f;", "/");
    assert!(post.contains("https://www.threads.net/@fixture/post/x1"));
    assert!(post.contains("Views by age of the post"));
    let report = app
        .get(&format!("/app/profiles/{id}/analytics/report?{q}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(report.contains("Growth report") && report.contains("data-print"));
    // A bad period is explained on the page, not lost.
    let bad = app
        .get(&format!(
            "/app/profiles/{id}/analytics?period=custom&from=2025-06-10&to=2025-06-01"
        ))
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        bad.text()
            .await
            .unwrap()
            .contains("The end date is before the start date.")
    );
    // The picker goes straight to the only profile; the time zone form re-renders with an error.
    let pick = app.get("/app/analytics").await;
    assert_eq!(
        pick.headers()["location"],
        format!("/app/profiles/{id}/analytics")
    );
    let form = app
        .get("/app/analytics/timezone")
        .await
        .text()
        .await
        .unwrap();
    let picker = form.replace("&#x2f;", "/");
    assert!(
        picker.contains("<select id=\"timezone\" name=\"timezone\"")
            && picker.contains("<optgroup label=\"Europe\">")
            && picker.contains("<option value=\"Europe/Berlin\">"),
        "a time-zone picker, not a typed name"
    );
    let r = app
        .client
        .post(app.url("/app/analytics/timezone"))
        .form(&[
            ("csrf", crate::connect::csrf_in(&form)),
            ("timezone", "Nowhere/Land".into()),
            ("back", "/app/analytics".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .replace("&#x2f;", "/")
            .contains("Nowhere/Land"),
        "the form keeps what was typed"
    );
    let r = app
        .client
        .post(app.url("/app/analytics/timezone"))
        .form(&[
            ("csrf", crate::connect::csrf_in(&form)),
            ("timezone", "Europe/Berlin".into()),
            ("back", "//evil.example".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers()["location"],
        "/app/analytics",
        "no open redirect"
    );
}
