//! A data deletion request made through a support ticket: confirmed through the account's email,
//! carried out by staff with the account-deletion purge and a receipt, with the deadline shown.

use crate::connect::csrf_in;
use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::privacy::{Traces, link_after, remaining_traces};

use super::harness::{Browser, agent};

on_both_backends!(
    a_deletion_ticket_is_confirmed_by_email_then_carried_out_by_staff_with_a_receipt,
    the_ticket_form_defaults_to_a_neutral_category,
);

async fn page(b: &Browser, app: &TestApp, path: &str) -> (u16, String) {
    let r = b.client.get(app.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn post_form(
    client: &reqwest::Client,
    app: &TestApp,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, String) {
    let r = client.post(app.url(path)).form(form).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

async fn the_ticket_form_defaults_to_a_neutral_category(app: TestApp) {
    let maya = Browser::new(&app);
    maya.signup("neutral@example.com").await;
    let (_, html) = page(&maya, &app, "/app/support").await;
    assert!(html.contains("<option value=\"other\" selected>"), "{html}");
    assert!(!html.contains("<option value=\"data_deletion\" selected>"));
}

async fn a_deletion_ticket_is_confirmed_by_email_then_carried_out_by_staff_with_a_receipt(
    app: TestApp,
) {
    let maya = Browser::new(&app);
    let maya_id = maya.signup("maya@example.com").await;
    let (_, html) = page(&maya, &app, "/app/support").await;
    let csrf = csrf_in(&html);
    let r = maya
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
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let id = location
        .split('/')
        .nth(4)
        .unwrap()
        .split('?')
        .next()
        .unwrap();
    let (_, ticket) = page(&maya, &app, &location).await;
    assert!(
        ticket.contains("We emailed a confirmation link"),
        "{ticket}"
    );
    let mail = app.state.mailer.outbox_messages().join("\n");
    assert!(mail.contains("To: maya@example.com") && mail.contains("please confirm"));
    let link = app.url(&link_after(
        &mail,
        "/privacy/deletion-request/ticket?token=",
    ));

    // Staff see the request with its deadline; nothing can be deleted before it is confirmed.
    let (desk, _) = agent(&app, "dee@support.example").await;
    let console = format!("/app/support/console?c={id}");
    let (_, html) = page(&desk, &app, &console).await;
    assert!(html.contains("id=\"deletion-request\""), "{html}");
    assert!(html.contains("days left"));
    assert!(html.contains("waiting for the customer to confirm"));
    assert!(!html.contains("/erase\""), "no delete button yet");
    let erase = format!("/app/support/console/{id}/erase");
    let (status, html) = post_form(&desk.client, &app, &erase, &[("csrf", &csrf_in(&html))]).await;
    assert_eq!(status, 409);
    assert!(html.contains("has not confirmed"));

    // Whoever holds the mailbox confirms (no session needed); a page, then a button.
    let mailbox = app.new_client();
    let r = mailbox.get(&link).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let form = r.text().await.unwrap();
    let token = link.split("token=").nth(1).unwrap();
    let (status, done) = post_form(
        &mailbox,
        &app,
        "/privacy/deletion-request/ticket",
        &[("csrf", &csrf_in(&form)), ("token", token)],
    )
    .await;
    assert_eq!(status, 200);
    assert!(done.contains("your request is confirmed"), "{done}");
    assert_eq!(
        mailbox.get(&link).send().await.unwrap().status(),
        404,
        "used once"
    );

    // Staff carry it out: the same purge as account deletion, with a receipt.
    let (_, html) = page(&desk, &app, &console).await;
    assert!(html.contains("confirmed by the emailed link"));
    let (status, html) = post_form(&desk.client, &app, &erase, &[("csrf", &csrf_in(&html))]).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("The account was deleted"), "{html}");
    // The page escapes '/' in text as &#x2f;.
    let shown = html.replace("&#x2f;", "/");
    let receipt = app.url(&link_after(&shown, "/privacy/deletion/"));
    let (status, html) = page(&maya, &app, "/app/support").await;
    assert_ne!(status, 200, "the session is gone with the account: {html}");
    let mail = app.state.mailer.outbox_messages().join("\n");
    assert!(mail.contains("Your ThredOps account was deleted"));
    let r = app.client.get(&receipt).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let status_page = r.text().await.unwrap();
    assert!(
        status_page.contains("completed") || status_page.contains("Completed"),
        "{status_page}"
    );
    let traces = Traces {
        user_ids: vec![maya_id],
        ..Traces::default()
    };
    assert_eq!(remaining_traces(&app, &traces).await, Vec::<String>::new());
}
