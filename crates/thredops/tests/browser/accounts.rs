//! Protecting and recovering an account: turn on two-step sign-in with an authenticator app,
//! sign in with a code, forget the password, set a new one from the mailed link, and sign in
//! with a recovery code.

use crate::setup::{Journey, PASSWORD};

const NEW_PASSWORD: &str = "copper-heron-meadow-7";

async fn sign_in(j: &Journey, email: &str, password: &str) {
    j.open("/login").await;
    j.fill("#email", email).await;
    j.fill("#password", password).await;
    j.click("form button[type=submit]").await;
    j.wait_for_text("Enter your code").await;
}

#[tokio::test]
async fn a_creator_turns_on_two_step_sign_in_then_resets_a_forgotten_password() {
    let Some(j) = Journey::start("two-step-and-reset").await else {
        return;
    };
    let email = "noor.haddad@example.com";
    j.sign_up(email).await;

    // Set up the authenticator app from the key shown as text.
    j.click_link("Settings").await;
    j.click_link("Sign-in security").await;
    j.wait_for_text("Two-step sign-in").await;
    j.click("form[action='/settings/security/mfa/start'] button")
        .await;
    j.wait_for_text("Add ThredOps to your authenticator app")
        .await;
    j.step("two-step-setup").await;
    let key = j.element("code.totp-secret").await.text().await.unwrap();
    let secret = thredops::auth::totp::Secret::from_bytes(
        data_encoding::BASE32_NOPAD
            .decode(key.trim().as_bytes())
            .unwrap(),
    );
    let step = thredops::clock::now().timestamp() / thredops::auth::totp::STEP_SECS;
    j.fill("#code", &secret.code_at_step(step)).await;
    j.click("form[action='/settings/security/mfa/confirm'] button")
        .await;
    j.wait_for_text("Keep these recovery codes").await;
    j.step("recovery-codes").await;
    let recovery = j
        .element("ul.recovery-codes code")
        .await
        .text()
        .await
        .unwrap();
    j.click("form[action='/logout'] button").await;
    j.wait_for_text("Know what grows your Threads audience")
        .await;

    // Signing in now asks for a code after the password.
    sign_in(&j, email, PASSWORD).await;
    j.step("second-factor").await;
    j.fill("#code", &secret.code_at_step(step + 1)).await;
    j.click("form button[type=submit]").await;
    j.wait_for_text("Welcome to ThredOps").await;
    j.click("form[action='/logout'] button").await;
    j.wait_for_text("Know what grows your Threads audience")
        .await;

    // Forgotten password: the mailed link sets a new one.
    j.open("/login").await;
    j.click_link("Forgot your password?").await;
    j.wait_for_text("Email me a link").await;
    j.fill("#email", email).await;
    j.click("form button[type=submit]").await;
    j.wait_for_text("Check your email").await;
    j.step("reset-requested").await;
    let mail = j.app.next_mail(email, "Set a new", 0).await;
    let token = crate::helpers::link_token(&mail, "/reset-password");
    j.open(&format!("/reset-password?token={token}")).await;
    j.wait_for_text("Set a new password").await;
    j.fill("#new_password", NEW_PASSWORD).await;
    j.click("form button[type=submit]").await;
    j.wait_for_text("Your new password is set").await;
    j.step("reset-done").await;

    // The new password, then a recovery code instead of the app.
    sign_in(&j, email, NEW_PASSWORD).await;
    j.click("details summary").await;
    j.fill("#recovery_code", &recovery).await;
    j.click("form button[type=submit]").await;
    j.wait_for_text("Welcome to ThredOps").await;
    j.step("signed-in-with-recovery-code").await;
    j.finish().await;
}
