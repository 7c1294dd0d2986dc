//! Support API: the customer's chat and tickets, the agents' console, and the chat sockets.

mod agent;
mod frames;
mod schema;

use crate::http::query::ApiQuery;
use axum::Json;
use axum::body::Body;
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::registry::{Endpoint, error_schema, integer, object, string};
use crate::domain::Email;
use crate::http::error::{AppError, AppResult};
use crate::http::json::ApiJson;
use crate::http::session::{AuthUser, ClientInfo, Visitor, chat_cookie, chat_token};
use crate::http::state::WebState;
use crate::support::attachments::{self, Viewer};
use crate::support::desk;
use crate::support::socket::{self, Peer};
use crate::support::store::Customer;

/// Largest WebSocket message accepted; bodies are limited to 4,000 characters within it.
const MAX_FRAME_BYTES: usize = 32 * 1024;

pub fn endpoints() -> Vec<Endpoint> {
    let mut all = vec![
        Endpoint::new(Method::POST, "/api/v1/support/chat", "Opens the support chat: history, whether agents are online, unread count. Signed-out visitors get the continuity cookie", open_chat)
            .tag("support")
            .response(200, "The chat", Some(schema::chat())),
        Endpoint::new(Method::GET, "/api/v1/support/chat/messages", "Chat messages after a given one", chat_messages)
            .tag("support")
            .query("after", integer(), "The last message id already seen (default: all)")
            .response(200, "Messages, oldest first", Some(schema::messages()))
            .response(404, "No chat yet on this device", None),
        Endpoint::new(Method::POST, "/api/v1/support/chat/messages", "Sends a chat message (the socket is the live way; this is the fallback)", send_chat)
            .tag("support")
            .body(object(&[("body", string()), ("client_id", string())], &["body"]))
            .response(201, "Stored", Some(schema::message()))
            .response(404, "No chat yet on this device", None),
        Endpoint::new(Method::POST, "/api/v1/support/chat/attachments", "Sends an image in the chat: the raw JPEG or PNG as the body; checked like the composer's images (8 MB, at most 10:1)", send_chat_image)
            .tag("support")
            .query("filename", string(), "The image's file name")
            .query("client_id", string(), "The client's id of the message, as for text messages (a resend is stored once)")
            .response(201, "Stored", Some(schema::message()))
            .response(404, "No chat yet on this device", None)
            .response(422, "Not a JPEG or PNG, over 8 MB or an unreadable shape, with the reason", None),
        Endpoint::new(Method::GET, "/api/v1/support/attachments/{id}", "An image of a conversation, for its customer (session or chat cookie) and support staff", get_attachment)
            .tag("support")
            .response(200, "The image", None)
            .response(404, "No such image, or not yours", None),
        Endpoint::new(Method::PUT, "/api/v1/support/chat/email", "Leaves an email for replies while no agent is online", set_email)
            .tag("support")
            .body(object(&[("email", string())], &["email"]))
            .response(200, "Saved", Some(object(&[("email", string())], &["email"])))
            .response(404, "No chat yet on this device", None),
        Endpoint::new(Method::GET, "/api/v1/support/chat/socket", "WebSocket of the customer's chat", customer_socket)
            .tag("support")
            .query("after", integer(), "The last message id already seen; the socket resumes after it")
            .response(101, "Switching to the chat protocol (see docs/support.md)", None)
            .response(400, "Not a WebSocket upgrade request", Some(error_schema()))
            .response(404, "No chat yet on this device", None),
        Endpoint::new(Method::POST, "/api/v1/support/tickets", "Opens a ticket (e.g. a data deletion request)", open_ticket)
            .tag("support")
            .authenticated()
            .body(object(&[("category", string()), ("subject", string()), ("body", string())], &["category", "subject", "body"]))
            .response(201, "The ticket", Some(schema::conversation())),
        Endpoint::new(Method::GET, "/api/v1/support/tickets", "Your tickets, newest first", list_tickets)
            .tag("support")
            .authenticated()
            .response(200, "Tickets", Some(json!({"type": "array", "items": schema::conversation()}))),
        Endpoint::new(Method::GET, "/api/v1/support/tickets/{id}", "One of your tickets with its messages", get_ticket)
            .tag("support")
            .authenticated()
            .response(200, "The ticket", Some(schema::thread()))
            .response(404, "Not one of your tickets", None),
        Endpoint::new(Method::POST, "/api/v1/support/tickets/{id}/messages", "Replies on one of your tickets", reply_ticket)
            .tag("support")
            .authenticated()
            .body(object(&[("body", string())], &["body"]))
            .response(201, "Stored", Some(schema::message()))
            .response(404, "Not one of your tickets", None),
    ];
    all.extend(agent::endpoints());
    all
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct After {
    after: i64,
}

/// The customer's chat, or 404 when this device has none (no session, no valid cookie).
async fn current_chat(
    state: &WebState,
    headers: &HeaderMap,
    visitor: &Visitor,
) -> AppResult<crate::support::store::Conversation> {
    let who = desk::identify(
        state,
        chat_token(state, headers).as_deref(),
        visitor.0.as_deref(),
        None,
    )
    .await?
    .ok_or(AppError::NotFound)?;
    desk::ensure_chat(state, &who.customer).await
}

async fn open_chat(
    State(state): State<WebState>,
    client: ClientInfo,
    visitor: Visitor,
    headers: HeaderMap,
) -> AppResult<Response> {
    let who = desk::identify(
        &state,
        chat_token(&state, &headers).as_deref(),
        visitor.0.as_deref(),
        Some(client.ip),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let chat = desk::ensure_chat(&state, &who.customer).await?;
    let messages = crate::support::reads::messages_after(&state, &chat.id, 0, false, 500).await?;
    let body = json!({
        "conversation_id": chat.id,
        "status": chat.status,
        "messages": messages,
        "agents_online": desk::agents_online(&state).await?,
        "unread": crate::support::reads::unread_for_customer(&state, &chat.id).await?,
        "email": chat.contact_email.or_else(|| visitor.0.as_ref().map(|a| a.user.email.clone())),
        "signed_in": matches!(who.customer, Customer::User(_)),
    });
    let mut response = Json(body).into_response();
    if let Some(cookie) = who
        .keep_token
        .and_then(|t| chat_cookie(&state, &t).parse().ok())
    {
        response.headers_mut().insert(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

async fn chat_messages(
    State(state): State<WebState>,
    visitor: Visitor,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<After>,
) -> AppResult<Json<Value>> {
    let chat = current_chat(&state, &headers, &visitor).await?;
    let messages =
        crate::support::reads::messages_after(&state, &chat.id, q.after, false, 500).await?;
    Ok(Json(json!(messages)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SendBody {
    body: String,
    #[serde(default)]
    client_id: Option<String>,
}

async fn send_chat(
    State(state): State<WebState>,
    visitor: Visitor,
    headers: HeaderMap,
    ApiJson(body): ApiJson<SendBody>,
) -> AppResult<Response> {
    let chat = current_chat(&state, &headers, &visitor).await?;
    let client_id = crate::support::model::parse_client_id(body.client_id.as_deref())
        .map_err(|m| AppError::field("client_id", m))?;
    let posted = desk::post_customer(&state, &chat.id, &body.body, client_id.as_ref()).await?;
    Ok((StatusCode::CREATED, Json(posted.message)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ImageQuery {
    filename: Option<String>,
    client_id: Option<String>,
}

async fn send_chat_image(
    State(state): State<WebState>,
    visitor: Visitor,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<ImageQuery>,
    body: Body,
) -> AppResult<Response> {
    let chat = current_chat(&state, &headers, &visitor).await?;
    let client_id = crate::support::model::parse_client_id(q.client_id.as_deref())
        .map_err(|m| AppError::field("client_id", m))?;
    let posted = attachments::post_customer(
        &state,
        &chat.id,
        q.filename.as_deref().unwrap_or(""),
        body.into_data_stream(),
        client_id.as_ref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(posted.message)).into_response())
}

async fn get_attachment(
    State(state): State<WebState>,
    visitor: Visitor,
    headers: HeaderMap,
    Path(id): Path<crate::support::AttachmentId>,
) -> AppResult<Response> {
    let viewer = match &visitor.0 {
        Some(auth) if desk::is_agent(&auth.user) => Viewer::Staff,
        signed_in => Viewer::Customer {
            user_id: signed_in.as_ref().map(|a| a.user.id.clone()),
            visitor_id: attachments::visitor_of(&state, chat_token(&state, &headers).as_deref())
                .await?,
        },
    };
    let image = attachments::open(&state, &id, &viewer).await?;
    let disposition = format!("inline; filename=\"{}\"", image.file_name);
    Ok((
        [
            (header::CONTENT_TYPE, image.content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "private, max-age=3600".to_owned()),
        ],
        image.bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailBody {
    email: String,
}

async fn set_email(
    State(state): State<WebState>,
    visitor: Visitor,
    headers: HeaderMap,
    ApiJson(body): ApiJson<EmailBody>,
) -> AppResult<Json<Value>> {
    let email = Email::parse(&body.email).map_err(|m| AppError::field("email", m))?;
    let who = desk::identify(
        &state,
        chat_token(&state, &headers).as_deref(),
        visitor.0.as_deref(),
        None,
    )
    .await?
    .ok_or(AppError::NotFound)?;
    let chat = desk::ensure_chat(&state, &who.customer).await?;
    crate::support::reads::set_contact_email(&state, &chat.id, &who.customer, email.as_str())
        .await?;
    Ok(Json(json!({"email": email.as_str()})))
}

/// Refuses sockets opened by pages of other sites (cross-site WebSocket hijacking): browsers
/// always send `Origin` on WebSocket handshakes.
pub(super) fn same_origin(state: &WebState, headers: &HeaderMap) -> AppResult<()> {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let allowed = origin == state.public_origin()
        || origin == format!("http://{host}")
        || origin == format!("https://{host}");
    if allowed {
        Ok(())
    } else {
        Err(AppError::Forbidden(
            "Chat connections from other sites are not allowed.",
        ))
    }
}

pub(super) fn upgrade(
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> AppResult<WebSocketUpgrade> {
    ws.map(|ws| {
        ws.max_message_size(MAX_FRAME_BYTES)
            .max_frame_size(MAX_FRAME_BYTES)
    })
    .map_err(|_| AppError::BadRequest("Open this address as a WebSocket.".into()))
}

async fn customer_socket(
    State(state): State<WebState>,
    visitor: Visitor,
    headers: HeaderMap,
    ApiQuery(q): ApiQuery<After>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> AppResult<Response> {
    same_origin(&state, &headers)?;
    let ws = upgrade(ws)?;
    let chat = current_chat(&state, &headers, &visitor).await?;
    let peer = Peer::Customer {
        conversation_id: chat.id,
    };
    Ok(ws.on_upgrade(move |socket| {
        socket::run(
            state.core().clone(),
            frames::connection(socket),
            peer,
            q.after.max(0),
        )
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TicketBody {
    category: String,
    subject: String,
    body: String,
}

async fn open_ticket(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<TicketBody>,
) -> AppResult<Response> {
    let ticket =
        crate::support::tickets::open(&state, &auth, &body.category, &body.subject, &body.body)
            .await?;
    Ok((StatusCode::CREATED, Json(ticket)).into_response())
}

async fn list_tickets(State(state): State<WebState>, auth: AuthUser) -> AppResult<Json<Value>> {
    let tickets = crate::support::reads::conversations_of(
        &state,
        &Customer::User(auth.user.id.clone()),
        crate::support::model::Kind::Ticket,
    )
    .await?;
    Ok(Json(json!(tickets)))
}

async fn get_ticket(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::domain::ConversationId>,
) -> AppResult<Json<Value>> {
    let ticket = crate::support::tickets::own(&state, &auth, &id).await?;
    let messages =
        crate::support::reads::messages_after(&state, &ticket.id, 0, false, 1000).await?;
    Ok(Json(json!({"conversation": ticket, "messages": messages})))
}

async fn reply_ticket(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::domain::ConversationId>,
    ApiJson(body): ApiJson<SendBody>,
) -> AppResult<Response> {
    let ticket = crate::support::tickets::own(&state, &auth, &id).await?;
    let posted = desk::post_customer(&state, &ticket.id, &body.body, None).await?;
    Ok((StatusCode::CREATED, Json(posted.message)).into_response())
}
