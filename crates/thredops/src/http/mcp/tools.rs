//! The MCP tools: what each does, the scope it needs, its input schema, and the call into the
//! same product functions the JSON API uses.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use super::{INTERNAL_ERROR, INVALID_PARAMS, RpcError};
use crate::analytics::explorer::{self, ExplorerQuery};
use crate::analytics::period::PeriodQuery;
use crate::analytics::{self as an, overview};
use crate::api_tokens::{self, Scope};
use crate::domain::Need;
use crate::error::{AppError, AppResult};
use crate::http::session::TokenUser;
use crate::http::state::WebState;
use crate::publishing::PostState;
use crate::publishing::compose::{Composition, Part};
use crate::publishing::service::{self as posts, PostInput};
use crate::store::StoreError;

/// Posts listed at most by `list_posts`.
const MAX_POSTS: usize = 200;

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

pub(super) fn tools() -> Vec<Value> {
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
    profile_id: crate::domain::ProfileId,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnalyticsArgs {
    profile_id: crate::domain::ProfileId,
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

pub(super) async fn call(
    state: &WebState,
    user: &TokenUser,
    params: Value,
) -> Result<Value, RpcError> {
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
    // Writing posts is an editor's work; reading needs a role that reads.
    let need = if scope == Scope::PostsWrite {
        Need::Edit
    } else {
        Need::View
    };
    user.auth.require(need)?;
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
        crate::services::profiles::get(state, auth, &crate::domain::ProfileId::from(id.as_str()))
            .await?;
    }
    let limit = a.limit.unwrap_or(50);
    let mut out = Vec::new();
    for p in crate::publishing::service::planned(state, auth, None).await? {
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
