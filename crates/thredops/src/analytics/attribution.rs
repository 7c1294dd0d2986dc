//! Follower attribution, an estimate: which posts likely brought the followers gained.
//!
//! Method: for every day whose account snapshot shows a net gain over the previous snapshot, the
//! gain is shared among the posts published that day and the day before, in proportion to their
//! views + 1 (so a post without views still gets a small share). Losses are not attributed, and a
//! gain with no recent post stays "unattributed" (older posts, search, profile visits). Meta does
//! not say where a follower came from, so this is a correlation, never a measurement.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::json;

use super::period::Window;
use super::table::Table;
use super::{Scope, round2};
use crate::domain::MediaId;
use crate::store::StoreResult;

const DAY: i64 = 86_400;

/// A post and the followers it is estimated to have brought.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Credit {
    /// Meta media id.
    pub media_id: MediaId,
    /// Publication time, Unix seconds.
    pub posted_at: i64,
    /// Its views.
    pub views: i64,
    /// Estimated followers (fractional: shares of daily gains).
    pub estimated_followers: f64,
}

/// The estimate over a window.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Attribution {
    /// Sum of the positive daily gains.
    pub gained: i64,
    /// The part shared among posts.
    pub attributed: f64,
    /// The part without a recent post.
    pub unattributed: f64,
    /// Posts, most followers first.
    pub posts: Vec<Credit>,
    /// How the estimate is made.
    pub method: &'static str,
}

/// The method, as shown to users.
pub const METHOD: &str = "Estimate. Each day's net follower gain (from ThredOps' daily snapshots) is shared among the posts published that day and the day before, in proportion to their views + 1. Losses are not attributed; gains with no recent post are unattributed. Meta does not report where followers come from, so this shows correlation, not cause.";

/// Estimates which posts of the window brought followers.
pub async fn attribution(scope: &Scope, w: &Window) -> StoreResult<Attribution> {
    let store = &scope.state.store;
    let days = store
        .account_days(scope.id(), &w.first_day_key(), &w.last_day_key())
        .await?;
    let mut previous = store
        .followers_before(scope.id(), &w.first_day_key())
        .await?;
    let posts = store.posts_in(scope.id(), w.start - 2 * DAY, w.end).await?;
    let posts: Vec<_> = posts.into_iter().filter(|p| !p.is_repost).collect();
    let mut credit: HashMap<usize, f64> = HashMap::new();
    let (mut gained, mut unattributed) = (0, 0.0);
    for d in &days {
        let gain = previous.map_or(0, |p| d.followers - p);
        previous = Some(d.followers);
        if gain <= 0 {
            continue;
        }
        gained += gain;
        let Ok(date) = NaiveDate::parse_from_str(&d.day, "%Y-%m-%d") else {
            continue;
        };
        let day_start = date
            .and_hms_opt(0, 0, 0)
            .map_or(0, |t| t.and_utc().timestamp());
        let recent: Vec<usize> = (0..posts.len())
            .filter(|&i| {
                posts[i].posted_at >= day_start - DAY && posts[i].posted_at < day_start + DAY
            })
            .collect();
        let weight: f64 = recent
            .iter()
            .map(|&i| posts[i].views.unwrap_or(0) as f64 + 1.0)
            .sum();
        if recent.is_empty() {
            unattributed += gain as f64;
            continue;
        }
        for i in recent {
            *credit.entry(i).or_default() +=
                gain as f64 * (posts[i].views.unwrap_or(0) as f64 + 1.0) / weight;
        }
    }
    let mut list: Vec<Credit> = credit
        .into_iter()
        .map(|(i, f)| Credit {
            media_id: posts[i].media_id.clone(),
            posted_at: posts[i].posted_at,
            views: posts[i].views.unwrap_or(0),
            estimated_followers: round2(f),
        })
        .collect();
    list.sort_by(|a, b| {
        b.estimated_followers
            .total_cmp(&a.estimated_followers)
            .then(a.media_id.cmp(&b.media_id))
    });
    Ok(Attribution {
        gained,
        attributed: round2(gained as f64 - unattributed),
        unattributed: round2(unattributed),
        posts: list,
        method: METHOD,
    })
}

impl Attribution {
    /// The estimate as an exportable table.
    pub fn table(&self) -> Table {
        let mut t = Table::new(&["media_id", "posted_at", "views", "estimated_followers"]);
        for c in &self.posts {
            t.push(vec![
                json!(c.media_id),
                json!(c.posted_at),
                json!(c.views),
                json!(c.estimated_followers),
            ]);
        }
        t
    }
}
