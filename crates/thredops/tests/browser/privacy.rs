//! Leaving ThredOps: download the data export, disconnect the profile deleting its history,
//! then delete the account after typing the password again, keep the receipt, and find that
//! signing in no longer works.

use crate::setup::{Journey, PASSWORD, creator};

/// Whether `bytes` contains `needle`.
fn holds(bytes: &[u8], needle: &str) -> bool {
    bytes.windows(needle.len()).any(|w| w == needle.as_bytes())
}

#[tokio::test]
async fn a_creator_exports_their_data_disconnects_and_deletes_the_account() {
    let Some(j) = Journey::start("export-delete").await else {
        return;
    };
    let email = "lena.fischer@example.com";
    j.sign_up(email).await;
    j.connect(creator("moving_on", 40, 700)).await;

    // Export: the button downloads an archive of everything held about the account.
    j.click_link("Settings").await;
    j.click_link("Privacy and data").await;
    j.wait_for_text("Export my data").await;
    assert!(j.text().await.contains("@moving_on"));
    j.step("privacy").await;
    j.click_link("Download my data").await;
    let archive = j.downloaded("thredops-export-").await;
    assert_eq!(&archive[257..262], b"ustar", "a tar archive");
    for expected in [
        "thredops-export/README.txt",
        "thredops-export/threads-data.json",
        "thredops-export/tables/posts.csv",
        "moving_on",
    ] {
        assert!(holds(&archive, expected), "the export holds {expected}");
    }
    j.step("exported").await;

    // Disconnect, deleting what was synced.
    j.click_link("Disconnect…").await;
    j.wait_for_text("What should happen to the history").await;
    j.click("input[name=history][value=delete]").await;
    j.click("form[action$='/disconnect'] button").await;
    // First a page that says what goes; only its button deletes.
    j.wait_for_text("Delete everything synced from @moving_on?")
        .await;
    assert!(j.text().await.contains("synced Threads posts"));
    j.step("delete-history-confirm").await;
    j.click("button[name=confirm]").await;
    j.wait_for_text("everything synced from it was deleted")
        .await;
    j.step("disconnected").await;

    // Delete the account: a wrong password is refused and nothing is deleted.
    j.click_link("Settings").await;
    j.click_link("Privacy and data").await;
    j.wait_for_text("Delete my account").await;
    j.fill("#password", "not-my-password").await;
    j.fill("#confirm", "DELETE").await;
    j.click("#delete button[type=submit]").await;
    j.wait_for_text("That is not your password.").await;
    assert!(j.text().await.contains("Your account was not deleted."));
    j.step_refused("delete-refused", 422).await;
    j.fill("#password", PASSWORD).await;
    j.fill("#confirm", "DELETE").await;
    j.step("delete-filled").await;
    j.click("#delete button[type=submit]").await;
    j.wait_for_text("Your account is deleted").await;
    let code = j.element("dd code").await.text().await.unwrap();
    assert!(code.len() >= 8, "a confirmation code: {code}");
    j.step("deleted").await;

    // The receipt's status page shows the deletion, and nothing about the person.
    j.click_link("status page").await;
    j.wait_for_text("Data deletion status").await;
    let text = j.text().await;
    assert!(text.contains(&code) && text.contains("Completed"), "{text}");
    assert!(!text.contains(email) && !text.contains("moving_on"));
    j.step("deletion-status").await;

    // Signing in again fails.
    j.click_link("Sign in").await;
    j.fill("#email", email).await;
    j.fill("#password", PASSWORD).await;
    j.click("form button[type=submit]").await;
    j.wait_for_text("The email or password is incorrect.").await;
    j.step_refused("sign-in-refused", 401).await;
    j.finish().await;
}
