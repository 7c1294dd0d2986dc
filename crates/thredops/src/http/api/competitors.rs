//! Competitor benchmarks and listening API: track public profiles and compare them with one of
//! your profiles; save keyword or topic-tag searches and read what they found.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::registry::{Endpoint, boolean, integer, nullable, object, one_of, string};
use crate::competitors::{self, Benchmark, CompetitorInput, CompetitorView};
use crate::http::error::AppResult;
use crate::http::json::ApiJson;
use crate::http::session::AuthUser;
use crate::http::state::WebState;
use crate::listening::{self, SearchInput, SearchResults, SearchView};

fn route<H, T>(
    method: Method,
    path: &'static str,
    summary: &'static str,
    handler: H,
    tag: &'static str,
) -> Endpoint
where
    H: axum::handler::Handler<T, WebState>,
    T: 'static,
{
    Endpoint::new(method, path, summary, handler)
        .tag(tag)
        .authenticated()
}

fn number() -> Value {
    json!({"type": "number"})
}

fn status() -> Value {
    nullable(one_of(&["ok", "waiting", "error"]))
}

fn competitor_schema() -> Value {
    object(
        &[
            ("id", string()),
            ("profile_id", string()),
            ("username", string()),
            ("name", nullable(string())),
            ("is_verified", boolean()),
            ("followers", nullable(integer())),
            ("snapshots", integer()),
            ("posts_stored", integer()),
            ("last_run_at", nullable(integer())),
            ("last_status", status()),
            ("last_calls", integer()),
            ("last_result", string()),
        ],
        &[
            "id",
            "profile_id",
            "username",
            "snapshots",
            "posts_stored",
            "last_result",
        ],
    )
}

fn benchmark_schema() -> Value {
    let row = object(
        &[
            ("who", string()),
            ("own", boolean()),
            ("followers", nullable(integer())),
            ("growth", nullable(integer())),
            ("growth_rate", nullable(number())),
            ("posts_per_week", number()),
            (
                "formats",
                json!({"type": "object", "additionalProperties": {"type": "number"}, "description": "Share of each format in percent: text, image, video, carousel, other"}),
            ),
            ("engagement_per_post", nullable(number())),
        ],
        &["who", "own", "posts_per_week", "formats"],
    );
    object(
        &[
            ("profile_id", string()),
            ("discovery_allowed", boolean()),
            ("discovery_reason", string()),
            (
                "limit",
                json!({"type": ["integer", "null"], "description": "null = unlimited"}),
            ),
            ("used", integer()),
            ("plan", string()),
            (
                "competitors",
                json!({"type": "array", "items": competitor_schema()}),
            ),
            (
                "comparison",
                json!({"type": "array", "items": row, "description": "Your profile first, then each competitor"}),
            ),
        ],
        &[
            "profile_id",
            "discovery_allowed",
            "used",
            "competitors",
            "comparison",
        ],
    )
}

fn search_schema() -> Value {
    object(
        &[
            ("id", string()),
            ("profile_id", string()),
            ("query", string()),
            ("mode", one_of(&["keyword", "tag"])),
            ("matches", integer()),
            ("last_run_at", nullable(integer())),
            ("last_status", status()),
            ("last_new", integer()),
            ("last_result", string()),
        ],
        &[
            "id",
            "profile_id",
            "query",
            "mode",
            "matches",
            "last_result",
        ],
    )
}

fn results_schema() -> Value {
    let found = object(
        &[
            ("media_id", string()),
            ("username", nullable(string())),
            ("text", nullable(string())),
            ("permalink", nullable(string())),
            ("media_type", string()),
            ("posted_at", integer()),
            (
                "reply_url",
                json!({"type": "string", "description": "The composer, opened as a reply to this post"}),
            ),
        ],
        &["media_id", "media_type", "posted_at", "reply_url"],
    );
    let day = object(
        &[("day", string()), ("matches", integer())],
        &["day", "matches"],
    );
    object(
        &[
            ("search", search_schema()),
            (
                "matches",
                json!({"type": "array", "items": found, "description": "Newest first"}),
            ),
            (
                "volume",
                json!({"type": "array", "items": day, "description": "Matches per day over the last 14 days"}),
            ),
        ],
        &["search", "matches", "volume"],
    )
}

