//! Analytics as a creator reads it: the overview with its charts, the posts explorer (filter,
//! sort, pages) and one post with its history.

use std::time::Duration;

use fantoccini::actions::{InputSource, MouseActions, PointerAction};

use crate::setup::{Journey, creator};

/// The views column of the explorer's table, top to bottom (-1 where not measured).
async fn views_column(j: &Journey) -> Vec<i64> {
    let cells = j
        .client
        .execute(
            "return Array.from(document.querySelectorAll('table.an-posts tbody tr'))\
             .map(function (r) { return r.cells[4].textContent.trim(); });",
            vec![],
        )
        .await
        .unwrap();
    cells
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c.as_str().unwrap().replace(',', "").parse().unwrap_or(-1))
        .collect()
}

#[tokio::test]
async fn a_creator_reads_the_overview_charts_and_explores_the_posts() {
    let Some(j) = Journey::start("analytics").await else {
        return;
    };
    j.sign_up("ana.reyes@example.com").await;
    j.connect(creator("chart_reader", 240, 2_600)).await;

    // The overview of all time: metrics, then every chart as a labelled SVG with its data.
    j.click_link("Analytics").await;
    j.wait_for_text("Analytics · @chart_reader").await;
    j.click("#an-period-select option[value=all]").await;
    j.click("form.an-period button[type=submit]").await;
    j.wait_until(Duration::from_secs(20), |t| {
        t.contains("Growth and activity") && !t.contains("No posts were published")
    })
    .await;
    assert!(j.path().await.contains("period=all"));
    assert_eq!(
        j.element("[data-metric=followers]")
            .await
            .text()
            .await
            .unwrap(),
        "2,600"
    );
    let text = j.text().await;
    for title in [
        "Data table: Follower growth",
        "Data table: Daily profile views",
        "Data table: Engagements of posts published each day",
        "Data table: Posting cadence",
        "Data table: Best time to post",
        "What works: content breakdown",
        "Follower attribution",
    ] {
        assert!(text.contains(title), "the overview shows {title}");
    }
    assert!(
        j.count("figure.an-chart svg.chart").await >= 5,
        "the charts are drawn as SVG"
    );
    j.show("figure.an-chart").await;
    j.step("overview").await;
    j.click("details.an-data summary").await;
    assert!(
        j.element("details.an-data[open] table")
            .await
            .is_displayed()
            .await
            .unwrap(),
        "a chart's data table opens"
    );
    j.step("overview-data-table").await;

    // The explorer: every post of all time, sorted by views both ways, page by page.
    j.click_link("Posts explorer").await;
    j.wait_for_text("Posts · @chart_reader").await;
    j.click("form.an-filters select[name=period] option[value=all]")
        .await;
    j.click("form.an-filters button[type=submit]").await;
    j.wait_for_text("Page 1 of").await;
    j.show("table.an-posts").await;
    j.step("explorer").await;
    j.click("th a[href*='sort=views']").await;
    j.wait_for_text("Page 1 of").await;
    assert!(j.path().await.contains("sort=views"));
    let desc = views_column(&j).await;
    assert_eq!(desc.len(), 50, "a full first page");
    assert!(desc.windows(2).all(|w| w[0] >= w[1]), "most viewed first");
    assert_eq!(
        j.element("th[aria-sort]")
            .await
            .attr("aria-sort")
            .await
            .unwrap()
            .as_deref(),
        Some("descending")
    );
    j.click("th a[href*='sort=views']").await;
    j.wait_until(Duration::from_secs(20), |t| t.contains("Page 1 of"))
        .await;
    let asc = views_column(&j).await;
    assert!(asc.windows(2).all(|w| w[0] <= w[1]), "least viewed first");
    assert!(asc[0] < desc[0]);
    j.show("table.an-posts").await;
    j.step("explorer-sorted").await;
    j.click_link("Next →").await;
    j.wait_for_text("Page 2 of").await;
    let second = views_column(&j).await;
    assert!(
        second[0] >= *asc.last().unwrap(),
        "page 2 goes on from page 1"
    );
    j.step("explorer-page-2").await;

    // At least the sixth-highest view count: only the few most viewed posts remain.
    let floor = desc[5];
    j.fill("form.an-filters input[name=min_views]", &floor.to_string())
        .await;
    j.click("form.an-filters button[type=submit]").await;
    j.wait_for_text("Page 1 of 1").await;
    let filtered = views_column(&j).await;
    assert!((6..50).contains(&filtered.len()), "{filtered:?}");
    assert!(
        filtered.iter().all(|v| *v >= floor),
        "{filtered:?} >= {floor}"
    );
    j.show("table.an-posts").await;
    j.step("explorer-filtered").await;

    // One post: its numbers and how its views grew.
    j.click("table.an-posts tbody tr td a").await;
    j.wait_for_text("Velocity and metric history").await;
    let text = j.text().await;
    assert!(text.contains("Open on Threads"), "{text}");
    assert!(text.contains("Engagement rate"));
    assert!(!text.contains("not measured yet"), "the post has its views");
    j.show("figure.an-chart").await;
    j.step("post").await;
    j.finish().await;
}

