//! `GET /location_search?query=` or `?latitude=&longitude=` (§5.3).

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::Sandbox;
use crate::errors::{ApiError, ApiResult};
use crate::params::Params;
use crate::public::locations::{Location, PLACES};
use crate::public::quota::{Action, LOCATION_SEARCHES};
use crate::world::publish::quota_error;
use crate::world::render::parse_fields;

/// How far from the given point a place may be and still be found. Meta does not say; a
/// city's reach keeps a search near one city from returning another.
const RADIUS_KM: f64 = 50.0;

fn coordinate(params: &Params, name: &str, bound: f64) -> ApiResult<Option<f64>> {
    params
        .get(name)
        .map(|raw| {
            raw.trim()
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite() && v.abs() <= bound)
                .ok_or_else(|| {
                    ApiError::invalid_param(format!(
                        "Param {name} must be a number between -{bound} and {bound}"
                    ))
                })
        })
        .transpose()
}

/// `GET /location_search`: places whose name or city contains `query`, or those near a
/// point (nearest first); with both, matching places nearest first.
pub async fn location_search(State(sb): State<Sandbox>, params: Params) -> ApiResult<Json<Value>> {
    let caller = sb.authorize(&params, "threads_location_tagging")?;
    let query = params
        .get("query")
        .map(|q| q.trim().to_lowercase())
        .filter(|q| !q.is_empty());
    let point = match (
        coordinate(&params, "latitude", 90.0)?,
        coordinate(&params, "longitude", 180.0)?,
    ) {
        (Some(lat), Some(lon)) => Some((lat, lon)),
        (None, None) => None,
        _ => {
            return Err(ApiError::invalid_param(
                "Params latitude and longitude must be given together",
            ));
        }
    };
    if query.is_none() && point.is_none() {
        return Err(ApiError::invalid_param(
            "Either query or latitude and longitude is required",
        ));
    }
    let fields = parse_fields(params.get("fields"));
    let now = sb.clock().now_ts();
    {
        let user = caller.token.user_id;
        let mut quota = sb.discovery_quota();
        if !quota.allows(user, Action::LocationSearch, now) {
            return Err(quota_error("Location search", LOCATION_SEARCHES as u64));
        }
        quota.record(user, Action::LocationSearch, now);
    }
    let mut found: Vec<(&Location, f64)> = PLACES
        .iter()
        .filter(|l| query.as_deref().is_none_or(|q| l.matches(q)))
        .map(|l| (l, point.map_or(0.0, |(la, lo)| l.distance_km(la, lo))))
        .filter(|(_, d)| *d <= RADIUS_KM)
        .collect();
    found.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.index.cmp(&b.0.index)));
    let data = found
        .into_iter()
        .map(|(l, _)| l.render(&fields).map(Value::Object))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(Json(json!({ "data": data })))
}
