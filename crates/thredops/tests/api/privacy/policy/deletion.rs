//! Deleting an account, by the user or through a support request.

use reqwest::StatusCode;

use super::super::{Traces, creator_account, link_after, outbox, remaining_traces, settings_csrf};
use crate::connect::{PASSWORD, csrf_in};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    account_deletion_purges_meta_data_immediately,
    data_deletion_request_is_confirmed_by_email_then_purges,
    account_deletion_through_the_api_requires_the_password,
);

async fn account_deletion_purges_meta_data_immediately(app: TestApp) {
    let (user_id, profile, threads_id) =
        creator_account(&app, "del@example.com", "del_posts", 25).await;
    let media = app.data_dir.join("media").join(&user_id);
    std::fs::create_dir_all(&media).unwrap();
    std::fs::write(media.join("draft.jpg"), b"jpeg").unwrap();
    let other_device = app.new_client();
    let r = other_device
        .post(app.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "del@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // Re-authentication is required: a wrong password or a missing confirmation deletes nothing.
    let csrf = settings_csrf(&app).await;
    let r = app
        .client
        .post(app.url("/settings/privacy/delete"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("password", "not-my-password"),
            ("confirm", "DELETE"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("That is not your password.")
    );
    assert_eq!(
        app.state
            .store
            .post_count(&thredops::domain::ProfileId::from(profile.as_str()))
            .await
            .unwrap(),
        25
    );

    let r = app
        .client
        .post(app.url("/settings/privacy/delete"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("password", PASSWORD),
            ("confirm", "DELETE"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("1 connected Threads profile "), "{html}");
    let code = html
        .split("<code>")
        .nth(1)
        .unwrap()
        .split('<')
        .next()
        .unwrap()
        .to_owned();
    assert!(code.len() >= 32, "unguessable code: {code}");

    let traces = Traces {
        user_ids: vec![user_id.clone()],
        profile_ids: vec![profile],
        threads_user_ids: vec![threads_id],
    };
    assert_eq!(remaining_traces(&app, &traces).await, Vec::<String>::new());
    assert!(
        app.state
            .vault
            .existing_key(&thredops::domain::WorkspaceId::from(user_id.as_str()))
            .await
            .unwrap()
            .is_none(),
        "data key shredded"
    );
    assert!(!media.exists(), "media files removed");
    let r = other_device
        .get(app.url("/api/v1/profiles"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNAUTHORIZED,
        "every session is killed"
    );
    let mail = outbox(&app).join("\n");
    assert!(
        mail.contains(&code) && mail.contains("To: del@example.com"),
        "receipt emailed"
    );
    let status = app
        .get(&format!("/privacy/deletion/{code}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        status.contains("Completed")
            && !status.contains("del@example.com")
            && !status.contains("del_posts")
    );
}

async fn data_deletion_request_is_confirmed_by_email_then_purges(app: TestApp) {
    let (user_id, profile, threads_id) =
        creator_account(&app, "ask@example.com", "ask_posts", 8).await;
    let visitor = app.new_client();
    let form = visitor
        .get(app.url("/privacy/deletion-request"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = csrf_in(&form);
    let post = |email: &'static str| {
        visitor
            .post(app.url("/privacy/deletion-request"))
            .form(&[("csrf", csrf.as_str()), ("email", email)])
            .send()
    };
    assert_eq!(
        post("not an email").await.unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let before = outbox(&app).len();
    let unknown = post("nobody@example.com")
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        outbox(&app).len(),
        before,
        "no mail for an address without an account"
    );
    let known = post("ask@example.com").await.unwrap().text().await.unwrap();
    assert_eq!(
        unknown.replace("nobody@example.com", "X"),
        known.replace("ask@example.com", "X"),
        "same answer either way"
    );
    let mail = outbox(&app).pop().unwrap();
    assert!(mail.contains("To: ask@example.com") && mail.contains("Data Deletion Request"));
    let sent = outbox(&app).len();
    assert_eq!(
        post("ask@example.com").await.unwrap().status(),
        StatusCode::OK
    );
    assert_eq!(
        outbox(&app).len(),
        sent,
        "asking again at once sends no second mail"
    );
    let link = link_after(&mail, &app.url("/privacy/deletion-request/confirm?"));
    // Opening the link deletes nothing (mail scanners open links); the button does.
    let page = visitor
        .get(&link)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        app.state
            .store
            .user_by_id(&thredops::domain::UserId::from(user_id.as_str()))
            .await
            .unwrap()
            .is_some()
    );
    let q: std::collections::HashMap<String, String> = url::Url::parse(&link)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect();
    let r = visitor
        .post(app.url("/privacy/deletion-request/confirm"))
        .form(&[
            ("csrf", csrf_in(&page)),
            ("token", q["token"].clone()),
            ("code", q["code"].clone()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let status = visitor
        .get(app.url(r.headers()["location"].to_str().unwrap()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(status.contains("Completed") && status.contains("Data deletion request"));
    let traces = Traces {
        user_ids: vec![user_id],
        profile_ids: vec![profile],
        threads_user_ids: vec![threads_id],
    };
    assert_eq!(remaining_traces(&app, &traces).await, Vec::<String>::new());
    // The link is single use.
    assert_eq!(
        visitor.get(&link).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

async fn account_deletion_through_the_api_requires_the_password(app: TestApp) {
    let r = app.signup("apidel@example.com", PASSWORD).await;
    let user_id = r.json::<serde_json::Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post_json(
            "/api/v1/privacy/delete-account",
            &serde_json::json!({"password": "wrong-password-1"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        body["error"]["fields"]["password"],
        "That is not your password."
    );
    let r = app
        .post_json("/api/v1/privacy/delete-account", &serde_json::json!({}))
        .await;
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "a missing password names the field"
    );
    assert!(
        app.state
            .store
            .user_by_id(&thredops::domain::UserId::from(user_id.as_str()))
            .await
            .unwrap()
            .is_some(),
        "nothing deleted"
    );
    let r = app
        .post_json(
            "/api/v1/privacy/delete-account",
            &serde_json::json!({"password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);
    let receipt: serde_json::Value = r.json().await.unwrap();
    assert_eq!(receipt["profiles_purged"], 0);
    assert!(receipt["confirmation_code"].as_str().unwrap().len() >= 32);
    let traces = Traces {
        user_ids: vec![user_id],
        ..Default::default()
    };
    assert_eq!(remaining_traces(&app, &traces).await, Vec::<String>::new());
    assert_eq!(
        app.get("/api/v1/profiles").await.status(),
        StatusCode::UNAUTHORIZED
    );
}
