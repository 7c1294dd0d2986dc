//! Analytics black-box tests: numbers checked against stored snapshots and hand-computed fixtures.

mod bench;
mod cache;
mod explorer;
pub(crate) mod fixtures;
mod formats;
mod pages;

use std::collections::HashMap;

use serde_json::{Value, json};
use thredops::with_pool;

use crate::connect::{PASSWORD, connect, creator, wait_for_backfill};
use crate::helpers::TestApp;
use crate::on_both_backends;
use fixtures::{Post, add_days, add_posts, add_views, empty_profile, set_tz, utc};

on_both_backends!(
    overview_totals_equal_the_sums_of_stored_snapshots,
    period_comparison_is_exact_across_dst_and_month_ends,
    heatmap_cells_match_a_hand_computed_fixture,
    csv_exports_equal_json_exports_for_every_table,
    city_shares_are_shares_of_all_followers,
);

/// Meta lists only the top cities: their shares are of all followers, so they add up to less
/// than the countries' (which cover everyone) and never to a misleading 100 %.
async fn city_shares_are_shares_of_all_followers(app: TestApp) {
    app.signup("cities@example.com", PASSWORD).await;
    let c = creator(&app, "cities_posts", 30, 5_000);
    let id = connect(&app, c.user_id).await;
    wait_for_backfill(&app, &id).await;
    let demo = json_of(
        &app,
        &format!("/api/v1/profiles/{id}/analytics/demographics?period=all"),
    )
    .await;
    let breakdown = |name: &str| {
        demo["demographics"]["breakdowns"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["breakdown"] == name)
            .unwrap_or_else(|| panic!("no {name} in {demo}"))
            .clone()
    };
    let total = |b: &Value, field: &str| -> f64 {
        b["buckets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x[field].as_f64().unwrap())
            .sum()
    };
    let (age, city) = (breakdown("age"), breakdown("city"));
    let everyone = total(&age, "followers");
    assert!((total(&age, "share") - 100.0).abs() < 0.1, "{age}");
    for x in city["buckets"].as_array().unwrap() {
        let expected = x["followers"].as_f64().unwrap() * 100.0 / everyone;
        assert!(
            (x["share"].as_f64().unwrap() - expected).abs() < 0.01,
            "{x} of {everyone}"
        );
    }
    assert!(total(&city, "share") < 100.0, "{city}");
}

pub(crate) async fn json_of(app: &TestApp, path: &str) -> Value {
    let r = app.get(path).await;
    assert_eq!(r.status(), 200, "{path}");
    r.json().await.unwrap()
}

fn metric(overview: &Value, key: &str, which: &str) -> Value {
    overview["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["key"] == key)
        .unwrap_or_else(|| panic!("no {key}"))[which]
        .clone()
}

/// Views, likes, replies, reposts, quotes, shares of a post's latest snapshot.
type Latest = (i64, i64, i64, i64, i64, i64);

async fn overview_totals_equal_the_sums_of_stored_snapshots(app: TestApp) {
    app.signup("olga@example.com", PASSWORD).await;
    let c = creator(&app, "olga_posts", 120, 2_500);
    let id = connect(&app, c.user_id).await;
    wait_for_backfill(&app, &id).await;
    let o = json_of(
        &app,
        &format!("/api/v1/profiles/{id}/analytics/overview?period=all"),
    )
    .await;
    // The latest snapshot of every post that is not a repost, straight from the table.
    let rows: Vec<Latest> = with_pool!(app.state.store, |p| sqlx::query_as(
        "SELECT s.views, s.likes, s.replies, s.reposts, s.quotes, s.shares FROM post_metric_snapshots s \
         JOIN posts p ON p.profile_id = s.profile_id AND p.media_id = s.media_id \
         WHERE s.profile_id = $1 AND p.is_repost = $2 AND s.taken_at = (SELECT MAX(taken_at) FROM post_metric_snapshots x WHERE x.profile_id = s.profile_id AND x.media_id = s.media_id)"
    )
    .bind(&id)
    .bind(false)
    .fetch_all(p)
    .await)
    .unwrap();
    let sum = |f: fn(&Latest) -> i64| rows.iter().map(f).sum::<i64>();
    assert!(sum(|r| r.0) > 0, "the creator has views");
    assert_eq!(metric(&o, "post_views", "current"), sum(|r| r.0));
    assert_eq!(metric(&o, "likes", "current"), sum(|r| r.1));
    assert_eq!(metric(&o, "replies", "current"), sum(|r| r.2));
    assert_eq!(metric(&o, "reposts", "current"), sum(|r| r.3));
    assert_eq!(metric(&o, "quotes", "current"), sum(|r| r.4));
    assert_eq!(metric(&o, "shares", "current"), sum(|r| r.5));
    let own: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT COUNT(*) FROM posts WHERE profile_id = $1 AND is_repost = $2"
    )
    .bind(&id)
    .bind(false)
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(metric(&o, "posts", "current"), own);
    let views: i64 = with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT CAST(COALESCE(SUM(views), 0) AS BIGINT) FROM daily_views WHERE profile_id = $1"
    )
    .bind(&id)
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(metric(&o, "views", "current"), views);
    assert_eq!(metric(&o, "followers", "current"), 2_500);
    let engagements = sum(|r| r.1 + r.2 + r.3 + r.4 + r.5) as f64;
    let rate = (engagements * 100.0 / sum(|r| r.0) as f64 * 100.0).round() / 100.0;
    assert_eq!(
        metric(&o, "engagement_rate", "current").as_f64().unwrap(),
        rate
    );
    // The daily series adds up to the same totals.
    let s = json_of(
        &app,
        &format!("/api/v1/profiles/{id}/analytics/series?period=all"),
    )
    .await;
    let points = s["points"].as_array().unwrap();
    let col = |k: &str| {
        points
            .iter()
            .map(|p| p[k].as_i64().unwrap_or(0))
            .sum::<i64>()
    };
    assert_eq!(col("posts"), own);
    assert_eq!(col("post_views"), sum(|r| r.0));
    assert_eq!(col("views"), views);
}

