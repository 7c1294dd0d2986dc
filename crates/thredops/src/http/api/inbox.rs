//! Inbox API: replies and mentions across profiles, read/unread, hide/unhide, assign, reply,
//! saved replies, and each profile's inbox state.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::registry::{Endpoint, boolean, integer, nullable, object, one_of, string};
use crate::http::error::AppResult;
use crate::http::json::ApiJson;
use crate::http::query::ApiQuery;
use crate::http::session::AuthUser;
use crate::http::state::WebState;
use crate::inbox::saved::{self, SavedInput, SavedReply};
use crate::inbox::{self, ItemView, ListQuery, ProfileStatus};

const TAG: &str = "inbox";

fn route<H, T>(method: Method, path: &'static str, summary: &'static str, handler: H) -> Endpoint
where
    H: axum::handler::Handler<T, WebState>,
    T: 'static,
{
    Endpoint::new(method, path, summary, handler)
        .tag(TAG)
        .authenticated()
}

fn item_schema() -> Value {
    let reply = object(
        &[
            (
                "post_id",
                json!({"type": "string", "description": "The planned post (/api/v1/publishing/posts/{id})"}),
            ),
            ("state", string()),
            ("permalink", nullable(string())),
        ],
        &["post_id", "state"],
    );
    object(
        &[
            ("id", string()),
            ("profile_id", string()),
            ("profile_username", string()),
            ("kind", one_of(&["reply", "mention"])),
            ("threads_id", string()),
            ("author", nullable(string())),
            ("text", string()),
            ("permalink", nullable(string())),
            ("posted_at", integer()),
            ("posted_display", string()),
            ("has_question", boolean()),
            ("read", boolean()),
            ("hidden", boolean()),
            (
                "can_hide",
                json!({"type": "boolean", "description": "Threads allows hiding it: replies directly under the profile's post"}),
            ),
            (
                "answered",
                json!({"type": "boolean", "description": "The profile replied to it on Threads, or a reply is planned in ThredOps"}),
            ),
            ("reply", nullable(reply)),
            ("assignee", nullable(string())),
            ("assigned_to_me", boolean()),
            ("source", one_of(&["poll", "webhook"])),
            (
                "cursor",
                json!({"type": "string", "description": "Pass as after for the next page"}),
            ),
        ],
        &[
            "id",
            "profile_id",
            "kind",
            "threads_id",
            "text",
            "posted_at",
            "read",
            "hidden",
            "answered",
        ],
    )
}

fn status_schema() -> Value {
    let need = object(&[("name", string()), ("why", string())], &["name", "why"]);
    object(
        &[
            ("profile_id", string()),
            ("username", string()),
            ("state", one_of(&["requested", "on", "off"])),
            ("scopes_granted", boolean()),
            ("missing_scopes", json!({"type": "array", "items": need})),
            ("delivery", one_of(&["webhook", "poll"])),
            ("last_poll_at", nullable(integer())),
            ("last_poll_display", nullable(string())),
            ("last_new_items", integer()),
            ("last_calls", integer()),
            ("last_error", nullable(string())),
        ],
        &[
            "profile_id",
            "state",
            "scopes_granted",
            "missing_scopes",
            "delivery",
        ],
    )
}

fn saved_schema() -> Value {
    object(
        &[
            ("id", string()),
            ("title", string()),
            ("text", string()),
            ("created_at", integer()),
        ],
        &["id", "title", "text", "created_at"],
    )
}

fn quota_schema() -> Value {
    object(
        &[
            (
                "replies_remaining",
                nullable(
                    json!({"type": "integer", "description": "Replies Threads still allows in its rolling 24 hours, less those planned and not yet published; null when Threads did not say"}),
                ),
            ),
            ("replies_total", integer()),
            (
                "pending",
                json!({"type": "integer", "description": "Replies planned from the inbox and not yet on Threads"}),
            ),
        ],
        &["replies_total", "pending"],
    )
}

