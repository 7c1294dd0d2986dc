//! AI Strategist and Deep Audit against sandbox creators built with known traits.

pub mod audits;
mod bench;
mod llm;
mod planted;
mod strategist;

use serde_json::Value;
use threads_sandbox::CreatorTraits;

use crate::connect::{PASSWORD, connect, sandbox, wait_for_backfill};
use crate::helpers::TestApp;

/// Signs up, creates a creator with `traits`, connects and waits for the history.
pub async fn connected(app: &TestApp, email: &str, traits: CreatorTraits) -> String {
    app.signup(email, PASSWORD).await;
    let c = sandbox(app).create_creator(traits).unwrap();
    let id = connect(app, c.user_id).await;
    wait_for_backfill(app, &id).await;
    id
}

/// The strategist's report.
pub async fn strategy(app: &TestApp, id: &str) -> Value {
    let r = app.get(&format!("/api/v1/profiles/{id}/strategy")).await;
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

/// One recommendation by key.
pub fn rec<'a>(report: &'a Value, key: &str) -> &'a Value {
    report["recommendations"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == key)
        .unwrap_or_else(|| panic!("no {key} recommendation in {report}"))
}

/// A creator whose videos get three times the engagement.
pub fn video_creator(name: &str) -> CreatorTraits {
    CreatorTraits {
        username: Some(name.to_owned()),
        posts: Some(500),
        followers: Some(4_000),
        history_days: Some(300),
        format_multipliers: threads_sandbox::world::traits::FormatWeights {
            video: Some(3.0),
            ..Default::default()
        },
        ..Default::default()
    }
}
