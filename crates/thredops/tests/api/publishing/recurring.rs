//! Recurring series: occurrences planned as ordinary posts, DST edges, skipping and editing one
//! occurrence, editing and stopping the series, the quota edge, and exactly once through a
//! crashed worker and concurrent top-ups.

use serde_json::{Value, json};
use thredops::publishing::recurring;

use super::support::*;
use crate::connect::truth;
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    a_weekday_series_plans_two_weeks_of_ordinary_posts_once,
    occurrences_keep_local_time_across_dst_in_berlin_and_new_york,
    one_occurrence_is_skipped_or_edited_and_the_series_edited_or_stopped,
    occurrences_over_the_daily_quota_are_flagged_not_dropped,
    a_recurring_occurrence_is_published_once_after_a_crashed_worker,
    bad_series_are_refused_beside_the_field,
);

async fn create_series(app: &TestApp, body: &Value) -> Value {
    let r = app.post_json("/api/v1/publishing/recurring", body).await;
    let status = r.status();
    let v: Value = r.json().await.unwrap();
    assert_eq!(status, 201, "{v}");
    v
}

async fn get_series(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/api/v1/publishing/recurring/{id}"))
        .await
        .json()
        .await
        .unwrap()
}

/// The user's planned posts whose first part's text is `text`.
async fn posts_with_text(app: &TestApp, text: &str) -> Vec<Value> {
    let all: Vec<Value> = app
        .get("/api/v1/publishing/posts")
        .await
        .json()
        .await
        .unwrap();
    all.into_iter()
        .filter(|p| p["content"]["parts"][0]["text"] == text)
        .collect()
}

fn occurrence<'a>(series: &'a Value, date: &str) -> &'a Value {
    series["occurrences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["date"] == date)
        .unwrap_or_else(|| panic!("no {date} in {series}"))
}

async fn a_weekday_series_plans_two_weeks_of_ordinary_posts_once(app: TestApp) {
    let (profile, _) = setup(&app, "weekdays").await;
    let text = "Weekday tip";
    let s = create_series(
        &app,
        &json!({"profile_id": profile, "content": {"parts": [{"text": text}]}, "frequency": "weekdays", "time": "09:00"}),
    )
    .await;
    assert_eq!(s["state"], "active");
    assert!(
        s["description"]
            .as_str()
            .unwrap()
            .starts_with("Every weekday (Monday to Friday) at 09:00"),
        "{s}"
    );
    let posts = posts_with_text(&app, text).await;
    // Every weekday of the next 14 days (today's counts if 09:00 UTC is still ahead).
    let now = thredops::clock::now();
    let expected: Vec<String> = (0..=14)
        .map(|d| now.date_naive() + chrono::Duration::days(d))
        .filter(|d| chrono::Datelike::weekday(d).num_days_from_monday() < 5)
        .map(|d| d.and_hms_opt(9, 0, 0).unwrap().and_utc())
        .filter(|t| *t > now && *t <= now + chrono::Duration::days(14))
        .map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
        .collect();
    let mut got: Vec<String> = posts
        .iter()
        .map(|p| p["local_time"].as_str().unwrap().to_owned())
        .collect();
    got.sort();
    assert_eq!(got, expected);
    assert!(posts.iter().all(|p| p["state"] == "scheduled"));
    // Ordinary posts: each has its publisher run and a ledger naming the series.
    let one = get_post(&app, posts[0]["id"].as_str().unwrap()).await;
    assert!(
        one["timeline"][0]["message"]
            .as_str()
            .unwrap()
            .contains("recurring series"),
        "{one}"
    );
    // Top-ups from two instances at once, and again later, plan nothing twice.
    let (a, b) = tokio::join!(
        recurring::top_up_all(&app.state, thredops::clock::now()),
        recurring::top_up_all(&app.state, thredops::clock::now())
    );
    assert_eq!(a.unwrap() + b.unwrap(), 0);
    assert_eq!(posts_with_text(&app, text).await.len(), expected.len());
    // A day on, the top-up adds the one new weekday (if the new day is one).
    let later = now + chrono::Duration::days(3);
    recurring::top_up_all(&app.state, later).await.unwrap();
    let added = posts_with_text(&app, text).await.len() - expected.len();
    let new_days = (15..=17)
        .map(|d| now + chrono::Duration::days(d))
        .filter(|t| chrono::Datelike::weekday(t).num_days_from_monday() < 5)
        .count();
    assert!(
        added <= new_days && added + 1 >= new_days,
        "{added} {new_days}"
    );
    let listed: Vec<Value> = app
        .get("/api/v1/publishing/recurring")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.len(), 1);
}

