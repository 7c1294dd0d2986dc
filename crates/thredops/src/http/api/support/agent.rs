//! The agents' side of the support API: inbox, conversation detail, replies and notes, status,
//! assignment, canned responses and the console socket. Every route needs the support role.

use crate::http::query::ApiQuery;
use axum::Json;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::frames;
use super::schema;
use crate::http::api::registry::{Endpoint, boolean, error_schema, integer, object, string};
use crate::http::error::{AppError, AppResult};
use crate::http::guards::Agent;
use crate::http::json::ApiJson;
use crate::http::state::WebState;
use crate::support::desk;
use crate::support::socket::{self, Peer};
use crate::support::workflow;

pub fn endpoints() -> Vec<Endpoint> {
    let agent = |e: Endpoint| {
        e.tag("support-agents")
            .authenticated()
            .response(403, "Not a support agent", None)
    };
    vec![
        agent(Endpoint::new(Method::GET, "/api/v1/support/inbox", "Conversations with messages, newest activity first; filtered and searched; 50 a page", inbox))
            .query("status", string(), "Only conversations in this status (open, pending, snoozed, resolved)")
            .query("kind", string(), "chat or ticket")
            .query("category", string(), "Only tickets of this category")
            .query("assignee", string(), "An agent id, me or none")
            .query("q", string(), "Searches the customer's email, the subject and the messages")
            .query("page", json!({"type": "integer", "minimum": 0}), "0-based page")
            .response(200, "Inbox rows", Some(json!({"type": "array", "items": schema::conversation()}))),
        agent(Endpoint::new(Method::GET, "/api/v1/support/conversations/{id}", "A conversation with notes and the customer's account facts", conversation))
            .response(200, "The conversation", Some(schema::detail()))
            .response(404, "No such conversation", None),
        agent(Endpoint::new(Method::POST, "/api/v1/support/conversations/{id}/threads-data", "Opens the customer's Threads profiles (username, status, last sync, followers, posts); recorded in the customer's access log with the conversation as the reason", threads_data))
            .response(200, "The profiles", Some(schema::threads_data()))
            .response(403, "Not an agent, a visitor's conversation, or the customer has not written in it", None)
            .response(404, "No such conversation", None),
        agent(Endpoint::new(Method::POST, "/api/v1/support/conversations/{id}/messages", "Replies (or adds a private note with private=true); a body of exactly /shortcut sends that canned response", reply))
            .body(object(&[("body", string()), ("private", boolean()), ("client_id", string())], &["body"]))
            .response(201, "Stored", Some(schema::message()))
            .response(404, "No such conversation", None),
        agent(Endpoint::new(Method::POST, "/api/v1/support/conversations/{id}/attachments", "Sends an image (the raw JPEG or PNG as the body), or adds it to a private note; checked like the composer's images", send_image))
            .query("filename", string(), "The image's file name")
            .query("private", boolean(), "Add it to a private note instead (default false)")
            .response(201, "Stored", Some(schema::message()))
            .response(404, "No such conversation", None)
            .response(422, "Not a JPEG or PNG, over 8 MB or an unreadable shape, with the reason", None),
        agent(Endpoint::new(Method::PUT, "/api/v1/support/conversations/{id}/status", "Sets open, pending, snoozed (until snooze_until, or the customer's next message when absent) or resolved", set_status))
            .body(object(&[("status", string()), ("snooze_until", integer())], &["status"]))
            .response(200, "The conversation", Some(schema::conversation()))
            .response(404, "No such conversation", None),
        agent(Endpoint::new(Method::PUT, "/api/v1/support/conversations/{id}/assignee", "Assigns to an agent, or unassigns with agent_id null", set_assignee))
            .body(object(&[("agent_id", json!({"type": ["string", "null"]}))], &["agent_id"]))
            .response(200, "The conversation", Some(schema::conversation()))
            .response(404, "No such conversation", None),
        agent(Endpoint::new(Method::GET, "/api/v1/support/agents", "Support agents and who is online", agents))
            .response(200, "Agents", Some(json!({"type": "array", "items": object(&[("id", string()), ("email", string()), ("online", boolean())], &["id", "email", "online"])}))),
        agent(Endpoint::new(Method::GET, "/api/v1/support/canned", "Canned responses", list_canned))
            .response(200, "Canned responses", Some(json!({"type": "array", "items": canned_schema()}))),
        agent(Endpoint::new(Method::POST, "/api/v1/support/canned", "Adds a canned response used as /shortcut", add_canned))
            .body(object(&[("shortcut", string()), ("body", string())], &["shortcut", "body"]))
            .response(201, "Added", Some(canned_schema()))
            .response(409, "That shortcut exists", None),
        agent(Endpoint::new(Method::DELETE, "/api/v1/support/canned/{id}", "Deletes a canned response", delete_canned))
            .response(204, "Deleted", None)
            .response(404, "No such canned response", None),
        agent(Endpoint::new(Method::GET, "/api/v1/support/console/socket", "WebSocket of the agent console: every conversation's events; marks the agent online while open", agent_socket))
            .response(101, "Switching to the chat protocol (see docs/support.md)", None)
            .response(400, "Not a WebSocket upgrade request", Some(error_schema())),
    ]
}

