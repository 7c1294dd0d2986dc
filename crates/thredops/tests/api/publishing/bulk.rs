//! Bulk import from CSV: per-row problems with line numbers and nothing stored before the user
//! confirms; the confirmation stores exactly the good rows, in their time zones; the plan's
//! export imports back as the same plan.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::support::*;
use crate::connect::csrf_in;
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    bad_rows_are_reported_by_line_and_nothing_is_stored_before_confirming,
    confirming_stores_exactly_the_good_rows_in_their_time_zones,
    the_exported_plan_imports_back_as_the_same_plan,
);

async fn planned(app: &TestApp) -> Vec<Value> {
    app.get("/api/v1/publishing/posts")
        .await
        .json()
        .await
        .unwrap()
}

fn next_year() -> i32 {
    chrono::Datelike::year(&thredops::clock::now()) + 1
}

fn sample(username: &str) -> String {
    let y = next_year();
    format!(
        "text,scheduled_time,timezone,profile\n\
         Good one,{y}-03-29 09:00,Europe/Berlin,@{username}\n\
         Bad time,tomorrow-ish,,\n\
         Bad zone,{y}-03-29 09:00,Mars/Olympus,\n\
         {long},{y}-03-29 09:00,,\n\
         Stranger,{y}-03-29 09:00,,@somebody_else\n\
         \"Good, with a comma\",{y}-06-01 18:30,America/New_York,\n",
        long = "a".repeat(505)
    )
}