/// Posts and days around the spring DST change (2025-03-30 in London) and two month ends.
async fn dst_fixture(app: &TestApp) -> String {
    let (id, user) = empty_profile(app, "dora@example.com", 40).await;
    let posts = [
        Post::new("p_feb28_late", utc(2025, 2, 28, 23, 30), 100, 10), // previous (28 Feb, GMT)
        Post::new("p_jan28", utc(2025, 1, 28, 23, 59), 1_000, 1),     // before both periods
        Post::new("p_mar01", utc(2025, 3, 1, 0, 10), 200, 20),        // current
        Post::new("p_dst_day", utc(2025, 3, 30, 0, 30), 400, 40), // current (00:30 GMT, before the jump)
        Post::new("p_mar31_bst", utc(2025, 3, 31, 22, 30), 800, 80), // current (23:30 BST)
        Post::new("p_apr01_bst", utc(2025, 3, 31, 23, 30), 1_600, 160), // 00:30 BST on 1 April: after
    ];
    add_posts(app, &id, &user, &posts).await;
    add_days(
        app,
        &id,
        &[
            ("2025-02-27", 1_000, None),
            ("2025-02-28", 1_010, Some(2)),
            ("2025-03-01", 1_020, Some(3)),
            ("2025-03-15", 1_100, None),
            ("2025-03-31", 1_200, Some(5)),
        ],
    )
    .await;
    add_views(
        app,
        &id,
        &[
            ("2025-01-28", 7),
            ("2025-02-28", 50),
            ("2025-03-01", 70),
            ("2025-03-31", 30),
            ("2025-04-01", 999),
        ],
    )
    .await;
    id
}

