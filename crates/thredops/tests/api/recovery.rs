//! Getting back in and staying protected: password reset, address confirmation and change,
//! two-step sign-in, and sign-in throttling that an attacker cannot turn into a lockout.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, client, current_code, enrol_totp, link_token};
use crate::on_both_backends;

const PASSWORD: &str = "tidal-marmot-lantern";
const NEW_PASSWORD: &str = "copper-heron-meadow";

on_both_backends!(
    a_reset_request_answers_alike_for_unknown_addresses_and_mails_only_the_owner,
    a_reset_link_works_once_sets_the_password_and_signs_out_every_device,
    the_reset_pages_work_as_plain_forms,
    the_signup_page_answers_alike_for_a_taken_address,
    an_email_change_waits_for_the_new_address_and_tells_the_old_one,
    two_step_sign_in_asks_for_a_code_after_the_password_and_a_code_works_once,
    recovery_codes_sign_in_once_each,
    turning_two_step_sign_in_off_needs_a_fresh_password_or_code,
    staff_tools_wait_until_two_step_sign_in_is_on,
    an_expired_reset_link_is_refused,
    an_authenticator_code_is_enough_to_change_the_email,
);

async fn forgot(app: &TestApp, email: &str) -> (StatusCode, Value) {
    let r = client()
        .post(app.url("/api/v1/auth/password/forgot"))
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap();
    (r.status(), r.json().await.unwrap())
}

async fn a_reset_request_answers_alike_for_unknown_addresses_and_mails_only_the_owner(
    app: TestApp,
) {
    app.signup("maya@example.com", PASSWORD).await;
    let known = forgot(&app, "maya@example.com").await;
    let unknown = forgot(&app, "nobody@example.com").await;
    assert_eq!(known.0, StatusCode::ACCEPTED);
    assert_eq!(
        known, unknown,
        "the answer must not tell who has an account"
    );
    let mail = app.next_mail("maya@example.com", "Set a new", 0).await;
    assert!(mail.contains("30 minutes"), "{mail}");
    assert!(app.mails("nobody@example.com", "").is_empty());
    // Only the token's hash is stored.
    let token = link_token(&mail, "/reset-password");
    let stored: Vec<String> = thredops::with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT token_hash FROM account_tokens"
    )
    .fetch_all(p)
    .await
    .unwrap());
    assert!(!stored.is_empty() && !stored.iter().any(|h| h.contains(&token)));
}

async fn a_reset_link_works_once_sets_the_password_and_signs_out_every_device(app: TestApp) {
    app.signup("sam@example.com", PASSWORD).await;
    let other_device = client();
    assert_eq!(
        other_device
            .post(app.url("/api/v1/auth/login"))
            .json(&json!({"email": "sam@example.com", "password": PASSWORD}))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    forgot(&app, "sam@example.com").await;
    let first = app.next_mail("sam@example.com", "Set a new", 0).await;
    // A newer link retires the older one.
    forgot(&app, "sam@example.com").await;
    let second = app.next_mail("sam@example.com", "Set a new", 1).await;
    let reset = |token: String, password: &'static str| {
        client()
            .post(app.url("/api/v1/auth/password/reset"))
            .json(&json!({"token": token, "new_password": password}))
            .send()
    };
    let old_link = reset(link_token(&first, "/reset-password"), NEW_PASSWORD)
        .await
        .unwrap();
    assert_eq!(old_link.status(), StatusCode::BAD_REQUEST);
    let token = link_token(&second, "/reset-password");
    // A weak password is refused without spending the link.
    let weak = reset(token.clone(), "short").await.unwrap();
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let done = reset(token.clone(), NEW_PASSWORD).await.unwrap();
    assert_eq!(done.status(), StatusCode::NO_CONTENT);
    assert!(
        done.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .starts_with("thredops_device=")
    );
    let again = reset(token, "yet-another-passphrase").await.unwrap();
    assert_eq!(again.status(), StatusCode::BAD_REQUEST, "single use");
    // Every session ended, and only the new password works.
    assert_eq!(
        app.get("/api/v1/me").await.status(),
        StatusCode::UNAUTHORIZED
    );
    let r = other_device
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.login("sam@example.com", PASSWORD).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.login("sam@example.com", NEW_PASSWORD).await.status(),
        StatusCode::OK
    );
}

