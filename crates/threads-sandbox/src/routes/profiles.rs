//! Public profile discovery (§2): `GET /profile_lookup` and `GET /profile_posts`.
//!
//! Simplified: the sandbox answers as with Advanced Access; standard access, which sees only
//! @meta, @threads, @instagram and @facebook, is not modelled.

use axum::Json;
use axum::extract::State;
use serde_json::Value;

use super::public_list;
use crate::errors::{ApiError, ApiResult};
use crate::params::Params;
use crate::public::quota::{Action, PROFILE_DISCOVERY};
use crate::public::{PublicProfile, PublicWorld, render};
use crate::world::publish::quota_error;
use crate::{Caller, Sandbox};

/// Checks and counts one profile-discovery request against the shared 1,000 per 24 h.
/// Every request with a username counts, found or not: the reference counts requests.
fn spend_quota(sb: &Sandbox, caller: &Caller) -> ApiResult<()> {
    let now = sb.clock().now_ts();
    let user = caller.token.user_id;
    let mut quota = sb.discovery_quota();
    if !quota.allows(user, Action::ProfileDiscovery, now) {
        return Err(quota_error("Profile discovery", PROFILE_DISCOVERY as u64));
    }
    quota.record(user, Action::ProfileDiscovery, now);
    Ok(())
}

fn username(params: &Params) -> ApiResult<&str> {
    params
        .get("username")
        .filter(|u| !u.is_empty())
        .ok_or_else(|| ApiError::invalid_param("The parameter username is required"))
}

/// The findable profile with exactly this username; others are reported as unknown, as an
/// id that does not exist is.
fn find<'w>(world: &'w PublicWorld, username: &str) -> ApiResult<&'w PublicProfile> {
    world
        .profiles
        .iter()
        .find(|p| p.username == username && p.is_discoverable())
        .ok_or_else(|| ApiError::unknown_object(username))
}

/// `GET /profile_lookup?username=`.
pub async fn profile_lookup(State(sb): State<Sandbox>, params: Params) -> ApiResult<Json<Value>> {
    let caller = sb.authorize(&params, "threads_profile_discovery")?;
    let name = username(&params)?;
    spend_quota(&sb, &caller)?;
    let world = sb.public_world();
    let profile = find(&world, name)?;
    let out = render::profile(profile, params.get("fields"), sb.clock().now_ts())?;
    Ok(Json(Value::Object(out)))
}

/// `GET /profile_posts?username=`: the profile's posts with the list parameters of §3.
pub async fn profile_posts(State(sb): State<Sandbox>, params: Params) -> ApiResult<Json<Value>> {
    let caller = sb.authorize(&params, "threads_profile_discovery")?;
    let name = username(&params)?;
    spend_quota(&sb, &caller)?;
    let world = sb.public_world();
    let profile = find(&world, name)?;
    let posts = profile.posts.iter().map(|p| (profile, p)).collect();
    public_list::page(&sb, &params, "profile_posts", posts)
}
