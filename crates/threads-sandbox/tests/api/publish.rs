//! Publishing rules, container lifecycle, quotas, deletes, replies, reposts.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, assert_graph_error, spawn};

pub async fn create(app: &TestApp, token: &str, params: &[(&str, &str)]) -> (StatusCode, Value) {
    let mut form = params.to_vec();
    form.push(("access_token", token));
    app.post_form("/v1.0/me/threads", &form).await
}

pub async fn publish(app: &TestApp, token: &str, id: &str) -> (StatusCode, Value) {
    app.post_form(
        "/me/threads_publish",
        &[("creation_id", id), ("access_token", token)],
    )
    .await
}

#[tokio::test]
async fn every_creation_rule_is_enforced() {
    let app = spawn().await;
    let t = app.full_token(2);
    let long = "a".repeat(501);
    let long_alt = "b".repeat(1001);
    let emoji = "😀".repeat(126);
    let links = "https://a.example https://b.example https://c.example https://d.example https://e.example https://f.example";
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![("text", "no type")],
        vec![("media_type", "GIF"), ("text", "x")],
        vec![("media_type", "TEXT")],
        vec![("media_type", "TEXT"), ("text", &long)],
        vec![("media_type", "TEXT"), ("text", &emoji)],
        vec![("media_type", "IMAGE")],
        vec![("media_type", "VIDEO"), ("video_url", "not a url")],
        vec![("media_type", "CAROUSEL")],
        vec![("media_type", "TEXT"), ("text", "x"), ("topic_tag", "")],
        vec![("media_type", "TEXT"), ("text", "x"), ("topic_tag", "a.b")],
        vec![("media_type", "TEXT"), ("text", "x"), ("topic_tag", "a&b")],
        vec![
            ("media_type", "TEXT"),
            ("text", "x"),
            ("topic_tag", &long[..51]),
        ],
        vec![
            ("media_type", "TEXT"),
            ("text", "x"),
            ("topic_tag", "one"),
            ("topic_tag", "two"),
        ],
        vec![
            ("media_type", "TEXT"),
            ("text", "x"),
            ("poll_attachment", r#"{"option_a":"yes"}"#),
        ],
        vec![
            ("media_type", "TEXT"),
            ("text", "x"),
            (
                "poll_attachment",
                r#"{"option_a":"yes","option_b":"this option is far too long to fit"}"#,
            ),
        ],
        vec![
            ("media_type", "IMAGE"),
            ("image_url", "https://x.example/a.jpg"),
            ("poll_attachment", r#"{"option_a":"a","option_b":"b"}"#),
        ],
        vec![
            ("media_type", "IMAGE"),
            ("image_url", "https://x.example/a.jpg"),
            ("link_attachment", "https://x.example"),
        ],
        vec![
            ("media_type", "IMAGE"),
            ("image_url", "https://x.example/a.jpg"),
            ("alt_text", &long_alt),
        ],
        vec![
            ("media_type", "TEXT"),
            ("text", "x"),
            ("reply_control", "nobody"),
        ],
        vec![
            ("media_type", "TEXT"),
            ("text", "x"),
            ("reply_to_id", "123"),
        ],
        vec![
            ("media_type", "TEXT"),
            ("text", "x"),
            ("quote_post_id", "123"),
        ],
        vec![
            ("media_type", "IMAGE"),
            ("image_url", "https://x.example/a.jpg"),
            ("auto_publish_text", "true"),
        ],
    ];
    for case in cases {
        let (status, body) = create(&app, &t, &case).await;
        assert_graph_error(status, &body, 100, None);
        assert_eq!(status, StatusCode::BAD_REQUEST, "{case:?}");
    }
    let (status, body) = create(&app, &t, &[("media_type", "TEXT"), ("text", &long)]).await;
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("text must be at most 500 characters"),
        "{status} {body}"
    );
    let (_, body) = create(&app, &t, &[("media_type", "TEXT"), ("text", links)]).await;
    assert!(
        body.to_string()
            .contains("THREADS_API__LINK_LIMIT_EXCEEDED"),
        "{body}"
    );
    let (status, _) = create(
        &app,
        &t,
        &[
            ("media_type", "TEXT"),
            ("text", &links[..links.rfind(' ').unwrap()]),
        ],
    )
    .await;
    assert_eq!(status, StatusCode::OK, "five links are fine");
    let (status, _) = create(
        &app,
        &t,
        &[("media_type", "TEXT"), ("text", &"😀".repeat(125))],
    )
    .await;
    assert_eq!(
        status,
        StatusCode::OK,
        "emoji count by UTF-8 bytes: 500 is fine"
    );
}