fn canned_schema() -> Value {
    object(
        &[("id", string()), ("shortcut", string()), ("body", string())],
        &["id", "shortcut", "body"],
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InboxQuery {
    status: Option<String>,
    kind: Option<String>,
    category: Option<String>,
    assignee: Option<String>,
    q: Option<String>,
    page: Option<i64>,
}

/// Conversations per inbox page.
const INBOX_PAGE: i64 = 50;

async fn inbox(
    State(state): State<WebState>,
    Agent(auth): Agent,
    ApiQuery(q): ApiQuery<InboxQuery>,
) -> AppResult<Json<Value>> {
    let agent = &auth.user;
    let filter = workflow::parse_filter(
        &agent.id,
        q.status.as_deref(),
        q.kind.as_deref(),
        q.category.as_deref(),
        q.assignee.as_deref(),
        q.q.as_deref(),
    )?;
    workflow::wake_snoozed(&state).await?;
    let offset = q.page.unwrap_or(0).clamp(0, 10_000) * INBOX_PAGE;
    Ok(Json(json!(
        crate::support::reads::inbox(&state, &filter, INBOX_PAGE, offset).await?
    )))
}

async fn conversation(
    State(state): State<WebState>,
    _agent: Agent,
    Path(id): Path<crate::domain::ConversationId>,
) -> AppResult<Json<Value>> {
    workflow::wake_snoozed(&state).await?;
    let c = crate::support::reads::conversation(&state, &id)
        .await?
        .ok_or(AppError::NotFound)?;
    let messages = crate::support::reads::messages_after(&state, &id, 0, true, 2000).await?;
    let customer = crate::support::tickets::customer_summary(&state, &c).await?;
    Ok(Json(
        json!({"conversation": c, "messages": messages, "customer": customer}),
    ))
}

async fn threads_data(
    State(state): State<WebState>,
    Agent(auth): Agent,
    Path(id): Path<crate::domain::ConversationId>,
) -> AppResult<Json<Value>> {
    let agent = &auth.user;
    Ok(Json(json!(
        crate::support::threads_data::open(&state, agent, &id).await?
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReplyBody {
    body: String,
    #[serde(default)]
    private: bool,
    #[serde(default)]
    client_id: Option<String>,
}

async fn reply(
    State(state): State<WebState>,
    Agent(auth): Agent,
    Path(id): Path<crate::domain::ConversationId>,
    ApiJson(body): ApiJson<ReplyBody>,
) -> AppResult<Response> {
    let agent = &auth.user;
    let client_id = crate::support::model::parse_client_id(body.client_id.as_deref())
        .map_err(|m| AppError::field("client_id", m))?;
    let posted = desk::post_agent(
        &state,
        agent,
        &id,
        &body.body,
        body.private,
        client_id.as_ref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(posted.message)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StatusBody {
    status: String,
    #[serde(default)]
    snooze_until: Option<i64>,
}

async fn set_status(
    State(state): State<WebState>,
    _agent: Agent,
    Path(id): Path<crate::domain::ConversationId>,
    ApiJson(body): ApiJson<StatusBody>,
) -> AppResult<Json<Value>> {
    let c = workflow::set_status(&state, &id, &body.status, body.snooze_until).await?;
    Ok(Json(json!(c)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssigneeBody {
    agent_id: Option<String>,
}

async fn set_assignee(
    State(state): State<WebState>,
    _agent: Agent,
    Path(id): Path<crate::domain::ConversationId>,
    ApiJson(body): ApiJson<AssigneeBody>,
) -> AppResult<Json<Value>> {
    let agent = body
        .agent_id
        .filter(|a| !a.is_empty())
        .map(crate::domain::UserId::from);
    Ok(Json(json!(
        workflow::assign(&state, &id, agent.as_ref()).await?
    )))
}

async fn agents(State(state): State<WebState>, _agent: Agent) -> AppResult<Json<Value>> {
    let rows: Vec<Value> = crate::support::reads::agents_with_presence(&state)
        .await?
        .into_iter()
        .map(|(id, email, on)| json!({"id": id, "email": email, "online": on}))
        .collect();
    Ok(Json(json!(rows)))
}

async fn list_canned(State(state): State<WebState>, _agent: Agent) -> AppResult<Json<Value>> {
    Ok(Json(json!(crate::support::reads::canned(&state).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CannedBody {
    shortcut: String,
    body: String,
}

async fn add_canned(
    State(state): State<WebState>,
    Agent(auth): Agent,
    ApiJson(body): ApiJson<CannedBody>,
) -> AppResult<Response> {
    let agent = &auth.user;
    let canned = workflow::add_canned(&state, agent, &body.shortcut, &body.body).await?;
    Ok((StatusCode::CREATED, Json(canned)).into_response())
}

async fn delete_canned(
    State(state): State<WebState>,
    _agent: Agent,
    Path(id): Path<crate::support::CannedId>,
) -> AppResult<StatusCode> {
    if crate::support::reads::delete_canned(&state, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound)
    }
}

async fn agent_socket(
    State(state): State<WebState>,
    Agent(auth): Agent,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> AppResult<Response> {
    super::same_origin(&state, &headers)?;
    let agent = auth.user.clone();
    let ws = super::upgrade(ws)?;
    Ok(ws.on_upgrade(move |socket| {
        socket::run(
            state.core().clone(),
            frames::connection(socket),
            Peer::Agent(agent),
            0,
        )
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ImageQuery {
    filename: Option<String>,
    private: bool,
}

async fn send_image(
    State(state): State<WebState>,
    Agent(auth): Agent,
    Path(id): Path<crate::domain::ConversationId>,
    ApiQuery(q): ApiQuery<ImageQuery>,
    body: axum::body::Body,
) -> AppResult<Response> {
    let posted = crate::support::attachments::post_agent(
        &state,
        &auth.user,
        &id,
        q.filename.as_deref().unwrap_or(""),
        body.into_data_stream(),
        q.private,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(posted.message)).into_response())
}
