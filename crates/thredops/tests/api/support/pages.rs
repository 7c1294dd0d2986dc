//! The support pages: the widget everywhere, the creator's tickets, the agent console.

use serde_json::json;

use super::harness::{Browser, agent};
use crate::connect::csrf_in;
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    the_widget_loads_from_our_origin_without_setting_a_cookie_until_opened,
    a_creator_opens_a_ticket_from_the_page_and_a_bad_form_keeps_what_they_typed,
    agents_work_the_console_and_creators_cannot_open_it,
);

async fn the_widget_loads_from_our_origin_without_setting_a_cookie_until_opened(app: TestApp) {
    let r = app.get("/").await;
    assert!(r.headers().get("set-cookie").is_none());
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data-support-widget"),
        "landing page has the widget"
    );
    assert!(html.contains(r#"<script src="/static/support.js" defer></script>"#));
    assert!(
        !html.contains("<script>") && !html.contains("style="),
        "no inline code"
    );
    let js = app.get("/static/support.js").await;
    assert_eq!(
        js.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert!(
        js.text()
            .await
            .unwrap()
            .contains("/api/v1/support/chat/socket")
    );
}

async fn a_creator_opens_a_ticket_from_the_page_and_a_bad_form_keeps_what_they_typed(app: TestApp) {
    let maya = Browser::new(&app);
    maya.signup("maya@example.com").await;
    let page = maya
        .client
        .get(app.url("/app/support"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains("Data deletion request") && html.contains("data-inline"));
    assert_eq!(
        html.matches("data-support-widget").count(),
        1,
        "one chat on the page"
    );
    let csrf = csrf_in(&html);
    let bad = maya
        .client
        .post(app.url("/app/support/tickets"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("category", "bug"),
            ("subject", ""),
            ("body", "The export button does nothing"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);
    let html = bad.text().await.unwrap();
    assert!(
        html.contains("Give the ticket a subject.")
            && html.contains("The export button does nothing")
    );
    let ok = maya
        .client
        .post(app.url("/app/support/tickets"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("category", "data_deletion"),
            ("subject", "Delete my data"),
            ("body", "Everything, please."),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 303);
    let location = ok.headers()["location"].to_str().unwrap().to_owned();
    let ticket = maya
        .client
        .get(app.url(&location))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(ticket.contains("Delete my data") && ticket.contains("Everything, please."));
    let id = location
        .split('/')
        .nth(4)
        .unwrap()
        .split('?')
        .next()
        .unwrap();
    let other = Browser::new(&app);
    other.signup("other@example.com").await;
    let r = other
        .client
        .get(app.url(&format!("/app/support/tickets/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

async fn agents_work_the_console_and_creators_cannot_open_it(app: TestApp) {
    let creator = Browser::new(&app);
    creator.signup("creator@example.com").await;
    let r = creator
        .client
        .get(app.url("/app/support/console"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    creator.open_chat().await;
    let (_, m) = creator
        .post(
            "/api/v1/support/chat/messages",
            json!({"body": "How do I export?"}),
        )
        .await;
    let id = m["conversation_id"].as_str().unwrap().to_owned();

    let (desk, _) = agent(&app, "kai@support.example").await;
    let html = desk
        .client
        .get(app.url(&format!("/app/support/console?c={id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("How do I export?") && html.contains("creator@example.com"));
    // The customer's plan sits beside the conversation (no billing configured: self-hosted).
    assert!(
        html.contains("<dt>Plan</dt><dd>Self-hosted</dd>"),
        "plan missing from the console"
    );
    assert!(
        !html.contains("data-support-widget"),
        "agents do not get the customer widget here"
    );
    let csrf = csrf_in(&html);
    let post = |path: String, form: Vec<(&'static str, String)>| {
        let client = desk.client.clone();
        let url = app.url(&path);
        async move { client.post(url).form(&form).send().await.unwrap() }
    };
    let r = post(
        "/app/support/console/canned".into(),
        vec![
            ("csrf", csrf.clone()),
            ("shortcut", "export".into()),
            ("body", "Settings, then Export.".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let r = post(
        format!("/app/support/console/{id}/reply"),
        vec![("csrf", csrf.clone()), ("body", "/export".into())],
    )
    .await;
    assert_eq!(r.status(), 303);
    let r = post(
        format!("/app/support/console/{id}/reply"),
        vec![("csrf", csrf.clone()), ("body", "/nope".into())],
    )
    .await;
    assert_eq!(r.status(), 422);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("There is no canned response")
    );
    let r = post(
        format!("/app/support/console/{id}/status"),
        vec![
            ("csrf", csrf.clone()),
            ("status", "snoozed".into()),
            ("snooze", "24h".into()),
        ],
    )
    .await;
    assert_eq!(r.status(), 303);
    let (_, history) = creator.get("/api/v1/support/chat/messages").await;
    assert_eq!(history[1]["body"], "Settings, then Export.");
    let (_, detail) = desk
        .get(&format!("/api/v1/support/conversations/{id}"))
        .await;
    assert_eq!(detail["conversation"]["status"], "snoozed");
    let until = detail["conversation"]["snoozed_until"].as_i64().unwrap();
    let expected = thredops::clock::now().timestamp() + 24 * 3600;
    assert!((until - expected).abs() < 60, "{until} vs {expected}");
}
