//! Deep Audit: scored sections with evidence, deterministic, stored with changes, printable.

use serde_json::{Value, json};
use threads_sandbox::CreatorTraits;
use threads_sandbox::world::traits::Gap;
use thredops::strategy::AUDIT_JOB;

use super::connected;
use crate::connect::{csrf_in, run_due_now};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    an_audit_scores_nine_sections_finds_the_break_and_repeats_exactly,
    an_audit_of_a_tiny_profile_says_there_is_not_enough_data,
    the_audit_pages_run_an_audit_and_print_the_report,
);

/// Requests an audit, runs the job and returns the finished audit.
pub async fn audit(app: &TestApp, id: &str) -> Value {
    let r = app
        .post_json(&format!("/api/v1/profiles/{id}/audits"), &json!({}))
        .await;
    assert_eq!(r.status(), 202);
    let queued: Value = r.json().await.unwrap();
    assert!(["queued", "running", "done"].contains(&queued["status"].as_str().unwrap()));
    // A busy database can make an attempt retry later; the creator simply waits for it.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let done = loop {
        run_due_now(app, AUDIT_JOB).await;
        let now: Value = app
            .get(&format!(
                "/api/v1/audits/{}",
                queued["id"].as_str().unwrap()
            ))
            .await
            .json()
            .await
            .unwrap();
        if !["queued", "running"].contains(&now["status"].as_str().unwrap())
            || std::time::Instant::now() > deadline
        {
            break now;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["progress"], 100);
    done
}

fn section<'a>(audit: &'a Value, key: &str) -> &'a Value {
    audit["report"]["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("no {key}"))
}

async fn an_audit_scores_nine_sections_finds_the_break_and_repeats_exactly(app: TestApp) {
    let traits = CreatorTraits {
        username: Some("audited".into()),
        posts: Some(400),
        followers: Some(2_500),
        history_days: Some(200),
        gaps: vec![Gap {
            ends_days_ago: 10,
            days: 25,
        }],
        ..Default::default()
    };
    let id = connected(&app, "audit@example.com", traits).await;
    let first = audit(&app, &id).await;
    let report = &first["report"];
    let keys: Vec<&str> = report["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "consistency",
            "format_mix",
            "engagement_quality",
            "conversation",
            "growth_trend",
            "timing_fit",
            "link_topic_use",
            "publishing_reliability",
            "profile_completeness"
        ]
    );
    for s in report["sections"].as_array().unwrap() {
        assert!(s["score"].as_u64().unwrap() <= 100);
        assert!(
            !s["findings"].as_array().unwrap().is_empty()
                && !s["next_action"].as_str().unwrap().is_empty(),
            "{s}"
        );
    }
    // The weighted mean of the sections is the score.
    let (sum, weights) =
        report["sections"]
            .as_array()
            .unwrap()
            .iter()
            .fold((0.0, 0.0), |(a, w), s| {
                (
                    a + s["score"].as_f64().unwrap() * s["weight"].as_f64().unwrap(),
                    w + s["weight"].as_f64().unwrap(),
                )
            });
    assert_eq!(report["score"].as_f64().unwrap(), (sum / weights).round());
    assert_eq!(first["score"], report["score"]);
    let consistency = section(&first, "consistency");
    let gap = consistency["evidence"]["recent_longest_gap_days"]
        .as_f64()
        .unwrap();
    assert!((24.0..=27.0).contains(&gap), "break of {gap} days");
    assert!(consistency["score"].as_u64().unwrap() < 80, "{consistency}");
    assert!(
        consistency["findings"]
            .to_string()
            .contains(&format!("{gap:.1}-day break"))
    );
    let rate = section(&first, "engagement_quality")["evidence"]["median_engagement_rate"]
        .as_f64()
        .unwrap();
    assert!(
        (0.03..0.09).contains(&rate),
        "sandbox engagement is about 6% of views, got {rate}"
    );
    assert_eq!(
        section(&first, "profile_completeness")["evidence"]["biography"],
        true
    );
    assert!(report["changes"].is_null());

    // Same data, same audit; the second one reports no change against the first.
    let second = audit(&app, &id).await;
    assert_eq!(second["report"]["sections"], first["report"]["sections"]);
    let changes = &second["report"]["changes"];
    assert_eq!(changes["delta"], 0);
    assert_eq!(changes["score_before"], first["score"]);
    assert!(
        changes["sections"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["delta"] == 0)
    );
    let list: Value = app
        .get(&format!("/api/v1/profiles/{id}/audits"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2);
    assert_eq!(list[0]["id"], second["id"]);
}

