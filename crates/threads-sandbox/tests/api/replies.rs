//! Replies, conversations, hiding, reposts and deletes.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, assert_graph_error, spawn};
use crate::publish::{create, publish};

#[tokio::test]
async fn replies_reposts_hiding_and_deleting_work_on_own_posts() {
    let app = spawn().await;
    let t = app.full_token(3);
    let (_, created) = create(
        &app,
        &t,
        &[
            ("media_type", "TEXT"),
            ("text", "root"),
            ("auto_publish_text", "true"),
        ],
    )
    .await;
    let root = created["id"].as_str().unwrap().to_owned();
    app.advance(2 * 86_400).await;
    let (_, replies) = app
        .get(
            &format!("/{root}/replies"),
            &[
                ("access_token", &t),
                ("fields", "id,text,username,hide_status,root_post"),
            ],
        )
        .await;
    let first = replies["data"][0]["id"]
        .as_str()
        .expect("synthetic replies arrive")
        .to_owned();
    assert_eq!(replies["data"][0]["root_post"]["id"], root.as_str());
    let (code, body) = app
        .post_form(
            &format!("/{first}/manage_reply"),
            &[("hide", "true"), ("access_token", &t)],
        )
        .await;
    assert_eq!(
        (code, body["success"].as_bool()),
        (StatusCode::OK, Some(true))
    );
    let (_, hidden) = app
        .get(
            &format!("/{first}"),
            &[("access_token", &t), ("fields", "hide_status")],
        )
        .await;
    assert_eq!(hidden["hide_status"], "HIDDEN");
    let (_, reply) = create(
        &app,
        &t,
        &[
            ("media_type", "TEXT"),
            ("text", "thanks!"),
            ("reply_to_id", &first),
        ],
    )
    .await;
    app.advance(2).await;
    let (code, reply_media) = publish(&app, &t, reply["id"].as_str().unwrap()).await;
    assert_eq!(code, StatusCode::OK, "{reply_media}");
    let (_, mine) = app
        .get(
            "/me/replies",
            &[("access_token", &t), ("fields", "id,is_reply,replied_to")],
        )
        .await;
    assert_eq!(mine["data"][0]["id"], reply_media["id"]);
    assert_eq!(mine["data"][0]["replied_to"]["id"], first.as_str());
    let (_, convo) = app
        .get(&format!("/{root}/conversation"), &[("access_token", &t)])
        .await;
    assert!(
        convo["data"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == reply_media["id"])
    );
    let (code, repost) = app
        .post_form(&format!("/{root}/repost"), &[("access_token", &t)])
        .await;
    assert_eq!(code, StatusCode::OK, "{repost}");
    let (_, r) = app
        .get(
            &format!("/{}", repost["id"].as_str().unwrap()),
            &[("access_token", &t), ("fields", "media_type,reposted_post")],
        )
        .await;
    assert_eq!(
        (r["media_type"].as_str(), r["reposted_post"]["id"].as_str()),
        (Some("REPOST_FACADE"), Some(root.as_str()))
    );
    let res = app
        .client
        .delete(format!("{}/{root}", app.base))
        .query(&[("access_token", &t)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        (body["success"].as_bool(), body["deleted_id"].as_str()),
        (Some(true), Some(root.as_str()))
    );
    let (code, body) = app.get(&format!("/{root}"), &[("access_token", &t)]).await;
    assert_graph_error(code, &body, 100, Some(33));
    let other_post = app.truth(app.creator(2)).await["posts"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let res = app
        .client
        .delete(format!("{}/{other_post}", app.base))
        .query(&[("access_token", &t)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        res.status(),
        StatusCode::BAD_REQUEST,
        "only own posts can be deleted"
    );
    let (code, body) = create(
        &app,
        &app.token(3, &["threads_basic", "threads_content_publish"]),
        &[
            ("media_type", "TEXT"),
            ("text", "x"),
            ("reply_to_id", &other_post),
        ],
    )
    .await;
    assert_graph_error(code, &body, 10, None);
}

#[tokio::test]
async fn hide_reads_booleans_like_every_other_parameter() {
    let app = spawn().await;
    let t = app.full_token(3);
    let (_, created) = create(
        &app,
        &t,
        &[
            ("media_type", "TEXT"),
            ("text", "root"),
            ("auto_publish_text", "TRUE"),
        ],
    )
    .await;
    let root = created["id"].as_str().expect("auto-published media id");
    app.advance(2 * 86_400).await;
    let (_, replies) = app
        .get(&format!("/{root}/replies"), &[("access_token", &t)])
        .await;
    let first = replies["data"][0]["id"].as_str().expect("a reply");
    assert_eq!(hide_status(&app, &t, first, "TRUE").await, "HIDDEN");
    assert_eq!(hide_status(&app, &t, first, "False").await, "NOT_HUSHED");
    assert_eq!(hide_status(&app, &t, first, "1").await, "HIDDEN");
    assert_eq!(hide_status(&app, &t, first, "0").await, "NOT_HUSHED");
    let (code, body) = app
        .post_form(
            &format!("/{first}/manage_reply"),
            &[("hide", "yes"), ("access_token", &t)],
        )
        .await;
    assert_graph_error(code, &body, 100, None);
    // `reverse` is read the same way: FALSE gives oldest first.
    let (_, oldest_first) = app
        .get(
            &format!("/{root}/replies"),
            &[("access_token", &t), ("reverse", "FALSE")],
        )
        .await;
    let n = replies["data"].as_array().map_or(0, Vec::len);
    assert!(n > 1, "{replies}");
    assert_ne!(oldest_first["data"][0]["id"], replies["data"][0]["id"]);
}

/// Sets `hide` to `value` on `reply` and reads back its `hide_status`.
async fn hide_status(app: &TestApp, t: &str, reply: &str, value: &str) -> String {
    let (code, body) = app
        .post_form(
            &format!("/{reply}/manage_reply"),
            &[("hide", value), ("access_token", t)],
        )
        .await;
    assert_eq!(code, StatusCode::OK, "hide={value}: {body}");
    let (_, read) = app
        .get(
            &format!("/{reply}"),
            &[("access_token", t), ("fields", "hide_status")],
        )
        .await;
    read["hide_status"].as_str().unwrap_or_default().to_owned()
}