#[tokio::test]
async fn a_container_publishes_only_when_finished_and_appears_once() {
    let app = spawn().await;
    let t = app.full_token(1);
    let (_, c) = create(
        &app,
        &t,
        &[
            ("media_type", "IMAGE"),
            ("image_url", "https://x.example/a.jpg"),
            ("alt_text", "a cat"),
        ],
    )
    .await;
    let id = c["id"].as_str().unwrap().to_owned();
    let (_, status) = app
        .get(
            &format!("/{id}"),
            &[("access_token", &t), ("fields", "id,status,error_message")],
        )
        .await;
    assert_eq!(status["status"], "IN_PROGRESS");
    let (code, body) = publish(&app, &t, &id).await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], 24);
    assert_eq!(body["error"]["error_subcode"], 4_279_009);
    assert_eq!(
        body["error"]["message"],
        "The requested resource does not exist"
    );
    assert_eq!(body["error"]["type"], "OAuthException");
    assert_eq!(body["error"]["is_transient"], false);
    assert_eq!(body["error"]["error_user_title"], "Media Not Found");
    app.advance(5).await;
    let (_, status) = app
        .get(
            &format!("/{id}"),
            &[("access_token", &t), ("fields", "id,status")],
        )
        .await;
    assert_eq!(status["status"], "FINISHED");
    let (code, media) = publish(&app, &t, &id).await;
    assert_eq!(code, StatusCode::OK, "{media}");
    let media_id = media["id"].as_str().unwrap();
    let (code, body) = publish(&app, &t, &id).await;
    assert_graph_error(code, &body, 100, None);
    // The container keeps answering, with PUBLISHED; the published post's own id has no status.
    let (code, body) = app
        .get(
            &format!("/{id}"),
            &[("access_token", &t), ("fields", "id,status,error_message")],
        )
        .await;
    assert_eq!(code, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "PUBLISHED");
    assert_eq!(body["id"], id.as_str());
    let (code, body) = app
        .get(
            &format!("/{media_id}"),
            &[("access_token", &t), ("fields", "id,status")],
        )
        .await;
    assert_graph_error(code, &body, 100, None);
    assert_eq!(
        body["error"]["message"],
        "Tried accessing nonexisting field (status)"
    );
    let (_, page) = app
        .get(
            "/me/threads",
            &[
                ("access_token", &t),
                ("fields", "id,media_type,alt_text,owner"),
            ],
        )
        .await;
    let hits: Vec<&Value> = page["data"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["id"] == media_id)
        .collect();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0]["media_type"], "IMAGE");
    assert_eq!(hits[0]["alt_text"], "a cat");
    assert_eq!(page["data"][0]["id"], media_id, "newest first");
}

#[tokio::test]
async fn failing_and_expired_containers_cannot_be_published() {
    let app = spawn().await;
    let t = app.full_token(1);
    let (_, c) = create(
        &app,
        &t,
        &[
            ("media_type", "VIDEO"),
            ("video_url", "https://x.example/fail.mp4"),
        ],
    )
    .await;
    let failed = c["id"].as_str().unwrap().to_owned();
    let (_, c) = create(&app, &t, &[("media_type", "TEXT"), ("text", "later")]).await;
    let stale = c["id"].as_str().unwrap().to_owned();
    app.advance(10).await;
    let (_, s) = app
        .get(
            &format!("/{failed}"),
            &[("access_token", &t), ("fields", "id,status,error_message")],
        )
        .await;
    assert_eq!(
        (s["status"].as_str(), s["error_message"].as_str()),
        (Some("ERROR"), Some("FAILED_DOWNLOADING_VIDEO"))
    );
    let (code, body) = publish(&app, &t, &failed).await;
    assert_graph_error(code, &body, 24, Some(4_279_009));
    app.advance(24 * 3_600).await;
    let (_, s) = app
        .get(
            &format!("/{stale}"),
            &[("access_token", &t), ("fields", "status")],
        )
        .await;
    assert_eq!(s["status"], "EXPIRED");
    let (code, body) = publish(&app, &t, &stale).await;
    assert_graph_error(code, &body, 24, Some(4_279_009));
}

