//! Evergreen posts: marking a synced or a ThredOps post, rotation of variations, the minimum
//! interval (also with two runs racing), 09:00 in Berlin across the March change, the quota
//! edge, retirement when results drop (and not when they hold), proposals with their evidence,
//! the pages, and privacy (isolation, export, purge).

use chrono::DateTime;
use serde_json::{Value, json};
use thredops::publishing::evergreen;
use thredops::with_pool;

use super::support::*;
use crate::connect::{PASSWORD, connect, creator, run_due_now, wait_for_backfill};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    a_synced_post_is_marked_and_its_reshares_rotate_through_the_variations,
    a_published_thredops_post_is_marked_from_its_page,
    the_minimum_interval_holds_across_variations_and_racing_runs,
    a_reshare_at_nine_in_berlin_keeps_its_time_across_the_march_change,
    a_spent_quota_makes_the_reshare_wait_with_its_reason_and_never_twice,
    results_that_drop_retire_the_item_and_results_that_hold_do_not,
    proposals_show_the_best_performers_with_evidence_and_skip_time_bound_ones,
    the_pages_mark_edit_pause_and_resume_keeping_what_was_typed,
    evergreen_items_are_private_exported_and_purged_with_the_account,
    a_disconnected_profile_holds_its_items_and_deleting_its_history_removes_them,
    a_failed_reshare_holds_the_item_with_its_reason_until_it_is_deleted,
);

const DAY: i64 = 86_400;

async fn mark(app: &TestApp, body: &Value) -> Value {
    let r = app.post_json("/api/v1/publishing/evergreen", body).await;
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{v}");
    v
}

async fn item(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/api/v1/publishing/evergreen/{id}"))
        .await
        .json()
        .await
        .unwrap()
}

/// The profile's synced posts (not reposts), oldest first: (media id, posted at).
async fn synced(app: &TestApp, profile: &str) -> Vec<(String, i64)> {
    with_pool!(app.state.store, |p| sqlx::query_as(
        "SELECT media_id, posted_at FROM posts WHERE profile_id = $1 AND NOT is_repost ORDER BY posted_at, media_id"
    )
    .bind(profile)
    .fetch_all(p)
    .await)
    .unwrap()
}

async fn user_of(app: &TestApp, profile: &str) -> String {
    with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT user_id FROM threads_profiles WHERE id = $1"
    )
    .bind(profile)
    .fetch_one(p)
    .await)
    .unwrap()
}

/// Replaces a synced post's text (sealed as the sync engine seals it).
async fn plant_text(app: &TestApp, profile: &str, media_id: &str, text: &str) {
    let key = app
        .state
        .vault
        .data_key(&thredops::domain::WorkspaceId::from(
            user_of(app, profile).await,
        ))
        .await
        .unwrap();
    let sealed = key.seal(
        "post",
        &format!("{profile}/{media_id}"),
        json!({"text": text}).to_string().as_bytes(),
    );
    with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE posts SET content_enc = $1 WHERE profile_id = $2 AND media_id = $3"
    )
    .bind(&sealed)
    .bind(profile)
    .bind(media_id)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
}

/// Sets a synced post's latest metrics (views; likes make up the engagement), read at `at`.
async fn plant_metrics(
    app: &TestApp,
    profile: &str,
    media_id: &str,
    views: i64,
    likes: i64,
    at: i64,
) {
    with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE posts SET views = $1, likes = $2, replies = 0, reposts = 0, quotes = 0, shares = 0, metrics_at = $3, next_refresh_at = $3 + 31536000 WHERE profile_id = $4 AND media_id = $5"
    )
    .bind(views)
    .bind(likes)
    .bind(at)
    .bind(profile)
    .bind(media_id)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
}

/// Plays the publisher and the sync for a re-share: its post is on Threads as `media_id` since
/// `at`, and the sync stored it with `views` and `likes` read `age` seconds after publication.
async fn plant_published(app: &TestApp, post_id: &str, media_id: &str, at: i64) {
    with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE scheduled_posts SET state = 'published', media_id = $1, published_at = $2, scheduled_at = $2, permalink = 'https://www.threads.net/t/x', version = version + 1 WHERE id = $3"
    )
    .bind(media_id)
    .bind(at)
    .bind(post_id)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
}

