//! Profiles, single objects, listings and deletes (§2, §3, §5.2, §5.3).

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Map, Value, json};

use super::{cursors, list_range, own_user, paging, parse_limit};
use crate::Sandbox;
use crate::errors::{ApiError, ApiResult};
use crate::ids::{ObjectRef, decode_cursor};
use crate::params::Params;
use crate::world::render::{self, nonexisting, parse_fields};
use crate::world::{Creator, World};

const PROFILE_FIELDS: &[&str] = &[
    "id",
    "username",
    "name",
    "threads_profile_picture_url",
    "threads_biography",
    "is_verified",
    "recently_searched_keywords",
    "is_eligible_for_geo_gating",
];

fn profile(c: &Creator, fields: &[String]) -> ApiResult<Map<String, Value>> {
    let mut out = Map::new();
    for f in fields {
        let v = match f.as_str() {
            "id" => json!(c.user_id.to_string()),
            "username" => json!(c.username),
            "name" => json!(c.name),
            "threads_profile_picture_url" => {
                json!(format!(
                    "https://cdn.sandbox.threads.local/profile/{}.jpg",
                    c.user_id
                ))
            }
            "threads_biography" => json!(c.biography),
            "is_verified" => json!(c.is_verified),
            "recently_searched_keywords" => json!([]),
            "is_eligible_for_geo_gating" => json!(false),
            other if !PROFILE_FIELDS.contains(&other) => return Err(nonexisting(other)),
            _ => continue,
        };
        out.insert(f.clone(), v);
    }
    Ok(out)
}

fn container(
    world: &World,
    n: u64,
    owner: usize,
    fields: &[String],
    now_ms: i64,
) -> ApiResult<Map<String, Value>> {
    let id = ObjectRef::Container(n).id().to_string();
    let c = world
        .containers
        .get(n as usize)
        .filter(|c| c.owner == owner)
        .ok_or_else(|| ApiError::unknown_object(&id))?;
    let status = c.status(now_ms);
    // The container id keeps answering after publishing, with `PUBLISHED` (Meta's
    // troubleshooting guide); only the published post's own media id lacks `status`.
    let mut out = Map::new();
    for f in fields {
        match f.as_str() {
            "id" => out.insert(f.clone(), json!(id)),
            "status" => out.insert(f.clone(), json!(status)),
            "error_message" if status == "ERROR" => {
                out.insert(f.clone(), json!(c.failure.unwrap_or("UNKNOWN")))
            }
            "error_message" => None,
            other => return Err(nonexisting(other)),
        };
    }
    Ok(out)
}

/// `GET /{id}` and `GET /me`: a profile, a media object or a container.
pub async fn get_object(
    State(sb): State<Sandbox>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let caller = sb.authorize(&params, "threads_basic")?;
    let fields = parse_fields(params.get("fields"));
    let now = sb.clock().now();
    // Public posts (search results, mentions) read like any media object. Looked up before
    // the world lock is taken: building the public world the first time reads the world too.
    if let Ok(public_id) = id.parse::<u64>() {
        let public = sb.public_world();
        if let Some((author, post)) = public.post_at(public_id, now.timestamp()) {
            let body = crate::public::render::post(author, post, &fields)?;
            return Ok(Json(Value::Object(body)));
        }
    }
    let world = sb.world();
    if own_user(&caller, &id).is_ok() {
        return Ok(Json(Value::Object(profile(
            &world.creators[caller.creator],
            &fields,
        )?)));
    }
    let r = ObjectRef::parse(&id).ok_or_else(|| ApiError::unknown_object(&id))?;
    let body = match r {
        ObjectRef::Container(n) => {
            container(&world, n, caller.creator, &fields, now.timestamp_millis())?
        }
        _ => render::any(&world, r, &fields, now.timestamp(), caller.token.user_id)?,
    };
    Ok(Json(Value::Object(body)))
}

/// `DELETE /{media-id}` (`threads_delete`, own posts only, 100 per 24 h).
pub async fn delete_object(
    State(sb): State<Sandbox>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let caller = sb.authorize(&params, "threads_delete")?;
    let r = ObjectRef::parse(&id).ok_or_else(|| ApiError::unsupported_method("delete", &id))?;
    let deleted = sb
        .world_mut()
        .delete(caller.creator, r, sb.clock().now_ts())?;
    Ok(Json(
        json!({"success": true, "deleted_id": deleted.to_string()}),
    ))
}

/// `GET /{user-id}/threads`: own posts newest first, with since/until, limit and cursors.
pub async fn list_threads(
    State(sb): State<Sandbox>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let caller = sb.authorize(&params, "threads_basic")?;
    own_user(&caller, &id)?;
    let limit = parse_limit(&params)?;
    let now = sb.clock().now_ts();
    let (since, until) = list_range(&params, now)?;
    let (before, after) = cursors(&params)?;
    let decode = |c: Option<String>| -> ApiResult<Option<usize>> {
        c.map(|c| decode_cursor(&c).ok_or_else(|| ApiError::invalid_param("Invalid cursor")))
            .transpose()
    };
    let (before, after) = (decode(before)?, decode(after)?);
    let fields = parse_fields(params.get("fields"));
    let world = sb.world();
    let creator = &world.creators[caller.creator];
    let posts = &creator.posts;
    let hi = creator.visible_end(until.unwrap_or(now));
    let lo = since.map_or(0, |s| posts[..hi].partition_point(|p| p.ts < s));
    let live = |i: &usize| !posts[*i].deleted;
    let page: Vec<usize> = match before {
        Some(x) => {
            let mut p: Vec<usize> = (lo.max(x + 1)..hi).filter(live).take(limit).collect();
            p.reverse();
            p
        }
        None => {
            let top = after.map_or(hi, |x| x.min(hi));
            (lo..top).rev().filter(live).take(limit).collect()
        }
    };
    let mut data = Vec::with_capacity(page.len());
    for i in &page {
        let r = ObjectRef::Post {
            creator: caller.creator,
            post: *i,
        };
        data.push(Value::Object(render::post(
            &world,
            r,
            &fields,
            now,
            caller.token.user_id,
        )?));
    }
    let (Some(first), Some(last)) = (page.first(), page.last()) else {
        return Ok(Json(json!({"data": []})));
    };
    let has_older = (lo..*last).any(|i| live(&i));
    let has_newer = (*first + 1..hi).any(|i| live(&i));
    let path = format!("{}/threads", creator.user_id);
    let paging = paging(&sb, &params, &path, *first, *last, has_older, has_newer);
    Ok(Json(json!({"data": data, "paging": paging})))
}
