//! Analytics throughput benchmark (ignored by default; run in release mode, see
//! docs/benchmarks.md): a profile with 1k, 10k and 50k posts over two years and two years of
//! daily snapshots; overview and explorer throughput as a ratio of `GET /healthz` in the same run,
//! the overview both as served from its cache and right after a write invalidated it.

use std::time::{Duration, Instant};

use super::fixtures::empty_profile;
use crate::helpers::{Backend, TestApp};

const DAY: i64 = 86_400;
const CLIENTS: usize = 8;
/// Posts per page of history (the Threads API's page size sync asks for).
const PAGE: usize = 100;
const RUN_FOR: Duration = Duration::from_secs(3);
const TOPICS: [&str; 3] = ["rust", "food", "travel"];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run in release mode on purpose"]
async fn bench_sqlite() {
    run(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run in release mode on purpose"]
async fn bench_postgres() {
    run(Backend::Postgres).await;
}

async fn run(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else {
        eprintln!("skipped: THREDOPS_TEST_DATABASE_URL is not set");
        return;
    };
    let (id, user) = empty_profile(&app, "bench@example.com", 5_000).await;
    let now = app.state.threads.now().timestamp();
    days(&app, &id, now).await;
    let mut stored = 0;
    println!("| backend | posts | endpoint | req/s | ratio to /healthz | p50 ms | p95 ms |");
    println!("|---|---|---|---|---|---|---|");
    for total in [1_000, 10_000, 50_000] {
        posts(&app, &id, &user, now, stored, total).await;
        stored = total;
        settle(&app).await;
        let health = measure(&app, "/healthz", None).await;
        let overview = |p: &str| format!("/api/v1/profiles/{id}/analytics/overview?period={p}");
        let cases = [
            // The floor of any signed-in read: the session check alone (one query).
            ("/api/v1/me", "/api/v1/me".to_owned(), Cache::Warm),
            ("overview 30d", overview("30d"), Cache::Warm),
            ("overview 365d", overview("365d"), Cache::Warm),
            (
                "explorer 30d by views",
                format!("/api/v1/profiles/{id}/analytics/posts?period=30d&sort=views"),
                Cache::Warm,
            ),
            (
                "explorer all time by views",
                format!("/api/v1/profiles/{id}/analytics/posts?period=all&sort=views"),
                Cache::Warm,
            ),
            // Last: each of their writes leaves a dead version of the profile row behind.
            ("overview 30d, after a write", overview("30d"), Cache::Cold),
            (
                "overview 365d, after a write",
                overview("365d"),
                Cache::Cold,
            ),
        ];
        let name = format!("{backend:?}");
        println!(
            "| {name} | {total} | /healthz | {:.0} | 1.00 | {:.1} | {:.1} |",
            health.0, health.1, health.2
        );
        for (label, path, cache) in cases {
            let r = measure(&app, &path, (cache == Cache::Cold).then_some(id.as_str())).await;
            println!(
                "| {name} | {total} | {label} | {:.0} | {:.2} | {:.1} | {:.1} |",
                r.0,
                r.0 / health.0,
                r.1,
                r.2
            );
        }
    }
}

/// Whether the overview cache may answer: the same request again (warm), or each request
/// right after a write to the profile's data (cold: what the first look after a sync costs).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cache {
    Warm,
    Cold,
}

/// (requests per second, p50 ms, p95 ms) of `path` with [`CLIENTS`] concurrent clients. With
/// `invalidate`, each request is preceded by a bump of that profile's data version (as a sync
/// write does), outside the timed part.
async fn measure(app: &TestApp, path: &str, invalidate: Option<&str>) -> (f64, f64, f64) {
    let url = app.url(path);
    let started = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (client, url) = (app.client.clone(), url.clone());
            let (store, invalidate) = (app.state.store.clone(), invalidate.map(str::to_owned));
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                while started.elapsed() < RUN_FOR {
                    if let Some(profile) = &invalidate {
                        bump_data_version(&store, profile).await;
                    }
                    let t = Instant::now();
                    let r = client.get(&url).send().await.unwrap();
                    assert!(r.status().is_success(), "{url}: {}", r.status());
                    r.bytes().await.unwrap();
                    latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    let secs = started.elapsed().as_secs_f64();
    all.sort_by(f64::total_cmp);
    let pick = |q: f64| all[((all.len() as f64 - 1.0) * q) as usize];
    (all.len() as f64 / secs, pick(0.5), pick(0.95))
}

/// On PostgreSQL, what autovacuum does in production (a test server may run without it):
/// statistics for the planner, and dead row versions (every write bumps the profile row's data
/// version) cleared so reads do not walk them.
async fn settle(app: &TestApp) {
    if let thredops::store::Pool::Postgres(p) = app.state.store.pool_for_tests() {
        sqlx::query("VACUUM ANALYZE").execute(p).await.unwrap();
    }
}

async fn bump_data_version(store: &thredops::store::Store, profile: &str) {
    thredops::with_pool!(store, |p| sqlx::query(
        "UPDATE threads_profiles SET data_version = data_version + 1 WHERE id = $1"
    )
    .bind(profile)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
}

/// Two years of daily account snapshots and daily views.
async fn days(app: &TestApp, profile: &str, now: i64) {
    for d in 1..=730 {
        let at = now - d * DAY;
        let day = chrono::DateTime::from_timestamp(at, 0)
            .unwrap()
            .format("%Y-%m-%d")
            .to_string();
        app.state
            .store
            .insert_account_snapshot(
                &thredops::domain::ProfileId::from(profile),
                &day,
                at,
                5_000 - d,
                [Some(10), Some(2), Some(1), Some(0), Some(d % 7)],
            )
            .await
            .unwrap();
        app.state
            .store
            .upsert_daily_views(
                &thredops::domain::ProfileId::from(profile),
                &day,
                1_000 + d % 300,
                at,
            )
            .await
            .unwrap();
    }
}

/// Posts `from..to` of `to`, spread evenly over two years, each with three snapshots; written in
/// pages of [`PAGE`] posts as sync writes a page of history (one statement per page and step, so
/// as many data-version bumps as a backfill makes, not one per post).
async fn posts(app: &TestApp, profile: &str, user: &str, now: i64, from: usize, to: usize) {
    use thredops::store::synced::{Measured, Metrics, PostRow};
    let key = app
        .state
        .vault
        .existing_key(&thredops::domain::WorkspaceId::from(user))
        .await
        .unwrap()
        .unwrap();
    let span = 730 * DAY;
    let store = &app.state.store;
    for page in (from..to).collect::<Vec<_>>().chunks(PAGE) {
        let rows: Vec<PostRow> = page
            .iter()
            .map(|&i| {
                let media_id = format!("b{i:06}");
                let content = serde_json::json!({"text": format!("Benchmark post {i} about things?"), "topic_tag": TOPICS[i % 3]});
                PostRow {
                    content_enc: key.seal(
                        "post",
                        &format!("{profile}/{media_id}"),
                        content.to_string().as_bytes(),
                    ),
                    media_id: thredops::domain::MediaId::from(media_id),
                    media_type: ["TEXT_POST", "IMAGE", "VIDEO"][i % 3].into(),
                    posted_at: posted_at(now, span, i),
                    text_len: 30,
                    link_count: (i % 4 == 0) as i64,
                    has_question: true,
                    has_poll: false,
                    is_quote: false,
                    is_repost: false,
                    carousel_size: 0,
                }
            })
            .collect();
        store
            .insert_posts(&thredops::domain::ProfileId::from(profile), &rows, now)
            .await
            .unwrap();
        for (n, age) in [3_600, DAY, 7 * DAY].into_iter().enumerate() {
            let measured: Vec<Measured> = page
                .iter()
                .map(|&i| {
                    let v = (i % 500) as i64 * (n as i64 + 1);
                    let posted_at = posted_at(now, span, i);
                    Measured {
                        media_id: thredops::domain::MediaId::from(format!("b{i:06}")),
                        posted_at,
                        metrics: Metrics {
                            views: v * 10,
                            likes: v,
                            replies: v / 3,
                            reposts: v / 5,
                            quotes: v / 9,
                            shares: v / 7,
                        },
                        taken_at: posted_at + age,
                        next_refresh_at: i64::MAX / 2,
                    }
                })
                .collect();
            store
                .record_post_metrics(&thredops::domain::ProfileId::from(profile), &measured)
                .await
                .unwrap();
        }
    }
}

/// Where post `i` falls: new posts interleave with the old ones so each period holds a share of
/// every batch.
fn posted_at(now: i64, span: i64, i: usize) -> i64 {
    now - span + ((i as i64 * 7_919) % span)
}
