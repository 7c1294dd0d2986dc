//! Paging shared by the listings of public posts (mentions, profile posts).

use axum::Json;
use serde_json::Value;

use super::{list_range, positional_page, window};
use crate::Sandbox;
use crate::errors::{ApiError, ApiResult};
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
    let (start, end) = window(params, entries.len())?;
    let data = entries[start..end]
        .iter()
        .map(|(a, p)| render::post(a, p, &fields).map(Value::Object))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(positional_page(
        sb,
        params,
        path,
        data,
        (start, end),
        entries.len(),
    ))
}
