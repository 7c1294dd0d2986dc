//! Follower demographics (age, gender, top countries, top cities) at the end of a period and how
//! they changed since the snapshot at its start. Meta only answers for profiles with 100+ followers.

use std::collections::HashMap;

use serde::Serialize;
use serde_json::json;

use super::period::Window;
use super::table::Table;
use super::{Scope, round2};
use crate::store::StoreResult;
use crate::sync::engine::DEMOGRAPHICS_PURPOSE;

/// Meta's threshold for demographics.
pub const MIN_FOLLOWERS: i64 = 100;
/// Countries and cities shown.
const TOP: usize = 10;

/// One bucket of a breakdown.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Bucket {
    /// Age range, gender, country code or city.
    pub value: String,
    /// Followers now.
    pub followers: i64,
    /// Share of the breakdown's followers, percent.
    pub share: f64,
    /// Followers at the comparison snapshot (null without one).
    pub previous: Option<i64>,
    /// followers − previous.
    pub change: Option<i64>,
}

/// One breakdown.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Breakdown {
    /// `age`, `gender`, `country` or `city`.
    pub breakdown: String,
    /// Buckets, largest first (top 10 for countries and cities).
    pub buckets: Vec<Bucket>,
}

/// Demographics of a window.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct Demographics {
    /// Day of the snapshot shown.
    pub day: Option<String>,
    /// Day it is compared with.
    pub compared_with: Option<String>,
    /// Why nothing is shown, if so.
    pub unavailable: Option<String>,
    /// The breakdowns.
    pub breakdowns: Vec<Breakdown>,
}

async fn open_day(scope: &Scope, day: &str) -> StoreResult<HashMap<String, Vec<(String, i64)>>> {
    let mut out = HashMap::new();
    for (breakdown, sealed) in scope.state.store.demographics_on(scope.id(), day).await? {
        let subject = format!("{}/{day}/{breakdown}", scope.id());
        let parsed: Vec<(String, i64)> = scope
            .key
            .as_ref()
            .and_then(|k| k.open_string(DEMOGRAPHICS_PURPOSE, &subject, &sealed).ok())
            .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
            .and_then(|v| v.as_array().cloned())
            .unwrap_or_default()
            .iter()
            .filter_map(|b| Some((b["value"].as_str()?.to_owned(), b["followers"].as_i64()?)))
            .collect();
        out.insert(breakdown, parsed);
    }
    Ok(out)
}

/// Demographics at the window's last snapshot compared with its first.
pub async fn demographics(scope: &Scope, w: &Window) -> StoreResult<Demographics> {
    let store = &scope.state.store;
    let days = store
        .demographic_days(scope.id(), "0000-00-00", &w.last_day_key())
        .await?;
    let Some(last) = days.last().cloned() else {
        let followers = scope.profile.followers_count.unwrap_or(0);
        let reason = if followers < MIN_FOLLOWERS {
            format!(
                "Threads shares follower demographics only for profiles with at least {MIN_FOLLOWERS} followers; this one has {followers}."
            )
        } else {
            "No demographics snapshot yet for this period: ThredOps records one a day once the profile has 100 followers.".to_owned()
        };
        return Ok(Demographics {
            day: None,
            compared_with: None,
            unavailable: Some(reason),
            breakdowns: Vec::new(),
        });
    };
    // The comparison: the last snapshot on or before the window's first day, else its first.
    let from = w.first_day_key();
    let first = days
        .iter()
        .rev()
        .find(|d| **d <= from)
        .or_else(|| days.iter().find(|d| **d >= from))
        .cloned();
    let first = first.filter(|d| *d != last);
    let now = open_day(scope, &last).await?;
    let then = match &first {
        Some(d) => Some(open_day(scope, d).await?),
        None => None,
    };
    let mut breakdowns = Vec::new();
    // Meta lists only the top cities, so a city's share of the listed cities overstates it: a
    // share is always of all followers the demographics cover (the largest breakdown's total).
    let all_followers: i64 = now
        .values()
        .map(|b| b.iter().map(|(_, n)| n).sum::<i64>())
        .max()
        .unwrap_or(0);
    for name in ["age", "gender", "country", "city"] {
        let Some(buckets) = now.get(name) else {
            continue;
        };
        let total = all_followers;
        let before: Option<HashMap<&str, i64>> = then.as_ref().map(|t| {
            t.get(name)
                .map(|b| b.iter().map(|(v, n)| (v.as_str(), *n)).collect())
                .unwrap_or_default()
        });
        let mut list: Vec<Bucket> = buckets
            .iter()
            .map(|(value, n)| {
                let previous = before
                    .as_ref()
                    .map(|b| b.get(value.as_str()).copied().unwrap_or(0));
                Bucket {
                    value: value.clone(),
                    followers: *n,
                    share: if total > 0 {
                        round2(*n as f64 * 100.0 / total as f64)
                    } else {
                        0.0
                    },
                    previous,
                    change: previous.map(|p| n - p),
                }
            })
            .collect();
        list.sort_by(|a, b| b.followers.cmp(&a.followers).then(a.value.cmp(&b.value)));
        if matches!(name, "country" | "city") {
            list.truncate(TOP);
        } else {
            list.sort_by(|a, b| a.value.cmp(&b.value));
        }
        breakdowns.push(Breakdown {
            breakdown: name.to_owned(),
            buckets: list,
        });
    }
    Ok(Demographics {
        day: Some(last),
        compared_with: first,
        unavailable: None,
        breakdowns,
    })
}

impl Demographics {
    /// The demographics as an exportable table.
    pub fn table(&self) -> Table {
        let mut t = Table::new(&[
            "breakdown",
            "value",
            "followers",
            "share",
            "previous",
            "change",
        ]);
        for b in &self.breakdowns {
            for x in &b.buckets {
                t.push(vec![
                    json!(b.breakdown),
                    json!(x.value),
                    json!(x.followers),
                    json!(x.share),
                    json!(x.previous),
                    json!(x.change),
                ]);
            }
        }
        t
    }
}
