//! Media and user insights (§4), computed from the engagement model at the clock's time.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::engagement::{ACCRUAL_SECS, Metrics, accrued};
use super::render::timestamp;
use super::traits::Format;
use super::{Creator, Post};

/// Day boundaries follow Pacific time (08:00 UTC), like Graph's daily insights.
pub const DAY_OFFSET: i64 = 8 * 3_600;
/// Profile views are this share of post views.
const PROFILE_VIEW_RATE: f64 = 0.02;

/// Metrics available on a media object.
pub const MEDIA_METRICS: &[&str] = &["views", "likes", "replies", "reposts", "quotes", "shares"];
/// Metrics available on a user.
pub const USER_METRICS: &[&str] = &[
    "views",
    "likes",
    "replies",
    "reposts",
    "quotes",
    "clicks",
    "followers_count",
    "follower_demographics",
];

fn title(name: &str) -> String {
    let mut t = name.replace('_', " ");
    if let Some(first) = t.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    t
}

fn pick(m: &Metrics, name: &str) -> u64 {
    match name {
        "views" => m.views,
        "likes" => m.likes,
        "replies" => m.replies,
        "reposts" => m.reposts,
        "quotes" => m.quotes,
        "shares" => m.shares,
        "clicks" => m.clicks,
        _ => 0,
    }
}

/// One lifetime metric entry of a media object.
pub fn media_entry(media_id: u64, name: &str, value: u64) -> Value {
    json!({
        "name": name, "period": "lifetime", "values": [{"value": value}], "title": title(name),
        "description": format!("The number of {} on your post.", name.replace('_', " ")),
        "id": format!("{media_id}/insights/{name}/lifetime"),
    })
}

/// Media insights for `post` at `now`; a repost answers `[]`.
pub fn media(
    creator: &Creator,
    post: &Post,
    media_id: u64,
    metrics: &[String],
    now: i64,
) -> Vec<Value> {
    if post.format == Format::Repost {
        return Vec::new();
    }
    let m = creator.metrics_of(post, now);
    metrics
        .iter()
        .map(|n| media_entry(media_id, n, pick(&m, n)))
        .collect()
}

fn user_entry(user_id: u64, name: &str, body: (&str, Value)) -> Value {
    let mut v = json!({
        "name": name, "period": "day", "title": title(name),
        "description": format!("The {} of your profile.", name.replace('_', " ")),
        "id": format!("{user_id}/insights/{name}/day"),
    });
    v[body.0] = body.1;
    v
}

/// Sum of a metric gained by the creator's posts in `(since, until]`.
pub fn gained(creator: &Creator, name: &str, since: i64, until: i64) -> u64 {
    let end = creator.visible_end(until);
    let start = creator.posts[..end].partition_point(|p| p.ts <= since - ACCRUAL_SECS);
    creator.posts[start..end]
        .iter()
        .map(|p| {
            let v = pick(&p.fin, name);
            accrued(v, until - p.ts) - accrued(v, since - p.ts)
        })
        .sum()
}

/// Profile views per day: `(value, end_time)` for each day ending in `(since, until]`.
pub fn views_series(creator: &Creator, since: i64, until: i64) -> Vec<Value> {
    let first_end = since - (since - DAY_OFFSET).rem_euclid(86_400) + 86_400;
    let mut out = Vec::new();
    let mut end = first_end;
    while end - 86_400 < until {
        let views = creator.views_between(end - 86_400, end.min(until));
        // A small deterministic baseline so quiet days are not all zero.
        let baseline = (creator.user_id.wrapping_add(end as u64) % 5) as f64;
        let value = (views as f64 * PROFILE_VIEW_RATE + baseline).round() as u64;
        out.push(json!({"value": value, "end_time": timestamp(end)}));
        end += 86_400;
    }
    out
}

/// Link clicks per URL for posts gaining clicks in `(since, until]`.
pub fn clicks(creator: &Creator, since: i64, until: i64) -> Vec<Value> {
    let end = creator.visible_end(until);
    let start = creator.posts[..end].partition_point(|p| p.ts <= since - ACCRUAL_SECS);
    let mut by_url: BTreeMap<String, u64> = BTreeMap::new();
    for p in creator.posts[start..end].iter().filter(|p| p.has_link) {
        let v = accrued(p.fin.clicks, until - p.ts) - accrued(p.fin.clicks, since - p.ts);
        if v > 0 {
            let url = p
                .live
                .as_deref()
                .and_then(|l| l.link.clone())
                .unwrap_or_else(|| super::text::link(p.seed));
            *by_url.entry(url).or_default() += v;
        }
    }
    by_url
        .into_iter()
        .map(|(link_url, value)| json!({"value": value, "link_url": link_url}))
        .collect()
}

