//! Listings, paging, bounds, mounting under a prefix, determinism and generation speed.

use std::collections::HashSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_graph_error, spawn, spawn_mounted, test_config};

/// Follows `paging.next` to the end, returning every id.
async fn backfill(app: &TestApp, token: &str, extra: &[(&str, &str)]) -> Vec<String> {
    let mut query = vec![
        ("access_token", token),
        ("limit", "100"),
        ("fields", "id,timestamp,media_type"),
    ];
    query.extend_from_slice(extra);
    let (status, mut page) = app.get("/v1.0/me/threads", &query).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut ids = Vec::new();
    loop {
        ids.extend(
            page["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["id"].as_str().unwrap().to_owned()),
        );
        match page["paging"]["next"].as_str() {
            Some(next) => page = app.get_url(next).await.1,
            None => break,
        }
    }
    ids
}

#[tokio::test]
async fn paging_to_the_end_gives_every_post_exactly_once() {
    let app = spawn().await;
    let token = app.full_token(2);
    let ids = backfill(&app, &token, &[]).await;
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "duplicates in the backfill");
    let truth = app.truth(app.creator(2)).await;
    assert_eq!(ids.len() as u64, truth["posts_count"].as_u64().unwrap());
    let truth_ids: Vec<&str> = truth["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, truth_ids, "newest first, same order as the truth");
}

#[tokio::test]
async fn since_and_until_bound_the_listing() {
    let app = spawn().await;
    let token = app.full_token(3);
    let now = app.sandbox.clock().now_ts();
    let (since, until) = (
        (now - 90 * 86_400).to_string(),
        (now - 30 * 86_400).to_string(),
    );
    let ids = backfill(&app, &token, &[("since", &since), ("until", &until)]).await;
    assert!(!ids.is_empty());
    let truth = app.truth(app.creator(3)).await;
    let expected = truth["posts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| {
            let ts = chrono::DateTime::parse_from_str(
                p["timestamp"].as_str().unwrap(),
                "%Y-%m-%dT%H:%M:%S%z",
            )
            .unwrap()
            .timestamp();
            ts >= now - 90 * 86_400 && ts <= now - 30 * 86_400
        })
        .count();
    assert_eq!(ids.len(), expected);
    let (status, body) = app
        .get(
            "/me/threads",
            &[("access_token", &token), ("since", "1600000000")],
        )
        .await;
    assert_graph_error(status, &body, 100, None);
    let (status, body) = app
        .get(
            "/me/threads",
            &[
                ("access_token", &token),
                ("since", &until),
                ("until", &since),
            ],
        )
        .await;
    assert_graph_error(status, &body, 100, None);
}

#[tokio::test]
async fn limits_over_100_and_two_cursors_are_rejected() {
    let app = spawn().await;
    let token = app.full_token(1);
    let (status, body) = app
        .get("/me/threads", &[("access_token", &token), ("limit", "101")])
        .await;
    assert_graph_error(status, &body, 100, None);
    let (_, page) = app.get("/me/threads", &[("access_token", &token)]).await;
    assert_eq!(
        page["data"].as_array().unwrap().len(),
        25,
        "default limit is 25"
    );
    let after = page["paging"]["cursors"]["after"].as_str().unwrap();
    let (status, body) = app
        .get(
            "/me/threads",
            &[
                ("access_token", &token),
                ("after", after),
                ("before", after),
            ],
        )
        .await;
    assert_graph_error(status, &body, 100, None);
    let (_, second) = app
        .get("/me/threads", &[("access_token", &token), ("after", after)])
        .await;
    let before = second["paging"]["cursors"]["before"].as_str().unwrap();
    let (_, back) = app
        .get(
            "/me/threads",
            &[("access_token", &token), ("before", before)],
        )
        .await;
    assert_eq!(
        back["data"], page["data"],
        "before goes back to the first page"
    );
    let (status, body) = app
        .get("/me/threads", &[("access_token", &token), ("limit", "100")])
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["data"][0]["id"], page["data"][0]["id"]);
}

#[tokio::test]
async fn another_users_id_is_unknown_and_unknown_ids_get_100_33() {
    let app = spawn().await;
    let token = app.full_token(1);
    let other = app.creator(2).to_string();
    let (status, body) = app
        .get(&format!("/{other}/threads"), &[("access_token", &token)])
        .await;
    assert_graph_error(status, &body, 100, Some(33));
    let (status, body) = app.get("/zuck", &[("access_token", &token)]).await;
    assert_graph_error(status, &body, 100, Some(33));
}

