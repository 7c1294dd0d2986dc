//! The discovery endpoints' parameter checks and error shapes, over raw HTTP.

use reqwest::StatusCode;

use crate::helpers::{assert_graph_error, spawn};

#[tokio::test]
async fn keyword_search_refuses_unknown_enum_values_and_a_missing_query() {
    let app = spawn().await;
    let token = app.full_token(0);
    let (status, body) = app
        .get(
            "/v1.0/keyword_search",
            &[
                ("access_token", &token),
                ("q", "coffee"),
                ("search_type", "BEST"),
            ],
        )
        .await;
    assert_graph_error(status, &body, 100, None);
    let (status, body) = app
        .get(
            "/v1.0/keyword_search",
            &[
                ("access_token", &token),
                ("q", "coffee"),
                ("media_type", "TEXT_POST"),
            ],
        )
        .await;
    assert_graph_error(status, &body, 100, None);
    let (status, body) = app
        .get("/v1.0/keyword_search", &[("access_token", &token)])
        .await;
    assert_graph_error(status, &body, 100, None);
    let (status, body) = app
        .get(
            "/keyword_search",
            &[
                ("access_token", &token),
                ("q", "coffee"),
                ("fields", "id,nope"),
            ],
        )
        .await;
    assert_graph_error(status, &body, 100, None);
}

#[tokio::test]
async fn keyword_search_answers_ids_by_default() {
    let app = spawn().await;
    let token = app.full_token(0);
    let (status, body) = app
        .get(
            "/keyword_search",
            &[("access_token", &token), ("q", "coffee"), ("limit", "2")],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    assert_eq!(data[0].as_object().unwrap().len(), 1, "{body}");
}

#[tokio::test]
async fn mentions_of_another_user_are_an_unknown_object() {
    let app = spawn().await;
    let token = app.full_token(0);
    let other = app.creator(1).to_string();
    let (status, body) = app
        .get(
            &format!("/v1.0/{other}/mentions"),
            &[("access_token", &token)],
        )
        .await;
    assert_graph_error(status, &body, 100, Some(33));
}

#[tokio::test]
async fn profile_lookup_needs_a_username() {
    let app = spawn().await;
    let token = app.full_token(0);
    let (status, body) = app
        .get("/profile_lookup", &[("access_token", &token)])
        .await;
    assert_graph_error(status, &body, 100, None);
    let (status, body) = app
        .get(
            "/profile_lookup",
            &[("access_token", &token), ("username", "nobody.here")],
        )
        .await;
    assert_graph_error(status, &body, 100, Some(33));
}

#[tokio::test]
async fn location_search_checks_its_coordinates() {
    let app = spawn().await;
    let token = app.full_token(0);
    for query in [
        vec![("latitude", "91"), ("longitude", "0")],
        vec![("latitude", "10")],
        vec![("latitude", "x"), ("longitude", "0")],
        vec![],
    ] {
        let mut q = vec![("access_token", token.as_str())];
        q.extend(query);
        let (status, body) = app.get("/location_search", &q).await;
        assert_graph_error(status, &body, 100, None);
    }
}
