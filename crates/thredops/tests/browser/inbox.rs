//! The inbox as a creator uses it: the page explains the permissions it needs, Threads is asked
//! for them, replies arrive; a saved reply is made and used from the reply box (an empty reply
//! is refused beside its box first), the reply is published once, filters and read state
//! follow, and an item is taken from its assign control and found under "Assigned to me".

use std::time::Duration;

use crate::setup::{Journey, creator};

#[tokio::test]
async fn a_creator_turns_the_inbox_on_and_answers_a_reply_with_a_saved_one() {
    let Some(j) = Journey::start("inbox").await else {
        return;
    };
    j.sign_up("ines.rocha@example.com").await;
    let traits = creator("inbox_creator", 90, 6_000);
    j.connect(traits).await;
    let user_id = j
        .sandbox()
        .creators()
        .into_iter()
        .find(|c| c.username == "inbox_creator")
        .unwrap()
        .user_id;

    // Without the inbox's permissions the inbox explains them instead of failing.
    j.click_link("Inbox").await;
    j.wait_for_text("Turn on the inbox for @inbox_creator")
        .await;
    j.step("inbox-off").await;
    j.click_link("Turn on the inbox for @inbox_creator").await;
    j.wait_for_text("threads_manage_mentions").await;
    assert!(j.text().await.contains("threads_manage_replies"));
    j.step("inbox-setup").await;
    j.click("form[action$='/on'] button").await;
    j.wait_for_text("Authorize").await;
    j.step("inbox-consent").await;
    j.click(&format!("input[name=user_id][value='{user_id}']"))
        .await;
    j.click("button[value=allow]").await;
    j.wait_for_text("@inbox_creator").await;

    // The first poll runs at once; the replies of the last two weeks arrive.
    j.open("/app/inbox").await;
    j.wait_until(Duration::from_secs(60), |t| t.contains("Reply from "))
        .await;
    j.client.refresh().await.unwrap();
    j.wait_for_text("Reply from ").await;
    assert!(
        j.count("#inbox-unread").await == 1,
        "the navigation counts unread items"
    );
    j.step("inbox-on").await;

    // A saved reply.
    j.fill("#saved-title-input", "Thanks").await;
    j.fill(
        "#saved-text-input",
        "Thank you for reading, it means a lot!",
    )
    .await;
    j.click("form[action='/app/inbox/saved'] button[type=submit]")
        .await;
    j.wait_for_text("Saved reply added.").await;
    j.step("inbox-saved").await;

    // An empty reply is refused beside its box.
    j.click("form.inbox-reply button[type=submit]").await;
    j.wait_for_text("Write a reply, or choose a saved one.")
        .await;
    j.step_refused("inbox-reply-refused", 422).await;
    // Choosing the saved reply fills the box; sending plans it.
    let select = j.element("form.inbox-reply select").await;
    select.select_by_label("Thanks").await.unwrap();
    let typed = j
        .element("form.inbox-reply textarea")
        .await
        .prop("value")
        .await
        .unwrap();
    assert_eq!(
        typed.as_deref(),
        Some("Thank you for reading, it means a lot!")
    );
    j.click("form.inbox-reply button[type=submit]").await;
    j.wait_for_text("Your reply is on its way").await;
    j.step("inbox-replied").await;

    // Published once; the answered item leaves the "unanswered" filter.
    crate::publishing_support::publish_everything(&j.app).await;
    j.open("/app/inbox").await;
    j.wait_for_text("published").await;
    j.click("input[name=unanswered]").await;
    j.click("form.inbox-filters button[type=submit]").await;
    j.wait_until(Duration::from_secs(10), |t| !t.contains("published"))
        .await;
    j.step("inbox-unanswered").await;

    // Marking an item read.
    let before = j.count("article.inbox-unread").await;
    j.click("form[action$='/read'] button").await;
    j.wait_for_text("Marked as read.").await;
    assert_eq!(j.count("article.inbox-unread").await, before - 1);
    j.step("inbox-read").await;

    // Taking an item: the assign control lists the workspace's people by address.
    j.element("form.inbox-assign select")
        .await
        .select_by_label("ines.rocha@example.com (you)")
        .await
        .unwrap();
    j.click("form.inbox-assign button[type=submit]").await;
    j.wait_for_text("Assigned to you.").await;
    j.show("form.inbox-assign").await;
    j.step("inbox-assigned").await;
    // On a phone the control wraps and nothing scrolls sideways.
    j.client.set_window_size(390, 844).await.unwrap();
    j.show("form.inbox-assign").await;
    j.step("inbox-assigned-phone").await;
    j.client.set_window_size(1280, 900).await.unwrap();
    j.click("input[name=assigned]").await;
    j.click("form.inbox-filters button[type=submit]").await;
    j.wait_until(Duration::from_secs(10), |t| !t.contains("Assigned to you."))
        .await;
    assert!(j.path().await.contains("assigned=1"));
    assert_eq!(
        j.count("article.inbox-item").await,
        1,
        "only the item taken"
    );
    j.step("inbox-assigned-to-me").await;
    j.finish().await;
}