async fn period_comparison_is_exact_across_dst_and_month_ends(app: TestApp) {
    let id = dst_fixture(&app).await;
    set_tz(&app, "Europe/London").await;
    let path = format!(
        "/api/v1/profiles/{id}/analytics/overview?period=custom&from=2025-03-01&to=2025-03-31"
    );
    let o = json_of(&app, &path).await;
    assert_eq!(o["period"]["previous"]["from"], "2025-01-29");
    assert_eq!(o["period"]["previous"]["to"], "2025-02-28");
    // 31 days minus the hour lost to DST.
    assert_eq!(
        o["period"]["current"]["end"].as_i64().unwrap()
            - o["period"]["current"]["start"].as_i64().unwrap(),
        31 * 86_400 - 3_600
    );
    let expect = |key: &str, current: Value, previous: Value| {
        assert_eq!(
            (metric(&o, key, "current"), metric(&o, key, "previous")),
            (current, previous),
            "{key}"
        );
    };
    expect("posts", json!(3), json!(1));
    expect("post_views", json!(1_400), json!(100));
    expect("likes", json!(140), json!(10));
    expect("views", json!(100), json!(50));
    expect("link_clicks", json!(8), json!(2));
    expect("followers", json!(1_200), json!(1_010));
    expect("net_followers", json!(190), json!(10));
    assert_eq!(metric(&o, "post_views", "change"), 1_300);
    assert_eq!(metric(&o, "post_views", "change_pct"), 1_300.0);
    assert_eq!(metric(&o, "post_views", "direction"), "up");
    // (140 likes + 3 replies + 6 reposts + 3 shares) / 1,400 views.
    assert_eq!(metric(&o, "engagement_rate", "current"), 10.86);
    // In UTC the 23:30 UTC post of 31 March belongs to March, and the day boundaries move.
    set_tz(&app, "UTC").await;
    let o = json_of(&app, &path).await;
    assert_eq!(metric(&o, "posts", "current"), 4);
    assert_eq!(metric(&o, "post_views", "current"), 3_000);
    assert_eq!(
        o["period"]["current"]["end"].as_i64().unwrap()
            - o["period"]["current"]["start"].as_i64().unwrap(),
        31 * 86_400
    );
}