async fn occurrences_keep_local_time_across_dst_in_berlin_and_new_york(app: TestApp) {
    let (profile, _) = setup(&app, "dstseries").await;
    set_zone(&app, "Europe/Berlin").await;
    let spring = create_series(
        &app,
        &json!({"profile_id": profile, "content": {"parts": [{"text": "Berlin spring"}]}, "frequency": "daily", "time": "09:00", "starts_on": "2027-03-26", "count": 5}),
    )
    .await;
    // The preview already shows the instants: 08:00 UTC in winter, 07:00 UTC in summer.
    let at = |s: &Value, d: &str| occurrence(s, d)["at"].as_i64().unwrap();
    assert_eq!(
        at(&spring, "2027-03-27"),
        utc("2027-03-27T08:00:00Z").timestamp()
    );
    assert_eq!(
        at(&spring, "2027-03-28"),
        utc("2027-03-28T07:00:00Z").timestamp()
    );
    assert_eq!(spring["occurrences"].as_array().unwrap().len(), 5);
    let autumn = create_series(
        &app,
        &json!({"profile_id": profile, "content": {"parts": [{"text": "Berlin autumn"}]}, "frequency": "daily", "time": "09:00", "starts_on": "2027-10-30", "ends_on": "2027-11-01"}),
    )
    .await;
    // The top-up as it will run on those days plans ordinary posts at 09:00 local.
    recurring::top_up_all(&app.state, utc("2027-03-25T12:00:00Z"))
        .await
        .unwrap();
    recurring::top_up_all(&app.state, utc("2027-10-29T12:00:00Z"))
        .await
        .unwrap();
    let times = |posts: &[Value]| {
        let mut v: Vec<(String, i64)> = posts
            .iter()
            .map(|p| {
                (
                    p["local_time"].as_str().unwrap().to_owned(),
                    p["scheduled_at"].as_i64().unwrap(),
                )
            })
            .collect();
        v.sort();
        v
    };
    let spring_posts = times(&posts_with_text(&app, "Berlin spring").await);
    assert_eq!(spring_posts.len(), 5);
    assert!(
        spring_posts
            .iter()
            .all(|(l, _)| l.ends_with("T09:00") && l.starts_with("2027-03-")),
        "{spring_posts:?}"
    );
    assert_eq!(spring_posts[1].1, utc("2027-03-27T08:00:00Z").timestamp());
    assert_eq!(spring_posts[2].1, utc("2027-03-28T07:00:00Z").timestamp());
    let autumn_posts = times(&posts_with_text(&app, "Berlin autumn").await);
    assert_eq!(
        autumn_posts.iter().map(|p| p.1).collect::<Vec<_>>(),
        [
            utc("2027-10-30T07:00:00Z").timestamp(),
            utc("2027-10-31T08:00:00Z").timestamp(),
            utc("2027-11-01T08:00:00Z").timestamp()
        ]
    );
    for s in [&spring, &autumn] {
        let id = s["id"].as_str().unwrap();
        let r = app
            .post_json(
                &format!("/api/v1/publishing/recurring/{id}/stop"),
                &json!({}),
            )
            .await;
        assert_eq!(r.status(), 200);
    }
    assert!(posts_with_text(&app, "Berlin spring").await.is_empty());

    // New York: 02:30 does not exist on 14 March 2027 (it moves to 03:00, the next valid
    // minute); 01:30 happens twice on 7 November 2027 and fires once, at the first.
    set_zone(&app, "America/New_York").await;
    create_series(
        &app,
        &json!({"profile_id": profile, "content": {"parts": [{"text": "NY gap"}]}, "frequency": "daily", "time": "02:30", "starts_on": "2027-03-13", "count": 3}),
    )
    .await;
    create_series(
        &app,
        &json!({"profile_id": profile, "content": {"parts": [{"text": "NY repeat"}]}, "frequency": "daily", "time": "01:30", "starts_on": "2027-11-06", "count": 3}),
    )
    .await;
    recurring::top_up_all(&app.state, utc("2027-03-12T12:00:00Z"))
        .await
        .unwrap();
    recurring::top_up_all(&app.state, utc("2027-11-05T12:00:00Z"))
        .await
        .unwrap();
    recurring::top_up_all(&app.state, utc("2027-11-07T05:45:00Z"))
        .await
        .unwrap();
    let gap = times(&posts_with_text(&app, "NY gap").await);
    assert_eq!(
        gap,
        [
            (
                "2027-03-13T02:30".to_owned(),
                utc("2027-03-13T07:30:00Z").timestamp()
            ),
            (
                "2027-03-14T03:00".to_owned(),
                utc("2027-03-14T07:00:00Z").timestamp()
            ),
            (
                "2027-03-15T02:30".to_owned(),
                utc("2027-03-15T06:30:00Z").timestamp()
            ),
        ]
    );
    let repeat = times(&posts_with_text(&app, "NY repeat").await);
    let on_the_day: Vec<_> = repeat
        .iter()
        .filter(|(l, _)| l.starts_with("2027-11-07"))
        .collect();
    assert_eq!(on_the_day.len(), 1, "{repeat:?}");
    assert_eq!(on_the_day[0].1, utc("2027-11-07T05:30:00Z").timestamp());
    assert_eq!(repeat.len(), 3);
}