async fn plant_synced_reshare(
    app: &TestApp,
    profile: &str,
    media_id: &str,
    at: i64,
    views: i64,
    likes: i64,
    age: i64,
) {
    with_pool!(app.state.store, |p| sqlx::query(
        "INSERT INTO posts (profile_id, media_id, media_type, posted_at, content_enc, text_len, link_count, has_question, has_poll, is_quote, is_repost, carousel_size, views, likes, replies, reposts, quotes, shares, metrics_at, next_refresh_at, first_seen_at) \
         VALUES ($1, $2, 'TEXT_POST', $3, $4, 10, 0, FALSE, FALSE, FALSE, FALSE, 0, $5, $6, 0, 0, 0, 0, $7, $8, $3)"
    )
    .bind(profile)
    .bind(media_id)
    .bind(at)
    .bind(b"sealed".to_vec())
    .bind(views)
    .bind(likes)
    .bind(at + age)
    .bind(at + age + 3600)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
}

fn next_post(item: &Value) -> (String, i64, i64) {
    let n = &item["next"];
    assert!(n.is_object(), "no waiting re-share: {item}");
    (
        n["post_id"].as_str().unwrap().to_owned(),
        n["at"].as_i64().unwrap(),
        n["variation"].as_i64().unwrap(),
    )
}

async fn reshare_rows(app: &TestApp, id: &str) -> i64 {
    with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT count(*) FROM evergreen_reshares WHERE item_id = $1"
    )
    .bind(id)
    .fetch_one(p)
    .await)
    .unwrap()
}