async fn an_audit_of_a_tiny_profile_says_there_is_not_enough_data(app: TestApp) {
    let traits = CreatorTraits {
        username: Some("tiny_audit".into()),
        posts: Some(10),
        followers: Some(30),
        history_days: Some(40),
        ..Default::default()
    };
    let id = connected(&app, "tinyaudit@example.com", traits).await;
    let done = audit(&app, &id).await;
    assert_eq!(done["report"]["enough_data"], false);
    assert_eq!(done["report"]["posts"], 10);
    // No number is presented as a score of so few posts; the report says why.
    assert!(
        done["score"].is_null() && done["report"]["score"].is_null(),
        "{done}"
    );
    assert!(
        done["report"]["score_note"]
            .as_str()
            .unwrap()
            .starts_with("Not yet meaningful"),
        "{done}"
    );
    assert!(
        section(&done, "growth_trend")["findings"][0]
            .as_str()
            .unwrap()
            .starts_with("Not enough data")
    );
}

async fn the_audit_pages_run_an_audit_and_print_the_report(app: TestApp) {
    let id = connected(
        &app,
        "pages@example.com",
        super::video_creator("page_creator"),
    )
    .await;
    let page = app.get("/app/audit").await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(html.contains(&format!("/app/audit/{id}")), "{html}");
    let detail = app
        .get(&format!("/app/audit/{id}"))
        .await
        .text()
        .await
        .unwrap();
    let r = app
        .client
        .post(app.url(&format!("/app/audit/{id}/run")))
        .form(&[("csrf", csrf_in(&detail))])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    run_due_now(&app, AUDIT_JOB).await;
    let list: Value = app
        .get(&format!("/api/v1/profiles/{id}/audits"))
        .await
        .json()
        .await
        .unwrap();
    let audit_id = list[0]["id"].as_str().unwrap();
    let score = list[0]["score"].as_i64().unwrap();
    let printable = app.get(&format!("/app/audit/reports/{audit_id}")).await;
    assert_eq!(printable.status(), 200);
    let html = printable.text().await.unwrap();
    assert!(
        html.contains(&format!("{score}/100")) && html.contains("Publishing reliability"),
        "{html}"
    );
    assert!(!html.contains("style=") && !html.contains("<script>"));
    // The evidence reads as words and formatted numbers: no JSON, Unix times or long fractions.
    let evidence: Vec<&str> = html
        .split("<dd>")
        .skip(1)
        .map(|d| d.split("</dd>").next().unwrap())
        .collect();
    assert!(evidence.len() > 9, "every section shows its evidence");
    for value in &evidence {
        assert!(
            !value.contains('{') && !value.contains("&quot;") && !value.contains('"'),
            "raw JSON in the report: {value}"
        );
        for number in value.split(|c: char| !(c.is_ascii_digit() || c == '.')) {
            let digits = number.split('.').next().unwrap_or("");
            assert!(
                digits.len() < 9,
                "a Unix time or an ungrouped number: {value}"
            );
            let decimals = number.split('.').nth(1).unwrap_or("");
            assert!(decimals.len() <= 2, "a long fraction: {value}");
        }
    }
    let strategist = app.get(&format!("/app/strategist/{id}")).await;
    assert_eq!(strategist.status(), 200);
    let html = strategist.text().await.unwrap();
    assert!(
        html.contains("Post more video") && !html.contains("style="),
        "{html}"
    );
    // A bad experiment form re-renders with the message and keeps the input.
    let r = app
        .client
        .post(app.url(&format!("/app/strategist/{id}/experiments")))
        .form(&[
            ("csrf", csrf_in(&html).as_str()),
            ("kind", "format"),
            ("value", "GIF"),
            ("days", "14"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Choose a format") && html.contains("value=\"GIF\""),
        "{html}"
    );
}
