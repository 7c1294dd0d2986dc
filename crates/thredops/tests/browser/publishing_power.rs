//! Publishing power tools as a creator uses them: a recurring post planned from its page, one
//! date skipped; then a CSV pasted, previewed with its problems by line, and imported. A post
//! composed with a first reply and an auto-plug, published, and its reply seen under it; a
//! synced post re-shared as evergreen with a variation.

use std::time::Duration;

use chrono::{Datelike, Timelike};

use crate::publishing::type_local_time;
use crate::publishing_support::{make_due_now, publish_everything};
use crate::setup::{Journey, creator};

#[tokio::test]
async fn a_creator_plans_a_recurring_post_skips_a_date_and_imports_a_csv() {
    let Some(j) = Journey::start("publishing-power").await else {
        return;
    };
    j.sign_up("mina.kato@example.com").await;
    j.connect(creator("routine_poster", 10, 400)).await;

    j.click_link("Schedule").await;
    j.wait_for_text("Times are shown in your time zone").await;
    j.click_link("Recurring posts").await;
    j.wait_for_text("New recurring post").await;
    // A weekly rule without a weekday is refused beside the field, with the text kept.
    j.fill("#text", "Monday and Thursday: one small tip").await;
    j.click("input[name=frequency][value=weekly]").await;
    j.click("form[action='/app/schedule/recurring'] button[type=submit]")
        .await;
    j.wait_for_text("Choose at least one weekday").await;
    j.step_refused("recurring-refused", 422).await;
    j.click("input[name=day_mon]").await;
    j.click("input[name=day_thu]").await;
    j.click("form[action='/app/schedule/recurring'] button[type=submit]")
        .await;
    j.wait_for_text("Every Monday and Thursday at 09:00").await;
    j.step("recurring-series").await;
    // Skip the first planned date.
    j.click("form[action$='/skip'] button[type=submit]").await;
    j.wait_for_text("is skipped.").await;
    assert!(
        j.text().await.contains("Restore "),
        "the skipped date can be restored"
    );
    j.step("recurring-skipped").await;

    // Import: one good line, one with a made-up zone.
    j.click_link("← Recurring posts").await;
    j.click_link("← Schedule").await;
    j.click_link("Import or export CSV").await;
    j.wait_for_text("Import posts from CSV").await;
    let y = thredops::clock::now().year() + 1;
    j.fill(
        "#csv",
        &format!("text,scheduled_time,timezone\nFrom a spreadsheet,{y}-04-01 10:00,Europe/Berlin\nBroken zone,{y}-04-02 10:00,Mars/Olympus\n"),
    )
    .await;
    j.click("form[action='/app/schedule/import/preview'] button[type=submit]")
        .await;
    j.wait_for_text("1 post to import, 1 row with problems")
        .await;
    let text = j.text().await;
    assert!(text.contains("Line 3, timezone:"), "{text}");
    j.step("import-preview").await;
    j.click("form[action='/app/schedule/import/confirm'] button[type=submit]")
        .await;
    j.wait_for_text("Imported 1 post; 1 row with problems was left out.")
        .await;
    j.step("import-done").await;
    j.finish().await;
}

#[tokio::test]
async fn a_creator_adds_a_first_reply_and_an_auto_plug_then_re_shares_a_post_as_evergreen() {
    let Some(j) = Journey::start("publishing-followups").await else {
        return;
    };
    j.sign_up("ade.okafor@example.com").await;
    let profile = j.connect(creator("evergreen_voice", 12, 600)).await;

    // Compose with a first reply and an auto-plug; a threshold that is not a number is named
    // beside its field and everything typed stays.
    j.click_link("Schedule").await;
    j.wait_for_text("Times are shown in your time zone").await;
    j.click_link("New post").await;
    j.wait_for_text("Publish at (UTC)").await;
    j.fill("#text", "Three lessons from a year of posting daily")
        .await;
    j.click("details:has(#first_reply_text) summary").await;
    j.fill("#first_reply_text", "Lesson four is in the newsletter")
        .await;
    j.fill("#first_reply_delay", "0").await;
    j.fill("#auto_plug_text", "Glad this helped: more every Friday")
        .await;
    j.fill("#auto_plug_threshold", "lots").await;
    let at = (thredops::clock::now() + chrono::Duration::minutes(2))
        .with_second(0)
        .unwrap();
    type_local_time(&j, "#local_time", at).await;
    j.click("button[value=schedule]").await;
    j.wait_for_text("Choose how many likes to wait for (at least 1).")
        .await;
    j.step_refused("followups-refused", 422).await;
    assert_eq!(
        j.element("#first_reply_text")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("Lesson four is in the newsletter"),
        "the first reply is kept"
    );
    j.element("#auto_plug_threshold")
        .await
        .clear()
        .await
        .unwrap();
    j.fill("#auto_plug_threshold", "1000").await;
    type_local_time(&j, "#local_time", at).await;
    j.click("button[value=schedule]").await;
    j.wait_for_text("Scheduled for").await;
    let text = j.text().await;
    assert!(
        text.contains("Lesson four is in the newsletter (0 min after publication)"),
        "{text}"
    );
    assert!(
        text.contains("Glad this helped: more every Friday (at 1,000 likes within 24 h)"),
        "{text}"
    );
    j.step("followups-scheduled").await;

    // Published: the first reply goes out under it, once, and the auto-plug watches.
    let post_page = j.path().await;
    let post_id = post_page.rsplit('/').next().unwrap().to_owned();
    make_due_now(&j.app, &post_id).await;
    publish_everything(&j.app).await;
    publish_everything(&j.app).await;
    j.open(&post_page).await;
    j.wait_until(Duration::from_secs(20), |t| {
        t.contains("First reply planned when the post was published.")
    })
    .await;
    assert!(
        j.text().await.contains("Auto-plug waiting for 1,000 likes"),
        "the auto-plug is watching"
    );
    j.click_link("See the reply").await;
    j.wait_until(Duration::from_secs(20), |t| t.contains("On Threads"))
        .await;
    let reply = j.text().await;
    assert!(
        reply.contains("First reply to") && reply.contains("Lesson four is in the newsletter"),
        "{reply}"
    );
    j.step("first-reply-published").await;

    // A synced post re-shared as evergreen: a variation over the limit is named beside it.
    j.open(&format!("/app/profiles/{profile}/posts")).await;
    j.click("table a[href*='/posts/']").await;
    j.click_link("Re-share as evergreen…").await;
    j.wait_for_text("Make this post evergreen").await;
    j.fill("#variation_2", &"x".repeat(501)).await;
    // The schedule comes filled in with sensible defaults (monthly at 09:00, never twice in
    // three weeks); only a second text is added.
    assert_eq!(
        j.element("#every")
            .await
            .prop("value")
            .await
            .unwrap()
            .as_deref(),
        Some("30")
    );
    j.click("form[action='/app/schedule/evergreen'] button[type=submit]")
        .await;
    // The refusal is the same form again, with the problem beside the variation.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while j.count("#variation_2-error").await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the long variation is named beside it"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    j.step_refused("evergreen-refused", 422).await;
    j.element("#variation_2").await.clear().await.unwrap();
    j.fill("#variation_2", "A year of daily posts, three lessons")
        .await;
    j.click("form[action='/app/schedule/evergreen'] button[type=submit]")
        .await;
    j.wait_for_text("This post is evergreen now.").await;
    let text = j.text().await;
    assert!(
        text.contains("A year of daily posts, three lessons"),
        "{text}"
    );
    j.step("evergreen-created").await;
    j.finish().await;
}
