//! Recommendations, weekly plan and experiments find the traits the creators were built with.

use serde_json::json;
use threads_sandbox::CreatorTraits;
use threads_sandbox::world::traits::Gap;

use super::{connected, rec, strategy, video_creator};
use crate::connect::{PASSWORD, sandbox};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    videos_that_get_three_times_the_engagement_are_recommended_with_their_numbers,
    evenings_for_an_audience_in_japan_are_found_in_tokyo_time_and_planned,
    a_month_long_break_is_called_out_with_its_length,
    a_tiny_profile_gets_not_enough_data_instead_of_advice,
    an_experiment_on_past_posts_reports_the_measured_result,
    another_users_profile_is_not_found_on_every_strategy_route,
);

async fn videos_that_get_three_times_the_engagement_are_recommended_with_their_numbers(
    app: TestApp,
) {
    let id = connected(&app, "vid@example.com", video_creator("vid_creator")).await;
    let report = strategy(&app, &id).await;
    assert_eq!(report["enough_data"], true, "{report}");
    let formats = rec(&report, "formats");
    assert_eq!(formats["status"], "advice", "{formats}");
    assert_eq!(formats["evidence"]["best"], "VIDEO");
    assert_eq!(formats["title"], "Post more video");
    let video = formats["evidence"]["formats"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["format"] == "VIDEO")
        .unwrap();
    let lift = video["lift_vs_text"].as_f64().unwrap();
    assert!((2.3..=3.9).contains(&lift), "video vs text lift {lift}");
    assert!(video["posts"].as_u64().unwrap() >= 20);
    assert_eq!(video["vs_rest"]["confidence"], "high");
    assert!(formats["sample_size"].as_u64().unwrap() >= 300);
    assert!(
        formats["expected_effect"]
            .as_str()
            .unwrap()
            .contains("x the engagement")
    );
    assert_eq!(formats["experiment"]["kind"], "format");
    // Keywords of random sandbox text carry no signal: the strategist must not invent one.
    assert_ne!(rec(&report, "keywords")["status"], "advice");
}

async fn evenings_for_an_audience_in_japan_are_found_in_tokyo_time_and_planned(app: TestApp) {
    let traits = CreatorTraits {
        username: Some("tokyo_evenings".into()),
        posts: Some(600),
        followers: Some(3_000),
        history_days: Some(300),
        best_hours: Some(vec![19, 20, 21]),
        hour_boost: Some(2.5),
        audience_utc_offset: Some(9),
        top_country: Some("JP".into()),
        top_country_share: Some(0.8),
        ..Default::default()
    };
    let id = connected(&app, "jp@example.com", traits).await;
    use thredops::with_pool;
    with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE users SET timezone = 'Europe/Paris'"
    )
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let report = strategy(&app, &id).await;
    assert_eq!(report["audience"]["timezone"], "Asia/Tokyo");
    assert_eq!(report["audience"]["source"], "demographics");
    assert_eq!(report["audience"]["top_countries"][0]["country"], "JP");
    let share = report["audience"]["top_countries"][0]["share"]
        .as_f64()
        .unwrap();
    assert!((0.78..=0.82).contains(&share), "JP share {share}");
    let timing = rec(&report, "timing");
    assert_eq!(timing["status"], "advice", "{timing}");
    assert_eq!(
        timing["evidence"]["best_window"]["hours"],
        json!([19, 20, 21])
    );
    let lift = timing["evidence"]["comparison"]["lift"].as_f64().unwrap();
    assert!((1.9..=3.2).contains(&lift), "evening lift {lift}");
    assert!(
        timing["title"]
            .as_str()
            .unwrap()
            .starts_with("Post between 19:00 and 22:00")
    );
    // 19:00 in Tokyo is 10:00 UTC; in Paris that is 11:00 in winter and 12:00 in summer.
    let paris: chrono_tz::Tz = "Europe/Paris".parse().unwrap();
    let as_of = chrono::DateTime::from_timestamp(report["as_of"].as_i64().unwrap(), 0).unwrap();
    use chrono::Offset;
    let offset = as_of.with_timezone(&paris).offset().fix().local_minus_utc() / 3600;
    assert_eq!(
        timing["evidence"]["best_window"]["user_start_hour"],
        10 + offset
    );

    let plan: serde_json::Value = app
        .get(&format!("/api/v1/profiles/{id}/strategy/plan"))
        .await
        .json()
        .await
        .unwrap();
    let slots = plan["slots"].as_array().unwrap();
    assert!(
        slots.len() >= 3 && slots.len() == plan["posts"].as_u64().unwrap() as usize,
        "{plan}"
    );
    let now = sandbox(&app).clock().now_ts();
    for s in slots {
        let at = s["scheduled_at"].as_i64().unwrap();
        assert!(at > now, "slots are in the coming week");
        let hour = chrono::DateTime::from_timestamp(at, 0)
            .unwrap()
            .with_timezone(&chrono_tz::Asia::Tokyo);
        use chrono::Timelike;
        // Slots follow the advised window, hour by hour.
        assert!([19, 20, 21].contains(&hour.hour()), "slot at {hour}");
    }
    assert_eq!(
        plan["composer_prefill"].as_array().unwrap().len(),
        slots.len()
    );
    assert_eq!(plan["timezone"], "Europe/Paris");
}

