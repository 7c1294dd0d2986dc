//! The sync engine end to end against the sandbox: backfill equals the truth, incremental sync,
//! snapshots, token refresh, reconnect, faults, crypto-shredding.

use std::collections::HashMap;

use serde_json::{Value, json};
use threads_api::{AccessToken, ContainerBuilder, ThreadsClient};
use threads_sandbox::{FaultConfig, FaultRule};
use thredops::sync::kind;

use crate::connect::{
    PASSWORD, connect, creator, profile, run_due_now, sandbox, truth, wait_for_backfill,
};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    backfill_of_thousands_of_posts_equals_the_sandbox_truth,
    incremental_sync_after_a_clock_jump_picks_up_new_posts_and_metrics,
    daily_snapshots_accumulate_and_never_overwrite,
    tokens_are_refreshed_weeks_later_and_revocation_asks_for_reconnect,
    backfill_under_injected_faults_is_complete_and_duplicate_free,
    deleting_the_data_key_makes_synced_content_unreadable,
);

/// Every stored post and its latest metrics equal the sandbox's ground truth.
pub async fn assert_matches_truth(app: &TestApp, profile_id: &str, user_id: u64) {
    let truth = truth(app, user_id).await;
    let expected: HashMap<String, &Value> = truth["posts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["deleted"] != true)
        .map(|p| (p["id"].as_str().unwrap().to_owned(), p))
        .collect();
    let stored = app
        .state
        .store
        .post_metrics(&thredops::domain::ProfileId::from(profile_id))
        .await
        .unwrap();
    assert_eq!(stored.len(), expected.len(), "post count");
    for (media_id, metrics) in stored {
        let t = expected
            .get(media_id.as_str())
            .unwrap_or_else(|| panic!("{media_id} is not in the truth"));
        if t["media_type"] == "REPOST_FACADE" {
            assert!(metrics.is_none(), "reposts have no metrics of their own");
            continue;
        }
        let m = metrics.unwrap_or_else(|| panic!("{media_id} has no metrics"));
        let tm = &t["metrics"];
        assert_eq!(
            [m.views, m.likes, m.replies, m.reposts, m.quotes, m.shares],
            ["views", "likes", "replies", "reposts", "quotes", "shares"]
                .map(|k| tm[k].as_i64().unwrap()),
            "metrics of {media_id}"
        );
    }
}

async fn backfill_of_thousands_of_posts_equals_the_sandbox_truth(app: TestApp) {
    app.signup("max@example.com", PASSWORD).await;
    let c = creator(&app, "max_posts", 2_000, 12_000);
    let id = connect(&app, c.user_id).await;
    let p = wait_for_backfill(&app, &id).await;
    assert_matches_truth(&app, &id, c.user_id).await;
    assert_eq!(p["followers_count"], 12_000);
    let days = app
        .state
        .store
        .account_snapshot_days(&thredops::domain::ProfileId::from(id.as_str()))
        .await
        .unwrap();
    assert_eq!(
        days.len(),
        1,
        "the first account snapshot is taken with the backfill"
    );
    // Demographics for all four breakdowns (>= 100 followers).
    use thredops::with_pool;
    let breakdowns: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT count(*) FROM demographic_snapshots WHERE profile_id = $1"
    )
    .bind(&id)
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(breakdowns, 4);
    // API calls per post stay close to one (a listing page per 100 posts plus one insights call each).
    let calls: i64 = app
        .state
        .store
        .api_calls_since(&thredops::domain::ProfileId::from(id.as_str()), 0)
        .await
        .unwrap();
    assert!(
        (calls as f64) / 2_000.0 <= 1.05,
        "{calls} calls for 2,000 posts"
    );
}

/// Publishes a text post straight on the sandbox, as the creator would in the Threads app.
pub(crate) async fn publish_now(app: &TestApp, user_id: u64, text: &str) -> String {
    let sb = sandbox(app);
    let token = sb.mint_token(user_id, &["threads_basic", "threads_content_publish"]);
    let client = ThreadsClient::builder()
        .graph_base(app.url("/sandbox"))
        .build()
        .unwrap();
    let session = client.session(AccessToken::new(token));
    let created = session
        .create_container(
            &ContainerBuilder::text(text)
                .auto_publish_text()
                .build()
                .unwrap(),
        )
        .await
        .unwrap();
    match created {
        threads_api::Created::Published(id) => id.as_str().to_owned(),
        other => panic!("expected an auto-published post, got {other:?}"),
    }
}

