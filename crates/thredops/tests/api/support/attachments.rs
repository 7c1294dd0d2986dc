//! Images in the support desk: checked like the composer's, seen only by the conversation's
//! customer and staff, exported with the account and gone with it.

use reqwest::StatusCode;
use serde_json::Value;
use thredops::with_pool;

use super::harness::{Browser, agent};
use crate::connect::{PASSWORD, csrf_in};
use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::privacy::untar;
use crate::publishing::support::png;

on_both_backends!(
    customers_and_agents_exchange_images_that_nobody_else_can_open,
    images_are_checked_like_the_composers_and_refusals_name_the_reason,
    the_console_form_sends_an_image_without_scripts_and_shows_a_refusal_beside_the_input,
    images_are_exported_with_the_account_and_purged_with_it_and_with_the_conversation,
);

/// Sends `bytes` as an image from `browser` to `path`: (status, body).
async fn upload(browser: &Browser, app: &TestApp, path: &str, bytes: Vec<u8>) -> (u16, Value) {
    let r = browser
        .client
        .post(app.url(path))
        .header("content-type", "image/png")
        .body(bytes)
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    (status, r.json().await.unwrap_or(Value::Null))
}

/// Fetches an image: (status, bytes).
async fn fetch(browser: &Browser, app: &TestApp, url: &str) -> (u16, Vec<u8>) {
    let r = browser.client.get(app.url(url)).send().await.unwrap();
    let status = r.status().as_u16();
    (status, r.bytes().await.unwrap().to_vec())
}

async fn attachment_rows(app: &TestApp) -> i64 {
    with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT count(*) FROM support_attachments"
    )
    .fetch_one(p)
    .await)
    .unwrap()
}

async fn customers_and_agents_exchange_images_that_nobody_else_can_open(app: TestApp) {
    let (agent_b, _) = agent(&app, "pics-agent@example.com").await;
    let visitor = Browser::new(&app);
    let chat = visitor.open_chat().await;
    let conversation = chat["conversation_id"].as_str().unwrap().to_owned();
    let mut agent_ws = agent_b.socket("/api/v1/support/console/socket").await;

    let photo = png(640, 480);
    let (status, m) = upload(
        &visitor,
        &app,
        "/api/v1/support/chat/attachments?filename=broken%20screen.png&client_id=img-1",
        photo.clone(),
    )
    .await;
    assert_eq!(status, 201, "{m}");
    assert_eq!(m["author"], "customer");
    assert_eq!(m["client_id"], "img-1");
    assert_eq!(m["attachment"]["file_name"], "brokenscreen.png");
    assert_eq!(
        (
            m["attachment"]["width"].as_i64(),
            m["attachment"]["height"].as_i64()
        ),
        (Some(640), Some(480))
    );
    let url = m["attachment"]["url"].as_str().unwrap().to_owned();

    // The agent sees it arrive live and can open it.
    let live = agent_ws.message_from("customer").await;
    assert_eq!(live["attachment"]["url"], url.as_str());
    let (status, bytes) = fetch(&agent_b, &app, &url).await;
    assert_eq!((status, bytes == photo), (200, true));
    // So does the visitor, on their chat cookie, and the chat's history lists it.
    let (status, bytes) = fetch(&visitor, &app, &url).await;
    assert_eq!((status, bytes == photo), (200, true));
    let history = visitor.open_chat().await;
    assert_eq!(
        history["messages"][0]["attachment"]["url"],
        url.as_str(),
        "the image is in the chat after a reload"
    );

    // Nobody else: another visitor, a signed-in creator, a stranger without cookies.
    let other = Browser::new(&app);
    other.open_chat().await;
    assert_eq!(fetch(&other, &app, &url).await.0, 404);
    let creator = Browser::new(&app);
    creator.signup("pics-creator@example.com").await;
    assert_eq!(fetch(&creator, &app, &url).await.0, 404);
    assert_eq!(fetch(&Browser::new(&app), &app, &url).await.0, 404);

    // The agent answers with an image; a private note's image stays with the agents.
    let reply_path =
        format!("/api/v1/support/conversations/{conversation}/attachments?filename=steps.png");
    let (status, reply) = upload(&agent_b, &app, &reply_path, png(300, 900)).await;
    assert_eq!(status, 201, "{reply}");
    assert_eq!(reply["author"], "agent");
    let reply_url = reply["attachment"]["url"].as_str().unwrap().to_owned();
    assert_eq!(fetch(&visitor, &app, &reply_url).await.0, 200);
    let note_path = format!(
        "/api/v1/support/conversations/{conversation}/attachments?filename=internal.png&private=true"
    );
    let (status, note) = upload(&agent_b, &app, &note_path, png(100, 100)).await;
    assert_eq!((status, note["author"].as_str()), (201, Some("note")));
    let note_url = note["attachment"]["url"].as_str().unwrap().to_owned();
    assert_eq!(fetch(&agent_b, &app, &note_url).await.0, 200);
    assert_eq!(
        fetch(&visitor, &app, &note_url).await.0,
        404,
        "customers never see a note's image"
    );
    // Customers cannot post into someone else's conversation through the agent route.
    let (status, _) = upload(&creator, &app, &reply_path, png(10, 10)).await;
    assert_eq!(status, 403);

    // At rest the image is sealed: its bytes appear nowhere in the table.
    let stored: Vec<Vec<u8>> = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT sealed FROM support_attachments"
    )
    .fetch_all(p)
    .await)
    .unwrap();
    assert_eq!(stored.len(), 3);
    assert!(
        stored
            .iter()
            .all(|s| !s.windows(photo.len()).any(|w| w == photo.as_slice())),
        "images are encrypted at rest"
    );
}

