//! Approvals: the review queue and its decisions, the workspace's approvals setting and its
//! client review links.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::registry::{Endpoint, error_schema, integer, object, schema_of, string};
use crate::http::error::AppResult;
use crate::http::json::ApiJson;
use crate::http::session::AuthUser;
use crate::http::state::WebState;
use crate::publishing::approvals::{self, Approval, Decision, QueueItem};

const TAG: &str = "approvals";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CommentBody {
    #[serde(default)]
    comment: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RequiredBody {
    required: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LinkBody {
    days: u32,
}

pub fn endpoints() -> Vec<Endpoint> {
    let refused = || Some(error_schema());
    let decided = object(&[("approval", schema_of::<Approval>())], &["approval"]);
    vec![
        Endpoint::new(
            Method::GET,
            "/api/v1/review/posts",
            "Planned posts of the current workspace that wait for approval, soonest first",
            queue,
        )
        .tag(TAG)
        .authenticated()
        .response(
            200,
            "The queue",
            Some(object(
                &[
                    ("approvals_required", json!({"type": "boolean"})),
                    ("posts", json!({"type": "array", "items": schema_of::<QueueItem>()})),
                ],
                &["approvals_required", "posts"],
            )),
        )
        .response(403, "Your role does not approve", refused()),
        Endpoint::new(
            Method::POST,
            "/api/v1/review/posts/{id}/approve",
            "Approves a waiting post: it is published at its time (or within a minute if that has passed)",
            approve,
        )
        .tag(TAG)
        .authenticated()
        .body(object(
            &[(
                "comment",
                json!({"type": ["string", "null"], "maxLength": approvals::MAX_COMMENT_CHARS}),
            )],
            &[],
        ))
        .response(200, "Approved", Some(decided.clone()))
        .response(403, "Your role does not approve", refused())
        .response(404, "No such post waiting", refused())
        .response(422, "Comment too long", refused()),
        Endpoint::new(
            Method::POST,
            "/api/v1/review/posts/{id}/request-changes",
            "Sends a waiting post back with a comment; it is not published until approved",
            request_changes,
        )
        .tag(TAG)
        .authenticated()
        .body(object(
            &[(
                "comment",
                json!({"type": "string", "minLength": 1, "maxLength": approvals::MAX_COMMENT_CHARS}),
            )],
            &["comment"],
        ))
        .response(200, "Sent back", Some(decided))
        .response(403, "Your role does not approve", refused())
        .response(404, "No such post waiting", refused())
        .response(422, "No comment, or too long", refused()),
        Endpoint::new(
            Method::PUT,
            "/api/v1/workspaces/current/approvals",
            "Turns approvals on or off for the current workspace (owner and admins); turning them on approves what is already planned",
            set_required,
        )
        .tag("workspaces")
        .authenticated()
        .body(object(&[("required", json!({"type": "boolean"}))], &["required"]))
        .response(204, "Saved", None)
        .response(403, "Your role does not allow this", refused()),
        Endpoint::new(
            Method::POST,
            "/api/v1/workspaces/current/review-links",
            "Makes a client review link: signed, working for the days asked (at most 30), no account needed",
            make_link,
        )
        .tag("workspaces")
        .authenticated()
        .body(object(
            &[(
                "days",
                json!({"type": "integer", "minimum": 1, "maximum": approvals::MAX_LINK_DAYS}),
            )],
            &["days"],
        ))
        .response(
            201,
            "Made",
            Some(object(
                &[("url", string()), ("expires_at", integer())],
                &["url", "expires_at"],
            )),
        )
        .response(403, "Your role does not allow this", refused())
        .response(422, "Days out of range", refused()),
        Endpoint::new(
            Method::DELETE,
            "/api/v1/workspaces/current/review-links",
            "Ends every client review link given so far",
            end_links,
        )
        .tag("workspaces")
        .authenticated()
        .response(204, "Ended", None)
        .response(403, "Your role does not allow this", refused()),
    ]
}

async fn queue(State(state): State<WebState>, auth: AuthUser) -> AppResult<Json<Value>> {
    let posts = approvals::queue(&state, auth.workspace_id()).await?;
    let required = approvals::required(&state, auth.workspace_id()).await?;
    Ok(Json(
        json!({"approvals_required": required, "posts": posts}),
    ))
}

async fn approve(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::domain::PostId>,
    ApiJson(body): ApiJson<CommentBody>,
) -> AppResult<Json<Value>> {
    let comment = body.comment.unwrap_or_default();
    let approval = approvals::decide_as(&state, &auth, &id, Decision::Approve, &comment).await?;
    Ok(Json(json!({ "approval": approval })))
}

async fn request_changes(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::domain::PostId>,
    ApiJson(body): ApiJson<CommentBody>,
) -> AppResult<Json<Value>> {
    let comment = body.comment.unwrap_or_default();
    let approval =
        approvals::decide_as(&state, &auth, &id, Decision::RequestChanges, &comment).await?;
    Ok(Json(json!({ "approval": approval })))
}

async fn set_required(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<RequiredBody>,
) -> AppResult<StatusCode> {
    approvals::set_required(&state, &auth, body.required).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn make_link(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<LinkBody>,
) -> AppResult<(StatusCode, Json<Value>)> {
    let (token, expires_at) = approvals::make_link(&state, &auth, body.days).await?;
    let url = format!("{}/review/{token}", state.public_origin());
    Ok((
        StatusCode::CREATED,
        Json(json!({"url": url, "expires_at": expires_at})),
    ))
}

async fn end_links(State(state): State<WebState>, auth: AuthUser) -> AppResult<StatusCode> {
    approvals::end_links(&state, &auth).await?;
    Ok(StatusCode::NO_CONTENT)
}
