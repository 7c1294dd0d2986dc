//! The MCP (Model Context Protocol) endpoint, `POST /mcp`: AI assistants and agents read
//! analytics, list and schedule posts and read the Strategist's findings as tools.
//!
//! Streamable HTTP transport, answered with plain JSON (no server-sent events, no session id):
//! each POST carries one JSON-RPC 2.0 message (or a batch) and gets its response, or 202 for
//! notifications. Authentication is a personal API token (`Authorization: Bearer thr_...`) and
//! nothing else: no cookie is read, so no CSRF check is needed, and the token's request budget
//! applies to every POST. Each tool needs the token scope of the JSON API operation it stands
//! for and calls the same product functions that operation does.
//!
//! The layer is written here rather than taken from the `rmcp` crate: its server feature brings
//! a second `sha2` line, and its HTTP transport a session manager and SSE stack of its own beside
//! axum, for five methods over plain JSON.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};

use super::session::TokenUser;
use super::state::WebState;
use crate::api_tokens::MCP_PATH;
use tools::{call, tools};

mod tools;

/// The protocol revisions this endpoint speaks, newest first.
pub const PROTOCOL_VERSIONS: [&str; 2] = ["2025-06-18", "2025-03-26"];

// JSON-RPC 2.0 error codes.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
pub(super) const INVALID_PARAMS: i64 = -32602;
pub(super) const INTERNAL_ERROR: i64 = -32603;

pub fn router() -> Router<WebState> {
    // GET (a server-to-client stream) and DELETE (ending a session) answer 405: this server
    // sends nothing unasked and keeps no session.
    Router::new().route(MCP_PATH, post(endpoint))
}

/// A JSON-RPC error answered instead of a result.
#[derive(Debug)]
struct RpcError {
    code: i64,
    message: String,
}

impl RpcError {
    pub(super) fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

fn error_message(id: Value, e: &RpcError) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "error": {"code": e.code, "message": e.message}})
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn endpoint(
    State(state): State<WebState>,
    user: TokenUser,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(version) = headers
        .get("mcp-protocol-version")
        .and_then(|v| v.to_str().ok())
        && !PROTOCOL_VERSIONS.contains(&version)
    {
        let e = RpcError::new(
            INVALID_REQUEST,
            format!(
                "Unsupported MCP-Protocol-Version {version}; this server speaks {}.",
                PROTOCOL_VERSIONS.join(" and ")
            ),
        );
        return json_response(StatusCode::BAD_REQUEST, &error_message(Value::Null, &e));
    }
    let message: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            let e = RpcError::new(PARSE_ERROR, format!("The body is not JSON: {e}"));
            return json_response(StatusCode::BAD_REQUEST, &error_message(Value::Null, &e));
        }
    };
    match message {
        Value::Array(batch) if batch.is_empty() => {
            let e = RpcError::new(INVALID_REQUEST, "An empty batch holds no message.");
            json_response(StatusCode::BAD_REQUEST, &error_message(Value::Null, &e))
        }
        Value::Array(batch) => {
            let mut answers = Vec::new();
            for m in batch {
                answers.extend(handle(&state, &user, m).await);
            }
            if answers.is_empty() {
                StatusCode::ACCEPTED.into_response()
            } else {
                json_response(StatusCode::OK, &Value::Array(answers))
            }
        }
        single => match handle(&state, &user, single).await {
            Some(answer) => json_response(StatusCode::OK, &answer),
            None => StatusCode::ACCEPTED.into_response(),
        },
    }
}

/// Answers one message: `None` for notifications and responses, which get no answer.
async fn handle(state: &WebState, user: &TokenUser, message: Value) -> Option<Value> {
    let Value::Object(mut m) = message else {
        let e = RpcError::new(INVALID_REQUEST, "A message must be a JSON object.");
        return Some(error_message(Value::Null, &e));
    };
    let id = m.remove("id");
    if m.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
        let e = RpcError::new(INVALID_REQUEST, "Set \"jsonrpc\": \"2.0\".");
        return Some(error_message(id.unwrap_or(Value::Null), &e));
    }
    let method = m.get("method").and_then(Value::as_str).map(str::to_owned);
    match (method, id) {
        // Notifications (initialized, cancelled, ...) need nothing from a stateless server.
        (Some(_), None) => None,
        // A client's answer to a server request; this server sends none.
        (None, Some(_)) if m.contains_key("result") || m.contains_key("error") => None,
        (Some(method), Some(id)) if id.is_string() || id.is_number() => {
            let params = m.remove("params").unwrap_or(Value::Null);
            Some(match request(state, user, &method, params).await {
                Ok(result) => json!({"jsonrpc": "2.0", "id": id, "result": result}),
                Err(e) => error_message(id, &e),
            })
        }
        (_, id) => {
            let e = RpcError::new(
                INVALID_REQUEST,
                "A request needs a \"method\" and a string or number \"id\".",
            );
            Some(error_message(id.unwrap_or(Value::Null), &e))
        }
    }
}

async fn request(
    state: &WebState,
    user: &TokenUser,
    method: &str,
    params: Value,
) -> Result<Value, RpcError> {
    match method {
        "initialize" => Ok(initialize(&params)),
        "ping" => Ok(json!({})),
        "tools/list" => Ok(json!({"tools": tools()})),
        "tools/call" => call(state, user, params).await,
        other => Err(RpcError::new(
            METHOD_NOT_FOUND,
            format!("Method not found: {other}. This server offers tools only."),
        )),
    }
}

fn initialize(params: &Value) -> Value {
    let asked = params["protocolVersion"].as_str().unwrap_or_default();
    let version = PROTOCOL_VERSIONS
        .into_iter()
        .find(|v| *v == asked)
        .unwrap_or(PROTOCOL_VERSIONS[0]);
    json!({
        "protocolVersion": version,
        "capabilities": {"tools": {"listChanged": false}},
        "serverInfo": {"name": "thredops", "title": "ThredOps", "version": env!("CARGO_PKG_VERSION")},
        "instructions": "ThredOps manages Threads profiles. Call list_profiles first for the profile ids the other tools take. Times are wall-clock times in the account's time zone. Each tool needs a scope on the API token; a missing scope is answered as a tool error naming it.",
    })
}
