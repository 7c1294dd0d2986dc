//! Publishing power tools as a creator uses them: a recurring post planned from its page, one
//! date skipped; then a CSV pasted, previewed with its problems by line, and imported.

use chrono::{Datelike, Utc};

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
    let y = Utc::now().year() + 1;
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
