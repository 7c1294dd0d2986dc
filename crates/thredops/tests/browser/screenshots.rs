//! The screenshots in docs/screenshots (linked from the README): the main pages at desktop
//! (1366×900) and phone (390×844) size, with a synced sandbox profile. Run on purpose:
//! `cargo test -p thredops --test browser screenshots -- --ignored`.

use std::path::PathBuf;
use std::time::Duration;

use serde_json::json;

use crate::setup::{Journey, creator};

async fn take(size: &str, width: u32, height: u32) {
    let Some(j) = Journey::start_sized(&format!("screenshots-{size}"), width, height).await else {
        return;
    };
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    let save = |name: String| {
        let dir = dir.clone();
        let client = j.client.clone();
        async move {
            // Scripts (tooltips, the chat launcher) settle first.
            tokio::time::sleep(Duration::from_millis(500)).await;
            let png = client.screenshot().await.unwrap();
            std::fs::write(dir.join(format!("{name}-{size}.png")), png).unwrap();
        }
    };
    j.open("/").await;
    save("landing".into()).await;
    j.sign_up(&format!("screens.{size}@example.com")).await;
    let id = j.connect(creator("maya_makes", 180, 12_480)).await;
    // Two posts on the calendar, in the next days.
    j.open("/app/schedule").await;
    for (days, time) in [(1, "09:30"), (3, "18:15")] {
        let day = (thredops::clock::now() + chrono::Duration::days(days)).date_naive();
        j.client
            .execute_async(
                crate::mobile::SCHEDULE,
                vec![json!(id), json!(format!("{day}T{time}"))],
            )
            .await
            .unwrap();
    }
    for (name, path) in [
        ("dashboard", "/app".to_owned()),
        (
            "analytics",
            format!("/app/profiles/{id}/analytics?period=90d"),
        ),
        ("compose", "/app/schedule/new".to_owned()),
        ("calendar", "/app/schedule".to_owned()),
        ("strategist", format!("/app/strategist/{id}")),
    ] {
        j.open(&path).await;
        j.wait_until(Duration::from_secs(20), |t| !t.is_empty())
            .await;
        save(name.to_owned()).await;
    }
    // The analytics charts, below the fold.
    j.open(&format!("/app/profiles/{id}/analytics?period=90d"))
        .await;
    j.show("#charts-h").await;
    save("analytics-charts".into()).await;
    j.finish().await;
}

#[tokio::test]
#[ignore = "writes docs/screenshots; run on purpose"]
async fn screenshots_of_the_main_pages() {
    take("desktop", 1366, 900).await;
    take("phone", 390, 844).await;
}
