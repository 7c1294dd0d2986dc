//! HTTP routes: Graph endpoints (versioned and unversioned), OAuth, and the admin API.

mod admin;
mod consent;
mod fallback;
mod insights;
mod locations;
mod media;
mod mentions;
mod oauth;
mod profiles;
mod public_list;
mod publish;
mod replies;
mod search;

use axum::Router;
use axum::middleware::from_fn_with_state;
use axum::routing::{get, post};

use crate::errors::{ApiError, ApiResult};
use crate::ids::encode_cursor;
use crate::params::Params;
use crate::{Caller, Sandbox};

/// Earliest `since` accepted on listings (Threads' API launch).
pub const LIST_SINCE_FLOOR: i64 = 1_688_540_400;

pub fn router(sandbox: Sandbox) -> Router {
    let graph: Router<Sandbox> = Router::new()
        .route("/oauth/access_token", post(oauth::exchange_code))
        .route("/access_token", get(oauth::exchange_long_lived))
        .route("/refresh_access_token", get(oauth::refresh))
        .route("/keyword_search", get(search::keyword_search))
        .route("/location_search", get(locations::location_search))
        .route("/profile_lookup", get(profiles::profile_lookup))
        .route("/profile_posts", get(profiles::profile_posts))
        .route("/{id}", get(media::get_object).delete(media::delete_object))
        .route(
            "/{id}/threads",
            get(media::list_threads).post(publish::create_container),
        )
        .route("/{id}/threads_publish", post(publish::publish))
        .route(
            "/{id}/threads_publishing_limit",
            get(publish::publishing_limit),
        )
        .route("/{id}/threads_insights", get(insights::user_insights))
        .route("/{id}/insights", get(insights::media_insights))
        .route("/{id}/replies", get(replies::list_replies))
        .route("/{id}/mentions", get(mentions::list_mentions))
        .route("/{id}/conversation", get(replies::conversation))
        .route("/{id}/manage_reply", post(replies::manage_reply))
        .route("/{id}/repost", post(publish::repost))
        .method_not_allowed_fallback(fallback::wrong_method)
        .route_layer(from_fn_with_state(
            sandbox.clone(),
            crate::faults::middleware,
        ));
    Router::new()
        .merge(graph.clone())
        .nest("/v1.0", graph)
        .route("/oauth/authorize", get(consent::show).post(consent::decide))
        .route("/oauth/consent.css", get(consent::stylesheet))
        .nest("/_sandbox", admin::router())
        .fallback(fallback::unknown_path)
        .with_state(sandbox)
}

/// The `{user-id}` segment must be `me` or the caller's own id.
fn own_user(caller: &Caller, id: &str) -> ApiResult<()> {
    if id == "me" || id == caller.token.user_id.to_string() {
        Ok(())
    } else {
        Err(ApiError::unknown_object(id))
    }
}

/// `limit`: default 25, at most 100.
fn parse_limit(params: &Params) -> ApiResult<usize> {
    match params.get("limit") {
        None => Ok(25),
        Some(raw) => match raw.parse::<usize>() {
            Ok(n) if (1..=100).contains(&n) => Ok(n),
            Ok(n) if n > 100 => Err(ApiError::invalid_param(
                "The limit parameter cannot exceed 100",
            )),
            _ => Err(ApiError::invalid_param(
                "Param limit must be a positive integer",
            )),
        },
    }
}

/// A `since`/`until` value: anything [`strtotime`](crate::strtotime) reads.
fn parse_time(name: &str, raw: &str, now: i64) -> ApiResult<i64> {
    crate::strtotime::parse(raw, now).ok_or_else(|| {
        ApiError::invalid_param(format!(
            "Param {name} must be a unix timestamp or a strtotime-parseable time"
        ))
    })
}

/// The optional `since`/`until` pair, with `since < until` when both are given.
fn time_range(params: &Params, now: i64) -> ApiResult<(Option<i64>, Option<i64>)> {
    let since = params
        .get("since")
        .map(|s| parse_time("since", s, now))
        .transpose()?;
    let until = params
        .get("until")
        .map(|s| parse_time("until", s, now))
        .transpose()?;
    if let (Some(s), Some(u)) = (since, until)
        && s >= u
    {
        return Err(ApiError::invalid_param(
            "Param since must be earlier than until",
        ));
    }
    Ok((since, until))
}

