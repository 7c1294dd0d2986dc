//! Competitors and Listening as a creator uses them: each asks for its Threads permission with
//! the reason first; a wrong name is refused beside the field; a public profile is added and
//! compared in charts; a topic tag is saved, its posts are listed with their daily volume, and
//! Reply opens the composer as a reply to one of them.

use crate::connect::run_due_now;
use crate::setup::{Journey, creator};

/// Presses the page's "Allow ..." button and consents as the creator on the sandbox's page.
async fn allow(j: &Journey, creator_name: &str, button: &str) {
    j.wait_for_text(button).await;
    j.step("allow-asked").await;
    let user_id = j
        .sandbox()
        .creators()
        .into_iter()
        .find(|c| c.username == creator_name)
        .unwrap()
        .user_id;
    j.click("#allow-scope form button").await;
    j.wait_for_text("Authorize").await;
    j.click(&format!("input[name=user_id][value='{user_id}']"))
        .await;
    j.click("button[value=allow]").await;
    j.wait_for_text("Reconnected").await;
}

#[tokio::test]
async fn a_creator_benchmarks_a_public_profile_against_their_own() {
    let Some(j) = Journey::start("competitors").await else {
        return;
    };
    j.sign_up("ines.moreau@example.com").await;
    j.connect(creator("bench_curious", 30, 3_000)).await;

    j.click_link("Competitors").await;
    allow(
        &j,
        "bench_curious",
        "Allow ThredOps to look up public profiles",
    )
    .await;
    j.click_link("Competitors").await;
    j.wait_for_text("Add a competitor").await;

    j.fill("#username", "nobody.here").await;
    j.click("form[action='/app/competitors'] button[type=submit]")
        .await;
    j.wait_for_text("Threads found no public profile @nobody.here")
        .await;
    j.step_refused("competitor-unknown", 422).await;

    let target = j
        .sandbox()
        .public_profiles()
        .into_iter()
        .find(|p| p.discoverable)
        .unwrap();
    // What was typed stays in the field; start again from the page.
    j.open("/app/competitors").await;
    j.fill("#username", &format!("@{}", target.username)).await;
    j.click("form[action='/app/competitors'] button[type=submit]")
        .await;
    j.wait_for_text("Competitor added").await;
    run_due_now(&j.app, thredops::competitors::SNAPSHOT).await;
    j.open("/app/competitors").await;
    j.wait_for_text("Snapshot taken with 2 Threads calls").await;
    let text = j.text().await;
    assert!(text.contains("How you compare"), "{text}");
    assert!(text.contains(&format!("@{}", target.username)));
    assert_eq!(
        j.count("figure.an-chart svg").await,
        4,
        "four comparison charts"
    );
    j.step("competitors-compared").await;
    j.show("svg[aria-labelledby^='bench-engagement']").await;
    j.step("competitors-engagement").await;
    j.finish().await;
}

#[tokio::test]
async fn a_creator_listens_for_a_topic_tag_and_sees_what_people_post() {
    let Some(j) = Journey::start("listening").await else {
        return;
    };
    j.sign_up("tomas.lind@example.com").await;
    j.connect(creator("ear_to_ground", 20, 1_500)).await;

    j.click_link("Listening").await;
    allow(&j, "ear_to_ground", "Allow ThredOps to search public posts").await;
    j.click_link("Listening").await;
    j.wait_for_text("Listen for").await;

    // A tag with a space is refused beside the field, and what was typed stays.
    j.fill("#query", "cold brew").await;
    j.click("input[name=mode][value=tag]").await;
    j.click("form[action='/app/listening'] button[type=submit]")
        .await;
    j.wait_for_text("A topic tag is one word").await;
    j.step_refused("listening-refused", 422).await;

    j.open("/app/listening").await;
    j.fill("#query", "coffee").await;
    j.click("form[action='/app/listening'] button[type=submit]")
        .await;
    j.wait_for_text("Search saved").await;
    run_due_now(&j.app, thredops::listening::SEARCH).await;
    j.open("/app/listening").await;
    j.wait_for_text("Newest posts").await;
    assert!(
        j.count("li.match").await > 0,
        "posts with the tag are listed"
    );
    assert_eq!(
        j.count("svg[aria-labelledby^='listening-volume']").await,
        1,
        "the volume chart"
    );
    j.step("listening-results").await;

    // Reply opens the composer as a reply to that post.
    let first = j
        .element("li.match")
        .await
        .attr("id")
        .await
        .unwrap()
        .unwrap();
    let media_id = first.trim_start_matches("match-").to_owned();
    j.click("li.match a.reply-link").await;
    j.wait_for_text(&format!(
        "This post will be published as a reply to Threads post {media_id}"
    ))
    .await;
    j.step("listening-reply").await;
    j.finish().await;
}
