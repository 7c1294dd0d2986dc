//! Cross-site request forgery is refused for the API and for HTML forms.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    cross_origin_writes_with_a_session_are_refused,
    forms_need_their_token
);

async fn cross_origin_writes_with_a_session_are_refused(app: TestApp) {
    app.signup("cy@example.com", "tidal-marmot-lantern").await;
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let r = app
            .client
            .post(app.url("/api/v1/auth/logout"))
            .header(name, value)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        let body: serde_json::Value = r.json().await.unwrap();
        assert_eq!(body["error"]["code"], "forbidden");
    }
    assert_eq!(
        app.get("/api/v1/me").await.status(),
        StatusCode::OK,
        "still signed in"
    );
    let r = app
        .client
        .post(app.url("/api/v1/auth/logout"))
        .header("origin", app.address.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::NO_CONTENT,
        "same-origin writes pass"
    );
    let r = app
        .new_client()
        .post(app.url("/api/v1/auth/signup"))
        .header("sec-fetch-site", "cross-site")
        .json(&json!({"email": "x@example.com", "password": "tidal-marmot-lantern"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::FORBIDDEN,
        "cross-site sign-up (login CSRF) refused"
    );
}

fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("form has a csrf field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

async fn forms_need_their_token(app: TestApp) {
    let html = app.get("/signup").await.text().await.unwrap();
    let token = csrf_in(&html);
    let form = [
        ("email", "di@example.com"),
        ("password", "tidal-marmot-lantern"),
        ("csrf", "forged"),
    ];
    let r = app
        .client
        .post(app.url("/signup"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let form = [
        ("email", "di@example.com"),
        ("password", "tidal-marmot-lantern"),
        ("csrf", token.as_str()),
    ];
    let r = app
        .client
        .post(app.url("/signup"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let mail = app
        .next_mail("di@example.com", "Confirm your ThredOps address", 0)
        .await;
    let r = app
        .post_json(
            "/api/v1/auth/verify-email",
            &json!({"token": crate::helpers::link_token(&mail, "/verify-email")}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::OK);

    // Signed in: logout needs the session's token.
    let r = app
        .client
        .post(app.url("/logout"))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = app.get("/app").await.text().await.unwrap();
    let r = app
        .client
        .post(app.url("/logout"))
        .form(&[("csrf", csrf_in(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
}