async fn images_are_checked_like_the_composers_and_refusals_name_the_reason(app: TestApp) {
    let visitor = Browser::new(&app);
    visitor.open_chat().await;
    let path = "/api/v1/support/chat/attachments?filename=x";
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (
            b"GIF89a-not-accepted-here".to_vec(),
            "Attach a JPEG or PNG image",
        ),
        (
            b"%PDF-1.7 a document, not an image".to_vec(),
            "Attach a JPEG or PNG image",
        ),
        (
            png(2000, 100),
            "at most 10:1 in shape; this one is 2000x100",
        ),
        (png(0, 10), "This image has no pixels."),
        (Vec::new(), "Choose an image first."),
    ];
    for (bytes, reason) in cases {
        let (status, body) = upload(&visitor, &app, path, bytes).await;
        assert_eq!(status, 422, "{body}");
        let said = body["error"]["fields"]["file"].as_str().unwrap_or_default();
        assert!(said.contains(reason), "{said:?} should say {reason:?}");
    }
    let mut huge = png(1000, 1000);
    huge.resize(8 * 1024 * 1024 + 1, 0);
    let (status, body) = upload(&visitor, &app, path, huge).await;
    assert_eq!(status, 422);
    assert_eq!(
        body["error"]["fields"]["file"],
        "Images can be at most 8 MB; this one is larger."
    );
    assert_eq!(attachment_rows(&app).await, 0, "nothing refused was kept");
    let (_, messages) = visitor.get("/api/v1/support/chat/messages").await;
    assert_eq!(messages.as_array().map(Vec::len), Some(0));
    // Without a chat on this device there is nowhere to send it.
    let (status, _) = upload(&Browser::new(&app), &app, path, png(10, 10)).await;
    assert_eq!(status, 404);
}

async fn console_page(agent_b: &Browser, app: &TestApp, conversation: &str) -> String {
    let r = agent_b
        .client
        .get(app.url(&format!("/app/support/console?c={conversation}")))
        .send()
        .await
        .unwrap();
    r.text().await.unwrap()
}