async fn a_month_long_break_is_called_out_with_its_length(app: TestApp) {
    let traits = CreatorTraits {
        username: Some("gappy".into()),
        posts: Some(300),
        followers: Some(2_000),
        history_days: Some(200),
        gaps: vec![Gap {
            ends_days_ago: 20,
            days: 30,
        }],
        ..Default::default()
    };
    let id = connected(&app, "gap@example.com", traits).await;
    let report = strategy(&app, &id).await;
    let cadence = rec(&report, "cadence");
    assert_eq!(cadence["status"], "advice", "{cadence}");
    let gap = cadence["evidence"]["longest_gap_days"].as_f64().unwrap();
    assert!((29.0..=32.0).contains(&gap), "longest gap {gap}");
    assert_eq!(cadence["evidence"]["recent_longest_gap_days"], gap);
    assert!(cadence["evidence"]["gaps_over_a_week"].as_u64().unwrap() >= 1);
    // Weeks inside the break are inactive.
    assert!(cadence["evidence"]["active_weeks"].as_u64().unwrap() <= 9);
    assert!(
        cadence["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("{gap:.1} days"))
    );
}

async fn a_tiny_profile_gets_not_enough_data_instead_of_advice(app: TestApp) {
    let traits = CreatorTraits {
        username: Some("tiny".into()),
        posts: Some(12),
        followers: Some(40),
        history_days: Some(60),
        ..Default::default()
    };
    let id = connected(&app, "tiny@example.com", traits).await;
    let report = strategy(&app, &id).await;
    assert_eq!(report["enough_data"], false);
    assert!(
        report["message"]
            .as_str()
            .unwrap()
            .starts_with("Not enough data"),
        "{report}"
    );
    assert_eq!(report["recommendations"], json!([]));
    assert_eq!(report["posts_stored"], 12);
}

async fn an_experiment_on_past_posts_reports_the_measured_result(app: TestApp) {
    // A creator who already posts many videos: the test period has enough of them to measure.
    let traits = threads_sandbox::CreatorTraits {
        format_mix: Some(threads_sandbox::world::traits::FormatWeights {
            video: Some(0.6),
            ..Default::default()
        }),
        ..video_creator("exp_creator")
    };
    let id = connected(&app, "exp@example.com", traits).await;
    let path = format!("/api/v1/profiles/{id}/strategy/experiments");
    let bad = app
        .post_json(&path, &json!({"kind": "format", "value": "GIF", "days": 3}))
        .await;
    assert_eq!(bad.status(), 422);
    let body: serde_json::Value = bad.json().await.unwrap();
    assert!(
        body["error"]["fields"]["value"].is_string() && body["error"]["fields"]["days"].is_string(),
        "{body}"
    );
    let now = sandbox(&app).clock().now_ts();
    let r = app.post_json(&path, &json!({"kind": "format", "value": "video", "days": 56, "starts_at": now - 85 * 86_400})).await;
    assert_eq!(r.status(), 201);
    let list: serde_json::Value = app.get(&path).await.json().await.unwrap();
    let e = &list[0];
    assert_eq!(e["status"], "finished", "{e}");
    assert_eq!(e["spec"]["value"], "VIDEO");
    assert_eq!(e["result"]["verdict"], "worked", "{e}");
    let lift = e["result"]["comparison"]["lift"].as_f64().unwrap();
    assert!((2.0..=4.5).contains(&lift), "measured lift {lift}");
    let following = e["result"]["posts_following_plan"].as_u64().unwrap();
    let during = e["result"]["posts_during"].as_u64().unwrap();
    assert!(following > 0 && following < during);
    // A finished experiment cannot be cancelled.
    let cancel = app
        .client
        .post(app.url(&format!("{path}/{}/cancel", e["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(cancel.status(), 409);
}

async fn another_users_profile_is_not_found_on_every_strategy_route(app: TestApp) {
    let id = connected(&app, "owner@example.com", video_creator("owned")).await;
    let audit: serde_json::Value = app
        .post_json(&format!("/api/v1/profiles/{id}/audits"), &json!({}))
        .await
        .json()
        .await
        .unwrap();
    let other = app.new_client();
    crate::helpers::sign_up_with(&app, &other, "other@example.com", PASSWORD).await;
    for path in [
        format!("/api/v1/profiles/{id}/strategy"),
        format!("/api/v1/profiles/{id}/strategy/plan"),
        format!("/api/v1/profiles/{id}/strategy/experiments"),
        format!("/api/v1/profiles/{id}/audits"),
        format!("/api/v1/audits/{}", audit["id"].as_str().unwrap()),
        format!("/app/strategist/{id}"),
        format!("/app/audit/{id}"),
        format!("/app/audit/reports/{}", audit["id"].as_str().unwrap()),
    ] {
        let r = other.get(app.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
    }
    let r = other
        .post(app.url(&format!("/api/v1/profiles/{id}/strategy/experiments")))
        .json(&json!({"kind": "question"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = other
        .post(app.url(&format!("/api/v1/profiles/{id}/audits")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