#[tokio::test]
async fn hovering_a_chart_point_shows_its_date_and_value_as_in_the_table() {
    let Some(j) = Journey::start("chart-tooltips").await else {
        return;
    };
    j.sign_up("tia.hover@example.com").await;
    let id = j.connect(creator("hover_reader", 120, 3_100)).await;
    j.open(&format!("/app/profiles/{id}/analytics?period=30d"))
        .await;
    j.wait_for_text("Growth and activity").await;
    let px = j.smallest_chart_text().await;
    assert!(px >= 11.0, "axis labels render at {px:.1} px");
    let tip = "figure.an-chart:has(svg[aria-labelledby^='views-t']) .chart-tip";
    assert!(
        !j.element(tip).await.is_displayed().await.unwrap(),
        "no tooltip before hovering"
    );
    // Hover a point in the middle of the daily views.
    let points = j
        .client
        .find_all(fantoccini::Locator::Css(
            "svg[aria-labelledby^='views-t'] circle.pt",
        ))
        .await
        .unwrap();
    assert!(points.len() >= 5, "a point per day: {}", points.len());
    let point = points[points.len() / 2].clone();
    let (label, value) = (
        point.attr("data-label").await.unwrap().unwrap(),
        point.attr("data-value").await.unwrap().unwrap(),
    );
    j.show("svg[aria-labelledby^='views-t']").await;
    let hover = MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
        element: point,
        duration: Some(Duration::from_millis(100)),
        x: 0.0,
        y: 0.0,
    });
    j.client.perform_actions(hover).await.unwrap();
    let shown = j.element(tip).await;
    assert!(shown.is_displayed().await.unwrap(), "the tooltip shows");
    assert_eq!(
        shown.text().await.unwrap(),
        format!("{label} · Views: {value}")
    );
    j.step("chart-tooltip").await;
    // The same day and number are in the chart's data table (date, followers, change, views).
    let rows = j
        .client
        .execute(
            "var fig = document.querySelector(\"figure.an-chart:has(svg[aria-labelledby^='views-t'])\");\
             return Array.from(fig.querySelectorAll('table tbody tr')).map(function (r) {\
               return [r.cells[0].textContent.trim(), r.cells[3].textContent.trim()]; });",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        rows.as_array()
            .unwrap()
            .iter()
            .any(|r| r[0] == label.as_str() && r[1] == value.as_str()),
        "{label}: {value} is in the table {rows}"
    );
    // The keyboard reaches the values too: focus the chart, then step with the arrow keys.
    j.client
        .execute(
            "document.querySelector(\"svg[aria-labelledby^='views-t']\").focus();",
            vec![],
        )
        .await
        .unwrap();
    let last = j.element(tip).await.text().await.unwrap();
    j.element("svg[aria-labelledby^='views-t']")
        .await
        .send_keys("\u{E012}")
        .await
        .unwrap();
    let before_last = j.element(tip).await.text().await.unwrap();
    assert_ne!(last, before_last, "the left arrow moves to the day before");
    assert!(before_last.contains(" · Views: "), "{before_last}");
    j.finish().await;
}
