//! Media and user insights endpoints (§4).

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::{own_user, time_range};
use crate::Sandbox;
use crate::errors::{ApiError, ApiResult};
use crate::ids::ObjectRef;
use crate::params::Params;
use crate::world::insights::{self, DAY_OFFSET, MEDIA_METRICS, USER_METRICS};

/// The earliest `since` user insights accept (2024-04-13).
const INSIGHTS_SINCE_FLOOR: i64 = 1_712_991_600;
const BREAKDOWNS: &[&str] = &["country", "city", "age", "gender"];

fn metrics(params: &Params, allowed: &[&str]) -> ApiResult<Vec<String>> {
    let raw = params
        .get("metric")
        .ok_or_else(|| ApiError::invalid_param("The parameter metric is required"))?;
    raw.split(',')
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(|m| {
            if allowed.contains(&m) {
                Ok(m.to_owned())
            } else {
                Err(ApiError::invalid_param(format!(
                    "metric[0] must be one of the following values: {}",
                    allowed.join(", ")
                )))
            }
        })
        .collect()
}

/// `GET /{media-id}/insights?metric=..`: lifetime values; a repost answers `{"data":[]}`.
pub async fn media_insights(
    State(sb): State<Sandbox>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let caller = sb.authorize(&params, "threads_manage_insights")?;
    let names = metrics(&params, MEDIA_METRICS)?;
    let r = ObjectRef::parse(&id).ok_or_else(|| ApiError::unknown_object(&id))?;
    let world = sb.world();
    let (creator, post) = world.post(r).ok_or_else(|| ApiError::unknown_object(&id))?;
    if creator.index != caller.creator {
        return Err(ApiError::unknown_object(&id));
    }
    let data = insights::media(creator, post, r.id(), &names, sb.clock().now_ts());
    Ok(Json(json!({ "data": data })))
}

/// `GET /{user-id}/threads_insights?metric=..&since&until&breakdown`.
pub async fn user_insights(
    State(sb): State<Sandbox>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let caller = sb.authorize(&params, "threads_manage_insights")?;
    own_user(&caller, &id)?;
    let names = metrics(&params, USER_METRICS)?;
    let now = sb.clock().now_ts();
    let (since, until) = time_range(&params, now)?;
    if since.or(until).is_some_and(|t| t < INSIGHTS_SINCE_FLOOR) {
        return Err(ApiError::invalid_param(format!(
            "Param since must be at or after {INSIGHTS_SINCE_FLOOR}"
        )));
    }
    let snapshot_only = names
        .iter()
        .any(|n| n == "followers_count" || n == "follower_demographics");
    if snapshot_only && (since.is_some() || until.is_some()) {
        return Err(ApiError::invalid_param(
            "The metrics followers_count and follower_demographics do not support the since and until parameters",
        ));
    }
    let breakdown = params.get("breakdown");
    if names.iter().any(|n| n == "follower_demographics") {
        match breakdown {
            Some(b) if BREAKDOWNS.contains(&b) => {}
            _ => {
                return Err(ApiError::invalid_param(
                    "follower_demographics requires exactly one breakdown: country, city, age or gender",
                ));
            }
        }
    }
    let world = sb.world();
    let creator = &world.creators[caller.creator];
    if names.iter().any(|n| n == "follower_demographics") && creator.followers_at(now) < 100 {
        // The real error is unconfirmed; Graph's generic parameter error is used.
        return Err(ApiError::invalid_param(
            "Follower demographics are only available for profiles with at least 100 followers",
        ));
    }
    // With no range: from the start of yesterday (Pacific day boundary) through now.
    let today_start = now - (now - DAY_OFFSET).rem_euclid(86_400);
    let since = since.unwrap_or(today_start - 86_400);
    let until = until.unwrap_or(now).min(now);
    let data: Vec<Value> = names
        .iter()
        .map(|n| insights::user(creator, n, since, until, now, breakdown))
        .collect();
    Ok(Json(json!({ "data": data })))
}