async fn one_occurrence_is_skipped_or_edited_and_the_series_edited_or_stopped(app: TestApp) {
    let (profile, _) = setup(&app, "skipper").await;
    let tomorrow = (thredops::clock::now() + chrono::Duration::days(1)).date_naive();
    let day = |n: i64| (tomorrow + chrono::Duration::days(n)).to_string();
    let s = create_series(
        &app,
        &json!({"profile_id": profile, "content": {"parts": [{"text": "Daily thought"}]}, "frequency": "daily", "time": "10:00", "starts_on": day(0), "count": 6}),
    )
    .await;
    let id = s["id"].as_str().unwrap().to_owned();
    assert_eq!(posts_with_text(&app, "Daily thought").await.len(), 6);
    // Skip the second date: its post is removed and it is not planned again.
    let skipped_post = occurrence(&s, &day(1))["post_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .post_json(
            &format!("/api/v1/publishing/recurring/{id}/skip"),
            &json!({"date": day(1)}),
        )
        .await;
    assert_eq!(r.status(), 200);
    let s: Value = r.json().await.unwrap();
    assert_eq!(occurrence(&s, &day(1))["status"], "skipped");
    assert_eq!(
        app.get(&format!("/api/v1/publishing/posts/{skipped_post}"))
            .await
            .status(),
        404
    );
    recurring::top_up_all(&app.state, thredops::clock::now())
        .await
        .unwrap();
    assert_eq!(posts_with_text(&app, "Daily thought").await.len(), 5);
    // A date the series does not fall on cannot be skipped.
    let r = app
        .post_json(
            &format!("/api/v1/publishing/recurring/{id}/skip"),
            &json!({"date": day(10)}),
        )
        .await;
    assert_eq!(r.status(), 422);
    // Edit the third occurrence as the ordinary post it is.
    let edited = occurrence(&s, &day(2))["post_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = app
        .client
        .put(app.url(&format!("/api/v1/publishing/posts/{edited}")))
        .json(&json!({"profile_id": profile, "content": {"parts": [{"text": "A special one"}]}, "action": "schedule", "local_time": format!("{}T11:15", day(2))}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let s = get_series(&app, &id).await;
    assert_eq!(occurrence(&s, &day(2))["status"], "edited");
    assert_eq!(occurrence(&s, &day(2))["local_time"], "11:15");
    // Edit the series: the waiting, unedited posts take the new text and time; the edited one
    // and the skip stay.
    let r = app
        .client
        .put(app.url(&format!("/api/v1/publishing/recurring/{id}")))
        .json(&json!({"profile_id": profile, "content": {"parts": [{"text": "Daily thought, revised"}]}, "frequency": "daily", "time": "10:30", "starts_on": day(0), "count": 6}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let s: Value = r.json().await.unwrap();
    assert!(posts_with_text(&app, "Daily thought").await.is_empty());
    let revised = posts_with_text(&app, "Daily thought, revised").await;
    assert_eq!(revised.len(), 4);
    assert!(
        revised
            .iter()
            .all(|p| p["local_time"].as_str().unwrap().ends_with("T10:30"))
    );
    assert_eq!(posts_with_text(&app, "A special one").await.len(), 1);
    assert_eq!(occurrence(&s, &day(1))["status"], "skipped");
    assert_eq!(occurrence(&s, &day(2))["status"], "edited");
    // Restore the skipped date: planned again with the series' current post.
    let r = app
        .post_json(
            &format!("/api/v1/publishing/recurring/{id}/restore"),
            &json!({"date": day(1)}),
        )
        .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        posts_with_text(&app, "Daily thought, revised").await.len(),
        5
    );
    // Stop: every waiting post goes, the edited one included; nothing is planned again.
    let r = app
        .post_json(
            &format!("/api/v1/publishing/recurring/{id}/stop"),
            &json!({}),
        )
        .await;
    let s: Value = r.json().await.unwrap();
    assert_eq!(s["state"], "stopped");
    recurring::top_up_all(&app.state, thredops::clock::now())
        .await
        .unwrap();
    assert!(
        posts_with_text(&app, "Daily thought, revised")
            .await
            .is_empty()
    );
    assert!(posts_with_text(&app, "A special one").await.is_empty());
    // Someone else's series is not found.
    let other = app.new_client();
    crate::helpers::sign_up_with(&app, &other, "nosy@example.com", crate::connect::PASSWORD).await;
    let r = other
        .get(app.url(&format!("/api/v1/publishing/recurring/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}

async fn occurrences_over_the_daily_quota_are_flagged_not_dropped(app: TestApp) {
    let (profile, _) = setup(&app, "quotaseries").await;
    let tomorrow = (thredops::clock::now() + chrono::Duration::days(1)).date_naive();
    let busy = format!("{tomorrow}T10:00");
    // 250 posts already planned for tomorrow 10:00: Meta's whole 24-hour quota.
    for n in 0..250 {
        let r = app
            .post_json("/api/v1/publishing/posts", &json!({"profile_id": profile, "content": {"parts": [{"text": format!("Busy {n}")}]}, "action": "schedule", "local_time": busy}))
            .await;
        assert_eq!(r.status(), 201);
    }
    let s = create_series(
        &app,
        &json!({"profile_id": profile, "content": {"parts": [{"text": "One more"}]}, "frequency": "daily", "time": "10:05", "starts_on": tomorrow.to_string(), "count": 2}),
    )
    .await;
    let first = occurrence(&s, &tomorrow.to_string());
    let second = occurrence(&s, &(tomorrow + chrono::Duration::days(1)).to_string());
    assert_eq!(first["over_quota"], true, "{s}");
    assert_eq!(second["over_quota"], false, "{s}");
    // Still planned, with the reason on the post, not dropped.
    let post = get_post(&app, first["post_id"].as_str().unwrap()).await;
    assert_eq!(post["state"], "scheduled");
    assert!(
        post["note"]
            .as_str()
            .unwrap_or_default()
            .contains("Over the daily quota"),
        "{post}"
    );
    let calm = get_post(&app, second["post_id"].as_str().unwrap()).await;
    assert!(calm["note"].is_null(), "{calm}");
}

async fn a_recurring_occurrence_is_published_once_after_a_crashed_worker(app: TestApp) {
    let (profile, user_id) = setup(&app, "crashseries").await;
    let session = sandbox_session(&app, user_id);
    let start = thredops::clock::now() + chrono::Duration::hours(2);
    let texts = ["Recurring crash after publish", "Recurring plain run"];
    let mut posts = Vec::new();
    for text in texts {
        let s = create_series(
            &app,
            &json!({"profile_id": profile, "content": {"parts": [{"text": text}]}, "frequency": "daily", "time": start.format("%H:%M").to_string(), "starts_on": start.date_naive().to_string(), "count": 1}),
        )
        .await;
        posts.push(s["occurrences"][0]["post_id"].as_str().unwrap().to_owned());
    }
    // A second runner competes with this app's for every run.
    let _second = start_second_runner(&app);
    // The first: a worker marked its publishing call, the call went through, the worker died.
    assert!(mark_publish_started(&app, &posts[0]).await.is_none());
    auto_publish(&session, texts[0]).await;
    for id in &posts {
        make_due_now(&app, id).await;
    }
    // Top-ups keep running meanwhile: the dates already have their posts.
    recurring::top_up_all(&app.state, thredops::clock::now())
        .await
        .unwrap();
    publish_everything(&app).await;
    let t = truth(&app, user_id).await;
    for (id, text) in posts.iter().zip(texts) {
        let p = get_post(&app, id).await;
        assert_eq!(p["state"], "published", "{p}");
        assert_eq!(p["media_id"], once(&t["posts"], text)["id"]);
    }
    let recovered = get_post(&app, &posts[0]).await;
    assert!(
        recovered["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["kind"] == "recovered"),
        "{recovered}"
    );
    // A published occurrence can no longer be skipped.
    let series: Vec<Value> = app
        .get("/api/v1/publishing/recurring")
        .await
        .json()
        .await
        .unwrap();
    let id = series[0]["id"].as_str().unwrap();
    let r = app
        .post_json(
            &format!("/api/v1/publishing/recurring/{id}/skip"),
            &json!({"date": start.date_naive().to_string()}),
        )
        .await;
    assert_eq!(r.status(), 409);
}

async fn bad_series_are_refused_beside_the_field(app: TestApp) {
    let (profile, _) = setup(&app, "badseries").await;
    let cases = [
        (
            json!({"frequency": "weekly", "days": [], "time": "09:00"}),
            "days",
        ),
        (
            json!({"frequency": "monthly", "weekday": "mon", "nth": 7, "time": "09:00"}),
            "nth",
        ),
        (json!({"frequency": "daily", "time": "9 am"}), "time"),
        (json!({"frequency": "hourly", "time": "09:00"}), "frequency"),
        (
            json!({"frequency": "daily", "time": "09:00", "starts_on": "2027-05-02", "ends_on": "2027-05-01"}),
            "ends_on",
        ),
    ];
    for (rule, field) in cases {
        let mut body = rule.clone();
        body["profile_id"] = json!(profile);
        body["content"] = json!({"parts": [{"text": "Rule check"}]});
        let r = app.post_json("/api/v1/publishing/recurring", &body).await;
        assert_eq!(r.status(), 422, "{rule}");
        let v: Value = r.json().await.unwrap();
        assert!(v["error"]["fields"][field].is_string(), "{rule} -> {v}");
    }
    // The composer's preflight applies: too long is refused with the count.
    let r = app
        .post_json("/api/v1/publishing/recurring", &json!({"profile_id": profile, "content": {"parts": [{"text": "a".repeat(505)}]}, "frequency": "daily", "time": "09:00"}))
        .await;
    assert_eq!(r.status(), 422);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["error"]["fields"]["parts[0].text"]
            .as_str()
            .unwrap()
            .contains("Remove 5 characters"),
        "{v}"
    );
    assert!(posts_with_text(&app, "Rule check").await.is_empty());
}

on_both_backends!(the_recurring_pages_plan_skip_and_keep_input_on_errors);

async fn the_recurring_pages_plan_skip_and_keep_input_on_errors(app: TestApp) {
    let (profile, _) = setup(&app, "seriespage").await;
    let calendar = app.get("/app/schedule").await.text().await.unwrap();
    assert!(
        calendar.contains("/app/schedule/recurring"),
        "linked from the schedule"
    );
    let page = app.get("/app/schedule/recurring").await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    let csrf = crate::connect::csrf_in(&page);
    // A weekly rule without weekdays: the problem beside the field, everything typed kept.
    let r = app
        .client
        .post(app.url("/app/schedule/recurring"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("profile_id", &profile),
            ("text", "Typed and kept"),
            ("frequency", "weekly"),
            ("time", "08:15"),
            ("end", "never"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(html.contains("Choose at least one weekday"), "{html}");
    assert!(html.contains("Typed and kept") && html.contains("08:15"));
    assert!(posts_with_text(&app, "Typed and kept").await.is_empty());
    // Mondays and Thursdays, four times.
    let r = app
        .client
        .post(app.url("/app/schedule/recurring"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("profile_id", &profile),
            ("text", "Typed and kept"),
            ("frequency", "weekly"),
            ("day_mon", "on"),
            ("day_thu", "on"),
            ("time", "08:15"),
            ("end", "count"),
            ("count", "4"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let html = app.get(&location).await.text().await.unwrap();
    assert!(
        html.contains("Every Monday and Thursday at 08:15, 4 times"),
        "{html}"
    );
    let posts = posts_with_text(&app, "Typed and kept").await;
    assert_eq!(posts.len(), 4);
    // Skip the first from the page.
    let mut times: Vec<&str> = posts
        .iter()
        .map(|p| p["local_time"].as_str().unwrap())
        .collect();
    times.sort();
    let first = &times[0][..10];
    let r = app
        .client
        .post(app.url(&format!("{location}/skip")))
        .form(&[("csrf", csrf.as_str()), ("date", first)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let after = app
        .get(r.headers()["location"].to_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert!(after.contains(&format!("The post of {first} is skipped.")));
    assert!(after.contains(&format!("Restore {first}")));
    assert_eq!(posts_with_text(&app, "Typed and kept").await.len(), 3);
}

on_both_backends!(series_are_exported_readably_and_purged_with_the_account);

async fn series_are_exported_readably_and_purged_with_the_account(app: TestApp) {
    let (profile, _) = setup(&app, "seriesprivacy").await;
    let planted = format!("planted-series-{}", uuid::Uuid::new_v4().simple());
    let s = create_series(
        &app,
        &json!({"profile_id": profile, "content": {"parts": [{"text": planted}]}, "frequency": "daily", "time": "07:45", "count": 3}),
    )
    .await;
    let file = crate::privacy::export_reader(&app).await;
    let content: Value = serde_json::from_str(&file("content.json")).unwrap();
    assert_eq!(
        content["recurring_series"][0]["content"]["parts"][0]["text"],
        planted.as_str()
    );
    assert!(file("tables/recurring_series.csv").contains(s["id"].as_str().unwrap()));
    assert!(file("tables/recurring_occurrences.csv").contains(s["id"].as_str().unwrap()));
    // Deleting the account removes the series and every occurrence with it.
    let user_id: String = thredops::with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT user_id FROM recurring_series WHERE id = $1"
    )
    .bind(s["id"].as_str().unwrap())
    .fetch_one(p)
    .await)
    .unwrap();
    let traces = crate::privacy::Traces {
        user_ids: vec![user_id],
        profile_ids: vec![profile],
        threads_user_ids: vec![],
    };
    let left = crate::privacy::delete_account_leaves(&app, &traces, "recurring_").await;
    assert!(left.is_empty(), "{left:?}");
}
