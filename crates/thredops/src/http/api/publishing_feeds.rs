//! Feeds API: follow an RSS or Atom feed for a profile so its new items become drafts, list
//! feeds with their last poll and drafts, stop following one.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::publishing_power::route;
use super::registry::{Endpoint, integer, nullable, object, one_of, string};
use crate::http::error::AppResult;
use crate::http::json::ApiJson;
use crate::http::session::AuthUser;
use crate::http::state::WebState;
use crate::publishing::feeds::{self, FeedInput, FeedView};

fn feed_schema() -> Value {
    let draft = object(
        &[
            ("title", string()),
            (
                "post_id",
                nullable(
                    json!({"type": "string", "description": "The draft, while it exists (/api/v1/publishing/posts/{id})"}),
                ),
            ),
            ("created_at", integer()),
        ],
        &["title", "created_at"],
    );
    object(
        &[
            ("id", string()),
            ("profile_id", string()),
            ("url", string()),
            ("last_polled_at", nullable(integer())),
            ("last_polled_display", nullable(string())),
            (
                "last_status",
                nullable(one_of(&["new_items", "not_modified", "error"])),
            ),
            ("last_new_items", integer()),
            ("last_error", nullable(string())),
            ("last_result", string()),
            (
                "drafts",
                json!({"type": "array", "items": draft, "description": "Its recent drafts, newest first"}),
            ),
        ],
        &["id", "profile_id", "url", "last_result", "drafts"],
    )
}

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        route(Method::GET, "/api/v1/publishing/feeds", "Your RSS and Atom feeds with their last poll and the drafts they made", list)
            .response(200, "Feeds", Some(json!({"type": "array", "items": feed_schema()}))),
        route(Method::POST, "/api/v1/publishing/feeds", "Follows an RSS or Atom feed for one of your profiles: it is read at most every 30 minutes and each new item becomes a draft (title and link), never scheduled without you", create)
            .body(object(&[("profile_id", string()), ("url", json!({"type": "string", "description": "http or https address of the feed"}))], &["profile_id", "url"]))
            .response(201, "The feed", Some(feed_schema()))
            .response(422, "A bad address or profile, or a feed you already follow", None),
        route(Method::DELETE, "/api/v1/publishing/feeds/{id}", "Stops following a feed (its drafts stay)", delete)
            .response(204, "Deleted", None)
            .response(404, "Not one of yours", None),
    ]
}

async fn list(State(state): State<WebState>, auth: AuthUser) -> AppResult<Json<Vec<FeedView>>> {
    Ok(Json(feeds::list(&state, &auth).await?))
}

async fn create(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(input): ApiJson<FeedInput>,
) -> AppResult<(StatusCode, Json<FeedView>)> {
    Ok((
        StatusCode::CREATED,
        Json(feeds::add(&state, &auth, input).await?),
    ))
}

async fn delete(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<feeds::FeedId>,
) -> AppResult<StatusCode> {
    feeds::delete(&state, &auth, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
