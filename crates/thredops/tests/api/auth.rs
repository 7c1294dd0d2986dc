//! Accounts and sessions through the JSON API.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;
use crate::on_both_backends;

const PASSWORD: &str = "tidal-marmot-lantern";

on_both_backends!(
    signup_then_me_then_logout_round_trip,
    login_sets_a_hardened_cookie,
    signing_up_with_a_taken_email_answers_like_a_fresh_sign_up_and_tells_the_owner,
    bad_signup_input_names_the_field,
    wrong_password_and_unknown_email_look_identical,
    repeated_failed_logins_are_throttled,
    password_change_requires_the_current_one_and_signs_out_other_devices,
    a_user_can_sign_out_another_device,
    requests_at_once_are_each_answered_for_their_own_session,
);

async fn error_of(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    (status, response.json().await.unwrap())
}

async fn signup_then_me_then_logout_round_trip(app: TestApp) {
    let r = app.signup("Maya@Example.com", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let user: Value = r.json().await.unwrap();
    assert_eq!(user["email"], "maya@example.com");
    assert!(user.get("password_hash").is_none(), "hash leaked: {user}");

    let me: Value = app.get("/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["id"], user["id"]);

    assert_eq!(
        app.client
            .post(app.url("/api/v1/auth/logout"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NO_CONTENT
    );
    let (status, body) = error_of(app.get("/api/v1/me").await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"]["code"], "unauthorized");

    let r = app.login("maya@example.com", PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(app.get("/api/v1/me").await.status(), StatusCode::OK);
}

async fn login_sets_a_hardened_cookie(app: TestApp) {
    app.signup("sam@example.com", PASSWORD).await;
    let r = app
        .new_client()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "sam@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let cookie = r
        .headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    for flag in [
        "thredops_session=",
        "HttpOnly",
        "SameSite=Lax",
        "Path=/",
        "Max-Age=",
    ] {
        assert!(cookie.contains(flag), "{cookie} lacks {flag}");
    }
    let token = cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned();
    let body = r.text().await.unwrap();
    assert!(
        !body.contains(&token),
        "the token must not appear in the body"
    );
}

async fn signing_up_with_a_taken_email_answers_like_a_fresh_sign_up_and_tells_the_owner(
    app: TestApp,
) {
    assert_eq!(
        app.signup("ana@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
    let ask = |email: &'static str, password: &'static str| {
        crate::helpers::client()
            .post(app.url("/api/v1/auth/signup"))
            .json(&json!({"email": email, "password": password}))
            .send()
    };
    let taken = ask("ANA@example.com", "another-fine-passphrase")
        .await
        .unwrap();
    let fresh = ask("new.person@example.com", "another-fine-passphrase")
        .await
        .unwrap();
    assert_eq!(taken.status(), StatusCode::ACCEPTED);
    assert_eq!(fresh.status(), StatusCode::ACCEPTED);
    assert!(taken.headers().get("set-cookie").is_none());
    assert!(fresh.headers().get("set-cookie").is_none());
    let taken: Value = taken.json().await.unwrap();
    let fresh: Value = fresh.json().await.unwrap();
    assert_eq!(taken, fresh, "the answers must not tell the two apart");
    // The owner is told; the newcomer gets a confirmation link.
    let notice = app
        .next_mail("ana@example.com", "Someone tried to sign up", 0)
        .await;
    assert!(notice.contains("/forgot-password"), "{notice}");
    app.next_mail("new.person@example.com", "Confirm your ThredOps address", 0)
        .await;
    // The original account still signs in with its own password only.
    assert_eq!(
        app.login("ana@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        app.login("ana@example.com", "another-fine-passphrase")
            .await
            .status(),
        StatusCode::UNAUTHORIZED
    );
    // The new account cannot sign in until its address is confirmed.
    let r = app
        .login("new.person@example.com", "another-fine-passphrase")
        .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

async fn bad_signup_input_names_the_field(app: TestApp) {
    let cases = [
        (
            json!({"email": "not-an-email", "password": PASSWORD}),
            "email",
        ),
        (
            json!({"email": "a@example.com", "password": "short"}),
            "password",
        ),
        (
            json!({"email": "a@example.com", "password": "password123"}),
            "password",
        ),
        (json!({"email": "a@example.com"}), "password"),
        (json!({"email": 42, "password": PASSWORD}), "email"),
    ];
    for (body, field) in cases {
        let (status, err) = error_of(app.post_json("/api/v1/auth/signup", &body).await).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(err["error"]["fields"][field].is_string(), "{body} -> {err}");
    }
    let r = app
        .client
        .post(app.url("/api/v1/auth/signup"))
        .header("content-type", "application/json")
        .body("{\"email\":")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(r).await.0, StatusCode::BAD_REQUEST);
    let r = app
        .client
        .post(app.url("/api/v1/auth/signup"))
        .body("email=a")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let huge = "x".repeat(2 * 1024 * 1024);
    let r = app
        .client
        .post(app.url("/api/v1/auth/signup"))
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // Nothing was created by any of that.
    assert_eq!(
        app.login("a@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
}

async fn wrong_password_and_unknown_email_look_identical(app: TestApp) {
    app.signup("lee@example.com", PASSWORD).await;
    let fresh = crate::helpers::client();
    let wrong = fresh
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "lee@example.com", "password": "not-the-password"}))
        .send()
        .await
        .unwrap();
    let unknown = fresh
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "nobody@example.com", "password": "not-the-password"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(wrong.status(), unknown.status());
    assert!(
        wrong.headers().get("set-cookie").is_none()
            && unknown.headers().get("set-cookie").is_none()
    );
    assert_eq!(wrong.text().await.unwrap(), unknown.text().await.unwrap());
}

async fn repeated_failed_logins_are_throttled(app: TestApp) {
    app.signup("kim@example.com", PASSWORD).await;
    let mut last = None;
    for _ in 0..11 {
        last = Some(app.login("kim@example.com", "guess-guess-guess").await);
    }
    let r = last.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = r
        .headers()
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    // Even the right password waits now on this browser: its own failures spent its budget
    // (other browsers and addresses keep theirs; see tests/api/recovery.rs).
    assert_eq!(
        app.login("kim@example.com", PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Unknown accounts are throttled the same way, so throttling reveals nothing.
    for _ in 0..10 {
        app.login("ghost@example.com", "guess-guess-guess").await;
    }
    assert_eq!(
        app.login("ghost@example.com", "guess-guess-guess")
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );
}

async fn password_change_requires_the_current_one_and_signs_out_other_devices(app: TestApp) {
    app.signup("ola@example.com", PASSWORD).await;
    let laptop = app.new_client();
    laptop
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "ola@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        laptop
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    let (status, body) = error_of(app.post_json("/api/v1/auth/password", &json!({"current_password": "wrong-wrong-wrong", "new_password": "a-brand-new-passphrase"})).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body["error"]["fields"]["current_password"].is_string());

    let r = app
        .post_json(
            "/api/v1/auth/password",
            &json!({"current_password": PASSWORD, "new_password": "a-brand-new-passphrase"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.get("/api/v1/me").await.status(),
        StatusCode::OK,
        "the changing session stays signed in"
    );
    assert_eq!(
        laptop
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("ola@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("ola@example.com", "a-brand-new-passphrase")
            .await
            .status(),
        StatusCode::OK
    );
}

async fn a_user_can_sign_out_another_device(app: TestApp) {
    app.signup("ivy@example.com", PASSWORD).await;
    let phone = app.new_client();
    phone
        .post(app.url("/api/v1/auth/login"))
        .header("user-agent", "PhoneBrowser/1.0")
        .json(&json!({"email": "ivy@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();

    let sessions: Vec<Value> = app.get("/api/v1/auth/sessions").await.json().await.unwrap();
    assert_eq!(sessions.len(), 2);
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    let phone_session = sessions
        .iter()
        .find(|s| s["user_agent"] == "PhoneBrowser/1.0")
        .unwrap();

    let r = app
        .client
        .delete(app.url(&format!(
            "/api/v1/auth/sessions/{}",
            phone_session["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        phone
            .get(app.url("/api/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );

    // Another user cannot revoke (or learn about) this user's sessions.
    let stranger = app.new_client();
    crate::helpers::sign_up_with(&app, &stranger, "eve@example.com", PASSWORD).await;
    let mine: Vec<Value> = app.get("/api/v1/auth/sessions").await.json().await.unwrap();
    let r = stranger
        .delete(app.url(&format!(
            "/api/v1/auth/sessions/{}",
            mine[0]["id"].as_str().unwrap()
        )))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/me").await.status(), StatusCode::OK);
}

/// The `name=value` part of a response's session cookie.
fn session_cookie(r: &reqwest::Response) -> String {
    r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

async fn requests_at_once_are_each_answered_for_their_own_session(app: TestApp) {
    let client = reqwest::Client::new();
    let mut callers = Vec::new();
    for n in 0..5 {
        let email = format!("member{n}@example.com");
        let r = app.signup(&email, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::OK);
        callers.push((session_cookie(&r), Some(email)));
    }
    // A device signed out keeps sending its old cookie.
    let r = app.login("member0@example.com", PASSWORD).await;
    let signed_out = session_cookie(&r);
    let r = client
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", &signed_out)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    callers.push((signed_out, None));

    let requests = (0..120).map(|i| {
        let (cookie, email) = &callers[i % callers.len()];
        let client = &client;
        let url = app.url("/api/v1/me");
        async move {
            let r = client
                .get(url)
                .header("cookie", cookie)
                .send()
                .await
                .unwrap();
            let status = r.status();
            let body: Value = r.json().await.unwrap();
            (status, body, email.clone())
        }
    });
    for (status, body, email) in futures_util::future::join_all(requests).await {
        match email {
            Some(email) => {
                assert_eq!(status, StatusCode::OK);
                assert_eq!(
                    body["email"],
                    email.as_str(),
                    "answered for another session"
                );
            }
            None => assert_eq!(status, StatusCode::UNAUTHORIZED, "signed out: {body}"),
        }
    }
}

/// PostgreSQL restarted (every connection cut): the next session checks are still answered,
/// not refused and not failed.
#[tokio::test]
async fn session_checks_survive_postgresql_cutting_every_connection() {
    let Some(app) = TestApp::spawn(crate::helpers::Backend::Postgres).await else {
        eprintln!("skipped: THREDOPS_TEST_DATABASE_URL is not set");
        return;
    };
    let r = app.signup("restart@example.com", PASSWORD).await;
    let cookie = session_cookie(&r);
    let client = reqwest::Client::new();
    let me = || {
        client
            .get(app.url("/api/v1/me"))
            .header("cookie", &cookie)
            .send()
    };
    assert_eq!(me().await.unwrap().status(), StatusCode::OK);

    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(&app.database_url().unwrap())
        .await
        .unwrap();
    let cut: i64 = sqlx::query_scalar(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(cut > 0, "the app had connections to cut");
    // Connections idle this long are checked before the pool hands them out again.
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;

    for _ in 0..3 {
        let r = me().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["email"], "restart@example.com");
    }
    admin.close().await.unwrap();
}