async fn incremental_sync_after_a_clock_jump_picks_up_new_posts_and_metrics(app: TestApp) {
    app.signup("ned@example.com", PASSWORD).await;
    let c = creator(&app, "ned_posts", 40, 800);
    let id = connect(&app, c.user_id).await;
    wait_for_backfill(&app, &id).await;
    let new_post = publish_now(
        &app,
        c.user_id,
        "A brand new post, published after the backfill",
    )
    .await;
    sandbox(&app)
        .clock()
        .advance(chrono::Duration::hours(2))
        .unwrap();
    crate::connect::run_due_now(&app, kind::SYNC).await;
    let page = app
        .get(&format!("/app/profiles/{id}"))
        .await
        .text()
        .await
        .unwrap();
    let r = app
        .client
        .post(app.url(&format!("/app/profiles/{id}/sync")))
        .form(&[("csrf", crate::connect::csrf_in(&page))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), reqwest::StatusCode::SEE_OTHER);
    run_due_now(&app, kind::SYNC).await;
    assert!(
        app.state
            .store
            .has_post(
                &thredops::domain::ProfileId::from(id.as_str()),
                &thredops::domain::MediaId::from(new_post.as_str())
            )
            .await
            .unwrap(),
        "the new post was picked up"
    );
    assert_eq!(
        app.state
            .store
            .post_count(&thredops::domain::ProfileId::from(id.as_str()))
            .await
            .unwrap(),
        41
    );
    // The new post was measured when found and again after time passed: two snapshots, growing.
    sandbox(&app)
        .clock()
        .advance(chrono::Duration::hours(2))
        .unwrap();
    crate::sync_now(&app, &id).await;
    assert!(
        app.state
            .store
            .snapshot_count(
                &thredops::domain::ProfileId::from(id.as_str()),
                &thredops::domain::MediaId::from(new_post.as_str())
            )
            .await
            .unwrap()
            >= 2
    );
    assert_matches_truth(&app, &id, c.user_id).await;
}

async fn daily_snapshots_accumulate_and_never_overwrite(app: TestApp) {
    app.signup("ola@example.com", PASSWORD).await;
    let c = creator(&app, "ola_posts", 20, 300);
    let id = connect(&app, c.user_id).await;
    wait_for_backfill(&app, &id).await;
    for _ in 0..3 {
        sandbox(&app)
            .clock()
            .advance(chrono::Duration::days(1))
            .unwrap();
        run_due_now(&app, kind::SNAPSHOT).await;
    }
    let days = app
        .state
        .store
        .account_snapshot_days(&thredops::domain::ProfileId::from(id.as_str()))
        .await
        .unwrap();
    assert_eq!(days.len(), 4, "{days:?}");
    // Running the same day's snapshot again adds nothing and changes nothing.
    let before = days.clone();
    use thredops::with_pool;
    with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE jobs SET run_at = 0 WHERE kind = $1 AND state = 'queued'"
    )
    .bind(kind::SNAPSHOT)
    .execute(p)
    .await
    .map(|_| ()))
    .unwrap();
    run_due_now(&app, kind::SNAPSHOT).await;
    assert_eq!(
        app.state
            .store
            .account_snapshot_days(&thredops::domain::ProfileId::from(id.as_str()))
            .await
            .unwrap(),
        before
    );
}