#[tokio::test]
async fn mounted_under_a_prefix_paging_points_at_the_prefix() {
    let app = spawn_mounted(test_config(), "/sandbox").await;
    let token = app.full_token(2);
    let (status, page) = app.get("/me/threads", &[("access_token", &token)]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let next = page["paging"]["next"].as_str().unwrap();
    assert!(next.starts_with(&format!("{}/v1.0/", app.base)), "{next}");
    let (status, second) = app.get_url(next).await;
    assert_eq!(status, StatusCode::OK);
    assert_ne!(second["data"][0]["id"], page["data"][0]["id"]);
    let (status, _) = app.get("/_sandbox/creators", &[]).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn the_same_seed_gives_the_same_world_and_another_seed_does_not() {
    let a = spawn().await;
    let b = spawn().await;
    let mut config = test_config();
    config.seed = 7;
    let c = crate::helpers::spawn_with(config).await;
    let ta = a.truth(a.creator(4)).await;
    let tb = b.truth(b.creator(4)).await;
    let tc = c.truth(c.creator(4)).await;
    assert_eq!(ta, tb);
    assert_ne!(ta["posts"], tc["posts"]);
}

#[tokio::test]
async fn a_creator_with_ten_thousand_posts_is_created_with_known_traits() {
    // How fast creation is belongs to the throughput benchmark, not to a test.
    let app = spawn().await;
    let (status, created) = app
        .admin(
            "/creators",
            json!({"username": "bulk", "followers": 20_000, "posts": 10_000, "history_days": 800,
                   "format_multipliers": {"video": 3.0}, "best_hours": [19, 20, 21], "hour_boost": 2.5}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{created}");
    assert_eq!(created["posts_count"], 10_000);
    assert_eq!(created["followers_count"], 20_000);
    let user = created["user_id"].as_u64().unwrap();
    let truth = app.truth(user).await;
    // Videos get about 3x the views of images in median, which a backfill must be able to see.
    let median = |kind: &str| {
        let mut v: Vec<u64> = truth["posts"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| p["media_type"] == kind)
            .map(|p| p["metrics"]["views"].as_u64().unwrap())
            .collect();
        v.sort_unstable();
        v[v.len() / 2] as f64
    };
    let ratio = median("VIDEO") / median("IMAGE");
    assert!(ratio > 2.0, "video/image median views ratio {ratio}");
    let (status, _) = app.admin("/creators", json!({"username": "bulk"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "usernames are unique");
    let _: Value = truth;
}

/// Ids listed with `since`/`until` given as `since`/`until` strings.
async fn listed(app: &TestApp, token: &str, since: &str, until: &str) -> Vec<String> {
    backfill(app, token, &[("since", since), ("until", until)]).await
}

#[tokio::test]
async fn since_and_until_accept_the_strtotime_forms_meta_reads() {
    let app = spawn().await;
    let token = app.full_token(3);
    // The sandbox clock stands at 2026-01-15T12:00:00Z.
    let expected = listed(&app, &token, "1764547200", "1767225600").await;
    assert!(!expected.is_empty());
    for (since, until) in [
        ("2025-12-01", "2026-01-01"),
        ("2025-12-01T00:00:00+0000", "2026-01-01T00:00:00+0000"),
        ("2025-12-01T00:00:00+00:00", "2026-01-01T00:00:00Z"),
        ("2025-12-01 00:00:00", "2025-12-31T17:00:00-07:00"),
    ] {
        assert_eq!(
            listed(&app, &token, since, until).await,
            expected,
            "{since} .. {until}"
        );
    }
    let now = app.sandbox.clock().now_ts();
    let week = listed(
        &app,
        &token,
        &(now - 7 * 86_400).to_string(),
        &now.to_string(),
    )
    .await;
    assert_eq!(listed(&app, &token, "-7 days", "now").await, week);
    let day_start = now - now.rem_euclid(86_400);
    let yesterday = listed(
        &app,
        &token,
        &(day_start - 86_400).to_string(),
        &day_start.to_string(),
    )
    .await;
    assert_eq!(listed(&app, &token, "yesterday", "today").await, yesterday);
    let hours = listed(&app, &token, &(now - 36 * 3_600).to_string(), "now").await;
    assert_eq!(listed(&app, &token, "-36 hours", "now").await, hours);
    for garbage in [
        "soon",
        "2025-13-01",
        "2025-12-01T00:00:00+99",
        "-3 fortnights",
    ] {
        let (status, body) = app
            .get(
                "/me/threads",
                &[("access_token", &token), ("since", garbage)],
            )
            .await;
        assert_graph_error(status, &body, 100, None);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{garbage}");
    }
}

#[tokio::test]
async fn until_in_the_future_is_refused_not_clamped() {
    let app = spawn().await;
    let token = app.full_token(3);
    let now = app.sandbox.clock().now_ts();
    let refused = [
        vec![("until", (now + 60).to_string())],
        vec![("until", "+1 hour".to_owned())],
        vec![("until", "tomorrow".to_owned())],
        vec![("since", (now + 60).to_string())],
        vec![("since", now.to_string())],
    ];
    for range in refused {
        let mut query = vec![("access_token", token.clone())];
        query.extend(range.iter().map(|(k, v)| (*k, v.clone())));
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let (status, body) = app.get("/me/threads", &query).await;
        assert_graph_error(status, &body, 100, None);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{range:?}");
    }
    // The bound is inclusive: until = now is the newest allowed range.
    let (status, page) = app
        .get(
            "/me/threads",
            &[("access_token", &token), ("until", &now.to_string())],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
}