pub fn endpoints() -> Vec<Endpoint> {
    let item = || Some(item_schema());
    vec![
        route(Method::GET, "/api/v1/inbox/items", "Replies to your posts and mentions of you, newest first, across your profiles whose inbox is on", list)
            .query("profile", string(), "One profile's items only (its id)")
            .query("kind", one_of(&["", "reply", "mention"]), "Replies or mentions only (empty: both)")
            .query("unread", boolean(), "Unread items only")
            .query("unanswered", boolean(), "Items the profile has not answered (on Threads or from ThredOps)")
            .query("questions", boolean(), "Items whose text asks something (has a question mark)")
            .query("assigned_to_me", boolean(), "Items assigned to you only")
            .query("after", string(), "The cursor of the last item of the previous page: the next page")
            .query("limit", json!({"type": "integer", "minimum": 1, "maximum": 200}), "How many (default 50)")
            .response(200, "Items", Some(json!({"type": "array", "items": item_schema()}))),
        route(Method::GET, "/api/v1/inbox/items/{id}", "One item", get)
            .response(200, "The item", item())
            .response(404, "Not one of yours", None),
        route(Method::PUT, "/api/v1/inbox/items/{id}/read", "Marks an item read or unread", set_read)
            .body(object(&[("read", boolean())], &["read"]))
            .response(200, "The item", item())
            .response(404, "Not one of yours", None),
        route(Method::PUT, "/api/v1/inbox/items/{id}/hidden", "Hides a reply under your post on Threads, or shows it again (replies directly under your posts only; the replies below follow)", set_hidden)
            .body(object(&[("hidden", boolean())], &["hidden"]))
            .response(200, "The item", item())
            .response(404, "Not one of yours", None)
            .response(409, "The profile must be reconnected or grant threads_manage_replies, or Threads refused", None),
        route(Method::PUT, "/api/v1/inbox/items/{id}/assignee", "Assigns an item to a person of the workspace (its owner, or a member who reads the inbox), or clears it", assign)
            .body(object(&[("assignee", nullable(json!({"type": "string", "description": "The user id of the workspace's owner or of a member, or \"me\"; null to clear"})))], &["assignee"]))
            .response(200, "The item", item())
            .response(404, "Not one of yours", None)
            .response(422, "Not a person of the workspace who reads the inbox (field assignee)", None),
        route(Method::POST, "/api/v1/inbox/items/{id}/reply", "Replies on Threads from the item's profile, through the publisher (published once, however often this is sent: a second request answers the reply already planned)", reply)
            .body(object(&[("text", string()), ("saved_reply_id", nullable(string()))], &[]))
            .response(201, "The item, with its planned reply", item())
            .response(200, "The item already had a reply planned or published; nothing new was planned", item())
            .response(404, "Not one of yours", None)
            .response(409, "The profile needs reconnecting", None),
        route(Method::GET, "/api/v1/inbox/profiles", "Each connected profile's inbox: on or off, the permissions it still needs and why, how items arrive and the last poll", profiles)
            .response(200, "Profiles", Some(json!({"type": "array", "items": status_schema()}))),
        route(Method::POST, "/api/v1/inbox/profiles/{id}/on", "Turns the inbox on for a profile: answers the Threads consent URL asking for the inbox's permissions, which the user must open", turn_on)
            .response(200, "Open authorize_url in a browser", Some(object(&[("authorize_url", string())], &["authorize_url"])))
            .response(422, "Not one of your profiles", None),
        route(Method::POST, "/api/v1/inbox/profiles/{id}/off", "Turns the inbox off for a profile: nothing more is collected", turn_off)
            .response(204, "Off", None)
            .response(404, "Not one of yours", None),
        route(Method::GET, "/api/v1/inbox/profiles/{id}/reply-quota", "The profile's replies left in Threads' rolling 24 hours (1,000 per profile)", quota)
            .response(200, "Reply quota", Some(quota_schema()))
            .response(404, "Not one of yours", None)
            .response(409, "The profile needs reconnecting", None),
        route(Method::GET, "/api/v1/inbox/unread", "How many inbox items are unread", unread)
            .response(200, "Unread count", Some(object(&[("unread", integer())], &["unread"]))),
        route(Method::GET, "/api/v1/inbox/saved-replies", "Your saved replies", saved_list)
            .response(200, "Saved replies", Some(json!({"type": "array", "items": saved_schema()}))),
        route(Method::POST, "/api/v1/inbox/saved-replies", "Saves a reply to use from the reply box", saved_add)
            .body(object(&[("title", json!({"type": "string", "minLength": 1, "maxLength": 80, "description": "A short name, up to 80 characters"})), ("text", json!({"type": "string", "minLength": 1, "maxLength": 500, "description": "The reply, up to 500 characters (as Threads counts them)"}))], &["title", "text"]))
            .response(201, "Saved", Some(saved_schema())),
        route(Method::DELETE, "/api/v1/inbox/saved-replies/{id}", "Deletes a saved reply", saved_delete)
            .response(204, "Deleted", None)
            .response(404, "Not one of yours", None),
    ]
}