#[tokio::test]
async fn carousels_need_two_to_twenty_own_items() {
    let app = spawn().await;
    let t = app.full_token(1);
    let other = app.full_token(2);
    let mut items = Vec::new();
    for i in 0..21 {
        let url = format!("https://x.example/{i}.jpg");
        let (_, c) = create(
            &app,
            &t,
            &[
                ("media_type", "IMAGE"),
                ("image_url", &url),
                ("is_carousel_item", "true"),
            ],
        )
        .await;
        items.push(c["id"].as_str().unwrap().to_owned());
    }
    let (_, plain) = create(
        &app,
        &t,
        &[
            ("media_type", "IMAGE"),
            ("image_url", "https://x.example/p.jpg"),
        ],
    )
    .await;
    let (_, foreign) = create(
        &app,
        &other,
        &[
            ("media_type", "IMAGE"),
            ("image_url", "https://x.example/f.jpg"),
            ("is_carousel_item", "true"),
        ],
    )
    .await;
    for children in [
        items[..1].join(","),
        items.join(","),
        format!("{},{}", items[0], plain["id"].as_str().unwrap()),
        format!("{},{}", items[0], foreign["id"].as_str().unwrap()),
    ] {
        let (code, body) = create(
            &app,
            &t,
            &[("media_type", "CAROUSEL"), ("children", &children)],
        )
        .await;
        assert_graph_error(code, &body, 100, None);
    }
    let (code, carousel) = create(
        &app,
        &t,
        &[
            ("media_type", "CAROUSEL"),
            ("children", &items[..3].join(",")),
        ],
    )
    .await;
    assert_eq!(code, StatusCode::OK, "{carousel}");
    let (code, body) = publish(&app, &t, &items[0]).await;
    assert_graph_error(code, &body, 24, Some(4_279_009));
    app.advance(10).await;
    let (code, media) = publish(&app, &t, carousel["id"].as_str().unwrap()).await;
    assert_eq!(code, StatusCode::OK, "{media}");
    let (_, post) = app
        .get(
            &format!("/{}", media["id"].as_str().unwrap()),
            &[("access_token", &t), ("fields", "media_type,children")],
        )
        .await;
    assert_eq!(post["media_type"], "CAROUSEL_ALBUM");
    assert_eq!(post["children"]["data"].as_array().unwrap().len(), 3);
    let (_, limits) = app
        .get(
            "/me/threads_publishing_limit",
            &[("access_token", &t), ("fields", "quota_usage,config")],
        )
        .await;
    assert_eq!(
        limits["data"][0]["quota_usage"], 1,
        "a carousel counts as one post"
    );
    assert_eq!(limits["data"][0]["config"]["quota_total"], 250);
}

#[tokio::test]
async fn the_250_posts_per_day_quota_is_enforced_on_a_rolling_window() {
    let app = spawn().await;
    let t = app.full_token(0);
    for i in 0..250 {
        let (code, body) = create(
            &app,
            &t,
            &[
                ("media_type", "TEXT"),
                ("text", &format!("post {i}")),
                ("auto_publish_text", "true"),
            ],
        )
        .await;
        assert_eq!(code, StatusCode::OK, "post {i}: {body}");
    }
    let (code, body) = create(
        &app,
        &t,
        &[
            ("media_type", "TEXT"),
            ("text", "one too many"),
            ("auto_publish_text", "true"),
        ],
    )
    .await;
    assert_eq!(code, StatusCode::BAD_REQUEST);
    assert!(body["error"]["code"].is_u64());
    let (_, limits) = app
        .get("/me/threads_publishing_limit", &[("access_token", &t)])
        .await;
    assert_eq!(limits["data"][0]["quota_usage"], 250);
    app.advance(86_401).await;
    let (code, _) = create(
        &app,
        &t,
        &[
            ("media_type", "TEXT"),
            ("text", "next day"),
            ("auto_publish_text", "true"),
        ],
    )
    .await;
    assert_eq!(code, StatusCode::OK);
}
