//! The home of the command centre, token health and notifications, checked through HTTP against
//! what is stored.

use chrono::Duration;
use serde_json::{Value, json};
use threads_sandbox::{FaultConfig, FaultRule};
use thredops::with_pool;

use crate::analytics::fixtures::add_views;
use crate::connect::{
    PASSWORD, connect, creator, csrf_in, run_due_now, sandbox, wait_for_backfill,
};
use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::publishing::support::{make_due_now, schedule_tomorrow};

on_both_backends!(
    the_home_page_shows_each_profiles_week_from_stored_data,
    a_failed_post_is_notified_once_in_the_app_and_by_email,
    the_setting_turns_failure_emails_off,
    revoked_access_reads_as_withdrawn_and_is_notified_once,
    expired_access_reads_as_expired,
    reconnect_emails_off_also_silence_the_warning_before_a_post_is_due,
);

const FAILED_SUBJECT: &str = "A scheduled post could not be published";
const RECONNECT_SUBJECT: &str = "A Threads profile needs reconnecting";

async fn page(app: &TestApp, path: &str) -> String {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    r.text().await.unwrap()
}

/// The text after `marker` up to the next `<` (an element's first text), unescaped enough for
/// numbers and plain sentences.
fn text_after(html: &str, marker: &str) -> String {
    let start = html
        .find(marker)
        .unwrap_or_else(|| panic!("no {marker} in the page"));
    let rest = &html[start + marker.len()..];
    let open = rest.find('>').unwrap() + 1;
    rest[open..].split('<').next().unwrap().trim().to_owned()
}

/// (value shown, change shown) of a figure on the home page.
fn figure(html: &str, key: &str) -> (String, String) {
    let start = html
        .find(&format!("data-metric=\"{key}\""))
        .unwrap_or_else(|| panic!("no figure {key}"));
    let block = &html[start..];
    let block = &block[..block.find("</div>").unwrap()];
    let value = text_after(block, "class=\"home-figure-value\"");
    let change = block
        .find("data-change=\"")
        .map(|i| block[i + 13..].split('"').next().unwrap().to_owned())
        .unwrap_or_default();
    (value, change)
}

/// Signs up `email` and connects a small sandbox creator: (profile id, user id, creator).
async fn signed_up_with_profile(
    app: &TestApp,
    email: &str,
    name: &str,
) -> (String, String, threads_sandbox::CreatorSummary) {
    app.signup(email, PASSWORD).await;
    let c = creator(app, name, 5, 300);
    let id = connect(app, c.user_id).await;
    wait_for_backfill(app, &id).await;
    (id, user_id(app, email).await, c)
}

async fn user_id(app: &TestApp, email: &str) -> String {
    with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT id FROM users WHERE email = $1"
    )
    .bind(email)
    .fetch_one(p)
    .await)
    .unwrap()
}

/// Makes every publish call answer as if Threads had withdrawn the token.
fn publishing_refused(app: &TestApp) {
    sandbox(app).set_faults(FaultConfig {
        rules: vec![FaultRule {
            route: "/{id}/threads".into(),
            method: Some("POST".into()),
            revoked_token: 1.0,
            ..FaultRule::default()
        }],
        ..FaultConfig::default()
    });
}

/// Schedules a post and lets its time come while publishing is refused: the post fails.
async fn fail_a_post(app: &TestApp, profile: &str, text: &str) -> String {
    let id = schedule_tomorrow(app, profile, &json!({"parts": [{"text": text}]})).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    publishing_refused(app);
    make_due_now(app, &id).await;
    run_due_now(app, thredops::publishing::publisher::KIND).await;
    sandbox(app).set_faults(FaultConfig::default());
    let post: Value = app
        .get(&format!("/api/v1/publishing/posts/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(post["state"], "failed", "{post}");
    id
}

async fn notification_count(app: &TestApp, user: &str, kind: &str) -> i64 {
    with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND kind = $2"
    )
    .bind(user)
    .bind(kind)
    .fetch_one(p)
    .await)
    .unwrap()
}