async fn heatmap_cells_match_a_hand_computed_fixture(app: TestApp) {
    let (id, user) = empty_profile(&app, "hana@example.com", 40).await;
    let mut repost = Post::new("r_mon", utc(2025, 7, 7, 13, 45), 0, 0);
    repost.repost = true;
    let posts = [
        Post::new("summer_mon_0930", utc(2025, 7, 7, 13, 30), 100, 10), // Mon 09:30 EDT
        Post::new("winter_mon_0900", utc(2025, 1, 6, 14, 0), 300, 20),  // Mon 09:00 EST: same cell
        Post::new("tue_utc_mon_2315", utc(2025, 7, 8, 3, 15), 50, 5),   // Mon 23:15 EDT
        Post::new("fallback_edt", utc(2025, 11, 2, 5, 30), 10, 1),      // Sun 01:30 EDT
        Post::new("fallback_est", utc(2025, 11, 2, 6, 30), 30, 3),      // Sun 01:30 EST: same cell
        repost,
    ];
    add_posts(&app, &id, &user, &posts).await;
    set_tz(&app, "America/New_York").await;
    let h = json_of(
        &app,
        &format!(
            "/api/v1/profiles/{id}/analytics/heatmap?period=custom&from=2025-01-01&to=2025-12-31"
        ),
    )
    .await;
    assert_eq!(h["timezone"], "America/New_York");
    let cells = h["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 7 * 24);
    let busy: HashMap<(String, i64), &Value> = cells
        .iter()
        .filter(|c| c["posts"].as_i64().unwrap() > 0)
        .map(|c| {
            (
                (
                    c["weekday"].as_str().unwrap().to_owned(),
                    c["hour"].as_i64().unwrap(),
                ),
                c,
            )
        })
        .collect();
    assert_eq!(busy.len(), 3, "{busy:?}");
    let cell = |d: &str, h: i64| busy[&(d.to_owned(), h)];
    // Each post has replies 1, reposts 2, shares 1 besides its likes.
    assert_eq!(
        (
            cell("Mon", 9)["posts"].clone(),
            cell("Mon", 9)["views"].clone(),
            cell("Mon", 9)["engagements"].clone()
        ),
        (json!(2), json!(400), json!(38))
    );
    assert_eq!(cell("Mon", 9)["avg_views"], 200.0);
    assert_eq!(
        (
            cell("Mon", 23)["posts"].clone(),
            cell("Mon", 23)["views"].clone()
        ),
        (json!(1), json!(50))
    );
    assert_eq!(
        (
            cell("Sun", 1)["posts"].clone(),
            cell("Sun", 1)["views"].clone()
        ),
        (json!(2), json!(40))
    );
    assert_eq!(cell("Sun", 1)["engagement_rate"], 30.0);
}

/// A minimal RFC 4180 reader for the tests.
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let (mut rows, mut row, mut cell, mut quoted, mut chars) = (
        Vec::new(),
        Vec::new(),
        String::new(),
        false,
        text.chars().peekable(),
    );
    while let Some(c) = chars.next() {
        match (quoted, c) {
            (true, '"') if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            (true, '"') => quoted = false,
            (true, c) => cell.push(c),
            (false, '"') => quoted = true,
            (false, ',') => row.push(std::mem::take(&mut cell)),
            (false, '\r') => {}
            (false, '\n') => {
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            (false, c) => cell.push(c),
        }
    }
    rows
}

async fn csv_exports_equal_json_exports_for_every_table(app: TestApp) {
    app.signup("cleo@example.com", PASSWORD).await;
    let c = creator(&app, "cleo_posts", 80, 900);
    let id = connect(&app, c.user_id).await;
    wait_for_backfill(&app, &id).await;
    let media_id = app
        .state
        .store
        .post_metrics(&thredops::domain::ProfileId::from(id.as_str()))
        .await
        .unwrap()[0]
        .0
        .clone();
    for table in [
        "overview",
        "series",
        "heatmap",
        "breakdown",
        "demographics",
        "attribution",
        "posts",
        "post_history",
    ] {
        let base = format!(
            "/api/v1/profiles/{id}/analytics/exports/{table}?period=all&media_id={media_id}"
        );
        let csv = app.get(&format!("{base}&format=csv")).await;
        assert_eq!(csv.status(), 200, "{table}");
        assert!(
            csv.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/csv")
        );
        let csv = parse_csv(&csv.text().await.unwrap());
        let json = json_of(&app, &format!("{base}&format=json")).await;
        let rows = json.as_array().unwrap();
        assert_eq!(
            csv.len(),
            rows.len() + 1,
            "{table}: header + one line per row"
        );
        assert!(
            !rows.is_empty() || table == "attribution",
            "{table} has rows"
        );
        for (line, row) in csv[1..].iter().zip(rows) {
            for (name, cell) in csv[0].iter().zip(line) {
                let expected = match &row[name] {
                    Value::Null => String::new(),
                    Value::String(s) if s.starts_with(['=', '+', '@']) => format!("'{s}"),
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                assert_eq!(cell, &expected, "{table}.{name}");
            }
        }
    }
    let bad = app
        .get(&format!(
            "/api/v1/profiles/{id}/analytics/exports/posts?format=xls"
        ))
        .await;
    assert_eq!(bad.status(), 422);
    assert!(bad.json::<Value>().await.unwrap()["error"]["fields"]["format"].is_string());
    assert_eq!(
        app.get(&format!("/api/v1/profiles/{id}/analytics/exports/nothing"))
            .await
            .status(),
        404
    );
}