/// Posts the console's image form as a browser without scripts would.
async fn console_attach(
    agent_b: &Browser,
    app: &TestApp,
    conversation: &str,
    csrf: &str,
    file: Vec<u8>,
) -> reqwest::Response {
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(file)
                .file_name("answer.png")
                .mime_str("image/png")
                .unwrap(),
        );
    agent_b
        .client
        .post(app.url(&format!("/app/support/console/{conversation}/attach")))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn the_console_form_sends_an_image_without_scripts_and_shows_a_refusal_beside_the_input(
    app: TestApp,
) {
    let (agent_b, _) = agent(&app, "form-agent@example.com").await;
    let visitor = Browser::new(&app);
    let chat = visitor.open_chat().await;
    let conversation = chat["conversation_id"].as_str().unwrap().to_owned();
    visitor
        .post(
            "/api/v1/support/chat/messages",
            serde_json::json!({"body": "Where is the button?"}),
        )
        .await;
    let page = console_page(&agent_b, &app, &conversation).await;
    assert!(page.contains(r#"enctype="multipart/form-data""#));
    let csrf = csrf_in(&page);

    let r = console_attach(
        &agent_b,
        &app,
        &conversation,
        &csrf,
        b"not an image at all".to_vec(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(r#"id="attach-error" role="alert" data-attach-error>Attach a JPEG or PNG image; this file is neither.</p>"#),
        "the reason sits beside the file input"
    );
    let r = console_attach(&agent_b, &app, &conversation, "forged", png(10, 10)).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(attachment_rows(&app).await, 0);

    let r = console_attach(&agent_b, &app, &conversation, &csrf, png(400, 300)).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, messages) = visitor.get("/api/v1/support/chat/messages").await;
    let image = messages
        .as_array()
        .unwrap()
        .iter()
        .find(|m| !m["attachment"].is_null())
        .expect("the visitor receives the image");
    assert_eq!(image["author"], "agent");
    let url = image["attachment"]["url"].as_str().unwrap();
    let page = console_page(&agent_b, &app, &conversation).await;
    // Templates escape '/' in attributes; browsers read it back as the same address.
    let src = url.replace('/', "&#x2f;");
    assert!(
        page.contains(&format!(
            r#"<img class="support-thumb" src="{src}" alt="answer.png""#
        )),
        "the console shows the thumbnail"
    );
}

async fn images_are_exported_with_the_account_and_purged_with_it_and_with_the_conversation(
    app: TestApp,
) {
    // A signed-in creator sends an image from the support page's chat.
    let creator = Browser::new(&app);
    creator.signup("export-pics@example.com").await;
    creator.open_chat().await;
    let mut photo = png(800, 600);
    photo.extend(b"unique-export-marker-5f2a");
    let (status, m) = upload(
        &creator,
        &app,
        "/api/v1/support/chat/attachments?filename=receipt.png",
        photo.clone(),
    )
    .await;
    assert_eq!(status, 201, "{m}");
    let id = m["attachment"]["id"].as_str().unwrap().to_owned();
    let url = m["attachment"]["url"].as_str().unwrap().to_owned();

    let r = creator
        .client
        .get(app.url("/settings/privacy/export"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let files = untar(&r.bytes().await.unwrap());
    let path = format!("thredops-export/support-images/{id}-receipt.png");
    let (_, exported) = files
        .iter()
        .find(|(n, _)| *n == path)
        .unwrap_or_else(|| panic!("no {path} in the export"));
    assert_eq!(exported, &photo, "the export holds the image itself");
    let (_, content) = files
        .iter()
        .find(|(n, _)| n == "thredops-export/content.json")
        .unwrap();
    let content: Value = serde_json::from_slice(content).unwrap();
    assert_eq!(
        content["support_conversations"][0]["messages"][0]["image"],
        format!("support-images/{id}-receipt.png"),
        "content.json names the image beside its message"
    );

    // A visitor's image goes when the idle visitor is forgotten with their conversation.
    let visitor = Browser::new(&app);
    visitor.open_chat().await;
    let (status, v) = upload(
        &visitor,
        &app,
        "/api/v1/support/chat/attachments",
        png(50, 50),
    )
    .await;
    assert_eq!(status, 201);
    let visitor_url = v["attachment"]["url"].as_str().unwrap().to_owned();
    assert_eq!(attachment_rows(&app).await, 2);
    app.state
        .store
        .support_purge_visitors(thredops::clock::now_unix() + 1)
        .await
        .unwrap();
    assert_eq!(attachment_rows(&app).await, 1);
    let (agent_b, _) = agent(&app, "purge-agent@example.com").await;
    assert_eq!(fetch(&agent_b, &app, &visitor_url).await.0, 404);

    // Deleting the account removes its images.
    let r = creator
        .client
        .post(app.url("/api/v1/privacy/delete-account"))
        .json(&serde_json::json!({"password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(attachment_rows(&app).await, 0);
    assert_eq!(fetch(&agent_b, &app, &url).await.0, 404);
}
