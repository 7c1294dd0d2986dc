//! Connecting Threads profiles: allow, deny, bad state, ownership, reconnect, disconnect.

use reqwest::StatusCode;
use serde_json::Value;

use crate::connect::{
    self, PASSWORD, connect, creator, csrf_in, decide, profile, start_connect, wait_for_backfill,
};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    allowing_connects_the_profile_and_fetches_its_history,
    denying_leaves_nothing_connected,
    a_forged_reused_or_expired_state_is_refused_before_any_exchange,
    one_threads_profile_cannot_join_two_accounts,
    other_users_profiles_are_not_found,
    disconnect_keeping_history_destroys_the_token_but_keeps_the_posts,
    disconnect_deleting_history_purges_everything_synced,
    deleting_history_first_says_what_goes_and_a_plain_post_deletes_nothing,
);

async fn allowing_connects_the_profile_and_fetches_its_history(app: TestApp) {
    app.signup("cara@example.com", PASSWORD).await;
    let c = creator(&app, "cara_posts", 150, 2_400);
    let id = connect(&app, c.user_id).await;
    let p = wait_for_backfill(&app, &id).await;
    assert_eq!(p["username"], "cara_posts");
    assert_eq!(p["status"], "active");
    assert_eq!(p["followers_count"], 2_400);
    assert_eq!(p["token"]["present"], true);
    assert!(
        p["token"]["expires_at"].as_i64().unwrap()
            > thredops::clock::now().timestamp() + 59 * 86_400 - 3_600 * 24 * 400,
        "long-lived token"
    );
    let scopes: Vec<&str> = p["scopes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s.as_str().unwrap())
        .collect();
    assert_eq!(
        scopes,
        [
            "threads_basic",
            "threads_manage_insights",
            "threads_content_publish",
            "threads_read_replies"
        ],
        "only the scopes the features need"
    );
    assert_eq!(
        app.state
            .store
            .post_count(&thredops::domain::ProfileId::from(id.as_str()))
            .await
            .unwrap(),
        150
    );
    let list: Vec<Value> = app.get("/api/v1/profiles").await.json().await.unwrap();
    assert_eq!(list.len(), 1);
    // The page shows it, and never the token.
    let html = app
        .get(&format!("/app/profiles/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("@cara_posts"));
    let record = app
        .state
        .store
        .profile(&thredops::domain::ProfileId::from(id.as_str()))
        .await
        .unwrap()
        .unwrap();
    let token = thredops::services::profiles::access_token(&app.state, &record)
        .await
        .unwrap()
        .unwrap();
    assert!(!html.contains(token.expose()));
    assert!(
        !serde_json::to_string(&list)
            .unwrap()
            .contains(token.expose())
    );
    let sealed = record.token_enc.unwrap();
    assert!(
        !sealed
            .windows(token.expose().len())
            .any(|w| w == token.expose().as_bytes()),
        "token stored in clear"
    );
}

async fn denying_leaves_nothing_connected(app: TestApp) {
    app.signup("dan@example.com", PASSWORD).await;
    let c = creator(&app, "dan_posts", 5, 50);
    let (_, consent) = start_connect(&app, &app.client).await;
    let callback = decide(&app, &app.client, &consent, c.user_id, "deny").await;
    assert!(callback.contains("error=access_denied"));
    let r = app.client.get(&callback).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("You declined the connection")
    );
    let list: Vec<Value> = app.get("/api/v1/profiles").await.json().await.unwrap();
    assert!(list.is_empty());
}

async fn a_forged_reused_or_expired_state_is_refused_before_any_exchange(app: TestApp) {
    app.signup("eli@example.com", PASSWORD).await;
    let c = creator(&app, "eli_posts", 5, 50);
    // Forged state.
    let r = app
        .get("/oauth/threads/callback?code=anything&state=forged")
        .await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("expired or was already used")
    );
    // A state minted for another user does not work for this one.
    let other = app.new_client();
    crate::helpers::sign_up_with(&app, &other, "fay@example.com", PASSWORD).await;
    let (_, consent) = start_connect(&app, &other).await;
    let callback = decide(&app, &other, &consent, c.user_id, "allow").await;
    assert_eq!(
        app.client.get(&callback).send().await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    // Used once (by the wrong user above, which consumes nothing) then reused.
    let (_, consent) = start_connect(&app, &app.client).await;
    let callback = decide(&app, &app.client, &consent, c.user_id, "allow").await;
    assert_eq!(
        app.client.get(&callback).send().await.unwrap().status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.client.get(&callback).send().await.unwrap().status(),
        StatusCode::BAD_REQUEST,
        "a state works once"
    );
    // Expired: older than ten minutes.
    let (_, consent) = start_connect(&app, &app.client).await;
    let callback = decide(&app, &app.client, &consent, c.user_id, "allow").await;
    use thredops::with_pool;
    with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE oauth_states SET expires_at = 0 WHERE used_at IS NULL"
    )
    .execute(p)
    .await
    .map(|_| ()))
    .unwrap();
    assert_eq!(
        app.client.get(&callback).send().await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    let list: Vec<Value> = app.get("/api/v1/profiles").await.json().await.unwrap();
    assert_eq!(list.len(), 1, "only the one good connection exists");
    // Expired attempts do not stay in the database: the next attempt clears them.
    with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE oauth_states SET expires_at = 1"
    )
    .execute(p)
    .await
    .map(|_| ()))
    .unwrap();
    start_connect(&app, &app.client).await;
    let left: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT count(*) FROM oauth_states"
    )
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(left, 1, "only the attempt just started is kept");
}