async fn a_synced_post_is_marked_and_its_reshares_rotate_through_the_variations(app: TestApp) {
    let (profile, _) = setup(&app, "evgrotate").await;
    let (media, _) = synced(&app, &profile).await[0].clone();
    plant_text(
        &app,
        &profile,
        &media,
        "Write the test first, then the code.",
    )
    .await;
    let it = mark(
        &app,
        &json!({"profile_id": profile, "media_id": media, "every": 1, "unit": "weeks", "min_interval_days": 7, "time": "09:00"}),
    )
    .await;
    assert_eq!(it["state"], "active");
    assert_eq!(
        it["variations"],
        json!(["Write the test first, then the code."])
    );
    assert!(
        it["description"]
            .as_str()
            .unwrap()
            .starts_with("Every week at 09:00, never twice within 7 days"),
        "{it}"
    );
    let id = it["id"].as_str().unwrap().to_owned();
    // The same post cannot be marked twice.
    let r = app
        .post_json(
            "/api/v1/publishing/evergreen",
            &json!({"profile_id": profile, "media_id": media}),
        )
        .await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["fields"]["media_id"]
            .as_str()
            .unwrap()
            .contains("already evergreen"),
        "{body}"
    );

    // The first re-share is an ordinary scheduled post, with the original text (one variation).
    let (first, _, variation) = next_post(&it);
    assert_eq!(variation, 1);
    let post = get_post(&app, &first).await;
    assert_eq!(post["state"], "scheduled");
    assert_eq!(
        post["content"]["parts"][0]["text"],
        "Write the test first, then the code."
    );
    assert!(
        post["timeline"][0]["message"]
            .as_str()
            .unwrap()
            .contains("re-share 1 of an evergreen post"),
        "{post}"
    );
    assert!(
        post["local_time"].as_str().unwrap().ends_with("T09:00"),
        "{post}"
    );
    // Marked as an evergreen re-share on its page and on the calendar.
    let page = app
        .get(&format!("/app/schedule/posts/{first}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("/app/schedule/evergreen/{id}"))
            && page.contains("evergreen re-share 1")
    );
    let day = post["local_time"].as_str().unwrap()[..10].to_owned();
    let calendar = app
        .get(&format!("/app/schedule?view=month&date={day}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        calendar.contains("Evergreen re-share:"),
        "the calendar marks it"
    );

    // Two more variations: the waiting, unedited re-share is planned anew with variation 2.
    let r = app
        .client
        .put(app.url(&format!("/api/v1/publishing/evergreen/{id}")))
        .json(&json!({"variations": ["Write the test first, then the code.", "Tests first. Code second.", "Red, green, refactor."], "every": 7, "min_interval_days": 7, "time": "09:00"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let it = item(&app, &id).await;
    assert!(
        get_post(&app, &first).await["error"].is_object(),
        "the old re-share is gone"
    );
    let (post_id, mut at, variation) = next_post(&it);
    assert_eq!(variation, 2);
    assert_eq!(
        get_post(&app, &post_id).await["content"]["parts"][0]["text"],
        "Tests first. Code second."
    );

    // Each published re-share makes way for the next, seven days on, rotating 2, 3, 1, 2.
    let mut seen = vec![2];
    let mut current = post_id;
    for n in 0..3 {
        plant_published(&app, &current, &format!("evg-rotate-{n}"), at).await;
        let planned =
            evergreen::tick_all(&app.state, DateTime::from_timestamp(at + 3600, 0).unwrap())
                .await
                .unwrap();
        // (The app's own hourly run may have planned it first: at most one either way.)
        assert!(planned <= 1);
        let it = item(&app, &id).await;
        let (next, next_at, variation) = next_post(&it);
        assert_eq!(
            next_at - at,
            7 * DAY,
            "every week at the same time (UTC has no DST)"
        );
        seen.push(variation);
        current = next;
        at = next_at;
    }
    assert_eq!(seen, [2, 3, 1, 2]);
    let texts: Vec<Value> = item(&app, &id).await["reshares"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["variation"].clone())
        .collect();
    assert_eq!(
        texts,
        [json!(2), json!(1), json!(3), json!(2), json!(1)],
        "newest first, the replaced one included"
    );
}

async fn a_published_thredops_post_is_marked_from_its_page(app: TestApp) {
    let (profile, _) = setup(&app, "evgown").await;
    let p = schedule_now(
        &app,
        &profile,
        &json!({"parts": [{"text": "Name variables after what they mean"}]}),
    )
    .await;
    let id = p["id"].as_str().unwrap().to_owned();
    // Not yet on Threads: refused beside the field.
    let r = app
        .post_json("/api/v1/publishing/evergreen", &json!({"post_id": id}))
        .await;
    assert_eq!(r.status(), 422);
    publish_everything(&app).await;
    let page = app
        .get(&format!("/app/schedule/posts/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("/app/schedule/evergreen?post_id={id}")),
        "the post's page links to marking it"
    );
    let form = app
        .get(&format!("/app/schedule/evergreen?post_id={id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        form.contains("Name variables after what they mean"),
        "the form starts with the original's text"
    );
    let it = mark(&app, &json!({"post_id": id, "time": "18:30", "variations": ["Name variables after what they mean", "A good name is documentation."]})).await;
    assert_eq!(it["source_post_id"], id);
    assert_eq!(it["profile_id"], profile);
    assert_eq!(it["min_interval_days"], 30);
    assert_eq!(it["every_days"], 30);
    // Published a moment ago: the first re-share waits 30 days, and uses variation 2.
    let (_, at, variation) = next_post(&it);
    assert_eq!(variation, 2);
    assert!(at >= thredops::clock::now().timestamp() + 29 * DAY, "{it}");
}

async fn the_minimum_interval_holds_across_variations_and_racing_runs(app: TestApp) {
    let (profile, _) = setup(&app, "evginterval").await;
    let (media, _) = synced(&app, &profile).await[0].clone();
    // Every day, but never twice within 30 days: every 30 days in effect.
    let it = mark(
        &app,
        &json!({"profile_id": profile, "media_id": media, "variations": ["One", "Two", "Three"], "every": 1, "min_interval_days": 30, "time": "10:00"}),
    )
    .await;
    assert!(
        it["description"]
            .as_str()
            .unwrap()
            .contains("every 30 days in effect"),
        "{it}"
    );
    let id = it["id"].as_str().unwrap().to_owned();
    let (first, at, _) = next_post(&it);
    plant_published(&app, &first, "evg-interval-1", at).await;
    // Two runs at once, and again later: one re-share, 30 days after the last, whatever its variation.
    let now = DateTime::from_timestamp(at + 3600, 0).unwrap();
    let (a, b) = tokio::join!(
        evergreen::tick_all(&app.state, now),
        evergreen::tick_all(&app.state, now)
    );
    // (The app's own hourly run may race too: one re-share in all, whoever planned it.)
    assert!(a.unwrap() + b.unwrap() <= 1);
    assert_eq!(evergreen::tick_all(&app.state, now).await.unwrap(), 0);
    assert_eq!(reshare_rows(&app, &id).await, 2);
    let it = item(&app, &id).await;
    let (second, second_at, variation) = next_post(&it);
    assert_eq!(second_at - at, 30 * DAY);
    assert_eq!(variation, 3);
    // A re-share moved earlier by hand is the creator's choice; the next one keeps 30 days from it.
    plant_published(&app, &second, "evg-interval-2", second_at - 10 * DAY).await;
    let later = DateTime::from_timestamp(second_at, 0).unwrap();
    let (a, b) = tokio::join!(
        evergreen::tick_all(&app.state, later),
        evergreen::tick_all(&app.state, later)
    );
    assert!(a.unwrap() + b.unwrap() <= 1);
    assert_eq!(reshare_rows(&app, &id).await, 3);
    let (_, third_at, _) = next_post(&item(&app, &id).await);
    assert_eq!(third_at - (second_at - 10 * DAY), 30 * DAY);
}

async fn a_reshare_at_nine_in_berlin_keeps_its_time_across_the_march_change(app: TestApp) {
    let (profile, _) = setup(&app, "evgberlin").await;
    set_zone(&app, "Europe/Berlin").await;
    let (media, _) = synced(&app, &profile).await[0].clone();
    let it = mark(
        &app,
        &json!({"profile_id": profile, "media_id": media, "every": 7, "min_interval_days": 7, "time": "09:00"}),
    )
    .await;
    let id = it["id"].as_str().unwrap().to_owned();
    // Its first re-share went out on Sunday 14 March 2027 at 09:00 CET (08:00 UTC).
    let (first, _, _) = next_post(&it);
    plant_published(
        &app,
        &first,
        "evg-berlin-1",
        utc("2027-03-14T08:00:00Z").timestamp(),
    )
    .await;
    evergreen::tick_all(&app.state, utc("2027-03-14T12:00:00Z"))
        .await
        .unwrap();
    let (second, at, _) = next_post(&item(&app, &id).await);
    assert_eq!(at, utc("2027-03-21T08:00:00Z").timestamp(), "09:00 CET");
    plant_published(&app, &second, "evg-berlin-2", at).await;
    // Clocks go forward on 28 March: 09:00 CEST is 07:00 UTC, 167 hours later, not 10:00.
    evergreen::tick_all(&app.state, utc("2027-03-21T12:00:00Z"))
        .await
        .unwrap();
    let (third, at, _) = next_post(&item(&app, &id).await);
    assert_eq!(at, utc("2027-03-28T07:00:00Z").timestamp(), "09:00 CEST");
    let post = get_post(&app, &third).await;
    assert_eq!(post["local_time"], "2027-03-28T09:00");
    assert_eq!(post["timezone"], "Europe/Berlin");
}

async fn a_spent_quota_makes_the_reshare_wait_with_its_reason_and_never_twice(app: TestApp) {
    let (profile, user_id) = setup(&app, "evgquota").await;
    let (media, _) = synced(&app, &profile).await[0].clone();
    let it = mark(
        &app,
        &json!({"profile_id": profile, "media_id": media, "time": "09:00"}),
    )
    .await;
    let id = it["id"].as_str().unwrap().to_owned();
    let (post_id, _, _) = next_post(&it);
    leave_quota(&app, &profile, user_id, 0).await;
    // The creator moves the re-share to now; the profile has no quota left.
    let r = app
        .post_json(
            &format!("/api/v1/publishing/posts/{post_id}/schedule"),
            &json!({"action": "schedule", "local_time": now_local()}),
        )
        .await;
    assert_eq!(r.status(), 200);
    run_due_now(&app, thredops::publishing::publisher::KIND).await;
    assert_deferred(&get_post(&app, &post_id).await);
    // The item shows why, and planning again makes no second re-share.
    for _ in 0..2 {
        assert_eq!(
            evergreen::tick_all(&app.state, thredops::clock::now())
                .await
                .unwrap(),
            0
        );
    }
    let it = item(&app, &id).await;
    assert!(
        it["problem"]
            .as_str()
            .unwrap()
            .contains("250 posts per 24 hours"),
        "{it}"
    );
    assert_eq!(it["next"]["post_id"], post_id.as_str());
    assert_eq!(reshare_rows(&app, &id).await, 1);
    let waiting: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT count(*) FROM scheduled_posts WHERE profile_id = $1 AND state = 'scheduled'"
    )
    .bind(&profile)
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(waiting, 1);
    // The list page shows the reason on the item too.
    let page = app
        .get("/app/schedule/evergreen")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("250 posts per 24 hours"));
}

async fn results_that_drop_retire_the_item_and_results_that_hold_do_not(app: TestApp) {
    let (profile, _) = setup(&app, "evgresults").await;
    let posts = synced(&app, &profile).await;
    let now = thredops::clock::now().timestamp();
    let mut ids = Vec::new();
    for (n, (media, _)) in posts.iter().take(2).enumerate() {
        // The original had 1,000 views and 100 likes at two days old.
        plant_metrics(&app, &profile, media, 5000, 400, now).await;
        with_pool!(app.state.store, |p| sqlx::query(
            "INSERT INTO post_metric_snapshots (profile_id, media_id, taken_at, age_seconds, views, likes, replies, reposts, quotes, shares) VALUES ($1, $2, $3, $4, 1000, 100, 0, 0, 0, 0)"
        )
        .bind(&profile)
        .bind(media)
        .bind(1_000 + n as i64)
        .bind(2 * DAY)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))
        .unwrap();
        let it = mark(&app, &json!({"profile_id": profile, "media_id": media, "time": "09:00", "min_interval_days": 7})).await;
        let (post_id, _, _) = next_post(&it);
        // Its re-share went out three days ago and was read 49 hours after.
        let reshare = format!("evg-results-{n}");
        plant_published(&app, &post_id, &reshare, now - 3 * DAY).await;
        let (views, likes) = if n == 0 { (600, 60) } else { (450, 70) };
        plant_synced_reshare(
            &app,
            &profile,
            &reshare,
            now - 3 * DAY,
            views,
            likes,
            49 * 3600,
        )
        .await;
        ids.push(it["id"].as_str().unwrap().to_owned());
    }
    evergreen::tick_all(&app.state, thredops::clock::now())
        .await
        .unwrap();
    // 60% of the views and 60% of the engagement: it holds, and the next re-share is planned.
    let held = item(&app, &ids[0]).await;
    assert_eq!(held["state"], "active", "{held}");
    assert_eq!(held["last_results"]["verdict"], "held");
    assert_eq!(held["last_results"]["original_views"], 1000);
    assert!(
        held["last_results"]["summary"]
            .as_str()
            .unwrap()
            .contains("60% of the original's 1,000 views"),
        "{held}"
    );
    assert!(held["next"].is_object(), "{held}");
    // 45% of the views: it retires, says why, and plans nothing.
    let dropped = item(&app, &ids[1]).await;
    assert_eq!(dropped["state"], "retired", "{dropped}");
    let reason = dropped["retired_reason"].as_str().unwrap();
    assert!(
        reason.contains("450 views")
            && reason.contains("45% of the original's 1,000 views")
            && reason.contains("the limit is 50%"),
        "{reason}"
    );
    assert!(dropped["next"].is_null());
    assert_eq!(reshare_rows(&app, &ids[1]).await, 1);
    // Judged once: later runs change nothing. Resuming plans the next re-share.
    evergreen::tick_all(&app.state, thredops::clock::now())
        .await
        .unwrap();
    assert_eq!(item(&app, &ids[1]).await["state"], "retired");
    let r = app
        .post_json(
            &format!("/api/v1/publishing/evergreen/{}/resume", ids[1]),
            &json!({}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let resumed: Value = r.json().await.unwrap();
    assert_eq!(resumed["state"], "active");
    assert!(resumed["retired_reason"].is_null());
    assert!(resumed["next"].is_object(), "{resumed}");
    evergreen::tick_all(&app.state, thredops::clock::now())
        .await
        .unwrap();
    assert_eq!(item(&app, &ids[1]).await["state"], "active");
    // Pausing removes the waiting re-share.
    let r = app
        .post_json(
            &format!("/api/v1/publishing/evergreen/{}/pause", ids[1]),
            &json!({}),
        )
        .await;
    let paused: Value = r.json().await.unwrap();
    assert_eq!(paused["state"], "paused");
    assert!(paused["next"].is_null(), "{paused}");
}

async fn proposals_show_the_best_performers_with_evidence_and_skip_time_bound_ones(app: TestApp) {
    app.signup("evgpropose@example.com", PASSWORD).await;
    let c = creator(&app, "evgpropose", 12, 500);
    let profile = connect(&app, c.user_id).await;
    wait_for_backfill(&app, &profile).await;
    let posts = synced(&app, &profile).await;
    let now = thredops::clock::now().timestamp();
    for (n, (media, _)) in posts.iter().enumerate() {
        with_pool!(app.state.store, |p| sqlx::query(
            "UPDATE posts SET posted_at = $1 WHERE profile_id = $2 AND media_id = $3"
        )
        .bind(now - (n as i64 + 3) * DAY)
        .bind(&profile)
        .bind(media)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))
        .unwrap();
        plant_metrics(&app, &profile, media, 100, 10, now).await;
        plant_text(
            &app,
            &profile,
            media,
            &format!("An ordinary post number {n}"),
        )
        .await;
    }
    let (best, timely) = (&posts[0].0, &posts[1].0);
    plant_metrics(&app, &profile, best, 400, 30, now).await;
    plant_text(&app, &profile, best, "Three habits that doubled my reach").await;
    plant_metrics(&app, &profile, timely, 900, 90, now).await;
    plant_text(&app, &profile, timely, "Live now: join the stream today").await;
    let proposals: Vec<Value> = app
        .get(&format!(
            "/api/v1/publishing/evergreen/proposals?profile_id={profile}"
        ))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(proposals.len(), 1, "{proposals:?}");
    let p = &proposals[0];
    assert_eq!(p["media_id"], best.as_str());
    assert_eq!(p["median_views"], 100);
    assert_eq!(
        p["evidence"],
        format!(
            "4x the profile's median views (400 vs 100) and 3x its median engagement, among its {} settled posts of the last year.",
            posts.len()
        )
    );
    let page = app
        .get("/app/schedule/evergreen")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("4x the profile&#x27;s median views")
            || page.contains("4x the profile's median views"),
        "the page shows the evidence"
    );
    assert!(!page.contains("Live now: join the stream today"));
    // Accepting it marks it; it is proposed no more.
    mark(
        &app,
        &json!({"profile_id": profile, "media_id": best, "time": "09:00"}),
    )
    .await;
    let proposals: Vec<Value> = app
        .get("/api/v1/publishing/evergreen/proposals")
        .await
        .json()
        .await
        .unwrap();
    assert!(proposals.is_empty(), "{proposals:?}");
}

async fn post_form(app: &TestApp, form: &[(&str, String)]) -> reqwest::Response {
    app.client
        .post(app.url("/app/schedule/evergreen"))
        .form(form)
        .send()
        .await
        .unwrap()
}

async fn the_pages_mark_edit_pause_and_resume_keeping_what_was_typed(app: TestApp) {
    let (profile, _) = setup(&app, "evgpages").await;
    let (media, _) = synced(&app, &profile).await[0].clone();
    plant_text(&app, &profile, &media, "Ship small, ship often.").await;
    let page = app
        .get(&format!(
            "/app/schedule/evergreen?profile_id={profile}&media_id={media}"
        ))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Ship small, ship often."));
    let synced_page = app
        .get(&format!("/app/profiles/{profile}/posts/{media}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        synced_page.contains(&format!(
            "/app/schedule/evergreen?profile_id={profile}&amp;media_id={media}"
        )),
        "a synced post's page links to marking it"
    );
    let csrf = crate::connect::csrf_in(&page);
    let mut form = vec![
        ("csrf", csrf.clone()),
        ("profile_id", profile.clone()),
        ("media_id", media.clone()),
        ("variation_1", "Ship small, ship often.".to_owned()),
        ("variation_2", "x".repeat(501)),
        ("every", "30".to_owned()),
        ("unit", "days".to_owned()),
        ("when", "time".to_owned()),
        ("time", "09:00".to_owned()),
        ("min_interval_days", "30".to_owned()),
        ("threshold_percent", "50".to_owned()),
        ("results_hours", "48".to_owned()),
    ];
    let r = post_form(&app, &form).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("id=\"variation_2-error\""),
        "the problem is beside the field"
    );
    assert!(
        html.contains("Ship small, ship often."),
        "what was typed stays"
    );
    form[4].1 = "Small batches, fast feedback.".to_owned();
    form[9].1 = "lots".to_owned();
    let r = post_form(&app, &form).await;
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("id=\"min_interval_days-error\""));
    assert!(html.contains("Small batches, fast feedback."));
    form[9].1 = "30".to_owned();
    // "At a time of day" without a time is named, not read as "posting slots".
    form[8].1 = String::new();
    let r = post_form(&app, &form).await;
    assert_eq!(r.status(), 422);
    assert!(r.text().await.unwrap().contains("id=\"time-error\""));
    form[8].1 = "09:00".to_owned();
    let r = post_form(&app, &form).await;
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let page = app.get(&location).await.text().await.unwrap();
    assert!(page.contains("Small batches, fast feedback.") && page.contains("Re-shares"));
    let id = location
        .trim_start_matches("/app/schedule/evergreen/")
        .split('?')
        .next()
        .unwrap()
        .to_owned();
    for (action, state) in [("pause", "paused"), ("resume", "active")] {
        let r = app
            .client
            .post(app.url(&format!("/app/schedule/evergreen/{id}/{action}")))
            .form(&[("csrf", csrf.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        assert_eq!(item(&app, &id).await["state"], state);
    }
    let list = app
        .get("/app/schedule/evergreen")
        .await
        .text()
        .await
        .unwrap();
    assert!(list.contains(&format!("/app/schedule/evergreen/{id}")));
    let r = app
        .client
        .post(app.url(&format!("/app/schedule/evergreen/{id}/delete")))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(
        app.get(&format!("/api/v1/publishing/evergreen/{id}"))
            .await
            .status(),
        404
    );
}

async fn evergreen_items_are_private_exported_and_purged_with_the_account(app: TestApp) {
    let (profile, _) = setup(&app, "evgprivate").await;
    let (media, _) = synced(&app, &profile).await[0].clone();
    let it = mark(&app, &json!({"profile_id": profile, "media_id": media, "variations": ["Private words", "More private words"], "time": "09:00"})).await;
    let id = it["id"].as_str().unwrap().to_owned();
    let user_id = user_of(&app, &profile).await;
    // Variations are sealed at rest.
    let sealed: Vec<u8> = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT variations_enc FROM evergreen_items WHERE id = $1"
    )
    .bind(&id)
    .fetch_one(p)
    .await)
    .unwrap();
    assert!(!String::from_utf8_lossy(&sealed).contains("Private words"));

    let other = app.new_client();
    crate::helpers::sign_up_with(&app, &other, "evgstranger@example.com", PASSWORD).await;
    let r = other
        .get(app.url(&format!("/api/v1/publishing/evergreen/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = other
        .delete(app.url(&format!("/api/v1/publishing/evergreen/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = other
        .post(app.url("/api/v1/publishing/evergreen"))
        .json(&json!({"profile_id": profile, "media_id": media}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let theirs: Vec<Value> = other
        .get(app.url("/api/v1/publishing/evergreen"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(theirs.is_empty());

    let file = crate::privacy::export_reader(&app).await;
    let content: Value = serde_json::from_str(&file("content.json")).unwrap();
    assert_eq!(
        content["evergreen"][0]["variations"],
        json!(["Private words", "More private words"])
    );
    assert_eq!(
        content["evergreen"][0]["reshares"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert!(file("tables/evergreen_items.csv").contains(&id));
    assert!(file("tables/evergreen_reshares.csv").contains(&id));

    let traces = crate::privacy::Traces {
        user_ids: vec![user_id],
        profile_ids: vec![profile],
        threads_user_ids: vec![],
    };
    let left = crate::privacy::delete_account_leaves(&app, &traces, "evergreen").await;
    assert!(left.is_empty(), "{left:?}");
}

async fn disconnect(app: &TestApp, profile: &str, history: &str) {
    let page = app
        .get(&format!("/app/profiles/{profile}"))
        .await
        .text()
        .await
        .unwrap();
    let r = app
        .client
        .post(app.url(&format!("/app/profiles/{profile}/disconnect")))
        .form(&[
            ("csrf", crate::connect::csrf_in(&page)),
            ("history", history.to_owned()),
            ("confirm", "delete".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_redirection() || r.status().is_success(),
        "{}",
        r.status()
    );
}

async fn a_disconnected_profile_holds_its_items_and_deleting_its_history_removes_them(
    app: TestApp,
) {
    let (profile, _) = setup(&app, "evgdisconnect").await;
    let (media, _) = synced(&app, &profile).await[0].clone();
    let it = mark(
        &app,
        &json!({"profile_id": profile, "media_id": media, "time": "09:00"}),
    )
    .await;
    let id = it["id"].as_str().unwrap().to_owned();
    let (post_id, at, _) = next_post(&it);
    plant_published(&app, &post_id, "evg-disconnect-1", at).await;
    // Kept history: the item stays and says why nothing is planned.
    disconnect(&app, &profile, "keep").await;
    evergreen::tick_all(&app.state, DateTime::from_timestamp(at + 3600, 0).unwrap())
        .await
        .unwrap();
    let held = item(&app, &id).await;
    assert!(held["next"].is_null(), "{held}");
    assert!(
        held["problem"]
            .as_str()
            .unwrap()
            .contains("needs reconnecting"),
        "{held}"
    );
    // Deleting the profile's history takes its evergreen posts with it.
    disconnect(&app, &profile, "delete").await;
    assert_eq!(
        app.get(&format!("/api/v1/publishing/evergreen/{id}"))
            .await
            .status(),
        404
    );
    assert_eq!(reshare_rows(&app, &id).await, 0);
}

async fn a_failed_reshare_holds_the_item_with_its_reason_until_it_is_deleted(app: TestApp) {
    let (profile, _) = setup(&app, "evgfailed").await;
    let (media, _) = synced(&app, &profile).await[0].clone();
    let it = mark(
        &app,
        &json!({"profile_id": profile, "media_id": media, "time": "09:00"}),
    )
    .await;
    let id = it["id"].as_str().unwrap().to_owned();
    let (post_id, _, _) = next_post(&it);
    with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE scheduled_posts SET state = 'failed', failure = 'Threads refused the text.', version = version + 1 WHERE id = $1"
    )
    .bind(&post_id)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    assert_eq!(
        evergreen::tick_all(&app.state, thredops::clock::now())
            .await
            .unwrap(),
        0
    );
    let held = item(&app, &id).await;
    assert!(
        held["problem"]
            .as_str()
            .unwrap()
            .starts_with("Re-share 1 failed: Threads refused the text."),
        "{held}"
    );
    assert_eq!(reshare_rows(&app, &id).await, 1);
    let page = app
        .get(&format!("/app/schedule/evergreen/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Threads refused the text."));
    // Deleting the failed post lets the next re-share be planned, and the problem goes.
    let r = app
        .client
        .delete(app.url(&format!("/api/v1/publishing/posts/{post_id}")))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert!(
        evergreen::tick_all(&app.state, thredops::clock::now())
            .await
            .unwrap()
            <= 1
    );
    assert_eq!(reshare_rows(&app, &id).await, 2);
    let it = item(&app, &id).await;
    assert!(it["problem"].is_null(), "{it}");
    assert!(it["next"].is_object(), "{it}");
}