async fn tokens_are_refreshed_weeks_later_and_revocation_asks_for_reconnect(app: TestApp) {
    app.signup("pia@example.com", PASSWORD).await;
    let c = creator(&app, "pia_posts", 10, 200);
    let id = connect(&app, c.user_id).await;
    wait_for_backfill(&app, &id).await;
    let first = profile(&app, &id).await;
    let first_expiry = first["token"]["expires_at"].as_i64().unwrap();
    // Five weeks later the token has under 30 days left: it is refreshed for another 60.
    sandbox(&app)
        .clock()
        .advance(chrono::Duration::days(35))
        .unwrap();
    run_due_now(&app, kind::TOKEN).await;
    let refreshed = profile(&app, &id).await;
    assert!(
        refreshed["token"]["last_refresh_at"].is_i64(),
        "{refreshed}"
    );
    assert!(
        refreshed["token"]["expires_at"].as_i64().unwrap() > first_expiry + 30 * 86_400,
        "{refreshed}"
    );
    assert_eq!(refreshed["status"], "active");

    // Revoked at Meta: the next sync marks the profile, keeps the history, and says why.
    let revoke = app
        .post_json(
            "/sandbox/_sandbox/tokens/revoke",
            &json!({"user_id": c.user_id}),
        )
        .await;
    assert!(revoke.status().is_success());
    crate::sync_now(&app, &id).await;
    let broken = profile(&app, &id).await;
    assert_eq!(broken["status"], "needs_reconnect", "{broken}");
    assert!(
        broken["last_error"]["message"]
            .as_str()
            .unwrap()
            .contains("Reconnect")
    );
    let page = app
        .get(&format!("/app/profiles/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Access withdrawn."));
    assert_eq!(
        app.state
            .store
            .post_count(&thredops::domain::ProfileId::from(id.as_str()))
            .await
            .unwrap(),
        10
    );

    // Reconnecting resumes on the same profile with all history.
    let again = crate::connect::connect_as(&app, &app.client, c.user_id).await;
    assert_eq!(again.status(), reqwest::StatusCode::SEE_OTHER);
    let p = wait_for_backfill(&app, &id).await;
    assert_eq!(p["status"], "active");
    assert!(p["last_error"].is_null());
    assert_eq!(
        app.state
            .store
            .post_count(&thredops::domain::ProfileId::from(id.as_str()))
            .await
            .unwrap(),
        10
    );
}

async fn backfill_under_injected_faults_is_complete_and_duplicate_free(app: TestApp) {
    app.signup("quin@example.com", PASSWORD).await;
    let c = creator(&app, "quin_posts", 400, 1_500);
    let rule = |route: &str| FaultRule {
        route: route.into(),
        http_429: 0.05,
        server_error: 0.05,
        malformed_json: 0.05,
        timeout: 0.05,
        timeout_ms: 8_000,
        ..Default::default()
    };
    sandbox(&app).set_faults(FaultConfig {
        seed: 7,
        rules: vec![rule("/{id}/threads"), rule("/{id}/insights")],
        ..Default::default()
    });
    let id = connect(&app, c.user_id).await;
    wait_for_backfill(&app, &id).await;
    sandbox(&app).set_faults(FaultConfig::default());
    assert_matches_truth(&app, &id, c.user_id).await;
    use thredops::with_pool;
    let snapshots: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT count(DISTINCT media_id) FROM post_metric_snapshots WHERE profile_id = $1"
    )
    .bind(&id)
    .fetch_one(p)
    .await)
    .unwrap();
    let measured = app
        .state
        .store
        .post_metrics(&thredops::domain::ProfileId::from(id.as_str()))
        .await
        .unwrap()
        .iter()
        .filter(|(_, m)| m.is_some())
        .count() as i64;
    assert_eq!(snapshots, measured);
}

async fn deleting_the_data_key_makes_synced_content_unreadable(app: TestApp) {
    app.signup("rae@example.com", PASSWORD).await;
    let c = creator(&app, "rae_posts", 10, 200);
    let id = connect(&app, c.user_id).await;
    wait_for_backfill(&app, &id).await;
    let record = app
        .state
        .store
        .profile(&thredops::domain::ProfileId::from(id.as_str()))
        .await
        .unwrap()
        .unwrap();
    assert!(
        thredops::services::profiles::access_token(&app.state, &record)
            .await
            .unwrap()
            .is_some()
    );
    app.state.vault.shred(&record.user_id).await.unwrap();
    // No key: nothing sealed for this user can be opened, not even with a freshly made key.
    assert!(
        app.state
            .vault
            .existing_key(&record.user_id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        thredops::services::profiles::access_token(&app.state, &record)
            .await
            .unwrap()
            .is_none()
    );
    let fresh = app.state.vault.data_key(&record.user_id).await.unwrap();
    assert!(
        fresh
            .open(
                "access-token",
                &record.threads_user_id,
                record.token_enc.as_ref().unwrap()
            )
            .is_err()
    );
    let p = profile(&app, &id).await;
    assert_eq!(p["username"], "(unreadable)");
}
