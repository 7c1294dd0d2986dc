//! Suggested times: the profile's best weekday × hour cells in the user's zone, free hours only,
//! posting slots while the history is too thin; the composer lists them without JavaScript.

use chrono::Timelike;
use serde_json::{Value, json};
use threads_sandbox::CreatorTraits;

use super::support::{get_post, setup};
use crate::connect::csrf_in;
use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::strategy::connected;

on_both_backends!(
    suggested_times_are_the_free_hours_the_profile_does_best_in_the_users_zone,
    a_thin_history_says_so_and_falls_back_to_posting_slots,
    the_composer_lists_suggested_times_that_schedule_without_javascript,
);

/// A creator whose posts between 19:00 and 22:00 Tokyo time get 2.5 times the views.
async fn evening_creator(app: &TestApp, name: &str) -> String {
    let traits = CreatorTraits {
        username: Some(name.to_owned()),
        posts: Some(600),
        followers: Some(3_000),
        history_days: Some(300),
        best_hours: Some(vec![19, 20, 21]),
        hour_boost: Some(2.5),
        audience_utc_offset: Some(9),
        ..Default::default()
    };
    let id = connected(app, &format!("{name}@example.com"), traits).await;
    let r = app
        .client
        .put(app.url("/api/v1/me/timezone"))
        .json(&json!({"timezone": "Asia/Tokyo"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    id
}

async fn suggested(app: &TestApp, profile: &str, query: &str) -> Value {
    let r = app
        .get(&format!(
            "/api/v1/profiles/{profile}/suggested-times{query}"
        ))
        .await;
    let status = r.status();
    let body: Value = r.json().await.unwrap();
    assert_eq!(status, 200, "{body}");
    body
}

fn local_times(s: &Value) -> Vec<String> {
    s["suggestions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["local_time"].as_str().unwrap().to_owned())
        .collect()
}

async fn suggested_times_are_the_free_hours_the_profile_does_best_in_the_users_zone(app: TestApp) {
    let profile = evening_creator(&app, "evenings").await;
    let s = suggested(&app, &profile, "?count=8").await;
    assert_eq!(s["source"], "best_times", "{s}");
    assert_eq!(s["enough_data"], true);
    assert_eq!(s["timezone"], "Asia/Tokyo");
    assert!(s["posts_analysed"].as_u64().unwrap() >= 500, "{s}");
    let list = s["suggestions"].as_array().unwrap();
    assert_eq!(list.len(), 8);
    let now = thredops::clock::now().timestamp();
    let mut previous = now;
    for t in list {
        let at = t["scheduled_at"].as_i64().unwrap();
        assert!(at > previous, "future times, soonest first: {s}");
        previous = at;
        let tokyo = chrono::DateTime::from_timestamp(at, 0)
            .unwrap()
            .with_timezone(&chrono_tz::Asia::Tokyo);
        assert!([19, 20, 21].contains(&tokyo.hour()), "{t}");
        assert_eq!(t["local_time"], tokyo.format("%Y-%m-%dT%H:%M").to_string());
        assert!(t["cell"]["views_vs_typical"].as_f64().unwrap() > 1.3, "{t}");
        assert!(t["why"].as_str().unwrap().contains("x the views"), "{t}");
    }
    // Once a post holds the first time, that hour is no longer offered.
    let first = list[0]["local_time"].as_str().unwrap().to_owned();
    let r = app
        .post_json("/api/v1/publishing/posts", &json!({"profile_id": profile, "content": {"parts": [{"text": "Evening post"}]}, "action": "schedule", "local_time": first}))
        .await;
    assert_eq!(r.status(), 201);
    let again = local_times(&suggested(&app, &profile, "?count=8").await);
    assert_eq!(again.len(), 8);
    assert!(!again.contains(&first), "{again:?}");
    assert_eq!(again[..7], local_times(&s)[1..]);
    let bad = app
        .get(&format!(
            "/api/v1/profiles/{profile}/suggested-times?count=50"
        ))
        .await;
    assert_eq!(bad.status(), 422);
    let spec: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    assert!(spec["paths"]["/api/v1/profiles/{id}/suggested-times"]["get"].is_object());
}

async fn a_thin_history_says_so_and_falls_back_to_posting_slots(app: TestApp) {
    let (profile, _) = setup(&app, "newcomer").await;
    let s = suggested(&app, &profile, "").await;
    assert_eq!(
        (s["source"].as_str(), s["enough_data"].as_bool()),
        (Some("none"), Some(false))
    );
    let message = s["message"].as_str().unwrap();
    assert!(
        message.starts_with("Not enough data yet") && message.contains("no free posting slots"),
        "{message}"
    );
    let slots = app
        .client
        .put(app.url(&format!("/api/v1/publishing/profiles/{profile}/slots")))
        .json(&json!([{"day": "tue", "time": "09:00"}, {"day": "thu", "time": "17:30"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(slots.status(), 200);
    let s = suggested(&app, &profile, "?count=3").await;
    assert_eq!(s["source"], "posting_slots", "{s}");
    assert!(s["message"].as_str().unwrap().contains("posting slots"));
    let times = local_times(&s);
    assert_eq!(times.len(), 3);
    assert!(
        times
            .iter()
            .all(|t| t.ends_with("T09:00") || t.ends_with("T17:30")),
        "{times:?}"
    );
}

async fn the_composer_lists_suggested_times_that_schedule_without_javascript(app: TestApp) {
    let profile = evening_creator(&app, "composer_evenings").await;
    let page = app.get("/app/schedule/new").await.text().await.unwrap();
    let first = local_times(&suggested(&app, &profile, "").await)[0].clone();
    assert!(
        page.contains(&format!(
            "type=\"radio\" name=\"suggested_time\" value=\"{first}\""
        )),
        "suggested times are radio buttons"
    );
    assert!(page.contains("Suggest times for the chosen profile"));
    let csrf = csrf_in(&page);
    let form = |action: &'static str| {
        [
            ("csrf", csrf.clone()),
            ("profile_id", profile.clone()),
            ("text", "Picked from the suggestions".to_owned()),
            ("local_time", "2030-05-06T09:30".to_owned()),
            ("suggested_time", first.clone()),
            ("action", action.to_owned()),
        ]
    };
    let submit = |action| {
        app.client
            .post(app.url("/app/schedule/new"))
            .form(&form(action))
            .send()
    };
    // "Suggest" lists the times again for the chosen profile and keeps what was typed.
    let r = submit("suggest").await.unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("Picked from the suggestions"));
    assert!(html.contains(&format!("value=\"{first}\" checked")));
    // Scheduling takes the picked suggestion over the date field.
    let r = submit("schedule").await.unwrap();
    assert_eq!(r.status(), 303);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let id = location.rsplit('/').next().unwrap();
    let post = get_post(&app, id).await;
    assert_eq!(post["local_time"], first.as_str());
    assert_eq!(post["timezone"], "Asia/Tokyo");
}
