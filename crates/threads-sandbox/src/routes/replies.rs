//! Replies, conversations and reply moderation (§7).

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};

use super::{own_user, positional_page, window};
use crate::errors::{ApiError, ApiResult};
use crate::ids::ObjectRef;
use crate::params::Params;
use crate::world::render::{self, parse_fields};
use crate::world::replies::{self, ReplyEntry};
use crate::{Caller, Sandbox};

/// Pages a newest-first list; cursors are positions in the list the client saw.
fn page_of(
    sb: &Sandbox,
    params: &Params,
    caller: &Caller,
    path: &str,
    entries: Vec<ReplyEntry>,
) -> ApiResult<Json<Value>> {
    let mut entries = entries;
    // `reverse` defaults to true (newest first).
    if !params.bool("reverse")?.unwrap_or(true) {
        entries.reverse();
    }
    let (start, end) = window(params, entries.len())?;
    let fields = parse_fields(params.get("fields"));
    let now = sb.clock().now_ts();
    let world = sb.world();
    let data = entries[start..end]
        .iter()
        .map(|e| {
            render::any(&world, e.reply, &fields, now, caller.token.user_id).map(Value::Object)
        })
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

/// `GET /{id}/replies`: a user's own replies, or the top-level replies under a media object.
pub async fn list_replies(
    State(sb): State<Sandbox>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let caller = sb.authorize(&params, "threads_read_replies")?;
    let now = sb.clock().now_ts();
    let entries = if own_user(&caller, &id).is_ok() {
        let world = sb.world();
        let c = &world.creators[caller.creator];
        let mut v: Vec<ReplyEntry> = c
            .replies
            .iter()
            .enumerate()
            .filter(|(_, r)| !r.deleted && r.ts <= now)
            .map(|(i, r)| ReplyEntry {
                ts: r.ts,
                reply: ObjectRef::OwnReply {
                    creator: caller.creator,
                    reply: i,
                },
            })
            .collect();
        v.reverse();
        v
    } else {
        let r = media_ref(&sb, &id, now)?;
        replies::list(&sb.world(), r, false, now)
    };
    let path = if own_user(&caller, &id).is_ok() {
        format!("{}/replies", caller.token.user_id)
    } else {
        format!("{id}/replies")
    };
    page_of(&sb, &params, &caller, &path, entries)
}

/// `GET /{media-id}/conversation`: every reply under a root post, flattened.
pub async fn conversation(
    State(sb): State<Sandbox>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let caller = sb.authorize(&params, "threads_read_replies")?;
    let now = sb.clock().now_ts();
    let r = media_ref(&sb, &id, now)?;
    let entries = replies::list(&sb.world(), r, true, now);
    page_of(
        &sb,
        &params,
        &caller,
        &format!("{id}/conversation"),
        entries,
    )
}

fn media_ref(sb: &Sandbox, id: &str, now: i64) -> ApiResult<ObjectRef> {
    let r = ObjectRef::parse(id).ok_or_else(|| ApiError::unknown_object(id))?;
    let world = sb.world();
    let exists = match r {
        ObjectRef::Post { .. } | ObjectRef::OwnReply { .. } => world.post(r).is_some(),
        ObjectRef::Incoming {
            creator,
            post,
            reply,
        } => replies::incoming_exists(&world, creator, post, reply, now),
        _ => false,
    };
    exists
        .then_some(r)
        .ok_or_else(|| ApiError::unknown_object(id))
}

/// `POST /{reply-id}/manage_reply?hide=true|false`.
pub async fn manage_reply(
    State(sb): State<Sandbox>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let caller = sb.authorize(&params, "threads_manage_replies")?;
    let hide = params
        .bool("hide")?
        .ok_or_else(|| ApiError::invalid_param("The parameter hide is required"))?;
    let r = ObjectRef::parse(&id).ok_or_else(|| ApiError::unknown_object(&id))?;
    sb.world_mut()
        .hide_reply(caller.creator, r, hide, sb.clock().now_ts())?;
    Ok(Json(json!({"success": true})))
}
