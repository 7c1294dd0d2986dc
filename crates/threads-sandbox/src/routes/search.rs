//! `GET /keyword_search` (§3.3): search over other people's public posts.

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use super::{list_range, parse_limit};
use crate::Sandbox;
use crate::errors::{ApiError, ApiResult};
use crate::params::Params;
use crate::public::quota::{Action, KEYWORD_SEARCHES};
use crate::public::{PublicPost, PublicProfile, render};
use crate::world::publish::quota_error;
use crate::world::render::{MEDIA_FIELDS, parse_fields};

/// `search_type`: most-liked first, or newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SearchType {
    Top,
    Recent,
}

/// `search_mode`: match the text, or the topic tag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SearchMode {
    Keyword,
    Tag,
}

/// The parsed query; every value is checked before any search runs.
struct Query {
    q: String,
    kind: SearchType,
    mode: SearchMode,
    media_type: Option<&'static str>,
    author: Option<String>,
    since: Option<i64>,
    until: Option<i64>,
    limit: usize,
}

fn one_of<T: Copy>(params: &Params, name: &str, default: T, map: &[(&str, T)]) -> ApiResult<T> {
    let Some(raw) = params.get(name) else {
        return Ok(default);
    };
    map.iter()
        .find(|(k, _)| *k == raw)
        .map(|(_, v)| *v)
        .ok_or_else(|| {
            let names: Vec<&str> = map.iter().map(|(k, _)| *k).collect();
            ApiError::invalid_param(format!(
                "Param {name} must be one of {{{}}}",
                names.join(", ")
            ))
        })
}

fn parse(params: &Params, now: i64) -> ApiResult<Query> {
    let q = params
        .get("q")
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .ok_or_else(|| ApiError::invalid_param("The parameter q is required"))?;
    let kind = one_of(
        params,
        "search_type",
        SearchType::Top,
        &[("TOP", SearchType::Top), ("RECENT", SearchType::Recent)],
    )?;
    let mode = one_of(
        params,
        "search_mode",
        SearchMode::Keyword,
        &[("KEYWORD", SearchMode::Keyword), ("TAG", SearchMode::Tag)],
    )?;
    // The query side says TEXT; posts read back as TEXT_POST.
    let media_type = params
        .get("media_type")
        .map(|_| {
            one_of(
                params,
                "media_type",
                "TEXT_POST",
                &[
                    ("TEXT", "TEXT_POST"),
                    ("IMAGE", "IMAGE"),
                    ("VIDEO", "VIDEO"),
                ],
            )
        })
        .transpose()?;
    let (since, until) = list_range(params, now)?;
    Ok(Query {
        q: q.to_lowercase(),
        kind,
        mode,
        media_type,
        author: params.get("author_username").map(str::to_lowercase),
        since,
        until,
        limit: parse_limit(params)?,
    })
}

impl Query {
    fn matches(&self, author: &PublicProfile, post: &PublicPost) -> bool {
        let hit = match self.mode {
            SearchMode::Keyword => post.text.to_lowercase().contains(&self.q),
            // A tag search may be written with or without its `#`.
            SearchMode::Tag => post
                .topic_tag
                .as_deref()
                .is_some_and(|t| t.eq_ignore_ascii_case(self.q.trim_start_matches('#'))),
        };
        hit && self.media_type.is_none_or(|m| m == post.media_type)
            && self
                .author
                .as_deref()
                .is_none_or(|a| a == author.username.to_lowercase())
            && self.since.is_none_or(|s| post.ts >= s)
            && self.until.is_none_or(|u| post.ts < u)
    }
}

/// `GET /keyword_search?q&search_type&search_mode&media_type[&author_username][&since&until&limit]`.
pub async fn keyword_search(State(sb): State<Sandbox>, params: Params) -> ApiResult<Json<Value>> {
    let caller = sb.authorize(&params, "threads_keyword_search")?;
    let now = sb.clock().now_ts();
    let query = parse(&params, now)?;
    let fields = parse_fields(params.get("fields"));
    // Unknown fields are refused even when nothing matches, as on every other read.
    if let Some(bad) = fields.iter().find(|f| !MEDIA_FIELDS.contains(&f.as_str())) {
        return Err(ApiError::nonexisting_field(bad));
    }
    let world = sb.public_world();
    let mut hits: Vec<_> = world
        .posts_at(now)
        .filter(|(a, p)| query.matches(a, p))
        .collect();
    match query.kind {
        SearchType::Top => {
            hits.sort_by_key(|(_, p)| (std::cmp::Reverse(p.likes), std::cmp::Reverse(p.ts)))
        }
        SearchType::Recent => hits.sort_by_key(|(_, p)| (std::cmp::Reverse(p.ts), p.id)),
    }
    hits.truncate(query.limit);
    let data = hits
        .iter()
        .map(|(a, p)| render::post(a, p, &fields).map(Value::Object))
        .collect::<ApiResult<Vec<_>>>()?;
    // Queries with no results do not count against the 2,200 (§3.3).
    if !data.is_empty() {
        let user = caller.token.user_id;
        let mut quota = sb.discovery_quota();
        if !quota.allows(user, Action::KeywordSearch, now) {
            return Err(quota_error("Keyword search", KEYWORD_SEARCHES as u64));
        }
        quota.record(user, Action::KeywordSearch, now);
    }
    Ok(Json(json!({ "data": data })))
}
