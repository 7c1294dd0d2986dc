//! Media and user insights shapes and rules.

use reqwest::StatusCode;

use crate::helpers::{assert_graph_error, spawn};

#[tokio::test]
async fn media_insights_are_lifetime_values_that_grow_with_the_clock() {
    let app = spawn().await;
    let token = app.full_token(3);
    let (_, page) = app
        .get(
            "/me/threads",
            &[
                ("access_token", &token),
                ("fields", "id,media_type"),
                ("limit", "100"),
            ],
        )
        .await;
    let posts = page["data"].as_array().unwrap();
    let post = posts
        .iter()
        .find(|p| p["media_type"] != "REPOST_FACADE")
        .unwrap();
    let path = format!("/{}/insights", post["id"].as_str().unwrap());
    let (status, body) = app
        .get(
            &path,
            &[
                ("access_token", &token),
                ("metric", "views,likes,replies,reposts,quotes,shares"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 6);
    assert_eq!(data[1]["name"], "likes");
    assert_eq!(data[1]["period"], "lifetime");
    assert!(data[1]["values"][0]["value"].is_u64());
    assert!(
        data[1]["id"]
            .as_str()
            .unwrap()
            .ends_with("/insights/likes/lifetime")
    );
    if let Some(repost) = posts.iter().find(|p| p["media_type"] == "REPOST_FACADE") {
        let path = format!("/{}/insights", repost["id"].as_str().unwrap());
        let (_, body) = app
            .get(&path, &[("access_token", &token), ("metric", "views")])
            .await;
        assert_eq!(body, serde_json::json!({"data": []}));
    }
    // A freshly published post starts at zero and accrues as the clock moves.
    let (_, created) = app
        .post_form(
            "/me/threads",
            &[
                ("media_type", "TEXT"),
                ("text", "fresh"),
                ("auto_publish_text", "true"),
                ("access_token", &token),
            ],
        )
        .await;
    let path = format!("/{}/insights", created["id"].as_str().unwrap());
    let views = |b: serde_json::Value| b["data"][0]["values"][0]["value"].as_u64().unwrap();
    let v0 = views(
        app.get(&path, &[("access_token", &token), ("metric", "views")])
            .await
            .1,
    );
    app.advance(6 * 3_600).await;
    let v1 = views(
        app.get(&path, &[("access_token", &token), ("metric", "views")])
            .await
            .1,
    );
    app.advance(20 * 86_400).await;
    let v2 = views(
        app.get(&path, &[("access_token", &token), ("metric", "views")])
            .await
            .1,
    );
    assert!(v0 <= v1 && v1 < v2 && v0 == 0, "{v0} {v1} {v2}");
    let (status, body) = app
        .get(&path, &[("access_token", &token), ("metric", "bogus")])
        .await;
    assert_graph_error(status, &body, 100, None);
}

#[tokio::test]
async fn user_insights_have_the_documented_shapes() {
    let app = spawn().await;
    let token = app.full_token(4);
    let now = app.sandbox.clock().now_ts();
    let (since, until) = ((now - 7 * 86_400).to_string(), now.to_string());
    let (status, body) = app
        .get(
            "/me/threads_insights",
            &[
                ("access_token", &token),
                ("metric", "views,likes,replies,reposts,quotes,clicks"),
                ("since", &since),
                ("until", &until),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let views = &body["data"][0];
    assert_eq!(views["period"], "day");
    let series = views["values"].as_array().unwrap();
    assert!((7..=8).contains(&series.len()), "{} days", series.len());
    assert!(series[0]["end_time"].as_str().unwrap().ends_with("+0000"));
    assert!(body["data"][1]["total_value"]["value"].as_u64().unwrap() > 0);
    assert!(body["data"][5]["link_total_values"].is_array());
    let (_, followers) = app
        .get(
            "/me/threads_insights",
            &[("access_token", &token), ("metric", "followers_count")],
        )
        .await;
    assert_eq!(
        followers["data"][0]["total_value"]["value"],
        app.truth(app.creator(4)).await["followers_count"]
    );
    let (status, body) = app
        .get(
            "/me/threads_insights",
            &[
                ("access_token", &token),
                ("metric", "followers_count"),
                ("since", &since),
            ],
        )
        .await;
    assert_graph_error(status, &body, 100, None);
    let (status, body) = app
        .get(
            "/me/threads_insights",
            &[
                ("access_token", &token),
                ("metric", "views"),
                ("since", "1712991599"),
            ],
        )
        .await;
    assert_graph_error(status, &body, 100, None);
}

#[tokio::test]
async fn demographics_need_one_breakdown_and_a_hundred_followers() {
    let app = spawn().await;
    let big = app.full_token(4);
    let (status, body) = app
        .get(
            "/me/threads_insights",
            &[
                ("access_token", &big),
                ("metric", "follower_demographics"),
                ("breakdown", "country"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let b = &body["data"][0]["total_value"]["breakdowns"][0];
    assert_eq!(b["dimension_keys"][0], "country");
    // Creator 4's audience is concentrated in Japan.
    assert_eq!(b["results"][0]["dimension_values"][0], "JP");
    for dim in ["city", "age", "gender"] {
        let (status, body) = app
            .get(
                "/me/threads_insights",
                &[
                    ("access_token", &big),
                    ("metric", "follower_demographics"),
                    ("breakdown", dim),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{dim}: {body}");
    }
    let (status, body) = app
        .get(
            "/me/threads_insights",
            &[("access_token", &big), ("metric", "follower_demographics")],
        )
        .await;
    assert_graph_error(status, &body, 100, None);
    let tiny = app.full_token(0);
    let (status, body) = app
        .get(
            "/me/threads_insights",
            &[
                ("access_token", &tiny),
                ("metric", "follower_demographics"),
                ("breakdown", "age"),
            ],
        )
        .await;
    assert_graph_error(status, &body, 100, None);
}
