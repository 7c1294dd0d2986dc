//! One test per promise of the privacy policy, named after it.

use reqwest::StatusCode;
use serde_json::Value;
use thredops::with_pool;

use super::{
    Traces, creator_account, link_after, meta_callback, outbox, remaining_traces, settings_csrf,
    signed, untar,
};
use crate::connect::{PASSWORD, csrf_in};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    account_deletion_purges_meta_data_immediately,
    meta_deletion_callback_returns_status_url_and_code,
    meta_deauthorize_callback_destroys_tokens_and_disconnects,
    bad_meta_callbacks_are_refused_without_effect,
    data_deletion_request_is_confirmed_by_email_then_purges,
    inactive_accounts_are_purged_after_twelve_months,
    users_can_export_everything_we_hold,
    staff_access_is_least_privilege_and_shown_to_the_user,
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
    assert_eq!(app.state.store.post_count(&profile).await.unwrap(), 25);

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
            .existing_key(&user_id)
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

async fn meta_deletion_callback_returns_status_url_and_code(app: TestApp) {
    let (user_id, profile, threads_id) =
        creator_account(&app, "meta@example.com", "meta_posts", 12).await;
    let r = meta_callback(
        &app,
        "delete",
        &signed(&threads_id, chrono::Utc::now().timestamp()),
    )
    .await;
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
            .user_by_id(&user_id)
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
    let again: Value = meta_callback(
        &app,
        "delete",
        &signed(&threads_id, chrono::Utc::now().timestamp()),
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
        &signed(&threads_id, chrono::Utc::now().timestamp()),
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
    let now = chrono::Utc::now().timestamp();
    let good = signed(&threads_id, now);
    let (sig, payload) = good.split_once('.').unwrap();
    let wrong_secret = thredops::privacy::signed_request::encode(
        "not-our-secret",
        &serde_json::json!({"algorithm": "HMAC-SHA256", "issued_at": now, "user_id": threads_id}),
    );
    let wrong_alg = thredops::privacy::signed_request::encode(
        "sandbox-secret",
        &serde_json::json!({"algorithm": "none", "issued_at": now, "user_id": threads_id}),
    );
    let tampered = format!("{sig}.{}", &payload[..payload.len() - 2]);
    for (what, raw) in [
        ("tampered", tampered),
        ("wrong secret", wrong_secret),
        ("wrong algorithm", wrong_alg),
        ("stale", signed(&threads_id, now - 7200)),
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
    assert_eq!(app.state.store.post_count(&profile).await.unwrap(), 5);
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
            .user_by_id(&user_id)
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

async fn inactive_accounts_are_purged_after_twelve_months(app: TestApp) {
    use thredops::privacy::retention::{self, Sweep};
    let (user_id, profile, threads_id) =
        creator_account(&app, "idle@example.com", "idle_posts", 6).await;
    let last = app
        .state
        .store
        .user_by_id(&user_id)
        .await
        .unwrap()
        .unwrap()
        .last_active_at;
    let day = 86_400;
    // Injected clock: 334 days of silence is fine; 335 (30 days before a year) warns once.
    assert_eq!(
        retention::sweep(&app.state, last + 334 * day)
            .await
            .unwrap(),
        Sweep::default()
    );
    assert_eq!(
        retention::sweep(&app.state, last + 335 * day)
            .await
            .unwrap(),
        Sweep {
            warned: 1,
            purged: 0
        }
    );
    assert_eq!(
        retention::sweep(&app.state, last + 340 * day)
            .await
            .unwrap(),
        Sweep::default(),
        "warned once"
    );
    let mail = outbox(&app).pop().unwrap();
    assert!(
        mail.contains("To: idle@example.com") && mail.contains("Unless you sign in before"),
        "{mail}"
    );
    assert_eq!(
        app.state.store.pending_purge_at(&user_id).await.unwrap(),
        Some(last + 365 * day)
    );
    assert_eq!(
        app.state.store.post_count(&profile).await.unwrap(),
        6,
        "nothing purged before the year is up"
    );
    assert_eq!(
        retention::sweep(&app.state, last + 365 * day)
            .await
            .unwrap(),
        Sweep {
            warned: 0,
            purged: 1
        }
    );
    let traces = Traces {
        user_ids: vec![],
        profile_ids: vec![profile],
        threads_user_ids: vec![threads_id],
    };
    assert_eq!(remaining_traces(&app, &traces).await, Vec::<String>::new());
    assert!(outbox(&app).pop().unwrap().contains("was deleted"));
    let page = app.get("/settings/privacy").await.text().await.unwrap();
    assert!(
        page.contains("Unless you sign in before")
            && page.contains("the Threads data it held was deleted"),
        "in-app notices"
    );

    // The daily job does the same with the real clock: backdate the activity a year and run it.
    let (user2, profile2, _) = creator_account(&app, "idle2@example.com", "idle2_posts", 3).await;
    with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE users SET last_active_at = $1 WHERE id = $2"
    )
    .bind(chrono::Utc::now().timestamp() - 366 * day)
    .bind(&user2)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    retention::ensure_scheduled(&app.state).await.unwrap();
    crate::connect::run_due_now(&app, retention::KIND).await;
    assert!(
        app.state.store.profile(&profile2).await.unwrap().is_none(),
        "the daily job purged it"
    );
    let next: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE kind = $1 AND state = 'queued'"
    )
    .bind(retention::KIND)
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(next, 1, "tomorrow's run is scheduled");
}

async fn users_can_export_everything_we_hold(app: TestApp) {
    let (_, _, _) = creator_account(&app, "exp@example.com", "exp_posts", 7).await;
    let r = app.get("/settings/privacy/export").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/x-tar");
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"thredops-export-")
    );
    let files = untar(&r.bytes().await.unwrap());
    let file = |name: &str| {
        let (_, body) = files
            .iter()
            .find(|(n, _)| n == &format!("thredops-export/{name}"))
            .unwrap_or_else(|| panic!("no {name}"));
        String::from_utf8(body.clone()).unwrap()
    };
    let users = file("tables/users.csv");
    assert!(
        users.contains("exp@example.com")
            && !users.contains("password_hash")
            && !users.contains("$argon2")
    );
    assert_eq!(
        file("tables/posts.csv").lines().count(),
        1 + 7,
        "a header and one line per post"
    );
    assert!(!file("tables/threads_profiles.csv").contains("token_enc"));
    let data: Value = serde_json::from_str(&file("threads-data.json")).unwrap();
    let profile = &data["profiles"][0];
    assert_eq!(profile["profile"]["username"], "exp_posts");
    assert_eq!(profile["posts"].as_array().unwrap().len(), 7);
    assert!(
        profile["posts"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["content"].is_object()),
        "post contents opened"
    );
    assert!(file("README.txt").contains("tables/posts.csv"));
    assert!(
        !files.iter().any(|(n, _)| n.contains("data_keys")),
        "key material is never exported"
    );
}