/// A user metric entry over `(since, until]` at `now`.
pub fn user(
    creator: &Creator,
    name: &str,
    since: i64,
    until: i64,
    now: i64,
    breakdown: Option<&str>,
) -> Value {
    let uid = creator.user_id;
    match name {
        "views" => user_entry(
            uid,
            name,
            ("values", json!(views_series(creator, since, until))),
        ),
        "clicks" => user_entry(
            uid,
            name,
            ("link_total_values", json!(clicks(creator, since, until))),
        ),
        "followers_count" => user_entry(
            uid,
            name,
            ("total_value", json!({"value": creator.followers_at(now)})),
        ),
        "follower_demographics" => {
            let dim = breakdown.unwrap_or("country");
            let results: Vec<Value> = demographics(creator, dim, creator.followers_at(now))
                .into_iter()
                .map(|(k, v)| json!({"dimension_values": [k], "value": v}))
                .collect();
            user_entry(
                uid,
                name,
                (
                    "total_value",
                    json!({"breakdowns": [{"dimension_keys": [dim], "results": results}]}),
                ),
            )
        }
        _ => user_entry(
            uid,
            name,
            (
                "total_value",
                json!({"value": gained(creator, name, since, until)}),
            ),
        ),
    }
}

const COUNTRIES: &[(&str, &[&str])] = &[
    (
        "US",
        &[
            "New York, New York",
            "Los Angeles, California",
            "Chicago, Illinois",
            "Austin, Texas",
        ],
    ),
    (
        "BR",
        &["São Paulo, São Paulo", "Rio de Janeiro, Rio de Janeiro"],
    ),
    (
        "IN",
        &[
            "Mumbai, Maharashtra",
            "Bengaluru, Karnataka",
            "Delhi, Delhi",
        ],
    ),
    ("GB", &["London, England", "Manchester, England"]),
    (
        "JP",
        &["Tokyo, Tokyo", "Osaka, Osaka", "Yokohama, Kanagawa"],
    ),
    ("DE", &["Berlin, Berlin", "Munich, Bavaria"]),
    (
        "MX",
        &["Mexico City, Distrito Federal", "Guadalajara, Jalisco"],
    ),
    ("CA", &["Toronto, Ontario", "Vancouver, British Columbia"]),
    (
        "FR",
        &["Paris, Île-de-France", "Lyon, Auvergne-Rhône-Alpes"],
    ),
    ("ID", &["Jakarta, Jakarta"]),
    ("AU", &["Sydney, New South Wales", "Melbourne, Victoria"]),
];

/// Splits `total` followers along a dimension (`country`, `city`, `age`, `gender`).
pub fn demographics(creator: &Creator, dim: &str, total: u64) -> Vec<(String, u64)> {
    let seed = creator.user_id;
    let (top, share) = (&creator.top_country.0, creator.top_country.1);
    let countries: Vec<(String, f64)> = {
        let mut v = vec![(top.clone(), share)];
        let others: Vec<&str> = COUNTRIES.iter().map(|c| c.0).filter(|c| c != top).collect();
        let weights: Vec<f64> = (0..others.len()).map(|i| 1.0 / (i as f64 + 1.5)).collect();
        let sum: f64 = weights.iter().sum();
        v.extend(
            others
                .iter()
                .zip(weights)
                .map(|(c, w)| (c.to_string(), (1.0 - share) * w / sum)),
        );
        v
    };
    let weighted: Vec<(String, f64)> = match dim {
        "country" => countries,
        "city" => countries
            .iter()
            .flat_map(|(code, w)| {
                let cities = COUNTRIES
                    .iter()
                    .find(|c| c.0 == code)
                    .map_or(&[][..], |c| c.1);
                let n = cities.len().max(1) as f64;
                // Only part of a country's followers live in the listed big cities.
                cities
                    .iter()
                    .enumerate()
                    .map(move |(i, city)| (city.to_string(), w * 0.6 / n / (1.0 + i as f64 * 0.3)))
            })
            .collect(),
        "age" => ["13-17", "18-24", "25-34", "35-44", "45-54", "55-64", "65+"]
            .iter()
            .zip([0.03, 0.22, 0.34, 0.21, 0.11, 0.06, 0.03])
            .enumerate()
            .map(|(i, (k, w))| (k.to_string(), w * (0.8 + ((seed >> i) % 5) as f64 * 0.1)))
            .collect(),
        _ => {
            let f = 0.35 + (seed % 30) as f64 / 100.0;
            vec![("F".into(), f), ("M".into(), 0.95 - f), ("U".into(), 0.05)]
        }
    };
    let sum: f64 = weighted.iter().map(|(_, w)| w).sum::<f64>().max(1e-9);
    // Cities cover only part of the audience, so they are not normalised to the total.
    let scale = if dim == "city" { 1.0 } else { 1.0 / sum };
    let mut out: Vec<(String, u64)> = weighted
        .into_iter()
        .map(|(k, w)| (k, (total as f64 * w * scale).floor() as u64))
        .filter(|(_, v)| *v > 0)
        .collect();
    if dim != "city" {
        let assigned: u64 = out.iter().map(|(_, v)| v).sum();
        if let Some(first) = out.first_mut() {
            first.1 += total.saturating_sub(assigned);
        }
    }
    out.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    out
}