/// `since`/`until` on listings, held to the reference's bound
/// `1688540400 <= since < until <= now`; a missing `until` stands for now. A future `until`
/// is refused as Meta refuses it, not clamped, so a client that sends one finds out here.
fn list_range(params: &Params, now: i64) -> ApiResult<(Option<i64>, Option<i64>)> {
    let (since, until) = time_range(params, now)?;
    if since.is_some_and(|s| s < LIST_SINCE_FLOOR) {
        return Err(ApiError::invalid_param(format!(
            "Param since must be at or after {LIST_SINCE_FLOOR}"
        )));
    }
    if until.is_some_and(|u| u > now) {
        return Err(ApiError::invalid_param(
            "Param until must not be later than the current time",
        ));
    }
    if since.is_some_and(|s| s >= until.unwrap_or(now)) {
        return Err(ApiError::invalid_param(
            "Param since must be earlier than until and the current time",
        ));
    }
    Ok((since, until))
}

/// `before` and `after` cursors (never both).
fn cursors(params: &Params) -> ApiResult<(Option<String>, Option<String>)> {
    let before = params.get("before").map(str::to_owned);
    let after = params.get("after").map(str::to_owned);
    if before.is_some() && after.is_some() {
        return Err(ApiError::invalid_param(
            "Only one of before and after may be given",
        ));
    }
    Ok((before, after))
}

/// For a list the client pages by position (replies, public posts): the items `start..end` of
/// `len` that `limit` and the `before`/`after` cursors select.
fn window(params: &Params, len: usize) -> ApiResult<(usize, usize)> {
    let limit = parse_limit(params)?;
    let (before, after) = cursors(params)?;
    let decode = |c: &str| {
        crate::ids::decode_cursor(c).ok_or_else(|| ApiError::invalid_param("Invalid cursor"))
    };
    Ok(match (before, after) {
        (Some(b), _) => {
            let b = decode(&b)?.min(len);
            (b.saturating_sub(limit), b)
        }
        (_, Some(a)) => {
            let a = (decode(&a)? + 1).min(len);
            (a, (a + limit).min(len))
        }
        _ => (0, limit.min(len)),
    })
}

/// The answer for the rendered items `start..end` of a `len`-item list paged by position:
/// `data`, with `paging` unless the page is empty.
fn positional_page(
    sandbox: &Sandbox,
    params: &Params,
    path: &str,
    data: Vec<serde_json::Value>,
    (start, end): (usize, usize),
    len: usize,
) -> axum::Json<serde_json::Value> {
    if data.is_empty() {
        return axum::Json(serde_json::json!({"data": []}));
    }
    let paging = paging(sandbox, params, path, start, end - 1, end < len, start > 0);
    axum::Json(serde_json::json!({"data": data, "paging": paging}))
}

/// Builds `paging` for a page whose first and last items have cursor positions
/// `first`/`last`; `next`/`previous` are omitted when there is nothing in that direction.
fn paging(
    sandbox: &Sandbox,
    params: &Params,
    path: &str,
    first: usize,
    last: usize,
    has_older: bool,
    has_newer: bool,
) -> serde_json::Value {
    let base = sandbox.base_url(params);
    let url = |key: &str, cursor: &str| {
        let mut pairs: Vec<(&str, &str)> = params
            .without_token()
            .filter(|(k, _)| k != "before" && k != "after")
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if let Some(t) = params.get("access_token") {
            pairs.push(("access_token", t));
        }
        pairs.push((key, cursor));
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        format!("{base}/v1.0/{path}?{query}")
    };
    let (before, after) = (encode_cursor(first), encode_cursor(last));
    let mut out = serde_json::json!({"cursors": {"before": before, "after": after}});
    if has_older {
        out["next"] = url("after", &after).into();
    }
    if has_newer {
        out["previous"] = url("before", &before).into();
    }
    out
}
