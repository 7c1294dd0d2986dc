//! The composer page: what is attached said in words with correct plurals, uploads shown to
//! their owner only (for the preview), and chain parts that a script can reveal one by one.

use reqwest::multipart::{Form, Part};

use super::support::{png, setup, upload_png};
use crate::connect::{PASSWORD, csrf_in};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    the_composer_says_what_is_attached_with_correct_plurals,
    uploads_are_shown_for_the_preview_to_their_owner_only,
);

/// The composer re-shown after a submission that still needs a time: what it says.
async fn shown_with(app: &TestApp, profile: &str, media: &[String]) -> String {
    let page = app.get("/app/schedule/new").await.text().await.unwrap();
    let form = Form::new()
        .text("csrf", csrf_in(&page))
        .text("profile_id", profile.to_owned())
        .text("text", "Line one\nLine two")
        .text("text3", "A third part")
        .text("media", media.join(","))
        .text("action", "suggest")
        .part("files", Part::bytes(Vec::new()).file_name(""));
    let r = app
        .client
        .post(app.url("/app/schedule/new"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    r.text().await.unwrap()
}

async fn the_composer_says_what_is_attached_with_correct_plurals(app: TestApp) {
    let (profile, _) = setup(&app, "plurals").await;
    let page = app.get("/app/schedule/new").await.text().await.unwrap();
    assert!(page.contains(">No files attached.</p>"));
    assert!(
        !page.contains("(s)"),
        "no 'file(s)' anywhere on the composer"
    );

    let one = upload_png(&app, "one.png", 800, 600).await;
    let html = shown_with(&app, &profile, std::slice::from_ref(&one)).await;
    assert!(html.contains(">1 image attached.</p>"), "singular");
    assert!(!html.contains("(s)"));

    let two = upload_png(&app, "two.png", 600, 800).await;
    let three = upload_png(&app, "three.png", 500, 500).await;
    let html = shown_with(&app, &profile, &[three.clone(), one.clone(), two.clone()]).await;
    assert!(
        html.contains(">3 images attached (a carousel).</p>"),
        "plural"
    );
    // The list the preview reads keeps the carousel order chosen, not the upload order.
    let order: Vec<&str> = html
        .split("data-media-id=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap())
        .collect();
    assert_eq!(order, [three.as_str(), one.as_str(), two.as_str()]);
    // Chain parts in use are marked so the script shows them; the unused one is not.
    let used = |name: &str| {
        let at = html.find(&format!("id=\"{name}\"")).unwrap();
        html[..at]
            .rfind("data-part-field")
            .map(|i| html[i..at].contains("data-used"))
    };
    assert_eq!(
        (used("text2"), used("text3"), used("text4")),
        (Some(false), Some(true), Some(false))
    );
    assert!(
        html.contains("data-add-part"),
        "the button that reveals the next part"
    );
}

async fn uploads_are_shown_for_the_preview_to_their_owner_only(app: TestApp) {
    setup(&app, "owner").await;
    let id = upload_png(&app, "mine.png", 640, 640).await;
    let r = app.get(&format!("/app/schedule/media/{id}")).await;
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(r.bytes().await.unwrap().to_vec(), png(640, 640));

    let stranger = app.new_client();
    crate::helpers::sign_up_with(&app, &stranger, "stranger@example.com", PASSWORD).await;
    let r = stranger
        .get(app.url(&format!("/app/schedule/media/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404, "another account cannot see it");
    let r = app
        .new_client()
        .get(app.url(&format!("/app/schedule/media/{id}")))
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), 200, "nor can someone signed out");
}