async fn staff_access_is_least_privilege_and_shown_to_the_user(app: TestApp) {
    let user = app
        .signup("creator@example.com", PASSWORD)
        .await
        .json::<Value>()
        .await
        .unwrap();
    let id = user["id"].as_str().unwrap();
    let agent = app.new_client();
    let r = agent
        .post(app.url("/api/v1/auth/signup"))
        .json(&serde_json::json!({"email": "agent@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let view = |reason: &str| {
        agent
            .get(app.url(&format!("/api/v1/staff/users/{id}?reason={reason}")))
            .send()
    };
    assert_eq!(
        view("ticket%20123").await.unwrap().status(),
        StatusCode::FORBIDDEN,
        "users are not staff"
    );
    assert!(
        thredops::privacy::staff::grant(&app.state.store, "agent@example.com", "root")
            .await
            .is_err()
    );
    thredops::privacy::staff::grant(&app.state.store, "agent@example.com", "support")
        .await
        .unwrap();
    let r = view("").await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        r.json::<Value>().await.unwrap()["error"]["fields"]["reason"].is_string(),
        true
    );
    let r = agent
        .get(app.url("/api/v1/staff/users/nobody?reason=ticket%20123"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let r = view("ticket%20123%20login%20help").await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let summary: Value = r.json().await.unwrap();
    assert_eq!(summary["email"], "creator@example.com");
    assert!(summary.get("posts").is_none() && summary["profiles"].as_array().unwrap().is_empty());
    let log: Vec<Value> = app
        .get("/api/v1/privacy/access-log")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0]["staff_role"].as_str(), log[0]["reason"].as_str()),
        (Some("support"), Some("ticket 123 login help"))
    );
    let page = app.get("/settings/privacy").await.text().await.unwrap();
    assert!(page.contains("A support agent") && page.contains("ticket 123 login help"));
    let mine: Vec<Value> = agent
        .get(app.url("/api/v1/privacy/access-log"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(mine.is_empty(), "the log is per user");
}
