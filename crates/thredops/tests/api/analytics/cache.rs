//! The overview is reused between requests (analytics/cache.rs); these check what a user would
//! notice if it were reused when it must not be.

use super::fixtures::{Post, add_posts, empty_profile, set_tz, utc};
use super::{json_of, metric};
use crate::connect::{PASSWORD, connect, creator, wait_for_backfill};
use crate::helpers::TestApp;
use crate::on_both_backends;
use crate::sync::publish_now;

on_both_backends!(
    an_overview_after_a_sync_that_adds_a_post_counts_it,
    an_overview_is_never_answered_from_another_profile_or_user,
    changing_the_time_zone_moves_posts_between_days_in_the_overview,
);

async fn an_overview_after_a_sync_that_adds_a_post_counts_it(app: TestApp) {
    app.signup("cora@example.com", PASSWORD).await;
    let c = creator(&app, "cora_posts", 12, 900);
    let id = connect(&app, c.user_id).await;
    wait_for_backfill(&app, &id).await;
    let path = format!("/api/v1/profiles/{id}/analytics/overview?period=7d");
    let before = json_of(&app, &path).await;
    // Asked twice with nothing new: the same numbers.
    assert_eq!(json_of(&app, &path).await["metrics"], before["metrics"]);
    publish_now(
        &app,
        c.user_id,
        "Posted after the first look at the overview",
    )
    .await;
    crate::sync_now(&app, &id).await;
    let after = json_of(&app, &path).await;
    assert_eq!(
        metric(&after, "posts", "current"),
        metric(&before, "posts", "current").as_i64().unwrap() + 1
    );
}

async fn an_overview_is_never_answered_from_another_profile_or_user(app: TestApp) {
    let (first, user) = empty_profile(&app, "dina@example.com", 40).await;
    let at = app.state.threads.now().timestamp() - 3_600;
    add_posts(&app, &first, &user, &[Post::new("d_1", at, 500, 50)]).await;
    let second = {
        let c = creator(&app, "dina_second", 0, 40);
        let id = connect(&app, c.user_id).await;
        wait_for_backfill(&app, &id).await;
        id
    };
    let path = |id: &str| format!("/api/v1/profiles/{id}/analytics/overview?period=7d");
    let o = json_of(&app, &path(&first)).await;
    assert_eq!(metric(&o, "post_views", "current"), 500);
    // The same period of the user's other profile is that profile's own (empty) numbers.
    let o = json_of(&app, &path(&second)).await;
    assert_eq!(metric(&o, "post_views", "current"), 0);
    assert_eq!(metric(&o, "posts", "current"), 0);
    // Another user asking for the first profile's overview is refused, cached or not.
    let stranger = app.new_client();
    crate::helpers::sign_up_with(&app, &stranger, "eve@example.com", PASSWORD).await;
    let r = stranger.get(app.url(&path(&first))).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

async fn changing_the_time_zone_moves_posts_between_days_in_the_overview(app: TestApp) {
    let (id, user) = empty_profile(&app, "finn@example.com", 40).await;
    // 23:30 UTC on 10 March is 08:30 on 11 March in Tokyo.
    let late = Post::new("f_late", utc(2025, 3, 10, 23, 30), 300, 30);
    add_posts(&app, &id, &user, &[late]).await;
    let path = format!(
        "/api/v1/profiles/{id}/analytics/overview?period=custom&from=2025-03-10&to=2025-03-10"
    );
    set_tz(&app, "UTC").await;
    assert_eq!(metric(&json_of(&app, &path).await, "posts", "current"), 1);
    set_tz(&app, "Asia/Tokyo").await;
    let o = json_of(&app, &path).await;
    assert_eq!(o["period"]["tz"], "Asia/Tokyo");
    assert_eq!(metric(&o, "posts", "current"), 0);
    set_tz(&app, "UTC").await;
    assert_eq!(metric(&json_of(&app, &path).await, "posts", "current"), 1);
}
