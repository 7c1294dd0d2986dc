//! Uploads: streamed to disk and checked as they arrive, through the API and through the
//! composer form without JavaScript; refused or broken-off uploads leave no file behind.

use std::path::{Path, PathBuf};

use reqwest::multipart::{Form, Part};
use serde_json::Value;

use super::support::{get_post, png, setup};
use crate::connect::csrf_in;
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    an_oversized_image_is_refused_and_leaves_no_file,
    an_upload_that_breaks_off_leaves_no_file,
    the_composer_attaches_files_without_javascript,
    a_refused_file_in_the_form_keeps_the_accepted_ones_and_the_text,
    a_forged_form_stores_no_file,
);

async fn user_media_dir(app: &TestApp, email: &str) -> PathBuf {
    let email = thredops::domain::Email::parse(email).unwrap();
    let user = app
        .state
        .store
        .user_by_email(&email)
        .await
        .unwrap()
        .unwrap();
    app.data_dir.join("media").join(user.id.as_str())
}

/// Files in a directory (none when it does not exist).
fn files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// Waits until the directory holds exactly `n` files (the server finishes a broken-off upload
/// on its own time); returns what it holds at the end.
async fn settle(dir: &Path, n: usize) -> Vec<String> {
    for _ in 0..200 {
        if files_in(dir).len() == n {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    files_in(dir)
}

async fn an_oversized_image_is_refused_and_leaves_no_file(app: TestApp) {
    setup(&app, "bigimage").await;
    let mut big = png(2000, 1500);
    big.resize(9 * 1024 * 1024, 0);
    let r = app
        .client
        .post(app.url("/api/v1/publishing/media?filename=huge.png"))
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["fields"]["file"]
            .as_str()
            .unwrap()
            .contains("up to 8 MB"),
        "{body}"
    );
    let dir = user_media_dir(&app, "bigimage@example.com").await;
    assert!(settle(&dir, 0).await.is_empty(), "nothing kept");
}

async fn an_upload_that_breaks_off_leaves_no_file(app: TestApp) {
    setup(&app, "breaker").await;
    let dir = user_media_dir(&app, "breaker@example.com").await;
    // A first part of a video; once the server is writing it, the client's side fails.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(1);
    let chunks = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|chunk| (chunk, rx))
    });
    let request = app
        .client
        .post(app.url("/api/v1/publishing/media?filename=clip.mp4"))
        .body(reqwest::Body::wrap_stream(chunks))
        .send();
    let sent = tokio::spawn(request);
    tx.send(Ok(bytes_chunk(b"\0\0\0\x18ftypmp42", 256 * 1024)))
        .await
        .unwrap();
    let partial = settle(&dir, 1).await;
    assert!(
        partial.len() == 1 && partial[0].starts_with(".incoming-"),
        "the server streams to a partial file: {partial:?}"
    );
    tx.send(Err(std::io::Error::other("the connection dropped")))
        .await
        .unwrap();
    let sent = sent.await.unwrap();
    assert!(
        sent.is_err() || !sent.unwrap().status().is_success(),
        "a broken-off upload is not stored"
    );
    assert!(settle(&dir, 0).await.is_empty(), "no partial file left");
    assert!(planned_posts(&app).await.is_empty());
}

/// The user's planned posts, through the API.
async fn planned_posts(app: &TestApp) -> Vec<Value> {
    let listed: Value = app
        .get("/api/v1/publishing/posts")
        .await
        .json()
        .await
        .unwrap();
    listed.as_array().unwrap().clone()
}

fn bytes_chunk(head: &[u8], len: usize) -> Vec<u8> {
    let mut out = head.to_vec();
    out.resize(len, 7);
    out
}

/// The composer page's CSRF token.
async fn composer_csrf(app: &TestApp) -> String {
    csrf_in(&app.get("/app/schedule/new").await.text().await.unwrap())
}