async fn bad_rows_are_reported_by_line_and_nothing_is_stored_before_confirming(app: TestApp) {
    setup(&app, "importer").await;
    let csv = sample("importer");
    let r = app
        .post_json("/api/v1/publishing/import/preview", &json!({"csv": csv}))
        .await;
    assert_eq!(r.status(), 200);
    let p: Value = r.json().await.unwrap();
    assert_eq!((p["good"].as_u64(), p["bad"].as_u64()), (Some(2), Some(4)));
    let row = |line: u64| {
        p["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["row"] == line)
            .unwrap_or_else(|| panic!("no line {line}: {p}"))
            .clone()
    };
    assert!(row(2)["problems"].as_object().unwrap().is_empty());
    assert!(
        row(3)["problems"]["scheduled_time"]
            .as_str()
            .unwrap()
            .contains("tomorrow-ish")
    );
    assert!(
        row(4)["problems"]["timezone"]
            .as_str()
            .unwrap()
            .contains("Mars/Olympus")
    );
    // The composer's preflight, word for word.
    assert!(
        row(5)["problems"]["text"]
            .as_str()
            .unwrap()
            .contains("Remove 5 characters")
    );
    assert!(row(6)["problems"]["profile"].is_string());
    assert_eq!(row(7)["timezone"], "America/New_York");
    assert!(planned(&app).await.is_empty(), "a preview stores nothing");

    // The page: a file upload shows the same lines and problems, and stores nothing either.
    let page = app.get("/app/schedule/import").await.text().await.unwrap();
    let csrf = csrf_in(&page);
    let form = reqwest::multipart::Form::new()
        .text("csrf", csrf.clone())
        .text("csv", "")
        .part(
            "file",
            reqwest::multipart::Part::bytes(csv.clone().into_bytes())
                .file_name("plan.csv")
                .mime_str("text/csv")
                .unwrap(),
        );
    let r = app
        .client
        .post(app.url("/app/schedule/import/preview"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("2 posts to import, 4 rows with problems"),
        "{html}"
    );
    assert!(html.contains("Line 4, timezone:"), "{html}");
    assert!(html.contains("Line 3, scheduled time:"), "{html}");
    assert!(html.contains("Import 2 posts"));
    assert!(planned(&app).await.is_empty());
    // A file that is no CSV at all is refused as a whole, beside nothing imported.
    let r = app
        .post_json("/api/v1/publishing/import", &json!({"csv": "\n\n"}))
        .await;
    assert_eq!(r.status(), 422);
    assert!(planned(&app).await.is_empty());
}

async fn confirming_stores_exactly_the_good_rows_in_their_time_zones(app: TestApp) {
    setup(&app, "confirmer").await;
    let csv = sample("confirmer");
    let page = app.get("/app/schedule/import").await.text().await.unwrap();
    let csrf = csrf_in(&page);
    // Pasted text (no file): the preview carries the text to the confirmation.
    let r = app
        .client
        .post(app.url("/app/schedule/import/preview"))
        .form(&[("csrf", csrf.as_str()), ("csv", csv.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = r.text().await.unwrap();
    assert!(html.contains("/app/schedule/import/confirm"));
    let r = app
        .client
        .post(app.url("/app/schedule/import/confirm"))
        .form(&[("csrf", csrf.as_str()), ("csv", csv.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let done = app
        .get(r.headers()["location"].to_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert!(
        done.contains("Imported 2 posts; 4 rows with problems were left out."),
        "{done}"
    );
    let posts = planned(&app).await;
    let mut texts: Vec<&str> = posts
        .iter()
        .map(|p| p["content"]["parts"][0]["text"].as_str().unwrap())
        .collect();
    texts.sort();
    assert_eq!(texts, ["Good one", "Good, with a comma"]);
    let y = next_year();
    let at = |s: String| {
        DateTime::parse_from_rfc3339(&s)
            .unwrap()
            .with_timezone(&Utc)
            .timestamp()
    };
    let berlin = posts
        .iter()
        .find(|p| p["content"]["parts"][0]["text"] == "Good one")
        .unwrap();
    assert_eq!(berlin["timezone"], "Europe/Berlin");
    assert_eq!(berlin["state"], "scheduled");
    assert_eq!(
        berlin["scheduled_at"].as_i64().unwrap(),
        at(format!("{y}-03-29T07:00:00Z"))
    );
    let ny = posts
        .iter()
        .find(|p| p["content"]["parts"][0]["text"] == "Good, with a comma")
        .unwrap();
    assert_eq!(
        ny["scheduled_at"].as_i64().unwrap(),
        at(format!("{y}-06-01T22:30:00Z"))
    );
    // Ordinary posts: the ledger says where they came from.
    let one = get_post(&app, berlin["id"].as_str().unwrap()).await;
    assert!(
        one["timeline"][0]["message"]
            .as_str()
            .unwrap()
            .contains("line 2 of a CSV file"),
        "{one}"
    );
}

async fn the_exported_plan_imports_back_as_the_same_plan(app: TestApp) {
    let (profile, _) = setup(&app, "roundtrip").await;
    let y = next_year();
    let image = upload_png(&app, "round.png", 600, 600).await;
    let posts = [
        (
            json!({"parts": [{"text": "Line one\nline two, \"quoted\""}]}),
            format!("{y}-02-03T08:15"),
        ),
        (
            json!({"parts": [{"text": "-minus starts it"}]}),
            format!("{y}-02-04T20:00"),
        ),
        (
            json!({"parts": [{"text": "With a picture", "media": [{"id": image}]}]}),
            format!("{y}-02-05T12:00"),
        ),
    ];
    for (content, local) in &posts {
        let r = app
            .post_json("/api/v1/publishing/posts", &json!({"profile_id": profile, "content": content, "action": "schedule", "local_time": local}))
            .await;
        assert_eq!(r.status(), 201);
    }
    let r = app.get("/api/v1/publishing/export.csv").await;
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = r.text().await.unwrap();
    assert!(
        csv.starts_with("text,scheduled_time,timezone,profile,media"),
        "{csv}"
    );
    assert!(
        csv.contains("'-minus starts it"),
        "formulas are defused: {csv}"
    );
    // The page's link serves the same file.
    let page_csv = app
        .get("/app/schedule/export.csv")
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(page_csv, csv);
    let r = app
        .post_json("/api/v1/publishing/import", &json!({"csv": csv}))
        .await;
    assert_eq!(r.status(), 201);
    let imported: Value = r.json().await.unwrap();
    assert_eq!(imported["posts"].as_array().unwrap().len(), 3, "{imported}");
    assert!(imported["skipped"].as_array().unwrap().is_empty());
    let all = planned(&app).await;
    assert_eq!(all.len(), 6);
    let key = |p: &Value| {
        (
            p["content"].to_string(),
            p["scheduled_at"].as_i64(),
            p["timezone"].to_string(),
            p["profile_id"].to_string(),
        )
    };
    let mut keys: Vec<_> = all.iter().map(key).collect();
    keys.sort();
    for pair in keys.chunks(2) {
        assert_eq!(pair[0], pair[1], "each post has its exact copy");
    }
}
