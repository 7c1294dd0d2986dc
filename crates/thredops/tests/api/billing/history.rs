//! Analytics show only the days of history the plan includes; older data is kept and shows again
//! after an upgrade.

use reqwest::StatusCode;
use serde_json::Value;

use super::fake::Fake;
use super::{assert_plan_limit, billing_tests, html, link_customer, set_subscription, spawn};
use crate::analytics::fixtures::{Post, add_posts, empty_profile};
use crate::analytics::json_of;
use crate::helpers::TestApp;

billing_tests!(analytics_show_only_the_plans_history_and_an_upgrade_shows_the_rest);

fn post_views(overview: &Value) -> &Value {
    &overview["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == "post_views")
        .unwrap()["current"]
}

async fn analytics_show_only_the_plans_history_and_an_upgrade_shows_the_rest(
    app: TestApp,
    _fake: Fake,
) {
    let (id, user) = empty_profile(&app, "history@example.com", 50).await;
    link_customer(&app, &user, "cus_history").await;
    let now = app.state.threads.now().timestamp();
    let mut recent = Post::new("p_recent", now - 10 * 86_400, 500, 20);
    recent.text = "A recent post";
    let mut older = Post::new("p_older", now - 200 * 86_400, 7_000, 300);
    older.text = "An older post";
    add_posts(&app, &id, &user, &[recent, older]).await;
    let api = format!("/api/v1/profiles/{id}/analytics");

    // Free shows 90 days: a year is cut to them, and the answer says so.
    let year = json_of(&app, &format!("{api}/overview?period=365d")).await;
    assert_eq!(year["period"]["history_limited_to_days"], 90);
    assert_eq!(post_views(&year), 500);
    let month = json_of(&app, &format!("{api}/overview?period=30d")).await;
    assert!(month["period"]["history_limited_to_days"].is_null());
    let posts = json_of(&app, &format!("{api}/posts?period=all")).await;
    assert_eq!(posts["total"], 1);
    assert_eq!(posts["rows"][0]["media_id"], "p_recent");
    assert_eq!(posts["period"]["history_limited_to_days"], 90);
    let (_, csv) = html(&app, &format!("{api}/exports/posts?period=all")).await;
    assert!(
        csv.contains("p_recent") && !csv.contains("p_older"),
        "{csv}"
    );
    assert_plan_limit(
        app.get(&format!("{api}/posts/p_older")).await,
        "history_days",
        "Free",
    )
    .await;

    // The pages say so too.
    let (status, page) = html(&app, &format!("/app/profiles/{id}/analytics?period=365d")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"history-limit\""), "{page}");
    assert!(page.contains("Free plan shows the last 90 days of history"));
    let (_, explorer) = html(&app, &format!("/app/profiles/{id}/posts?period=all")).await;
    assert!(explorer.contains("A recent post") && !explorer.contains("An older post"));
    assert!(explorer.contains("id=\"history-limit\""));
    let (_, quiet) = html(&app, &format!("/app/profiles/{id}/analytics?period=30d")).await;
    assert!(!quiet.contains("id=\"history-limit\""), "nothing was cut");
    let (status, post) = html(&app, &format!("/app/profiles/{id}/posts/p_older")).await;
    assert_eq!(status, StatusCode::PAYMENT_REQUIRED);
    assert!(post.contains("href=\"/app/billing\"") && !post.contains("An older post"));

    // Pro shows 730 days: the older post is back, nothing was lost.
    set_subscription(&app, "cus_history", "active", "price_thredops_pro").await;
    let year = json_of(&app, &format!("{api}/overview?period=365d")).await;
    assert!(year["period"]["history_limited_to_days"].is_null());
    assert_eq!(post_views(&year), 7_500);
    assert_eq!(
        json_of(&app, &format!("{api}/posts?period=all")).await["total"],
        2
    );
    // A year fits in Pro's 730 days. ("All time" may still be cut by a day: the views history
    // synced at connect reaches back 730 days from the Pacific day Meta counts in.)
    let (_, explorer) = html(&app, &format!("/app/profiles/{id}/posts?period=365d")).await;
    assert!(
        explorer.contains("An older post") && !explorer.contains("id=\"history-limit\""),
        "{explorer}"
    );
    let (status, _) = html(&app, &format!("/app/profiles/{id}/posts/p_older")).await;
    assert_eq!(status, StatusCode::OK);
}
