//! Publishing as a creator does it: compose a post in the composer, schedule it a couple of
//! minutes ahead, and see it published with its Threads link on the calendar and the post page.

use std::time::Duration;

use chrono::{Datelike, Timelike, Utc};

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
    j.wait_for_text("Times are shown in your time zone, UTC.")
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

/// Creates a post through the JSON API from the signed-in page (as the composer's script
/// would) and returns its id.
async fn plan_in_page(j: &Journey, profile: &str, text: &str, local_time: Option<&str>) -> String {
    let mut body = serde_json::json!({"profile_id": profile, "content": {"parts": [{"text": text}]}, "action": "draft"});
    if let Some(at) = local_time {
        body["action"] = "schedule".into();
        body["local_time"] = at.into();
    }
    let created = j
        .client
        .execute_async(
            "const [body, done] = arguments;
             fetch('/api/v1/publishing/posts', {method: 'POST', credentials: 'same-origin',
               headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)})
               .then(r => r.json()).then(p => done(p.id), e => done(String(e)));",
            vec![body],
        )
        .await
        .unwrap();
    created.as_str().unwrap().to_owned()
}

/// Drags `chip` onto `target` with the HTML5 drag events a mouse drag fires. ChromeDriver cannot
/// drive native HTML5 drag-and-drop, so the events are dispatched in the page; the page's own
/// handlers do the rest (the request, the reload).
async fn drag(j: &Journey, chip: &str, target: &str) {
    j.client
        .execute(
            "const [chip, target] = [document.querySelector(arguments[0]), document.querySelector(arguments[1])];
             const data = new DataTransfer();
             const fire = (el, type) => el.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: data}));
             fire(chip, 'dragstart'); fire(target, 'dragenter'); fire(target, 'dragover'); fire(target, 'drop'); fire(chip, 'dragend');",
            vec![chip.into(), target.into()],
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn a_creator_drags_posts_to_another_hour_and_a_draft_onto_a_day() {
    let Some(j) = Journey::start("calendar").await else {
        return;
    };
    j.sign_up("ines.moreau@example.com").await;
    let profile = j.connect(creator("grid_planner", 10, 700)).await;
    // Next week's Tuesday and Thursday, so the posts are always in the future.
    let today = Utc::now().date_naive();
    let monday =
        today + chrono::Duration::days(7 - i64::from(today.weekday().num_days_from_monday()));
    let tuesday = monday + chrono::Duration::days(1);
    let thursday = monday + chrono::Duration::days(3);
    let post = plan_in_page(
        &j,
        &profile,
        "Move me to Thursday",
        Some(&format!("{tuesday}T10:15")),
    )
    .await;
    let draft = plan_in_page(&j, &profile, "A draft for Friday", None).await;

    j.open(&format!("/app/schedule?view=week&date={monday}"))
        .await;
    j.wait_for_text("Move me to Thursday").await;
    let chip = format!("[data-post='{post}']");
    let from = format!("[data-drop-date='{tuesday}'][data-drop-hour='10']");
    let to = format!("[data-drop-date='{thursday}'][data-drop-hour='16']");
    assert_eq!(
        j.count(&format!("{from} {chip}")).await,
        1,
        "on Tuesday at 10"
    );
    j.step("week-grid").await;
    drag(&j, &chip, &to).await;
    for _ in 0..60 {
        if j.count(&format!("{to} {chip}")).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(
        j.count(&format!("{to} {chip}")).await,
        1,
        "moved to Thursday at 16"
    );
    assert_eq!(j.count(&format!("{from} {chip}")).await, 0);
    assert_eq!(
        j.element(&chip)
            .await
            .attr("data-time")
            .await
            .unwrap()
            .as_deref(),
        Some("16:15"),
        "the minutes are kept"
    );
    j.step("week-grid-moved").await;

    // A draft dropped on a day of the month is scheduled there at 09:00.
    let friday = monday + chrono::Duration::days(4);
    j.open(&format!("/app/schedule?view=month&date={friday}"))
        .await;
    j.wait_for_text("A draft for Friday").await;
    drag(
        &j,
        &format!("[data-post='{draft}']"),
        &format!("[data-drop-date='{friday}']"),
    )
    .await;
    let placed = format!("[data-drop-date='{friday}'] [data-post='{draft}']");
    for _ in 0..60 {
        if j.count(&placed).await == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(j.count(&placed).await, 1, "the draft is on Friday");
    j.open(&format!("/app/schedule/posts/{draft}")).await;
    j.wait_for_text("Scheduled for").await;
    assert!(
        j.text()
            .await
            .contains(&format!("{}, 09:00", friday.format("%a %-d %b %Y"))),
        "scheduled at nine on Friday"
    );
    j.step("draft-scheduled").await;
    j.finish().await;
}