async fn list(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> AppResult<Json<Vec<ItemView>>> {
    Ok(Json(inbox::list(&state, &auth, &q).await?))
}

async fn get(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::inbox::InboxItemId>,
) -> AppResult<Json<ItemView>> {
    Ok(Json(inbox::get(&state, &auth, &id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReadBody {
    read: bool,
}

async fn set_read(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::inbox::InboxItemId>,
    ApiJson(body): ApiJson<ReadBody>,
) -> AppResult<Json<ItemView>> {
    Ok(Json(inbox::set_read(&state, &auth, &id, body.read).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct HiddenBody {
    hidden: bool,
}

async fn set_hidden(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::inbox::InboxItemId>,
    ApiJson(body): ApiJson<HiddenBody>,
) -> AppResult<Json<ItemView>> {
    Ok(Json(
        inbox::actions::set_hidden(&state, &auth, &id, body.hidden).await?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssignBody {
    assignee: Option<String>,
}

async fn assign(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::inbox::InboxItemId>,
    ApiJson(body): ApiJson<AssignBody>,
) -> AppResult<Json<ItemView>> {
    Ok(Json(
        inbox::assign(&state, &auth, &id, body.assignee.as_deref()).await?,
    ))
}

async fn reply(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::inbox::InboxItemId>,
    ApiJson(body): ApiJson<inbox::reply::ReplyInput>,
) -> AppResult<(StatusCode, Json<ItemView>)> {
    let (planned, item) = inbox::reply::reply(&state, &auth, &id, body).await?;
    let status = if planned {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(item)))
}

async fn profiles(
    State(state): State<WebState>,
    auth: AuthUser,
) -> AppResult<Json<Vec<ProfileStatus>>> {
    Ok(Json(inbox::status(&state, &auth).await?))
}

async fn turn_on(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::domain::ProfileId>,
) -> AppResult<Json<Value>> {
    let url = inbox::request(&state, &auth, &id).await?;
    Ok(Json(json!({"authorize_url": url})))
}

async fn turn_off(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::domain::ProfileId>,
) -> AppResult<StatusCode> {
    inbox::turn_off(&state, &auth, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn quota(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::domain::ProfileId>,
) -> AppResult<Json<inbox::reply::ReplyQuota>> {
    Ok(Json(inbox::reply::quota(&state, &auth, &id).await?))
}

async fn unread(State(state): State<WebState>, auth: AuthUser) -> AppResult<Json<Value>> {
    Ok(Json(
        json!({"unread": inbox::unread(&state, auth.workspace_id()).await?}),
    ))
}

async fn saved_list(
    State(state): State<WebState>,
    auth: AuthUser,
) -> AppResult<Json<Vec<SavedReply>>> {
    Ok(Json(saved::list(&state, &auth).await?))
}

async fn saved_add(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<SavedInput>,
) -> AppResult<(StatusCode, Json<SavedReply>)> {
    Ok((
        StatusCode::CREATED,
        Json(saved::add(&state, &auth, body).await?),
    ))
}

async fn saved_delete(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::inbox::SavedReplyId>,
) -> AppResult<StatusCode> {
    saved::delete(&state, &auth, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