fn csrf_in(html: &str) -> String {
    crate::connect::csrf_in(html)
}

async fn the_reset_pages_work_as_plain_forms(app: TestApp) {
    app.signup("ana@example.com", PASSWORD).await;
    let browser = client();
    let login = browser.get(app.url("/login")).send().await.unwrap();
    assert!(login.text().await.unwrap().contains("/forgot-password"));
    let form = browser
        .get(app.url("/forgot-password"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let submit = |email: &'static str| {
        browser
            .post(app.url("/forgot-password"))
            .form(&[("email", email), ("csrf", &csrf_in(&form))])
            .send()
    };
    let known = submit("ana@example.com").await.unwrap();
    let unknown = submit("ghost@example.com").await.unwrap();
    assert_eq!(known.status(), StatusCode::OK);
    assert_eq!(known.status(), unknown.status());
    assert_eq!(known.text().await.unwrap(), unknown.text().await.unwrap());

    let mail = app.next_mail("ana@example.com", "Set a new", 0).await;
    let token = link_token(&mail, "/reset-password");
    let page = browser
        .get(app.url(&format!("/reset-password?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("name=\"new_password\""));
    let r = browser
        .post(app.url("/reset-password"))
        .form(&[
            ("token", token.as_str()),
            ("new_password", NEW_PASSWORD),
            ("csrf", &csrf_in(&page)),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?reset=1");
    let gone = browser
        .get(app.url(&format!("/reset-password?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::BAD_REQUEST);
    assert!(gone.text().await.unwrap().contains("no longer works"));
}

async fn the_signup_page_answers_alike_for_a_taken_address(app: TestApp) {
    app.signup("lee@example.com", PASSWORD).await;
    let app = &app;
    let page = |email: &'static str| async move {
        let browser = client();
        let form = browser
            .get(app.url("/signup"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let r = browser
            .post(app.url("/signup"))
            .form(&[
                ("email", email),
                ("password", "another-fine-passphrase"),
                ("csrf", &csrf_in(&form)),
            ])
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    };
    let taken = page("lee@example.com").await;
    let fresh = page("new.lee@example.com").await;
    assert_eq!(taken.0, StatusCode::OK);
    assert_eq!(taken, fresh);
    assert!(taken.1.contains("Check your email"));
    app.next_mail("lee@example.com", "Someone tried to sign up", 0)
        .await;
    // The confirmation link opens a page with a button (mail scanners only fetch), which signs in.
    let mail = app
        .next_mail("new.lee@example.com", "Confirm your ThredOps address", 0)
        .await;
    let token = link_token(&mail, "/verify-email");
    let browser = client();
    let page = browser
        .get(app.url(&format!("/verify-email?token={token}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = browser
        .post(app.url("/verify-email"))
        .form(&[("token", token.as_str()), ("csrf", &csrf_in(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/app");
    let me: Value = browser
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "new.lee@example.com");
}

async fn an_email_change_waits_for_the_new_address_and_tells_the_old_one(app: TestApp) {
    app.signup("old@example.com", PASSWORD).await;
    app.signup("taken@example.com", PASSWORD).await;
    let signed_in = client();
    signed_in
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": "old@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let change = |body: Value| {
        signed_in
            .post(app.url("/api/v1/auth/email"))
            .json(&body)
            .send()
    };
    let r = change(json!({"new_email": "new@example.com"}))
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "step-up needed"
    );
    let r =
        change(json!({"new_email": "new@example.com", "current_password": "wrong-wrong-wrong"}))
            .await
            .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    // Another account's address gets the same answer, and no link.
    let taken = change(json!({"new_email": "taken@example.com", "current_password": PASSWORD}))
        .await
        .unwrap();
    let fresh = change(json!({"new_email": "new@example.com", "current_password": PASSWORD}))
        .await
        .unwrap();
    assert_eq!(taken.status(), StatusCode::ACCEPTED);
    assert_eq!(
        taken.json::<Value>().await.unwrap(),
        fresh.json::<Value>().await.unwrap()
    );
    assert!(
        app.mails("taken@example.com", "Confirm your new")
            .is_empty()
    );
    app.next_mail("old@example.com", "change of your ThredOps address", 0)
        .await;
    // Nothing changes until the new address confirms.
    let me: Value = signed_in
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["email"], "old@example.com");
    let mail = app
        .next_mail("new@example.com", "Confirm your new ThredOps address", 0)
        .await;
    let token = link_token(&mail, "/confirm-email-change");
    let r = client()
        .post(app.url("/api/v1/auth/email/confirm"))
        .json(&json!({"token": token}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.json::<Value>().await.unwrap()["email"], "new@example.com");
    app.next_mail("old@example.com", "address was changed", 0)
        .await;
    assert_eq!(
        app.login("new@example.com", PASSWORD).await.status(),
        StatusCode::OK
    );
}

async fn login_with(app: &TestApp, browser: &reqwest::Client, email: &str) -> reqwest::Response {
    browser
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
}

async fn second_factor(app: &TestApp, browser: &reqwest::Client, body: Value) -> StatusCode {
    browser
        .post(app.url("/api/v1/auth/mfa/verify"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
}

async fn two_step_sign_in_asks_for_a_code_after_the_password_and_a_code_works_once(app: TestApp) {
    app.signup("kai@example.com", PASSWORD).await;
    let secret = enrol_totp(&app, &app.client).await;
    // The secret is stored sealed, never as the base32 the app showed.
    let stored: Vec<u8> = thredops::with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT secret_enc FROM user_mfa"
    )
    .fetch_one(p)
    .await
    .unwrap());
    assert!(!stored.windows(20).any(|w| w == secret.as_bytes()));

    let browser = client();
    let r = login_with(&app, &browser, "kai@example.com").await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert_eq!(
        r.json::<Value>().await.unwrap()["second_factor_required"],
        true
    );
    let me = browser.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::UNAUTHORIZED, "no session yet");
    assert_eq!(
        second_factor(&app, &browser, json!({"code": "000000"})).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Without the challenge cookie a code is worth nothing.
    assert_eq!(
        second_factor(&app, &client(), json!({"code": current_code(&secret)})).await,
        StatusCode::UNAUTHORIZED
    );
    // A code no newer than the one used at enrolment cannot be played again...
    let step = thredops::clock::now().timestamp() / 30;
    assert_eq!(
        second_factor(
            &app,
            &browser,
            json!({"code": secret.code_at_step(step - 1)})
        )
        .await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // ...but the next step's code counts (phones' clocks drift by one step either way).
    let code = secret.code_at_step(step + 1);
    assert_eq!(
        second_factor(&app, &browser, json!({"code": code})).await,
        StatusCode::OK
    );
    let me = browser.get(app.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    // The same code again, from a new sign-in, is refused.
    let replay = client();
    login_with(&app, &replay, "kai@example.com").await;
    assert_eq!(
        second_factor(&app, &replay, json!({"code": code})).await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

async fn recovery_codes_sign_in_once_each(app: TestApp) {
    app.signup("rio@example.com", PASSWORD).await;
    let r = app.post_json("/api/v1/auth/mfa/totp", &json!({})).await;
    let secret: Value = r.json().await.unwrap();
    let secret = thredops::auth::totp::Secret::from_bytes(
        data_encoding::BASE32_NOPAD
            .decode(secret["secret"].as_str().unwrap().as_bytes())
            .unwrap(),
    );
    let r = app
        .post_json(
            "/api/v1/auth/mfa/totp/confirm",
            &json!({"code": current_code(&secret)}),
        )
        .await;
    let codes: Vec<String> =
        serde_json::from_value(r.json::<Value>().await.unwrap()["recovery_codes"].clone()).unwrap();
    assert_eq!(codes.len(), 10);
    let app = &app;
    let use_code = |code: String| async move {
        let browser = client();
        assert_eq!(
            login_with(app, &browser, "rio@example.com").await.status(),
            StatusCode::ACCEPTED
        );
        second_factor(app, &browser, json!({"recovery_code": code})).await
    };
    assert_eq!(use_code(codes[0].to_uppercase()).await, StatusCode::OK);
    assert_eq!(
        use_code(codes[0].clone()).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "single use"
    );
    let status: Value = app.get("/api/v1/auth/mfa").await.json().await.unwrap();
    assert_eq!(status["enabled"], true);
    assert_eq!(status["recovery_codes_left"], 9);
}

async fn turning_two_step_sign_in_off_needs_a_fresh_password_or_code(app: TestApp) {
    app.signup("zoe@example.com", PASSWORD).await;
    enrol_totp(&app, &app.client).await;
    let r = app.post_json("/api/v1/auth/mfa/disable", &json!({})).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_json(
            "/api/v1/auth/mfa/disable",
            &json!({"current_password": "not-my-password"}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .post_json(
            "/api/v1/auth/mfa/disable",
            &json!({"current_password": PASSWORD}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    app.next_mail("zoe@example.com", "turned off", 0).await;
    assert_eq!(
        login_with(&app, &client(), "zoe@example.com")
            .await
            .status(),
        StatusCode::OK
    );
}

async fn staff_tools_wait_until_two_step_sign_in_is_on(app: TestApp) {
    let agent = client();
    crate::helpers::sign_up_with(&app, &agent, "desk@example.com", PASSWORD).await;
    thredops::privacy::staff::grant(&app.state.store, "desk@example.com", "admin")
        .await
        .unwrap();
    let status: Value = agent
        .get(app.url("/api/v1/auth/mfa"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(status["staff_role_needs_it"], true);
    let me: Value = agent
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "user", "the role waits for two-step sign-in");
    let page = agent
        .get(app.url("/settings/security"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Your staff role needs two-step sign-in"));
    let console = agent
        .get(app.url("/app/support/console"))
        .send()
        .await
        .unwrap();
    assert_eq!(console.status(), StatusCode::SEE_OTHER, "sent to enrol");
    assert_eq!(console.headers()["location"], "/settings/security");
    enrol_totp(&app, &agent).await;
    let me: Value = agent
        .get(app.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(me["role"], "admin");
}

async fn an_expired_reset_link_is_refused(app: TestApp) {
    app.signup("ola@example.com", PASSWORD).await;
    forgot(&app, "ola@example.com").await;
    let mail = app.next_mail("ola@example.com", "Set a new", 0).await;
    // Thirty minutes pass.
    thredops::with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE account_tokens SET expires_at = expires_at - 1801"
    )
    .execute(p)
    .await
    .unwrap()
    .rows_affected());
    let token = link_token(&mail, "/reset-password");
    let page = client()
        .get(app.url(&format!("/reset-password?token={token}")))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    let r = client()
        .post(app.url("/api/v1/auth/password/reset"))
        .json(&json!({"token": token, "new_password": NEW_PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.login("ola@example.com", PASSWORD).await.status(),
        StatusCode::OK,
        "the password is unchanged"
    );
}

async fn an_authenticator_code_is_enough_to_change_the_email(app: TestApp) {
    app.signup("ida@example.com", PASSWORD).await;
    let secret = enrol_totp(&app, &app.client).await;
    let step = thredops::clock::now().timestamp() / 30;
    let r = app
        .post_json(
            "/api/v1/auth/email",
            &json!({"new_email": "ida.new@example.com", "code": secret.code_at_step(step + 1)}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    app.next_mail("ida.new@example.com", "Confirm your new", 0)
        .await;
}
