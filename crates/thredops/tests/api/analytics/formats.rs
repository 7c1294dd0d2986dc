//! Numbers and times as a reader expects them: thousands separators in the browser's language
//! (English 1,598,672, German 1.598.672) and times in the user's own time zone.

use chrono::TimeZone;
use chrono_tz::Europe::Berlin;

use super::fixtures::{add_days, empty_profile, set_tz};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    numbers_use_the_separators_of_the_readers_language,
    a_berlin_user_reads_times_in_berlin_time,
);

async fn page_in(app: &TestApp, path: &str, language: &str) -> String {
    app.client
        .get(app.url(path))
        .header("accept-language", language)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

async fn numbers_use_the_separators_of_the_readers_language(app: TestApp) {
    let (id, _) = empty_profile(&app, "big@example.com", 40).await;
    // A planted follower count, the last of the period.
    add_days(
        &app,
        &id,
        &[
            ("2025-06-01", 1_598_000, None),
            ("2025-06-02", 1_598_672, None),
        ],
    )
    .await;
    let path = format!("/app/profiles/{id}/analytics?period=custom&from=2025-06-01&to=2025-06-02");
    let metric = |html: &str| {
        let start = html
            .find("data-metric=\"followers\">")
            .expect("the followers metric");
        html[start..]
            .split('>')
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .to_owned()
    };
    let en = page_in(&app, &path, "en-US,en;q=0.9").await;
    assert_eq!(metric(&en), "1,598,672", "English separators");
    assert!(!en.contains("1598672"), "no ungrouped number");
    // The data table beside the chart too, and the dates are spelled out once.
    assert!(
        en.contains("<td>1,598,672</td>"),
        "the data table is formatted"
    );
    assert!(en.contains("2 Jun 2025"), "dates read as dates");
    let de = page_in(&app, &path, "de-DE,de;q=0.9,en;q=0.5").await;
    assert_eq!(metric(&de), "1.598.672", "German separators");
    assert!(de.contains("<td>1.598.672</td>"));
    // A language we do not know falls back to English.
    let ja = page_in(&app, &path, "ja").await;
    assert_eq!(metric(&ja), "1,598,672");
}

async fn a_berlin_user_reads_times_in_berlin_time(app: TestApp) {
    let (id, _) = empty_profile(&app, "berlin@example.com", 40).await;
    set_tz(&app, "Europe/Berlin").await;
    let profile: serde_json::Value = app
        .get(&format!("/api/v1/profiles/{id}"))
        .await
        .json()
        .await
        .unwrap();
    let synced = profile["sync"]["last_sync_at"]
        .as_i64()
        .expect("the profile has synced");
    let berlin = Berlin.timestamp_opt(synced, 0).unwrap();
    let utc = chrono::Utc.timestamp_opt(synced, 0).unwrap();
    let html = page_in(&app, &format!("/app/profiles/{id}"), "en").await;
    let expected = berlin.format("%H:%M %Z").to_string();
    assert!(
        expected.ends_with("CET") || expected.ends_with("CEST"),
        "{expected}"
    );
    assert!(
        html.contains(&expected),
        "the last sync reads {expected} in Berlin time: {html}"
    );
    assert!(
        !html.contains(&utc.format("%H:%M UTC").to_string()),
        "no UTC time for a Berlin user"
    );
    // The page tells the browser not to rewrite the times into its own zone.
    assert!(
        html.contains("data-tz=\"Europe&#x2f;Berlin\"")
            || html.contains("data-tz=\"Europe/Berlin\"")
    );
}
