//! Meta's deauthorize and data-deletion callbacks.

use reqwest::StatusCode;
use serde_json::Value;
use thredops::with_pool;

use super::super::{Traces, creator_account, meta_callback, remaining_traces, signed};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    meta_deletion_callback_returns_status_url_and_code,
    meta_deauthorize_callback_destroys_tokens_and_disconnects,
    bad_meta_callbacks_are_refused_without_effect,
    a_replayed_meta_callback_changes_nothing_and_gets_the_first_answer,
);

async fn meta_deletion_callback_returns_status_url_and_code(app: TestApp) {
    let (user_id, profile, threads_id) =
        creator_account(&app, "meta@example.com", "meta_posts", 12).await;
    let first_issued_at = thredops::clock::now().timestamp();
    let r = meta_callback(&app, "delete", &signed(&app, &threads_id, first_issued_at)).await;
    assert_eq!(r.status(), StatusCode::OK);
    let body: Value = r.json().await.unwrap();
    let url = body["url"].as_str().unwrap();
    let code = body["confirmation_code"].as_str().unwrap();
    assert!(
        code.len() >= 32 && url.ends_with(&format!("/privacy/deletion/{code}")),
        "{body}"
    );
    let traces = Traces {
        user_ids: vec![],
        profile_ids: vec![profile],
        threads_user_ids: vec![threads_id.clone()],
    };
    assert_eq!(remaining_traces(&app, &traces).await, Vec::<String>::new());
    assert!(
        app.state
            .store
            .user_by_id(&thredops::domain::UserId::from(user_id.as_str()))
            .await
            .unwrap()
            .is_some(),
        "the ThredOps account stays"
    );
    let page = app
        .client
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("Completed") && page.contains("Meta (Apps and Websites)"));
    assert!(
        !page.contains("meta_posts")
            && !page.contains(&threads_id)
            && !page.contains("meta@example.com")
    );
    // A second request (nothing left) still gets its own receipt, with a different code.
    // (Issued at another second: the very same signed request is a replay, answered with the
    // first receipt.)
    let again: Value = meta_callback(
        &app,
        "delete",
        &signed(&app, &threads_id, first_issued_at - 1),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_ne!(again["confirmation_code"], body["confirmation_code"]);
    assert_eq!(
        app.get("/privacy/deletion/not-a-real-code-000000000000")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

async fn meta_deauthorize_callback_destroys_tokens_and_disconnects(app: TestApp) {
    let (_, profile, threads_id) =
        creator_account(&app, "deauth@example.com", "deauth_posts", 5).await;
    let r = meta_callback(
        &app,
        "deauthorize",
        &signed(&app, &threads_id, thredops::clock::now().timestamp()),
    )
    .await;
    assert_eq!(r.status(), StatusCode::OK);
    let p: Value = app
        .get(&format!("/api/v1/profiles/{profile}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["status"], "disconnected");
    assert_eq!(p["token"]["present"], false);
    let live: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE subject = $1 AND state IN ('queued', 'running')"
    )
    .bind(&profile)
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(live, 0, "no sync job runs for a deauthorized profile");
}

async fn bad_meta_callbacks_are_refused_without_effect(app: TestApp) {
    let (_, profile, threads_id) = creator_account(&app, "bad@example.com", "bad_posts", 5).await;
    let now = thredops::clock::now().timestamp();
    let good = signed(&app, &threads_id, now);
    let (sig, payload) = good.split_once('.').unwrap();
    let wrong_secret = thredops::privacy::signed_request::encode(
        "not-our-secret",
        &serde_json::json!({"algorithm": "HMAC-SHA256", "issued_at": now, "user_id": threads_id}),
    );
    let wrong_alg = thredops::privacy::signed_request::encode(
        app.state.threads.app.client_secret.expose(),
        &serde_json::json!({"algorithm": "none", "issued_at": now, "user_id": threads_id}),
    );
    let tampered = format!("{sig}.{}", &payload[..payload.len() - 2]);
    for (what, raw) in [
        ("tampered", tampered),
        ("wrong secret", wrong_secret),
        ("wrong algorithm", wrong_alg),
        ("stale", signed(&app, &threads_id, now - 7200)),
        ("no signature", payload.to_owned()),
        ("empty", String::new()),
    ] {
        for hook in ["delete", "deauthorize"] {
            let r = meta_callback(&app, hook, &raw).await;
            assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{what} to {hook}");
        }
    }
    let r = reqwest::Client::new()
        .post(app.url("/hooks/threads/delete"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let p: Value = app
        .get(&format!("/api/v1/profiles/{profile}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (p["status"].as_str(), p["token"]["present"].as_bool()),
        (Some("active"), Some(true))
    );
    assert_eq!(
        app.state
            .store
            .post_count(&thredops::domain::ProfileId::from(profile.as_str()))
            .await
            .unwrap(),
        5
    );
}

/// A captured data-deletion request sent again, after the person connected the profile again:
/// the same answer as the first time (same receipt), and the new connection stays.
async fn a_replayed_meta_callback_changes_nothing_and_gets_the_first_answer(app: TestApp) {
    let (_, profile, threads_id) =
        creator_account(&app, "replay@example.com", "replay_posts", 6).await;
    let captured = signed(&app, &threads_id, thredops::clock::now().timestamp());
    let first: Value = meta_callback(&app, "delete", &captured)
        .await
        .json()
        .await
        .unwrap();
    let gone: Value = app.get("/api/v1/profiles").await.json().await.unwrap();
    assert!(gone.as_array().unwrap().is_empty(), "{gone}");
    // The person connects the same Threads account again.
    let user: u64 = threads_id.parse().unwrap();
    let again = crate::connect::connect(&app, user).await;
    crate::connect::wait_for_backfill(&app, &again).await;
    assert_ne!(again, profile);
    for hook in ["delete", "deauthorize"] {
        let r = meta_callback(&app, hook, &captured).await;
        assert_eq!(r.status(), StatusCode::OK, "{hook}");
        if hook == "delete" {
            let replayed: Value = r.json().await.unwrap();
            assert_eq!(replayed, first, "the first receipt, not a new deletion");
        }
    }
    let p: Value = app
        .get(&format!("/api/v1/profiles/{again}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(p["status"], "active", "{p}");
    assert!(
        app.state
            .store
            .post_count(&thredops::domain::ProfileId::from(again.as_str()))
            .await
            .unwrap()
            > 0
    );
}
