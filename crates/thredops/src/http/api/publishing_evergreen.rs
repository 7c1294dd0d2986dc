//! Evergreen API: mark a published post evergreen (or accept a proposal), list items with their
//! next re-share and last results, edit, pause, resume, delete.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::publishing_power::route;
use super::registry::{Endpoint, integer, nullable, object, one_of, string};
use crate::http::error::AppResult;
use crate::http::json::ApiJson;
use crate::http::query::ApiQuery;
use crate::http::session::AuthUser;
use crate::http::state::WebState;
use crate::publishing::evergreen::{self, ItemInput, ItemView, Proposal};

fn described(mut schema: Value, description: &str) -> Value {
    schema["description"] = json!(description);
    schema
}

fn input_schema() -> Value {
    object(
        &[
            (
                "post_id",
                described(string(), "A published post of ThredOps (marking only)"),
            ),
            (
                "media_id",
                described(
                    string(),
                    "Or a synced post's Threads media id, with profile_id (marking only)",
                ),
            ),
            ("profile_id", string()),
            (
                "variations",
                json!({"type": "array", "maxItems": evergreen::MAX_VARIATIONS, "items": {"type": "string"}, "description": "Texts to rotate; the first is variation 1 (default: the original's text)"}),
            ),
            (
                "every",
                described(
                    integer(),
                    "Re-share every this many units (default: the minimum interval)",
                ),
            ),
            ("unit", one_of(&["days", "weeks"])),
            (
                "time",
                described(
                    string(),
                    "Wall-clock time in your time zone, 09:00; absent: the profile's next free posting slot",
                ),
            ),
            (
                "min_interval_days",
                described(integer(), "Never twice within this many days (default 30)"),
            ),
            (
                "threshold_percent",
                described(
                    integer(),
                    "Retire below this percentage of the original's views or engagement (default 50)",
                ),
            ),
            (
                "results_hours",
                described(
                    integer(),
                    "Hours of synced results before a re-share is judged (default 48)",
                ),
            ),
        ],
        &[],
    )
}

fn reshare_schema() -> Value {
    object(
        &[
            ("number", integer()),
            ("variation", integer()),
            ("post_id", nullable(string())),
            (
                "state",
                described(string(), "The state of its post, or removed"),
            ),
            ("at", nullable(integer())),
            ("at_display", nullable(string())),
            ("note", nullable(string())),
            ("failure", nullable(string())),
            ("views", nullable(integer())),
            ("engagement", nullable(integer())),
            ("original_views", nullable(integer())),
            ("original_engagement", nullable(integer())),
            ("verdict", nullable(one_of(&["held", "dropped"]))),
            ("summary", nullable(string())),
        ],
        &["number", "variation", "state"],
    )
}

fn item_schema() -> Value {
    object(
        &[
            ("id", string()),
            ("profile_id", string()),
            ("state", one_of(&["active", "paused", "retired"])),
            ("source_media_id", string()),
            ("source_post_id", nullable(string())),
            ("source_posted_at", integer()),
            (
                "variations",
                json!({"type": "array", "items": {"type": "string"}}),
            ),
            ("every_days", integer()),
            ("time", nullable(string())),
            ("min_interval_days", integer()),
            ("threshold_percent", integer()),
            ("results_hours", integer()),
            ("description", string()),
            ("timezone", string()),
            ("next", nullable(reshare_schema())),
            ("last_results", nullable(reshare_schema())),
            (
                "reshares",
                json!({"type": "array", "items": reshare_schema(), "description": "Newest first"}),
            ),
            ("retired_reason", nullable(string())),
            (
                "problem",
                nullable(described(
                    string(),
                    "Why re-sharing is held up: a preflight or quota refusal, a failed re-share",
                )),
            ),
        ],
        &[
            "id",
            "profile_id",
            "state",
            "variations",
            "description",
            "reshares",
        ],
    )
}

