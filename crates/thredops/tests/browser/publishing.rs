//! Publishing as a creator does it: compose a post in the composer, schedule it a couple of
//! minutes ahead, and see it published with its Threads link on the calendar and the post page.

use std::time::Duration;

use chrono::{Timelike, Utc};

use crate::publishing_support::{make_due_now, png, publish_everything};
use crate::setup::{Journey, creator};

const TEXT: &str = "Shipping browser journeys today. What do you test in a real browser?";

/// Types a wall-clock time into the `datetime-local` field the way a person does: Chromium's
/// en-US field takes month, day, year, then hour, minute and AM/PM.
async fn type_local_time(j: &Journey, css: &str, at: chrono::DateTime<Utc>) {
    let field = j.element(css).await;
    field.clear().await.unwrap();
    field.click().await.unwrap();
    let keys = format!("{}\u{E004}{}", at.format("%m%d%Y"), at.format("%I%M%p"));
    field.send_keys(&keys).await.unwrap();
    let value = field.prop("value").await.unwrap().unwrap_or_default();
    assert_eq!(value, at.format("%Y-%m-%dT%H:%M").to_string(), "typed time");
}

/// Goes back to the calendar and on to the month of `at` (the next one, a minute before midnight
/// at a month's end).
async fn open_calendar_at(j: &Journey, at: chrono::DateTime<Utc>) {
    j.click_link("← Schedule").await;
    j.wait_for_text("Posting slots").await;
    if at.format("%m").to_string() != Utc::now().format("%m").to_string() {
        j.click_link("Next →").await;
    }
    j.wait_for_text(&at.format("%B %Y").to_string()).await;
}

#[tokio::test]
async fn a_creator_composes_a_post_schedules_it_and_sees_it_published() {
    let Some(j) = Journey::start("publishing").await else {
        return;
    };
    j.sign_up("pablo.ortiz@example.com").await;
    j.connect(creator("daily_shipper", 20, 900)).await;

    // Compose: the live counter counts as Threads does; the topic tag is among the extras.
    j.click_link("Schedule").await;
    j.wait_for_text("Times are shown in your timezone, UTC.")
        .await;
    j.step("schedule-empty").await;
    j.click_link("New post").await;
    j.wait_for_text("Publish at (UTC)").await;
    assert!(
        j.text().await.contains("@daily_shipper"),
        "the profile is offered"
    );
    j.fill("#text", TEXT).await;
    j.wait_for_text(&format!("{} / 500 characters", TEXT.len()))
        .await;
    // A photo picked in the file chooser is uploaded by the script at once, and only once.
    let photo = std::env::temp_dir().join(format!("thredops-photo-{}.png", uuid::Uuid::new_v4()));
    std::fs::write(&photo, png(1080, 1350)).unwrap();
    j.element("#media-file")
        .await
        .send_keys(photo.to_str().unwrap())
        .await
        .unwrap();
    j.wait_for_text("1 file(s) attached.").await;
    std::fs::remove_file(&photo).unwrap();
    j.click("details summary").await;
    j.fill("#topic_tag", "Testing").await;
    let at = (Utc::now() + chrono::Duration::minutes(2))
        .with_second(0)
        .unwrap();
    type_local_time(&j, "#local_time", at).await;
    j.step("composed").await;
    j.click("button[value=schedule]").await;
    j.wait_for_text("Scheduled for").await;
    let post_page = j.path().await;
    let text = j.text().await;
    assert!(text.contains("scheduled") && text.contains(TEXT), "{text}");
    assert_eq!(
        j.element(".pub-state + .badge").await.text().await.unwrap(),
        "image",
        "the photo went with the post"
    );
    assert!(
        text.contains(&at.format("%H:%M UTC").to_string()),
        "the chosen time: {text}"
    );
    j.step("scheduled").await;

    // The calendar shows it on its day.
    open_calendar_at(&j, at).await;
    let chip = format!(".pub-chip[href='{post_page}']");
    assert_eq!(
        j.count(&format!("{chip}.pub-scheduled")).await,
        1,
        "the post is on the calendar"
    );
    j.show(&chip).await;
    j.step("calendar-scheduled").await;

    // The post's minute is made to come now (the publisher never publishes early); the post
    // page then shows the post live with its link.
    let post_id = post_page.rsplit('/').next().unwrap().to_owned();
    make_due_now(&j.app, &post_id).await;
    publish_everything(&j.app).await;
    j.open(&post_page).await;
    j.wait_until(Duration::from_secs(20), |t| t.contains("On Threads"))
        .await;
    assert_eq!(
        j.element(".pub-state").await.text().await.unwrap(),
        "published"
    );
    let permalink = j
        .element("dd a[href^='https://']")
        .await
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(permalink.contains("threads"), "{permalink}");
    let text = j.text().await;
    assert!(text.contains("Published on Threads"), "the ledger: {text}");
    j.step("published").await;
    open_calendar_at(&j, at).await;
    assert_eq!(
        j.count(&format!("{chip}.pub-published")).await,
        1,
        "the calendar marks it published"
    );
    j.show(&chip).await;
    j.step("calendar-published").await;
    j.finish().await;
}
