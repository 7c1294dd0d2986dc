//! The posts explorer through the API, and the time zone setting.

use serde_json::{Value, json};

use super::fixtures::{Post, add_posts, empty_profile, set_tz, utc};
use super::json_of;
use crate::connect::PASSWORD;
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    explorer_sorts_filters_and_pages,
    time_zone_must_be_an_iana_name,
);

async fn explorer_sorts_filters_and_pages(app: TestApp) {
    let (id, user) = empty_profile(&app, "ezra@example.com", 40).await;
    let mut posts: Vec<Post> = (0..25)
        .map(|i| {
            Post::new(
                Box::leak(format!("e{i:02}").into_boxed_str()),
                utc(2025, 5, 1, 12, 0) + i * 3_600,
                100 + (i * 37) % 250,
                i,
            )
        })
        .collect();
    posts[3].topic = Some("Rust");
    posts[3].text = "Why is Rust so loved?";
    posts[7].topic = Some("rust");
    add_posts(&app, &id, &user, &posts).await;
    let base = format!(
        "/api/v1/profiles/{id}/analytics/posts?period=custom&from=2025-05-01&to=2025-05-31"
    );
    let page = json_of(&app, &format!("{base}&sort=views&order=desc&per_page=10")).await;
    assert_eq!(
        (page["total"].clone(), page["pages"].clone()),
        (json!(25), json!(3))
    );
    let views: Vec<i64> = page["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["views"].as_i64().unwrap())
        .collect();
    let mut all: Vec<i64> = posts.iter().map(|p| p.views).collect();
    all.sort_by(|a, b| b.cmp(a));
    assert_eq!(views, all[..10]);
    let last = json_of(
        &app,
        &format!("{base}&sort=views&order=desc&per_page=10&page=3"),
    )
    .await;
    assert_eq!(last["rows"].as_array().unwrap().len(), 5);
    let min = json_of(&app, &format!("{base}&min_views=300")).await;
    assert_eq!(
        min["total"],
        posts.iter().filter(|p| p.views >= 300).count()
    );
    let topic = json_of(&app, &format!("{base}&topic=%23rust")).await;
    assert_eq!(
        topic["total"], 2,
        "topic tags match case-insensitively, with or without #"
    );
    let text = json_of(&app, &format!("{base}&q=LOVED")).await;
    assert_eq!(text["rows"][0]["media_id"], "e03");
    assert_eq!(
        text["rows"][0]["permalink"],
        "https://www.threads.net/@fixture/post/e03"
    );
    let post = json_of(&app, &format!("/api/v1/profiles/{id}/analytics/posts/e03")).await;
    assert_eq!(post["history"].as_array().unwrap().len(), 2);
    assert_eq!(post["history"][1]["views"], posts[3].views);
    for (q, field) in [
        ("sort=colour", "sort"),
        ("order=up", "order"),
        ("format=gif", "format"),
        ("per_page=0", "per_page"),
        ("min_views=-1", "min_views"),
        ("period=custom&from=2025-13-01&to=2025-12-01", "from"),
    ] {
        let r = app
            .get(&format!("/api/v1/profiles/{id}/analytics/posts?{q}"))
            .await;
        assert_eq!(r.status(), 422, "{q}");
        assert!(
            r.json::<Value>().await.unwrap()["error"]["fields"][field].is_string(),
            "{q}"
        );
    }
    assert_eq!(
        app.get(&format!("/api/v1/profiles/{id}/analytics/posts/nope"))
            .await
            .status(),
        404
    );
}

async fn time_zone_must_be_an_iana_name(app: TestApp) {
    app.signup("tina@example.com", PASSWORD).await;
    let r = app
        .client
        .put(app.url("/api/v1/me/timezone"))
        .json(&json!({"timezone": "Mars/Olympus"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    assert!(
        r.json::<Value>().await.unwrap()["error"]["fields"]["timezone"]
            .as_str()
            .unwrap()
            .contains("Mars/Olympus")
    );
    set_tz(&app, "Asia/Kolkata").await;
    let me = json_of(&app, "/api/v1/me").await;
    assert_eq!(me["timezone"], "Asia/Kolkata");
    let anonymous = crate::helpers::client()
        .put(app.url("/api/v1/me/timezone"))
        .json(&json!({"timezone": "UTC"}))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 401);
}
