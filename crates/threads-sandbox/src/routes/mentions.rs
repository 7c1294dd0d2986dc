//! `GET /{user-id}/mentions` (§3): public posts by other people that mention the user.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::{cursors, list_range, own_user, paging, parse_limit};
use crate::Sandbox;
use crate::errors::{ApiError, ApiResult};
use crate::ids::decode_cursor;
use crate::params::Params;
use crate::public::render;
use crate::world::render::{MEDIA_FIELDS, parse_fields};

/// Newest first, like every listing; cursors are positions in that list.
pub async fn list_mentions(
    State(sb): State<Sandbox>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let caller = sb.authorize(&params, "threads_manage_mentions")?;
    own_user(&caller, &id)?;
    let now = sb.clock().now_ts();
    let (since, until) = list_range(&params, now)?;
    let limit = parse_limit(&params)?;
    let (before, after) = cursors(&params)?;
    let fields = parse_fields(params.get("fields"));
    if let Some(bad) = fields.iter().find(|f| !MEDIA_FIELDS.contains(&f.as_str())) {
        return Err(ApiError::nonexisting_field(bad));
    }
    let username = sb.world().creators[caller.creator].username.clone();
    let public = sb.public_world();
    let mut entries: Vec<_> = public
        .posts_at(now)
        .filter(|(_, p)| p.mentions.contains(&username))
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
    let path = format!("{}/mentions", caller.token.user_id);
    let paging = paging(
        &sb,
        &params,
        &path,
        start,
        end - 1,
        end < entries.len(),
        start > 0,
    );
    Ok(Json(json!({"data": data, "paging": paging})))
}