pub fn endpoints() -> Vec<Endpoint> {
    const C: &str = "competitors";
    const L: &str = "listening";
    vec![
        route(Method::GET, "/api/v1/competitors", "Every public profile you track, with its last daily snapshot", list_competitors, C)
            .response(200, "Competitors", Some(json!({"type": "array", "items": competitor_schema()}))),
        route(Method::POST, "/api/v1/competitors", "Tracks a public profile (18+, 1,000+ followers) against one of your profiles: looked up now, then snapshotted daily", add_competitor, C)
            .body(object(&[("profile_id", string()), ("username", json!({"type": "string", "description": "Threads username, with or without @"}))], &["profile_id", "username"]))
            .response(201, "The competitor", Some(competitor_schema()))
            .plan_limited("Your plan's competitor limit is reached"),
        route(Method::DELETE, "/api/v1/competitors/{id}", "Stops tracking a competitor and deletes its snapshots and posts", remove_competitor, C)
            .response(204, "Deleted", None)
            .response(404, "Not one of yours", None),
        route(Method::GET, "/api/v1/profiles/{id}/benchmark", "Growth, posts per week, formats and engagement per post of your profile and its competitors", benchmark, C)
            .response(200, "The benchmark", Some(benchmark_schema()))
            .response(404, "Not one of your profiles", None),
        route(Method::GET, "/api/v1/listening/searches", "Your saved keyword and topic-tag searches with their last run", list_searches, L)
            .response(200, "Saved searches", Some(json!({"type": "array", "items": search_schema()}))),
        route(Method::POST, "/api/v1/listening/searches", "Saves a keyword or topic-tag search, run now and then every hour for new public posts", add_search, L)
            .body(object(&[("profile_id", string()), ("query", string()), ("mode", one_of(&["keyword", "tag"]))], &["profile_id", "query"]))
            .response(201, "The search", Some(search_schema())),
        route(Method::DELETE, "/api/v1/listening/searches/{id}", "Removes a saved search and the posts it found", remove_search, L)
            .response(204, "Deleted", None)
            .response(404, "Not one of yours", None),
        route(Method::GET, "/api/v1/listening/searches/{id}/matches", "The newest posts a search found and their volume per day", search_results, L)
            .response(200, "Matches", Some(results_schema()))
            .response(404, "Not one of yours", None),
    ]
}

async fn list_competitors(
    State(state): State<WebState>,
    auth: AuthUser,
) -> AppResult<Json<Vec<CompetitorView>>> {
    Ok(Json(competitors::list(&state, &auth).await?))
}

async fn add_competitor(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(input): ApiJson<CompetitorInput>,
) -> AppResult<(StatusCode, Json<CompetitorView>)> {
    Ok((
        StatusCode::CREATED,
        Json(competitors::add(&state, &auth, input).await?),
    ))
}

async fn remove_competitor(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::competitors::CompetitorId>,
) -> AppResult<StatusCode> {
    competitors::remove(&state, &auth, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn benchmark(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::domain::ProfileId>,
) -> AppResult<Json<Benchmark>> {
    Ok(Json(competitors::benchmark(&state, &auth, &id).await?))
}

async fn list_searches(
    State(state): State<WebState>,
    auth: AuthUser,
) -> AppResult<Json<Vec<SearchView>>> {
    Ok(Json(listening::list(&state, &auth).await?))
}

async fn add_search(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(input): ApiJson<SearchInput>,
) -> AppResult<(StatusCode, Json<SearchView>)> {
    Ok((
        StatusCode::CREATED,
        Json(listening::add(&state, &auth, input).await?),
    ))
}

async fn remove_search(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::listening::SearchId>,
) -> AppResult<StatusCode> {
    listening::remove(&state, &auth, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn search_results(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::listening::SearchId>,
) -> AppResult<Json<SearchResults>> {
    Ok(Json(listening::results(&state, &auth, &id).await?))
}
