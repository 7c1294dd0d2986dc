//! The Strategist and the Deep Audit as a creator uses them: advice with its evidence, an
//! experiment started from it, and an audit run from the page to its printable report.

use std::time::Duration;

use fantoccini::Locator;
use fantoccini::elements::Element;
use threads_sandbox::CreatorTraits;
use threads_sandbox::world::traits::FormatWeights;
use thredops::strategy::AUDIT_JOB;

use crate::connect::run_due_now;
use crate::setup::{Journey, creator};

/// Clicks what `css` matches inside `element`.
async fn click_in(element: &Element, css: &str) {
    element
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("nothing matches {css:?}: {e}"))
        .click()
        .await
        .unwrap();
}

#[tokio::test]
async fn a_creator_reads_the_strategists_advice_and_runs_a_deep_audit() {
    let Some(j) = Journey::start("strategy").await else {
        return;
    };
    j.sign_up("sofia.marin@example.com").await;
    let id = j
        .connect(CreatorTraits {
            format_multipliers: FormatWeights {
                video: Some(3.0),
                ..Default::default()
            },
            ..creator("video_first", 400, 3_200)
        })
        .await;

    // The strategist finds that videos do best and shows the numbers behind it.
    j.click_link("Strategist").await;
    j.wait_for_text("Choose a profile").await;
    j.click(&format!("a[href='/app/strategist/{id}']")).await;
    j.wait_for_text("Strategist for @video_first").await;
    j.show("section.strategy-rec").await;
    j.step("strategist").await;
    let advice = j
        .client
        .find(Locator::XPath(
            "//section[h2[normalize-space()='Post more video']]",
        ))
        .await
        .expect("the video advice is shown");
    let text = advice.text().await.unwrap();
    assert!(
        text.contains("advice") && text.contains("Expected effect"),
        "{text}"
    );
    click_in(&advice, "summary").await;
    let evidence = advice.find(Locator::Css("dl")).await.unwrap();
    assert!(evidence.is_displayed().await.unwrap());
    assert!(evidence.text().await.unwrap().contains("VIDEO"));
    j.step("strategist-evidence").await;
    assert!(j.text().await.contains("Next week's plan"));

    // Test the advice: one click starts an experiment.
    click_in(&advice, "form button").await;
    j.wait_for_text("The experiment started.").await;
    assert!(j.text().await.contains("running"));
    j.step("experiment-started").await;

    // The Deep Audit: run it, watch the page pick up the result, open the report.
    j.click_link("Deep Audit").await;
    j.wait_for_text("Choose a profile").await;
    j.click(&format!("a[href='/app/audit/{id}']")).await;
    j.wait_for_text("No audit yet").await;
    j.click("form[action$='/run'] button").await;
    j.wait_until(Duration::from_secs(20), |t| {
        t.contains("Audit in progress") || t.contains("Latest: ")
    })
    .await;
    j.step("audit-requested").await;
    run_due_now(&j.app, AUDIT_JOB).await;
    // The page polls the audit and reloads itself when it is done.
    j.wait_until(Duration::from_secs(20), |t| {
        t.contains("Latest: ") && t.contains("/100")
    })
    .await;
    assert_eq!(
        j.count("section.card table tbody tr").await,
        9 + 1,
        "nine sections and one audit in the history"
    );
    let text = j.text().await;
    for section in ["Consistency", "Format mix", "Engagement quality"] {
        assert!(text.contains(section), "the audit scores {section}: {text}");
    }
    j.show("section.card table").await;
    j.step("audit-done").await;
    j.click_link("Open the printable report").await;
    j.wait_for_text("Deep Audit of @video_first").await;
    assert_eq!(j.count("section.strategy-section").await, 9);
    assert!(j.text().await.contains("Next action:"));
    j.step("audit-report").await;
    j.finish().await;
}
