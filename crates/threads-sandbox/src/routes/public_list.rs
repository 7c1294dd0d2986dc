//! Paging shared by the listings of public posts (mentions, profile posts).

use axum::Json;
use serde_json::{Value, json};

use super::{cursors, list_range, paging, parse_limit};
use crate::Sandbox;
use crate::errors::{ApiError, ApiResult};
use crate::ids::decode_cursor;
use crate::params::Params;
use crate::public::{PublicPost, PublicProfile, render};
use crate::world::render::{MEDIA_FIELDS, parse_fields};

/// Answers one page of `posts` (any order; sorted newest first here) after applying the list
/// parameters of §3: `since`/`until`, `limit`, `before`/`after` and `fields`.
pub fn page(
    sb: &Sandbox,
    params: &Params,
    path: &str,
    posts: Vec<(&PublicProfile, &PublicPost)>,
) -> ApiResult<Json<Value>> {
    let now = sb.clock().now_ts();
    let (since, until) = list_range(params, now)?;
    let limit = parse_limit(params)?;
    let (before, after) = cursors(params)?;
    let fields = parse_fields(params.get("fields"));
    if let Some(bad) = fields.iter().find(|f| !MEDIA_FIELDS.contains(&f.as_str())) {
        return Err(ApiError::nonexisting_field(bad));
    }
    let mut entries: Vec<_> = posts
        .into_iter()
        .filter(|(_, p)| p.ts <= now)
        .filter(|(_, p)| since.is_none_or(|s| p.ts >= s) && until.is_none_or(|u| p.ts < u))
        .collect();
    entries.sort_by_key(|(_, p)| (std::cmp::Reverse(p.ts), p.id));
    let decode =
        |c: &str| decode_cursor(c).ok_or_else(|| ApiError::invalid_param("Invalid cursor"));
    let (start, end) = match (before, after) {
        (Some(b), _) => {
            let b = decode(&b)?.min(entries.len());
            (b.saturating_sub(limit), b)
        }
        (_, Some(a)) => {
            let a = (decode(&a)? + 1).min(entries.len());
            (a, (a + limit).min(entries.len()))
        }
        _ => (0, limit.min(entries.len())),
    };
    let data = entries[start..end]
        .iter()
        .map(|(a, p)| render::post(a, p, &fields).map(Value::Object))
        .collect::<ApiResult<Vec<_>>>()?;
    if data.is_empty() {
        return Ok(Json(json!({"data": []})));
    }
    let paging = paging(
        sb,
        params,
        path,
        start,
        end - 1,
        end < entries.len(),
        start > 0,
    );
    Ok(Json(json!({"data": data, "paging": paging})))
}