/// Runs the email jobs and the sweep, as the background lane would, twice over.
async fn settle_notifications(app: &TestApp) {
    for _ in 0..2 {
        run_due_now(app, thredops::notifications::EMAIL_JOB).await;
        thredops::notifications::sweep(&app.state).await.unwrap();
        run_due_now(app, thredops::notifications::EMAIL_JOB).await;
    }
}

async fn the_home_page_shows_each_profiles_week_from_stored_data(app: TestApp) {
    app.signup("hana@example.com", PASSWORD).await;
    let empty = page(&app, "/app").await;
    assert!(empty.contains("Connect your first Threads profile"));

    let c = creator(&app, "hana_posts", 40, 12_345);
    let id = connect(&app, c.user_id).await;
    wait_for_backfill(&app, &id).await;
    // Profile views on known days around the week boundaries (the user's zone is UTC).
    let today = sandbox(&app).clock().now().date_naive();
    let day = |n: i64| (today - Duration::days(n)).format("%Y-%m-%d").to_string();
    let (d0, d6, d7, d13, d14) = (day(0), day(6), day(7), day(13), day(14));
    add_views(
        &app,
        &id,
        &[
            (&d0, 1_500),
            (&d6, 2_000),
            (&d7, 1_000),
            (&d13, 250),
            (&d14, 99_999),
        ],
    )
    .await;
    let planned = schedule_tomorrow(
        &app,
        &id,
        &json!({"parts": [{"text": "Launch day thread"}]}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let failed = fail_a_post(&app, &id, "This one will not make it").await;

    let html = page(&app, "/app").await;
    assert!(!html.contains("Connect your first Threads profile"));
    assert!(html.contains("@hana_posts"));
    // Followers as stored at the last sync, with the week's net change from the snapshots.
    let stored_followers: Option<i64> = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT followers_count FROM threads_profiles WHERE id = $1"
    )
    .bind(&id)
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(stored_followers, Some(12_345));
    let overview: Value = app
        .get(&format!(
            "/api/v1/profiles/{id}/analytics/overview?period=7d"
        ))
        .await
        .json()
        .await
        .unwrap();
    let line = |key: &str| {
        overview["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["key"] == key)
            .unwrap()
            .clone()
    };
    let net = line("net_followers")["current"].as_i64().unwrap();
    let (followers, change) = figure(&html, "followers");
    assert_eq!(followers, "12,345");
    assert_eq!(
        change,
        match net {
            0 => "no change".to_owned(),
            n if n > 0 => format!("+{n}"),
            n => n.to_string(),
        }
    );
    // Profile views: this week's days 0-6 against days 7-13; day 14 is in neither.
    let (views, change) = figure(&html, "views");
    assert_eq!(views, "3,500");
    assert_eq!(change, "+2,250");
    assert!(html.contains("+2,250 vs last week (1,250)"), "{html}");
    // Views of posts published and the engagement rate are the analytics overview's, formatted.
    let post_views = line("post_views")["current"].as_i64().unwrap();
    let (shown, _) = figure(&html, "post_views");
    assert_eq!(
        shown.replace(',', "").parse::<i64>().unwrap(),
        post_views,
        "{shown}"
    );
    // The next post and the failed one, each linking to its page.
    let next = &html[html.find("data-list=\"next\"").expect("a next posts list")..];
    assert!(next.contains("Launch day thread"));
    assert!(next.contains(&format!("/app/schedule/posts/{planned}")));
    let attention = &html[html
        .find("data-list=\"attention\"")
        .expect("an attention list")..];
    assert!(attention.contains("This one will not make it"));
    assert!(attention.contains(&format!("/app/schedule/posts/{failed}")));
    assert!(attention.contains("Reconnect the profile, then press Retry."));
    // Access and sync state, and links into every area.
    assert!(html.contains("Connected"));
    assert!(html.contains(&format!("/app/profiles/{id}/analytics?period=7d")));
    assert!(html.contains(&format!("/app/strategist/{id}")));
    // The strategist's strongest advice, as its own API gives it.
    let strategy: Value = app
        .get(&format!("/api/v1/profiles/{id}/strategy"))
        .await
        .json()
        .await
        .unwrap();
    let top = strategy["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "advice");
    match top {
        Some(top) => {
            let title = top["title"].as_str().unwrap();
            let shown = text_after(&html, "class=\"home-finding\"><strong");
            assert_eq!(
                shown,
                title.replace('&', "&amp;").replace('\'', "&#x27;"),
                "{html}"
            );
        }
        None if strategy["enough_data"] == false => {
            assert!(html.contains("Not enough posts with settled metrics"));
        }
        None => assert!(html.contains("Nothing stands out")),
    }
}

async fn a_failed_post_is_notified_once_in_the_app_and_by_email(app: TestApp) {
    let email = "femi@example.com";
    let (id, user, _) = signed_up_with_profile(&app, email, "femi_posts").await;
    assert!(!page(&app, "/app").await.contains("id=\"unread-count\""));

    let post = fail_a_post(&app, &id, "Doomed announcement").await;
    settle_notifications(&app).await;
    assert_eq!(notification_count(&app, &user, "post_failed").await, 1);
    let mails = app.mails(email, FAILED_SUBJECT);
    assert_eq!(mails.len(), 1, "exactly one email: {mails:?}");
    assert!(mails[0].contains(&format!("/app/schedule/posts/{post}")));
    assert!(mails[0].contains("Reconnect the profile, then press Retry."));

    // Several instances recording the same failure at once still make one notification.
    let stored = app
        .state
        .store
        .planned_post(&post.as_str().into())
        .await
        .unwrap()
        .unwrap();
    let tries: Vec<_> = (0..8)
        .map(|_| {
            let (state, stored) = (app.state.clone(), stored.clone());
            tokio::spawn(async move {
                thredops::notifications::post_failed(&state, &stored)
                    .await
                    .unwrap()
            })
        })
        .collect();
    for t in tries {
        assert!(!t.await.unwrap(), "the failure was already recorded");
    }
    settle_notifications(&app).await;
    assert_eq!(notification_count(&app, &user, "post_failed").await, 1);
    assert_eq!(app.mails(email, FAILED_SUBJECT).len(), 1);

    // In the app: counted in the header of every page, listed unread with a link to the post.
    let home = page(&app, "/app").await;
    assert_eq!(text_after(&home, "id=\"unread-count\""), "1");
    let list = page(&app, "/app/notifications").await;
    assert_eq!(list.matches("data-kind=\"post_failed\"").count(), 1);
    assert!(list.contains("data-read=\"false\""));
    assert!(
        list.replace("&#x2f;", "/")
            .contains(&format!("href=\"/app/schedule/posts/{post}\""))
    );
    let notification: String = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT id FROM notifications WHERE user_id = $1"
    )
    .bind(&user)
    .fetch_one(p)
    .await)
    .unwrap();
    let r = app
        .client
        .post(app.url(&format!("/app/notifications/{notification}/read")))
        .form(&[("csrf", csrf_in(&list))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let list = page(&app, "/app/notifications").await;
    assert!(list.contains("data-read=\"true\""));
    // Marking again is fine; someone else's (or a made-up) id is not found.
    let again = app
        .client
        .post(app.url(&format!("/api/v1/notifications/{notification}/read")))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 204);
    let unknown = app
        .client
        .post(app.url("/api/v1/notifications/not-a-notification/read"))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    assert!(!list.contains("id=\"unread-count\""));

    // Notifications are the user's data: exported, and gone with the account.
    let r = app.get("/settings/privacy/export").await;
    assert_eq!(r.status(), 200);
    let files = crate::privacy::untar(&r.bytes().await.unwrap());
    let (_, csv) = files
        .iter()
        .find(|(n, _)| n == "thredops-export/tables/notifications.csv")
        .expect("the export has the notifications");
    assert!(String::from_utf8_lossy(csv).contains(FAILED_SUBJECT));
    thredops::privacy::purge::erase_account(
        &app.state,
        &thredops::domain::UserId::from(user.as_str()),
    )
    .await
    .unwrap();
    let left: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM notifications WHERE user_id = $1"
    )
    .bind(&user)
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(left, 0);
}

async fn the_setting_turns_failure_emails_off(app: TestApp) {
    let email = "sol@example.com";
    let (id, user, _) = signed_up_with_profile(&app, email, "sol_posts").await;
    let settings = page(&app, "/settings").await;
    assert!(settings.contains("name=\"email_post_failed\" value=\"on\" checked"));
    // Untick "a scheduled post could not be published", keep the reconnect emails.
    let r = app
        .client
        .post(app.url("/settings/notifications"))
        .form(&[
            ("csrf", csrf_in(&settings)),
            ("email_profile_reconnect", "on".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let settings = page(&app, "/settings?done=notifications").await;
    assert!(settings.contains("Your email choices were saved."));
    assert!(!settings.contains("name=\"email_post_failed\" value=\"on\" checked"));
    assert!(settings.contains("name=\"email_profile_reconnect\" value=\"on\" checked"));

    fail_a_post(&app, &id, "Quietly failing").await;
    settle_notifications(&app).await;
    assert_eq!(notification_count(&app, &user, "post_failed").await, 1);
    assert!(
        page(&app, "/app/notifications")
            .await
            .contains("data-kind=\"post_failed\""),
        "still shown in the app"
    );
    assert!(app.mails(email, FAILED_SUBJECT).is_empty(), "no email");

    // The same choices through the API: read, then turned back on.
    let choices: Value = app
        .get("/api/v1/notifications/email")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        choices,
        json!({"post_failed": false, "profile_reconnect": true})
    );
    let put = |body: Value| {
        app.client
            .put(app.url("/api/v1/notifications/email"))
            .json(&body)
            .send()
    };
    let r = put(json!({"post_failed": true, "profile_reconnect": true}))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let bad = put(json!({"post_failed": "yes"})).await.unwrap();
    assert_eq!(bad.status(), 422);
    let listed: Value = app.get("/api/v1/notifications").await.json().await.unwrap();
    assert_eq!(listed["unread"], 1, "{listed}");
    assert_eq!(listed["notifications"][0]["kind"], "post_failed");
    let marked: Value = app
        .client
        .post(app.url("/api/v1/notifications/read-all"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(marked["marked"], 1);
    let listed: Value = app.get("/api/v1/notifications").await.json().await.unwrap();
    assert_eq!(listed["unread"], 0, "{listed}");
    assert_eq!(listed["notifications"][0]["read"], true);
    // Turned back on: the next failure is emailed.
    fail_a_post(&app, &id, "Loudly failing").await;
    settle_notifications(&app).await;
    assert_eq!(app.mails(email, FAILED_SUBJECT).len(), 1);
}

async fn revoked_access_reads_as_withdrawn_and_is_notified_once(app: TestApp) {
    let email = "rui@example.com";
    let (id, user, c) = signed_up_with_profile(&app, email, "rui_posts").await;
    let healthy = page(&app, &format!("/app/profiles/{id}")).await;
    assert!(healthy.contains("data-token-state=\"valid\""));
    assert!(healthy.contains("renews it automatically"));

    let revoke = app
        .post_json(
            "/sandbox/_sandbox/tokens/revoke",
            &json!({"user_id": c.user_id}),
        )
        .await;
    assert!(revoke.status().is_success());
    crate::sync_now(&app, &id).await;
    let html = page(&app, &format!("/app/profiles/{id}")).await;
    assert!(html.contains("data-token-state=\"revoked\""), "{html}");
    assert!(html.contains("Access withdrawn."));
    assert!(html.contains("Threads withdrew ThredOps&#x27; access to this profile on"));
    assert!(!html.contains("expired on"));
    // No "none" token beside an expiry date, no "is needs reconnect".
    assert!(!html.contains("Token expires"));
    assert!(!html.contains("needs reconnect<"));
    assert!(html.contains("none held: reconnecting gives ThredOps a new one"));
    let privacy = page(&app, "/settings/privacy").await;
    assert!(privacy.contains("data-token-state=\"revoked\""));
    assert!(privacy.contains("Withdrawn by Threads"));
    let api = crate::connect::profile(&app, &id).await;
    assert_eq!(api["token"]["state"], "revoked", "{api}");
    let analytics = page(&app, &format!("/app/profiles/{id}/analytics")).await;
    assert!(!analytics.contains("This profile is needs"));
    assert!(analytics.contains("Threads withdrew ThredOps&#x27; access"));

    settle_notifications(&app).await;
    assert_eq!(
        notification_count(&app, &user, "profile_reconnect").await,
        1
    );
    assert_eq!(app.mails(email, RECONNECT_SUBJECT).len(), 1);
    let mail = &app.mails(email, RECONNECT_SUBJECT)[0];
    assert!(mail.contains(&format!("/app/profiles/{id}")));
    assert!(mail.contains("Profile: @rui_posts"), "{mail}");
    let list = page(&app, "/app/notifications").await;
    assert!(list.contains("A Threads profile needs reconnecting: @rui_posts"));
}

async fn expired_access_reads_as_expired(app: TestApp) {
    app.signup("eli@example.com", PASSWORD).await;
    let c = creator(&app, "eli_posts", 5, 300);
    let id = connect(&app, c.user_id).await;
    wait_for_backfill(&app, &id).await;
    // Sixty-one days without a renewal: Threads answers that the token expired.
    sandbox(&app).clock().advance(Duration::days(61)).unwrap();
    crate::sync_now(&app, &id).await;
    let html = page(&app, &format!("/app/profiles/{id}")).await;
    assert!(html.contains("data-token-state=\"expired\""), "{html}");
    assert!(html.contains("Access expired."));
    assert!(html.contains("ThredOps&#x27; access to this profile expired on"));
    assert!(!html.contains("withdrew"));
    let list = page(&app, "/app/profiles").await;
    assert!(list.contains("Access expired: reconnect"));
    let privacy = page(&app, "/settings/privacy").await;
    assert!(privacy.contains("data-token-state=\"expired\""));
    let api = crate::connect::profile(&app, &id).await;
    assert_eq!(api["token"]["state"], "expired", "{api}");
    let home = page(&app, "/app").await;
    assert!(home.contains("data-token-state=\"expired\""));
}

async fn reconnect_emails_off_also_silence_the_warning_before_a_post_is_due(app: TestApp) {
    let email = "ines@example.com";
    let (id, _, _) = signed_up_with_profile(&app, email, "ines_posts").await;
    let r = app
        .client
        .put(app.url("/api/v1/notifications/email"))
        .json(&json!({"post_failed": true, "profile_reconnect": false}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE threads_profiles SET status = 'needs_reconnect' WHERE id = $1"
    )
    .bind(&id)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let post = schedule_tomorrow(&app, &id, &json!({"parts": [{"text": "Tomorrow"}]})).await;
    for _ in 0..2 {
        run_due_now(&app, thredops::publishing::SWEEP).await;
    }
    let timeline: Value = app
        .get(&format!(
            "/api/v1/publishing/posts/{}",
            post["id"].as_str().unwrap()
        ))
        .await
        .json()
        .await
        .unwrap();
    let warned = timeline["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "reconnect_warned")
        .count();
    assert_eq!(warned, 1, "the warning is in the post's ledger: {timeline}");
    assert!(
        app.mails(email, "until you reconnect its profile")
            .is_empty(),
        "but not emailed"
    );
}