fn text_fields(csrf: &str, profile: &str, text: &str) -> Form {
    Form::new()
        .text("csrf", csrf.to_owned())
        .text("profile_id", profile.to_owned())
        .text("text", text.to_owned())
        .text("media", "")
        .text("alt_text", "A sunny beach")
        .text("local_time", "2030-05-06T09:30")
        .text("action", "schedule")
}

fn file(name: &str, bytes: Vec<u8>) -> Part {
    Part::bytes(bytes).file_name(name.to_owned())
}

async fn post_form(app: &TestApp, form: Form) -> reqwest::Response {
    app.client
        .post(app.url("/app/schedule/new"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn the_composer_attaches_files_without_javascript(app: TestApp) {
    let (profile, _) = setup(&app, "nojs").await;
    let page = app.get("/app/schedule/new").await.text().await.unwrap();
    assert!(
        page.contains("enctype=\"multipart/form-data\"") && page.contains("name=\"files\""),
        "the form itself can send files"
    );
    let csrf = csrf_in(&page);
    let form = text_fields(&csrf, &profile, "Two views of the bay")
        .part("files", file("left.png", png(800, 600)))
        .part("files", file("right.png", png(600, 800)))
        // The file input's other entry when a browser sends an empty choice.
        .part("files", file("", Vec::new()));
    let r = post_form(&app, form).await;
    assert_eq!(r.status(), 303, "{}", r.text().await.unwrap());
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let id = location.rsplit('/').next().unwrap();
    let post = get_post(&app, id).await;
    assert_eq!(post["kind"], "carousel", "{post}");
    let media = post["content"]["parts"][0]["media"].as_array().unwrap();
    assert_eq!(media.len(), 2);
    assert_eq!(media[0]["alt_text"], "A sunny beach");
    let first: Value = app
        .get(&format!(
            "/api/v1/publishing/media/{}",
            media[0]["id"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&first["file_name"], &first["width"], &first["height"]),
        (
            &Value::from("left.png"),
            &Value::from(800),
            &Value::from(600)
        )
    );
}

async fn a_refused_file_in_the_form_keeps_the_accepted_ones_and_the_text(app: TestApp) {
    let (profile, _) = setup(&app, "mixed").await;
    let csrf = composer_csrf(&app).await;
    let form = text_fields(&csrf, &profile, "Words worth keeping")
        .part("files", file("photo.png", png(800, 600)))
        .part("files", file("anim.gif", b"GIF89a......".to_vec()));
    let r = post_form(&app, form).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(
            r#"data-upload-error role="alert">anim.gif: Threads accepts JPEG or PNG images"#
        ),
        "the refused file is named with the reason, error-styled beside the file input"
    );
    assert!(html.contains("Words worth keeping"), "the text is kept");
    assert!(html.contains("1 image attached."), "the good file is kept");
    assert!(
        planned_posts(&app).await.is_empty(),
        "nothing scheduled yet"
    );
    // Sending the form again as shown (the kept file in `media`, no new files) schedules it.
    let marker = "name=\"media\" id=\"media\" value=\"";
    let start = html.find(marker).unwrap() + marker.len();
    let kept = html[start..].split('"').next().unwrap().to_owned();
    assert!(!kept.is_empty() && !kept.contains(','), "one id: {kept}");
    let again = text_fields(&csrf_in(&html), &profile, "Words worth keeping").text("media", kept);
    let r = post_form(&app, again).await;
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let post: Value = app
        .get(&format!(
            "/api/v1/publishing/posts/{}",
            location.rsplit('/').next().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(post["kind"], "image", "{post}");
    let dir = user_media_dir(&app, "mixed@example.com").await;
    assert_eq!(files_in(&dir).len(), 1, "only the accepted file is on disk");
}

async fn a_forged_form_stores_no_file(app: TestApp) {
    let (profile, _) = setup(&app, "forged").await;
    let form = text_fields("not-the-token", &profile, "Forged")
        .part("files", file("photo.png", png(800, 600)));
    let r = post_form(&app, form).await;
    assert_eq!(r.status(), 403);
    let dir = user_media_dir(&app, "forged@example.com").await;
    assert!(files_in(&dir).is_empty());
}