async fn one_threads_profile_cannot_join_two_accounts(app: TestApp) {
    app.signup("gus@example.com", PASSWORD).await;
    let c = creator(&app, "gus_posts", 5, 50);
    let first = connect(&app, c.user_id).await;
    let other = app.new_client();
    crate::helpers::sign_up_with(&app, &other, "hal@example.com", PASSWORD).await;
    let r = connect::connect_as(&app, &other, c.user_id).await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(
        r.text()
            .await
            .unwrap()
            .contains("already connected to another ThredOps account")
    );
    let theirs: Vec<Value> = other
        .get(app.url("/api/v1/profiles"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(theirs.is_empty());
    // The owner can reconnect the same profile: same id, history kept.
    let again = connect::connect_as(&app, &app.client, c.user_id).await;
    assert_eq!(again.status(), StatusCode::SEE_OTHER);
    let location = again.headers()["location"].to_str().unwrap();
    assert!(
        location.starts_with(&format!("/app/profiles/{first}"))
            && location.ends_with("connected=again"),
        "{location}"
    );
}

async fn other_users_profiles_are_not_found(app: TestApp) {
    app.signup("ike@example.com", PASSWORD).await;
    let c = creator(&app, "ike_posts", 5, 50);
    let id = connect(&app, c.user_id).await;
    let other = app.new_client();
    crate::helpers::sign_up_with(&app, &other, "jo@example.com", PASSWORD).await;
    for path in [
        format!("/api/v1/profiles/{id}"),
        format!("/app/profiles/{id}"),
        format!("/app/profiles/{id}/events"),
    ] {
        let r = other.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::NOT_FOUND, "{path}");
    }
    let page = other
        .get(app.url("/app/profiles"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let r = other
        .post(app.url(&format!("/app/profiles/{id}/disconnect")))
        .form(&[("csrf", csrf_in(&page).as_str()), ("history", "delete")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    assert_eq!(profile(&app, &id).await["status"], "active");
}

async fn profile_page(app: &TestApp, id: &str) -> String {
    let r = app.get(&format!("/app/profiles/{id}")).await;
    r.text().await.unwrap()
}

async fn disconnect(app: &TestApp, id: &str, history: &str) -> reqwest::Response {
    let page = profile_page(app, id).await;
    // As the confirmation page's button sends it (ignored when keeping the history).
    let form = [
        ("csrf", csrf_in(&page)),
        ("history", history.to_owned()),
        ("confirm", "delete".to_owned()),
    ];
    app.client
        .post(app.url(&format!("/app/profiles/{id}/disconnect")))
        .form(&form)
        .send()
        .await
        .unwrap()
}

/// Rows of `table` that belong to the profile.
async fn rows_of(app: &TestApp, table: &str, id: &str) -> i64 {
    use thredops::with_pool;
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM {table} WHERE profile_id = $1"
    ));
    with_pool!(app.state.store, |p| sqlx::query_scalar(sql)
        .bind(id)
        .fetch_one(p)
        .await)
    .unwrap()
}

async fn deleting_history_first_says_what_goes_and_a_plain_post_deletes_nothing(app: TestApp) {
    app.signup("mo@example.com", PASSWORD).await;
    let c = creator(&app, "mo_posts", 12, 400);
    let id = connect(&app, c.user_id).await;
    wait_for_backfill(&app, &id).await;
    let tomorrow = (thredops::clock::now() + chrono::Duration::days(1))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    let plans = [
        serde_json::json!({"profile_id": id, "content": {"parts": [{"text": "Going out tomorrow"}]}, "action": "schedule", "local_time": tomorrow}),
        serde_json::json!({"profile_id": id, "content": {"parts": [{"text": "Idea one"}]}}),
        serde_json::json!({"profile_id": id, "content": {"parts": [{"text": "Idea two"}]}}),
    ];
    for plan in &plans {
        let r = app.post_json("/api/v1/publishing/posts", plan).await;
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let snapshots = rows_of(&app, "post_metric_snapshots", &id).await;
    let daily = rows_of(&app, "account_snapshots", &id).await;
    assert!(snapshots > 0 && daily > 0);

    // The profile page's choice, posted as is: a page that says what goes, and nothing gone.
    let page = profile_page(&app, &id).await;
    let r = app
        .client
        .post(app.url(&format!("/app/profiles/{id}/disconnect")))
        .form(&[("csrf", csrf_in(&page).as_str()), ("history", "delete")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let plural = |n: i64, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    for said in [
        "<li>12 synced Threads posts</li>".to_owned(),
        format!(
            "<li>{}</li>",
            plural(
                snapshots,
                "metric snapshot of those posts",
                "metric snapshots of those posts"
            )
        ),
        format!(
            "<li>{}</li>",
            plural(
                daily,
                "daily account snapshot (followers and totals)",
                "daily account snapshots (followers and totals)"
            )
        ),
        "<li>1 scheduled post</li>".to_owned(),
        "<li>2 drafts</li>".to_owned(),
    ] {
        assert!(html.contains(&said), "the page says {said:?}");
    }
    assert!(html.contains(r#"name="confirm" value="delete""#));
    let p = profile(&app, &id).await;
    assert_eq!(p["status"], "active", "still connected");
    assert_eq!(p["token"]["present"], true, "the token is kept too");
    assert_eq!(
        app.state
            .store
            .post_count(&thredops::domain::ProfileId::from(id.as_str()))
            .await
            .unwrap(),
        12
    );
    assert_eq!(rows_of(&app, "scheduled_posts", &id).await, 3);
    assert_eq!(rows_of(&app, "post_metric_snapshots", &id).await, snapshots);

    // Confirming from that page deletes it all.
    let r = disconnect(&app, &id, "delete").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get(&format!("/api/v1/profiles/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(rows_of(&app, "scheduled_posts", &id).await, 0);
    assert_eq!(rows_of(&app, "posts", &id).await, 0);
}

async fn disconnect_keeping_history_destroys_the_token_but_keeps_the_posts(app: TestApp) {
    app.signup("kai@example.com", PASSWORD).await;
    let c = creator(&app, "kai_posts", 30, 500);
    let id = connect(&app, c.user_id).await;
    wait_for_backfill(&app, &id).await;
    let r = disconnect(&app, &id, "keep").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let p = profile(&app, &id).await;
    assert_eq!(p["status"], "disconnected");
    assert_eq!(p["token"]["present"], false);
    assert!(
        app.state
            .store
            .profile(&thredops::domain::ProfileId::from(id.as_str()))
            .await
            .unwrap()
            .unwrap()
            .token_enc
            .is_none()
    );
    assert_eq!(
        app.state
            .store
            .post_count(&thredops::domain::ProfileId::from(id.as_str()))
            .await
            .unwrap(),
        30
    );
    use thredops::with_pool;
    let live: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE subject = $1 AND state IN ('queued', 'running')"
    )
    .bind(&id)
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(live, 0, "the profile's jobs are cancelled");
}

async fn disconnect_deleting_history_purges_everything_synced(app: TestApp) {
    app.signup("lia@example.com", PASSWORD).await;
    let c = creator(&app, "lia_posts", 30, 500);
    let id = connect(&app, c.user_id).await;
    wait_for_backfill(&app, &id).await;
    assert_eq!(
        disconnect(&app, &id, "delete").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.get(&format!("/api/v1/profiles/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    for table in [
        "posts",
        "post_metric_snapshots",
        "account_snapshots",
        "daily_views",
        "demographic_snapshots",
        "api_usage",
    ] {
        assert_eq!(rows_of(&app, table, &id).await, 0, "{table} still has rows");
    }
}
