//! `GET /{user-id}/mentions` (§3): public posts by other people that mention the user.

use axum::Json;
use axum::extract::{Path, State};
use serde_json::Value;

use super::{own_user, public_list};
use crate::Sandbox;
use crate::errors::ApiResult;
use crate::params::Params;

/// Newest first, like every listing; cursors are positions in that list.
pub async fn list_mentions(
    State(sb): State<Sandbox>,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Json<Value>> {
    let caller = sb.authorize(&params, "threads_manage_mentions")?;
    own_user(&caller, &id)?;
    let username = sb.world().creators[caller.creator].username.clone();
    let public = sb.public_world();
    let posts = public
        .posts_at(sb.clock().now_ts())
        .filter(|(_, p)| p.mentions.contains(&username))
        .collect();
    let path = format!("{}/mentions", caller.token.user_id);
    public_list::page(&sb, &params, &path, posts)
}
