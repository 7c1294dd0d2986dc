//! Publishing: containers, publish, repost, quota status (§5).

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Map, Value, json};

use super::own_user;
use crate::Sandbox;
use crate::errors::{ApiError, ApiResult};
use crate::ids::ObjectRef;
use crate::params::Params;
use crate::public::quota::{Action, LOCATION_SEARCHES};
use crate::world::containers::validate;
use crate::world::publish::{DELETE_QUOTA, POST_QUOTA, REPLY_QUOTA};
use crate::world::{in_last_day, render::nonexisting};

/// `POST /{user-id}/threads`: validates every documented rule and creates a container.
/// With `auto_publish_text=true` it publishes at once and returns the media id.
pub async fn create_container(
    State(sb): State<Sandbox>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let caller = sb.authorize(&params, "threads_content_publish")?;
    own_user(&caller, &id)?;
    let anywhere = caller.token.has_scope("threads_keyword_search")
        || caller.token.has_scope("threads_manage_mentions");
    let now_ms = sb.clock().now().timestamp_millis();
    let mut world = sb.world_mut();
    let mut container = validate(
        &world,
        caller.creator,
        &params,
        anywhere,
        now_ms,
        &sb.config().processing,
    )?;
    let auto = params.flag("auto_publish_text")?;
    if auto {
        // Auto-published text skips processing entirely.
        container.ready_ms = now_ms;
    }
    world.containers.push(container);
    let number = (world.containers.len() - 1) as u64;
    if auto {
        let media = world.publish(caller.creator, number, now_ms)?;
        return Ok(Json(json!({"id": media.to_string()})));
    }
    Ok(Json(
        json!({"id": ObjectRef::Container(number).id().to_string()}),
    ))
}

/// `POST /{user-id}/threads_publish?creation_id=`.
pub async fn publish(
    State(sb): State<Sandbox>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let caller = sb.authorize(&params, "threads_content_publish")?;
    own_user(&caller, &id)?;
    let creation = params
        .get("creation_id")
        .ok_or_else(|| ApiError::invalid_param("The parameter creation_id is required"))?;
    let number = match ObjectRef::parse(creation) {
        Some(ObjectRef::Container(n)) => n,
        _ => return Err(ApiError::media_not_found(creation)),
    };
    let now_ms = sb.clock().now().timestamp_millis();
    let media = sb.world_mut().publish(caller.creator, number, now_ms)?;
    Ok(Json(json!({"id": media.to_string()})))
}

/// `POST /{media-id}/repost`.
pub async fn repost(
    State(sb): State<Sandbox>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let caller = sb.authorize(&params, "threads_content_publish")?;
    let target = ObjectRef::parse(&id).ok_or_else(|| ApiError::unknown_object(&id))?;
    let media = sb
        .world_mut()
        .repost(caller.creator, target, sb.clock().now_ts())?;
    Ok(Json(json!({"id": media.to_string()})))
}

/// `GET /{user-id}/threads_publishing_limit?fields=..` (§5.4).
pub async fn publishing_limit(
    State(sb): State<Sandbox>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let caller = sb.authorize(&params, "threads_content_publish")?;
    own_user(&caller, &id)?;
    let fields: Vec<&str> = params.get("fields").map_or_else(
        || vec!["quota_usage"],
        |f| f.split(',').map(str::trim).collect(),
    );
    let now = sb.clock().now_ts();
    let world = sb.world();
    let log = &world.creators[caller.creator].quota_log;
    let config = |total: u64| json!({"quota_total": total, "quota_duration": 86_400});
    let mut entry = Map::new();
    for f in fields {
        let v = match f {
            "quota_usage" => json!(in_last_day(&log.posts, now)),
            "config" => config(POST_QUOTA),
            "reply_quota_usage" => {
                caller.token.require("threads_manage_replies")?;
                json!(in_last_day(&log.replies, now))
            }
            "reply_config" => config(REPLY_QUOTA),
            "delete_quota_usage" => {
                caller.token.require("threads_delete")?;
                json!(in_last_day(&log.deletes, now))
            }
            "delete_config" => config(DELETE_QUOTA),
            "location_search_quota_usage" => json!(sb.discovery_quota().used(
                caller.token.user_id,
                Action::LocationSearch,
                now
            )),
            "location_search_config" => config(LOCATION_SEARCHES as u64),
            other => return Err(nonexisting(other)),
        };
        entry.insert(f.to_owned(), v);
    }
    Ok(Json(json!({"data": [entry]})))
}