fn proposal_schema() -> Value {
    let number = || json!({"type": "number"});
    object(
        &[
            ("profile_id", string()),
            ("media_id", string()),
            ("text", string()),
            ("posted_at", integer()),
            ("views", integer()),
            ("engagement", integer()),
            ("median_views", integer()),
            ("median_engagement", integer()),
            ("views_ratio", number()),
            ("engagement_ratio", number()),
            ("evidence", string()),
        ],
        &["profile_id", "media_id", "text", "views_ratio", "evidence"],
    )
}

pub fn endpoints() -> Vec<Endpoint> {
    let item = || Some(item_schema());
    vec![
        route(Method::GET, "/api/v1/publishing/evergreen", "Your evergreen posts with their next re-share, last results and state", list)
            .response(200, "Items", Some(json!({"type": "array", "items": item_schema()}))),
        route(Method::POST, "/api/v1/publishing/evergreen", "Marks a published post evergreen (a ThredOps post_id, or a synced media_id with its profile_id) and plans its first re-share", create)
            .body(input_schema())
            .response(201, "The item", item())
            .response(422, "Not a published post of yours, already evergreen, or a variation or setting to fix", None),
        route(Method::GET, "/api/v1/publishing/evergreen/proposals", "Your best performers that are not bound to their moment, with the evidence", proposals)
            .query("profile_id", string(), "Only this profile")
            .response(200, "Proposals, best first per profile", Some(json!({"type": "array", "items": proposal_schema()}))),
        route(Method::GET, "/api/v1/publishing/evergreen/{id}", "One evergreen post with its re-shares", get_one)
            .response(200, "The item", item())
            .response(404, "Not one of yours", None),
        route(Method::PUT, "/api/v1/publishing/evergreen/{id}", "Replaces the variations and schedule; a waiting, unedited re-share is planned anew", update)
            .body(input_schema())
            .response(200, "The item", item())
            .response(404, "Not one of yours", None),
        route(Method::DELETE, "/api/v1/publishing/evergreen/{id}", "Deletes an evergreen post (published re-shares stay)", delete)
            .response(204, "Deleted", None)
            .response(404, "Not one of yours", None),
        route(Method::POST, "/api/v1/publishing/evergreen/{id}/pause", "Pauses: the waiting re-share is removed and nothing more is planned", pause)
            .response(200, "The item", item())
            .response(404, "Not one of yours", None),
        route(Method::POST, "/api/v1/publishing/evergreen/{id}/resume", "Resumes a paused or retired evergreen post and plans its next re-share", resume)
            .response(200, "The item", item())
            .response(404, "Not one of yours", None),
    ]
}

async fn list(State(state): State<WebState>, auth: AuthUser) -> AppResult<Json<Vec<ItemView>>> {
    Ok(Json(evergreen::list(&state, &auth).await?))
}

async fn create(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(input): ApiJson<ItemInput>,
) -> AppResult<(StatusCode, Json<ItemView>)> {
    Ok((
        StatusCode::CREATED,
        Json(evergreen::create(&state, &auth, input).await?),
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ProposalQuery {
    #[serde(default)]
    profile_id: Option<crate::domain::ProfileId>,
}

async fn proposals(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiQuery(q): ApiQuery<ProposalQuery>,
) -> AppResult<Json<Vec<Proposal>>> {
    Ok(Json(
        evergreen::proposals(&state, &auth, q.profile_id.as_ref()).await?,
    ))
}

async fn get_one(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<evergreen::ItemId>,
) -> AppResult<Json<ItemView>> {
    let item = evergreen::owned(&state, &auth, &id).await?;
    Ok(Json(evergreen::view(&state, &auth, &item).await?))
}

async fn update(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<evergreen::ItemId>,
    ApiJson(input): ApiJson<ItemInput>,
) -> AppResult<Json<ItemView>> {
    Ok(Json(evergreen::update(&state, &auth, &id, input).await?))
}

async fn delete(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<evergreen::ItemId>,
) -> AppResult<StatusCode> {
    evergreen::delete(&state, &auth, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn pause(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<evergreen::ItemId>,
) -> AppResult<Json<ItemView>> {
    Ok(Json(evergreen::pause(&state, &auth, &id).await?))
}

async fn resume(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<evergreen::ItemId>,
) -> AppResult<Json<ItemView>> {
    Ok(Json(evergreen::resume(&state, &auth, &id).await?))
}
