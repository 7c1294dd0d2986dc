//! Forged, stale and revoked session tokens are refused; rotated keys keep old sessions valid.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::{Value, json};
use thredops::auth::{Claims, Keyring};

use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    forged_and_stale_tokens_are_rejected,
    logout_revokes_the_token_at_once,
    sessions_survive_signing_key_rotation,
);

const PASSWORD: &str = "tidal-marmot-lantern";

/// Signs up and returns the raw session token from `Set-Cookie`.
async fn token_for(app: &TestApp, email: &str) -> String {
    let r = crate::helpers::sign_up_with(app, &reqwest::Client::new(), email, PASSWORD).await;
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers()["set-cookie"].to_str().unwrap();
    cookie
        .split(';')
        .next()
        .unwrap()
        .split_once('=')
        .unwrap()
        .1
        .to_owned()
}

async fn me_with(app: &TestApp, token: &str) -> StatusCode {
    reqwest::Client::new()
        .get(app.url("/api/v1/me"))
        .header("cookie", format!("thredops_session={token}"))
        .send()
        .await
        .unwrap()
        .status()
}

fn parts(token: &str) -> (Value, Value, String) {
    let mut it = token.split('.');
    let header =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(it.next().unwrap()).unwrap()).unwrap();
    let payload =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(it.next().unwrap()).unwrap()).unwrap();
    (header, payload, it.next().unwrap().to_owned())
}

fn encode(v: &Value) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
}

async fn forged_and_stale_tokens_are_rejected(app: TestApp) {
    let token = token_for(&app, "noor@example.com").await;
    assert_eq!(me_with(&app, &token).await, StatusCode::OK);
    let (header, payload, signature) = parts(&token);
    let claims: Claims = serde_json::from_value(payload.clone()).unwrap();
    let now = thredops::clock::now().timestamp();
    let keyring: &Keyring = &app.state.keyring;

    // alg "none" with no signature.
    let mut none_header = header.clone();
    none_header["alg"] = json!("none");
    let alg_none = format!("{}.{}.", encode(&none_header), encode(&payload));
    // Signed with a key that is not ours, under our key id.
    let wrong_key = jsonwebtoken::encode(
        &{
            let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
            h.kid = header["kid"].as_str().map(str::to_owned);
            h
        },
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(b"an attacker's guess at the key"),
    )
    .unwrap();
    // Payload changed after signing (another user's id).
    let mut other = payload.clone();
    other["sub"] = json!("00000000-0000-0000-0000-000000000000");
    let tampered = format!("{}.{}.{}", encode(&header), encode(&other), signature);
    // Correctly signed but expired, or not valid yet, or for another audience or issuer.
    let expired = keyring.sign(&Claims {
        exp: now - 60,
        iat: now - 3600,
        nbf: now - 3600,
        ..claims.clone()
    });
    let not_yet = keyring.sign(&Claims {
        nbf: now + 3600,
        ..claims.clone()
    });
    let wrong_aud = keyring.sign(&Claims {
        aud: "someone-else".into(),
        ..claims.clone()
    });
    let wrong_iss = keyring.sign(&Claims {
        iss: "https://evil.example".into(),
        ..claims.clone()
    });
    // Correctly signed, naming a session that does not exist.
    let no_session = keyring.sign(&Claims {
        sid: "made-up".into(),
        ..claims.clone()
    });

    for (name, forged) in [
        ("alg none", alg_none),
        ("wrong key", wrong_key),
        ("tampered payload", tampered),
        ("expired", expired),
        ("nbf in the future", not_yet),
        ("wrong audience", wrong_aud),
        ("wrong issuer", wrong_iss),
        ("unknown session", no_session),
        ("garbage", "not.a.jwt".into()),
    ] {
        assert_eq!(
            me_with(&app, &forged).await,
            StatusCode::UNAUTHORIZED,
            "{name} accepted"
        );
    }
    assert_eq!(
        me_with(&app, &token).await,
        StatusCode::OK,
        "the genuine token still works"
    );
}

async fn logout_revokes_the_token_at_once(app: TestApp) {
    let token = token_for(&app, "tao@example.com").await;
    let r = reqwest::Client::new()
        .post(app.url("/api/v1/auth/logout"))
        .header("cookie", format!("thredops_session={token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NO_CONTENT);
    assert!(
        r.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    // The token itself is still correctly signed and unexpired, but its session is gone.
    assert_eq!(me_with(&app, &token).await, StatusCode::UNAUTHORIZED);
}

async fn sessions_survive_signing_key_rotation(app: TestApp) {
    let token = token_for(&app, "uma@example.com").await;
    let old_kid = parts(&token).0["kid"].as_str().unwrap().to_owned();
    // Rotate, then reload the keyring as a restarted server would.
    let master =
        thredops::crypto::MasterKey::load_or_create(None, &app.data_dir.join("master.key"))
            .unwrap();
    let store = &app.state.store;
    Keyring::rotate(store, &master, thredops::clock::now().timestamp())
        .await
        .unwrap();
    let reloaded = Keyring::load(
        store,
        &master,
        app.state.keyring.issuer(),
        thredops::clock::now().timestamp(),
    )
    .await
    .unwrap();
    let claims = reloaded
        .verify(&token)
        .expect("old tokens verify after rotation");
    assert_eq!(claims.sid, parts(&token).1["sid"].as_str().unwrap());
    let fresh = reloaded.issue(
        &thredops::domain::UserId::new("u"),
        &thredops::domain::SessionId::new("s"),
        thredops::clock::now().timestamp(),
        thredops::clock::now().timestamp() + 60,
    );
    assert_ne!(
        parts(&fresh).0["kid"].as_str().unwrap(),
        old_kid,
        "new tokens use the new key"
    );
}
