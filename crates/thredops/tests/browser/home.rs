//! The home of the command centre as a creator opens it in the morning: the week's numbers with
//! thousands separators, the next post, a post that failed, the access state and the
//! strategist's finding, then the notification about the failure.

use serde_json::json;
use threads_sandbox::{FaultConfig, FaultRule};
use thredops::publishing::publisher::KIND;

use crate::connect::run_due_now;
use crate::publishing_support::{make_due_now, schedule_tomorrow};
use crate::setup::{Journey, PASSWORD, creator};

/// The text of every time the page's script may rewrite, and whether it did.
const TIMES: &str = r#"
return Array.from(document.querySelectorAll('time[data-unix]')).map(function (t) {
  return [t.textContent.trim(), t.hasAttribute('datetime')];
});
"#;

/// "Sat 5 Dec 2026, 09:30 UTC": the one way the app writes an instant.
fn one_format(text: &str) -> bool {
    let words: Vec<&str> = text.split(' ').collect();
    let [weekday, day, month, year, clock, zone] = words[..] else {
        return false;
    };
    let clock = clock.split(':').collect::<Vec<_>>();
    ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"].contains(&weekday)
        && day.parse::<u8>().is_ok_and(|d| (1..=31).contains(&d))
        && month.len() == 3
        && month.starts_with(|c: char| c.is_ascii_uppercase())
        && year.len() == 5
        && year.ends_with(',')
        && clock.len() == 2
        && clock
            .iter()
            .all(|p| p.len() == 2 && p.parse::<u8>().is_ok())
        && !zone.is_empty()
}

#[tokio::test]
async fn a_creator_opens_the_dashboard_and_sees_the_week_at_a_glance() {
    let Some(j) = Journey::start("home").await else {
        return;
    };
    let email = "noor.haddad@example.com";
    j.sign_up(email).await;
    assert!(
        j.text()
            .await
            .contains("Connect your first Threads profile"),
        "a new account is invited to connect"
    );
    let id = j.connect(creator("morning_coffee", 120, 12_500)).await;

    // Overnight: one post is planned for tomorrow, another failed because Threads refused it.
    let r = j.app.login(email, PASSWORD).await;
    assert_eq!(r.status(), 200);
    schedule_tomorrow(
        &j.app,
        &id,
        &json!({"parts": [{"text": "Tomorrow's launch thread"}]}),
    )
    .await;
    let failing = schedule_tomorrow(
        &j.app,
        &id,
        &json!({"parts": [{"text": "A post that will fail"}]}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    j.sandbox().set_faults(FaultConfig {
        rules: vec![FaultRule {
            route: "/{id}/threads".into(),
            method: Some("POST".into()),
            revoked_token: 1.0,
            ..FaultRule::default()
        }],
        ..FaultConfig::default()
    });
    make_due_now(&j.app, &failing).await;
    run_due_now(&j.app, KIND).await;
    j.sandbox().set_faults(FaultConfig::default());

    // The dashboard: one card per profile with the week's numbers, formatted.
    j.click_link("Dashboard").await;
    j.wait_for_text("Your command centre").await;
    let card = format!("#home-{id}");
    j.show(&card).await;
    assert_eq!(
        j.element(&format!(
            "{card} [data-metric=followers] .home-figure-value"
        ))
        .await
        .text()
        .await
        .unwrap(),
        "12,500"
    );
    let text = j.text().await;
    for expected in [
        "@morning_coffee",
        "Connected",
        "Profile views",
        "Engagement rate (%)",
        "Tomorrow's launch thread",
        "A post that will fail",
        "Reconnect the profile, then press Retry.",
        "Open the Strategist",
    ] {
        assert!(text.contains(expected), "the dashboard shows {expected}");
    }
    // Times the browser rewrites into its own zone read like the server's ("Sat 5 Dec 2026,
    // 09:30 UTC"), not in a second format beside them.
    let times = j.client.execute(TIMES, vec![]).await.unwrap();
    let times: Vec<(String, bool)> = serde_json::from_value(times).unwrap();
    assert!(!times.is_empty(), "the last sync is a time");
    for (time, rewritten) in &times {
        assert!(rewritten, "{time} was shown in the reader's zone");
        assert!(one_format(time), "{time} reads like the other times");
    }
    let next = j
        .element(&format!("{card} [data-list=next]"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        next.lines().any(one_format),
        "the next post's time is in the same format: {next}"
    );
    let unread = j.element("#unread-count").await.text().await.unwrap();
    assert!(unread.starts_with('1'), "one unread notification: {unread}");
    j.step("dashboard-with-data").await;
    // On a phone the card stacks into one column and nothing scrolls sideways.
    j.client.set_window_size(390, 844).await.unwrap();
    j.show(&format!("{card} [data-list=attention]")).await;
    j.step("dashboard-phone").await;
    j.client.set_window_size(1280, 900).await.unwrap();

    // The failed post links to its page.
    j.click(&format!(
        "[data-list=attention] a[href='/app/schedule/posts/{failing}']"
    ))
    .await;
    j.wait_for_text("Retry").await;
    j.step("failed-post").await;

    // The notification about it, read from the header link.
    j.click("a.notifications-link").await;
    j.wait_for_text("A scheduled post could not be published")
        .await;
    j.step("notifications").await;
    j.click("form[action$='/read'] button").await;
    j.wait_for_text("Marked as read.").await;
    assert_eq!(j.count("#unread-count").await, 0);
    j.step("notifications-read").await;
    j.finish().await;
}
