//! The HTML pages a visitor and a signed-in creator see.

use reqwest::StatusCode;

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    a_visitor_signs_up_through_the_forms_and_lands_in_the_app,
    app_pages_send_signed_out_visitors_to_sign_in,
    bad_sign_in_shows_the_form_again_with_the_email_kept,
    settings_list_devices_and_change_the_password,
    policy_pages_are_served_from_the_app,
    page_routes_answer_errors_as_pages,
);

/// What a browser gets for a page request that fails: HTML with the right status, never JSON.
async fn page_routes_answer_errors_as_pages(app: TestApp) {
    assert_eq!(
        app.signup("err@example.com", "correct horse battery")
            .await
            .status(),
        StatusCode::OK
    );
    let page = |path: &'static str| {
        let app = &app;
        async move {
            let r = app
                .client
                .get(app.url(path))
                .header("accept", "text/html,application/xhtml+xml")
                .send()
                .await
                .unwrap();
            let status = r.status();
            let kind = r.headers()["content-type"].to_str().unwrap().to_owned();
            (status, kind, r.text().await.unwrap())
        }
    };
    for path in [
        "/app/profiles/no-such-profile",
        "/app/nowhere",
        "/app/schedule/posts/nope",
    ] {
        let (status, kind, body) = page(path).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert!(kind.starts_with("text/html"), "{path}: {kind}");
        assert!(
            body.contains("<h1>") && !body.contains("\"error\""),
            "{path}: {body}"
        );
    }
    // The API keeps its JSON.
    let api = app.get("/api/v1/profiles/no-such-profile").await;
    assert_eq!(api.status(), StatusCode::NOT_FOUND);
    assert!(
        api.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    // A database that stops answering: a page that says so, with the same status.
    app.state.store.close().await;
    let (status, kind, body) = page("/app/profiles").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(kind.starts_with("text/html"), "{kind}");
    assert!(body.contains("briefly unavailable"), "{body}");
}

fn csrf_in(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("form has a csrf field") + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

async fn a_visitor_signs_up_through_the_forms_and_lands_in_the_app(app: TestApp) {
    let landing = app.get("/").await.text().await.unwrap();
    assert!(landing.contains("href=\"/signup\""));
    let form = app.get("/signup").await.text().await.unwrap();
    let r = app
        .client
        .post(app.url("/signup"))
        .form(&[
            ("email", "bo@example.com"),
            ("password", "tidal-marmot-lantern"),
            ("csrf", &csrf_in(&form)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("Check your email"));
    // The mailed link opens a page whose button confirms the address and signs in.
    let mail = app
        .next_mail("bo@example.com", "Confirm your ThredOps address", 0)
        .await;
    let token = crate::helpers::link_token(&mail, "/verify-email");
    let page = app
        .get(&format!("/verify-email?token={token}"))
        .await
        .text()
        .await
        .unwrap();
    let r = app
        .client
        .post(app.url("/verify-email"))
        .form(&[("token", token.as_str()), ("csrf", &csrf_in(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/app");
    let dashboard = app.get("/app").await;
    assert_eq!(dashboard.status(), StatusCode::OK);
    let html = dashboard.text().await.unwrap();
    assert!(html.contains("bo@example.com") && html.contains("Connect your first Threads profile"));
    for area in [
        "Analytics",
        "Schedule",
        "Strategist",
        "Deep Audit",
        "Billing",
        "Support",
        "Settings",
    ] {
        assert!(html.contains(area), "navigation lacks {area}");
    }
    assert_eq!(app.get("/app/analytics").await.status(), StatusCode::OK);
    assert_eq!(
        app.get("/app/not-an-area").await.status(),
        StatusCode::NOT_FOUND
    );
}

async fn app_pages_send_signed_out_visitors_to_sign_in(app: TestApp) {
    let r = app.get("/app").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");
    // A stale cookie is cleared and explained, not treated as a crash.
    let r = app
        .client
        .get(app.url("/settings"))
        .header("cookie", "thredops_session=stale.token.value")
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["location"], "/login?expired=1");
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let html = app.get("/login?expired=1").await.text().await.unwrap();
    assert!(html.contains("Your session ended"));
}

async fn bad_sign_in_shows_the_form_again_with_the_email_kept(app: TestApp) {
    let form = app.get("/login").await.text().await.unwrap();
    let r = app
        .client
        .post(app.url("/login"))
        .form(&[
            ("email", "who@example.com"),
            ("password", "secret-typed-password"),
            ("csrf", &csrf_in(&form)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let html = r.text().await.unwrap();
    assert!(html.contains("The email or password is incorrect."));
    assert!(
        html.contains("value=\"who@example.com\""),
        "the email is kept"
    );
    assert!(
        !html.contains("secret-typed-password"),
        "the password is never echoed"
    );

    let r = app
        .client
        .post(app.url("/signup"))
        .form(&[("email", "x"), ("password", "p"), ("csrf", &csrf_in(&html))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Enter an email address like name@example.com."),
        "field message shown"
    );
}

async fn settings_list_devices_and_change_the_password(app: TestApp) {
    app.signup("fa@example.com", "tidal-marmot-lantern").await;
    let html = app.get("/settings").await.text().await.unwrap();
    assert!(html.contains("This device"));
    let csrf = csrf_in(&html);
    let r = app
        .client
        .post(app.url("/settings/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("current_password", "nope-nope-nope"),
            ("new_password", "another-long-phrase"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("That is not your current password.")
    );
    let r = app
        .client
        .post(app.url("/settings/password"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("current_password", "tidal-marmot-lantern"),
            ("new_password", "another-long-phrase"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let html = app
        .get("/settings?done=password")
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("Your password was changed."));
}

async fn policy_pages_are_served_from_the_app(app: TestApp) {
    let html = app.get("/privacy").await.text().await.unwrap();
    assert!(html.contains("No Third-Party Tracking"));
    assert!(html.contains("Data Deletion Request"));
    let html = app.get("/cookies").await.text().await.unwrap();
    for spec in thredops::http::cookies::REGISTRY {
        assert!(html.contains(spec.name), "cookie page lacks {}", spec.name);
    }
    let r = app
        .client
        .get(app.url("/nowhere"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert!(r.text().await.unwrap().contains("Page not found"));
}
