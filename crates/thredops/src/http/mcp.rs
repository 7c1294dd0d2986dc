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
//! `schemars` with its derive macro and a second `sha2` line, and its HTTP transport a session
//! manager and SSE stack of its own beside axum, for five methods over plain JSON.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::session::TokenUser;
use super::state::WebState;
use crate::analytics::explorer::{self, ExplorerQuery};
use crate::analytics::period::PeriodQuery;
use crate::analytics::{self as an, overview};
use crate::api_tokens::{self, MCP_PATH, Scope};
use crate::error::{AppError, AppResult};
use crate::publishing::PostState;
use crate::publishing::compose::{Composition, Part};
use crate::publishing::service::{self as posts, PostInput};
use crate::store::StoreError;

/// The protocol revisions this endpoint speaks, newest first.
pub const PROTOCOL_VERSIONS: [&str; 2] = ["2025-06-18", "2025-03-26"];

// JSON-RPC 2.0 error codes.
const PARSE_ERROR: i64 = -32700;
const INVALID_REQUEST: i64 = -32600;
const METHOD_NOT_FOUND: i64 = -32601;
const INVALID_PARAMS: i64 = -32602;
const INTERNAL_ERROR: i64 = -32603;

/// Posts listed at most by `list_posts`.
const MAX_POSTS: usize = 200;

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
    fn new(code: i64, message: impl Into<String>) -> Self {
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

/// One tool: its name, what it does, the token scope it needs and its input schema.
struct Tool {
    name: &'static str,
    title: &'static str,
    description: &'static str,
    scope: Scope,
    read_only: bool,
    input: Value,
}

fn profile_id() -> Value {
    json!({"type": "string", "description": "A profile id from list_profiles"})
}

fn tools_table() -> Vec<Tool> {
    let states: Vec<&str> = PostState::ALL.iter().map(|s| s.as_str()).collect();
    vec![
        Tool {
            name: "list_profiles",
            title: "List connected profiles",
            description: "The connected Threads profiles with their ids, usernames, follower counts, sync state and token health.",
            scope: Scope::ProfilesRead,
            read_only: true,
            input: json!({"type": "object", "properties": {}, "additionalProperties": false}),
        },
        Tool {
            name: "get_analytics",
            title: "Read a profile's analytics",
            description: "A profile's totals for a period against the period before it (views, likes, replies, reposts, quotes, shares, clicks, followers, engagement rate) and its five most viewed posts of the period.",
            scope: Scope::AnalyticsRead,
            read_only: true,
            input: json!({
                "type": "object",
                "properties": {
                    "profile_id": profile_id(),
                    "period": {"type": "string", "enum": ["7d", "30d", "90d", "365d", "all", "custom"], "default": "30d", "description": "The last 7/30/90/365 days, all time, or custom (with from and to)"},
                    "from": {"type": "string", "format": "date", "description": "First day of a custom period, YYYY-MM-DD"},
                    "to": {"type": "string", "format": "date", "description": "Last day (inclusive) of a custom period, YYYY-MM-DD"},
                },
                "required": ["profile_id"],
                "additionalProperties": false,
            }),
        },
        Tool {
            name: "list_posts",
            title: "List planned posts",
            description: "Posts planned in ThredOps (drafts, scheduled, publishing, published, failed, cancelled), soonest first, optionally of one profile and in one state.",
            scope: Scope::PostsRead,
            read_only: true,
            input: json!({
                "type": "object",
                "properties": {
                    "profile_id": profile_id(),
                    "state": {"type": "string", "enum": states, "description": "Only posts in this state"},
                    "limit": {"type": "integer", "minimum": 1, "maximum": MAX_POSTS, "default": 50, "description": "At most this many posts"},
                },
                "additionalProperties": false,
            }),
        },
        Tool {
            name: "schedule_post",
            title: "Schedule a post",
            description: "Schedules a text post on a profile, at a time in the account's time zone or in the profile's next free posting slot. The post is checked against every Threads rule first; problems are answered with what to change. Published once, at its time.",
            scope: Scope::PostsWrite,
            read_only: false,
            input: json!({
                "type": "object",
                "properties": {
                    "profile_id": profile_id(),
                    "text": {"type": "string", "minLength": 1, "description": "The post's text (500 characters as Threads counts them)"},
                    "when": {"type": "string", "default": "queue", "description": "\"queue\" for the next free posting slot, or a wall-clock time in the account's time zone like 2026-03-29T09:00"},
                    "topic_tag": {"type": "string", "description": "One topic tag, without #"},
                },
                "required": ["profile_id", "text"],
                "additionalProperties": false,
            }),
        },
        Tool {
            name: "get_strategy_findings",
            title: "Read the Strategist's findings",
            description: "The Strategist's recommendations for a profile (best formats, times, topics, length and more), each with its evidence, sample size and confidence; says so when there is not enough data yet.",
            scope: Scope::StrategyRead,
            read_only: true,
            input: json!({
                "type": "object",
                "properties": {"profile_id": profile_id()},
                "required": ["profile_id"],
                "additionalProperties": false,
            }),
        },
    ]
}

fn tools() -> Vec<Value> {
    tools_table()
        .into_iter()
        .map(|t| {
            json!({
                "name": t.name,
                "title": t.title,
                "description": format!("{} Needs the {} scope.", t.description, t.scope.as_str()),
                "inputSchema": t.input,
                "annotations": {
                    "title": t.title,
                    "readOnlyHint": t.read_only,
                    "destructiveHint": false,
                    "idempotentHint": t.read_only,
                    "openWorldHint": !t.read_only,
                },
            })
        })
        .collect()
}

/// `tools/call`'s parameters; others (`_meta`, later protocol additions) are ignored.
#[derive(Deserialize)]
struct CallParams {
    name: String,
    #[serde(default)]
    arguments: Option<Map<String, Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NoArgs {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileArgs {
    profile_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnalyticsArgs {
    profile_id: String,
    #[serde(default)]
    period: Option<String>,
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    to: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PostsArgs {
    #[serde(default)]
    profile_id: Option<String>,
    #[serde(default)]
    state: Option<String>,
    #[serde(default)]
    limit: Option<usize>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleArgs {
    profile_id: String,
    text: String,
    #[serde(default)]
    when: Option<String>,
    #[serde(default)]
    topic_tag: Option<String>,
}

/// The tool's arguments as `T`, or the JSON-RPC error naming what is wrong.
fn args<T: DeserializeOwned>(tool: &str, arguments: Map<String, Value>) -> Result<T, RpcError> {
    serde_json::from_value(Value::Object(arguments))
        .map_err(|e| RpcError::new(INVALID_PARAMS, format!("Invalid arguments for {tool}: {e}")))
}

async fn call(state: &WebState, user: &TokenUser, params: Value) -> Result<Value, RpcError> {
    let p: CallParams = serde_json::from_value(params).map_err(|e| {
        RpcError::new(
            INVALID_PARAMS,
            format!("tools/call takes {{\"name\", \"arguments\"}}: {e}"),
        )
    })?;
    let tool = tools_table()
        .into_iter()
        .find(|t| t.name == p.name)
        .ok_or_else(|| {
            RpcError::new(
                INVALID_PARAMS,
                format!("Unknown tool: {}. tools/list names the tools.", p.name),
            )
        })?;
    let arguments = p.arguments.unwrap_or_default();
    let auth = &user.auth;
    // Arguments are checked before the scope: a malformed call is the client's mistake
    // whatever the token may do.
    let outcome = match tool.name {
        "list_profiles" => {
            let NoArgs {} = args(tool.name, arguments)?;
            scoped(user, tool.scope, list_profiles(state, auth)).await
        }
        "get_analytics" => {
            let a: AnalyticsArgs = args(tool.name, arguments)?;
            scoped(user, tool.scope, get_analytics(state, auth, a)).await
        }
        "list_posts" => {
            let a: PostsArgs = args(tool.name, arguments)?;
            if a.limit.is_some_and(|l| !(1..=MAX_POSTS).contains(&l)) {
                return Err(RpcError::new(
                    INVALID_PARAMS,
                    format!("Invalid arguments for list_posts: limit is 1 to {MAX_POSTS}."),
                ));
            }
            let wanted = match a.state.as_deref() {
                None => None,
                Some(s) => Some(s.parse::<PostState>().map_err(|_| {
                    RpcError::new(
                        INVALID_PARAMS,
                        format!(
                            "Invalid arguments for list_posts: state is one of {}.",
                            PostState::ALL.map(PostState::as_str).join(", ")
                        ),
                    )
                })?),
            };
            scoped(user, tool.scope, list_posts(state, auth, a, wanted)).await
        }
        "schedule_post" => {
            let a: ScheduleArgs = args(tool.name, arguments)?;
            scoped(user, tool.scope, schedule_post(state, auth, a)).await
        }
        _ => {
            let a: ProfileArgs = args(tool.name, arguments)?;
            scoped(user, tool.scope, get_strategy_findings(state, auth, a)).await
        }
    };
    match outcome {
        Ok(v) => Ok(json!({
            "content": [{"type": "text", "text": v.to_string()}],
            "structuredContent": v,
            "isError": false,
        })),
        Err(e) => tool_error(tool.name, e),
    }
}

/// Runs `work` if the token carries `scope`; otherwise refuses, naming the scope.
async fn scoped(
    user: &TokenUser,
    scope: Scope,
    work: impl Future<Output = AppResult<Value>>,
) -> AppResult<Value> {
    api_tokens::require(&user.token, scope)?;
    work.await
}

/// A product refusal is the tool's result, marked as an error, with the message a person
/// would see; a failure on our side is a JSON-RPC internal error with the generic message.
fn tool_error(tool: &str, e: AppError) -> Result<Value, RpcError> {
    let text = match &e {
        AppError::Store(StoreError::NotFound | StoreError::Conflict) => e.public_message(),
        AppError::Store(_) | AppError::Internal(_) => {
            tracing::error!(error = ?e, tool, "MCP tool failed");
            return Err(RpcError::new(INTERNAL_ERROR, e.public_message()));
        }
        AppError::NotFound => {
            "Not found: that id is not one of yours. list_profiles shows your profiles' ids."
                .to_owned()
        }
        AppError::Validation { message, fields } => {
            let mut text = message.clone();
            for (field, problem) in fields {
                if !message.contains(problem.as_str()) {
                    text.push_str(&format!("\n- {field}: {problem}"));
                }
            }
            text
        }
        other => other.public_message(),
    };
    Ok(json!({"content": [{"type": "text", "text": text}], "isError": true}))
}

async fn list_profiles(state: &WebState, auth: &crate::auth::CurrentUser) -> AppResult<Value> {
    let profiles = crate::services::profiles::list(state, auth).await?;
    Ok(json!({"profiles": profiles}))
}

async fn get_analytics(
    state: &WebState,
    auth: &crate::auth::CurrentUser,
    a: AnalyticsArgs,
) -> AppResult<Value> {
    let scope = an::Scope::open(state, auth, &a.profile_id).await?;
    let period = PeriodQuery {
        period: a.period,
        from: a.from,
        to: a.to,
    };
    let report = overview::report(&scope, &period).await?;
    let mut v: Value = serde_json::from_slice(&report.api_json()).map_err(anyhow::Error::from)?;
    let top = explorer::explore(
        &scope,
        &ExplorerQuery {
            period,
            sort: Some("views".into()),
            order: Some("desc".into()),
            per_page: Some("5".into()),
            ..Default::default()
        },
    )
    .await?;
    v["profile_id"] = json!(a.profile_id);
    v["top_posts"] = json!(top.rows);
    Ok(v)
}

async fn list_posts(
    state: &WebState,
    auth: &crate::auth::CurrentUser,
    a: PostsArgs,
    wanted: Option<PostState>,
) -> AppResult<Value> {
    if let Some(id) = &a.profile_id {
        crate::services::profiles::get(state, auth, id).await?;
    }
    let limit = a.limit.unwrap_or(50);
    let mut out = Vec::new();
    for p in state.store.planned_posts_of(&auth.user.id, None).await? {
        let mine = a.profile_id.as_ref().is_none_or(|id| *id == p.profile_id);
        if mine && wanted.is_none_or(|s| s == p.state) {
            out.push(posts::view(state, auth, &p).await?);
            if out.len() == limit {
                break;
            }
        }
    }
    Ok(json!({"posts": out}))
}

async fn schedule_post(
    state: &WebState,
    auth: &crate::auth::CurrentUser,
    a: ScheduleArgs,
) -> AppResult<Value> {
    let when = a.when.as_deref().map(str::trim).unwrap_or("queue");
    let (action, local_time) = if when.is_empty() || when.eq_ignore_ascii_case("queue") {
        ("queue", None)
    } else {
        ("schedule", Some(when.to_owned()))
    };
    let input = PostInput {
        profile_id: a.profile_id,
        content: Composition {
            parts: vec![Part {
                text: a.text,
                ..Default::default()
            }],
            topic_tag: a.topic_tag,
            ..Default::default()
        },
        action: Some(action.to_owned()),
        local_time,
    };
    let view = posts::create(state, auth, input).await?;
    Ok(serde_json::to_value(view).map_err(anyhow::Error::from)?)
}

async fn get_strategy_findings(
    state: &WebState,
    auth: &crate::auth::CurrentUser,
    a: ProfileArgs,
) -> AppResult<Value> {
    let report = crate::strategy::service::strategy(state, auth, &a.profile_id).await?;
    Ok(serde_json::to_value(report).map_err(anyhow::Error::from)?)
}
