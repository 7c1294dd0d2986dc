//! Publishing API: preflight, planned posts (drafts, schedule, queue, cancel, duplicate, retry),
//! uploads, posting slots and the publishing quota.

use crate::http::query::ApiQuery;
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::registry::{Endpoint, integer, object, string};
use crate::domain::{PostId, ProfileId};
use crate::http::error::{AppError, AppResult};
use crate::http::json::{ApiJson, ApiJsonList};
use crate::http::session::AuthUser;
use crate::http::state::WebState;
use crate::publishing::compose::Composition;
use crate::publishing::followups::{self, AutoPlug};
use crate::publishing::service::{self, PostInput, PostView};
use crate::publishing::{UploadId, media, suggest, when};

const TAG: &str = "publishing";

#[path = "publishing_schemas.rs"]
pub(super) mod schemas;
use schemas::{
    composition_schema, input_schema, post_schema, slots_schema, suggestions_schema, upload_schema,
};

pub fn endpoints() -> Vec<Endpoint> {
    let post = || Some(post_schema());
    vec![
        Endpoint::new(Method::POST, "/api/v1/publishing/preflight", "Checks a post against every Threads rule and counts characters as Threads does", preflight)
            .tag(TAG)
            .authenticated()
            .body(composition_schema())
            .response(200, "Problems by field (empty when publishable) and counts per part", Some(object(&[("ok", json!({"type": "boolean"})), ("kind", string()), ("problems", json!({"type": "object"})), ("counts", json!({"type": "array"}))], &["ok", "problems", "counts"]))),
        Endpoint::new(Method::GET, "/api/v1/publishing/posts", "Planned posts, optionally only those scheduled between from and to", list_posts)
            .tag(TAG)
            .authenticated()
            .query("from", integer(), "Scheduled at or after (Unix seconds); with to")
            .query("to", integer(), "Scheduled before (Unix seconds); with from")
            .response(200, "Posts, soonest first", Some(json!({"type": "array", "items": post_schema()}))),
        Endpoint::new(Method::POST, "/api/v1/publishing/posts", "Creates a draft, schedules at a local time, or queues into the next free posting slot", create_post)
            .tag(TAG)
            .authenticated()
            .body(input_schema())
            .response(201, "The post", post()),
        h_route(Method::GET, "/api/v1/publishing/posts/{id}", "One post with its ledger", get_post)
            .response(200, "The post and its timeline", post()),
        h_route(Method::PUT, "/api/v1/publishing/posts/{id}", "Replaces a post's content and time (not while it publishes)", update_post)
            .body(input_schema())
            .response(200, "The post", post())
            .response(409, "Publishing or published", None),
        h_route(Method::DELETE, "/api/v1/publishing/posts/{id}", "Deletes a draft, cancelled or failed post", delete_post)
            .response(204, "Deleted", None)
            .response(409, "Only drafts, cancelled and failed posts can be deleted", None),
        h_route(Method::POST, "/api/v1/publishing/posts/{id}/schedule", "Reschedules: {\"action\":\"schedule\",\"local_time\"} or {\"action\":\"queue\"} or {\"action\":\"draft\"}", schedule_post)
            .body(object(&[("action", string()), ("local_time", string())], &["action"]))
            .response(200, "The post", post()),
        h_route(Method::POST, "/api/v1/publishing/posts/{id}/cancel", "Cancels a planned post", cancel_post)
            .response(200, "The post", post()),
        h_route(Method::POST, "/api/v1/publishing/posts/{id}/duplicate", "Copies a post as a new draft", duplicate_post)
            .response(201, "The copy", post()),
        h_route(Method::POST, "/api/v1/publishing/posts/{id}/retry", "Tries a failed post again now", retry_post)
            .response(200, "The post", post())
            .response(409, "The post has not failed", None),
        Endpoint::new(Method::POST, "/api/v1/publishing/media", "Uploads an image (JPEG/PNG, 8 MB) or video (MP4/MOV, 1 GB) as the raw body, streamed to disk", upload_media)
            .tag(TAG)
            .authenticated()
            .query("filename", string(), "The file's name, shown in the composer")
            .response(201, "The stored upload", Some(upload_schema()))
            .response(422, "Not a file Threads accepts, or over its size limit, with the reason", None),
        h_route(Method::GET, "/api/v1/publishing/media/{id}", "One upload", get_media)
            .response(200, "The upload", Some(upload_schema())),
        h_route(Method::GET, "/api/v1/publishing/profiles/{id}/slots", "A profile's weekly posting slots (local time)", get_slots)
            .response(200, "Slots", Some(slots_schema())),
        h_route(Method::PUT, "/api/v1/publishing/profiles/{id}/slots", "Replaces a profile's posting slots, e.g. [{\"day\":\"mon\",\"time\":\"09:00\"}]", put_slots)
            .body(slots_schema())
            .response(200, "Slots", Some(slots_schema())),
        h_route(Method::GET, "/api/v1/profiles/{id}/suggested-times", "The next free times at the weekdays and hours that beat the profile's other posts beyond chance (from its stored history, in the user's zone); when none does, hours its audience is usually active (source audience_active_hours); its posting slots when the history is too thin", get_suggested_times)
            .query("count", json!({"type": "integer", "minimum": 1, "maximum": 20}), "How many times (default 5)")
            .response(200, "Suggested times, soonest first, and where they come from", Some(suggestions_schema())),
        h_route(Method::GET, "/api/v1/publishing/profiles/{id}/auto-plug", "The profile's default auto-plug (null when it has none)", get_auto_plug)
            .response(200, "The rule", Some(json!({"oneOf": [schemas::auto_plug_schema(), {"type": "null"}]}))),
        h_route(Method::PUT, "/api/v1/publishing/profiles/{id}/auto-plug", "Sets the profile's default auto-plug, applied to its posts when they are published (null removes it)", put_auto_plug)
            .body(json!({"oneOf": [schemas::auto_plug_schema(), {"type": "null"}]}))
            .response(200, "The rule", Some(json!({"oneOf": [schemas::auto_plug_schema(), {"type": "null"}]})))
            .response(422, "A field is wrong, named with the reason", None),
        h_route(Method::GET, "/api/v1/publishing/profiles/{id}/quota", "Posts and replies left in the profile's 24-hour Threads quota", get_quota)
            .response(200, "Remaining quota", Some(object(&[("posts_remaining", json!({"type": ["integer", "null"]})), ("posts_total", json!({"type": ["integer", "null"]})), ("replies_remaining", json!({"type": ["integer", "null"]}))], &[]))),
    ]
}

fn h_route<H, T>(method: Method, path: &'static str, summary: &'static str, handler: H) -> Endpoint
where
    H: axum::handler::Handler<T, WebState>,
    T: 'static,
{
    Endpoint::new(method, path, summary, handler)
        .tag(TAG)
        .authenticated()
        .response(404, "Not one of yours", None)
}

async fn preflight(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(c): ApiJson<Composition>,
) -> AppResult<Json<Value>> {
    let (p, kind) = service::preflight(&state, &auth, &c).await?;
    Ok(Json(
        json!({"ok": p.ok(), "kind": kind, "problems": p.problems, "counts": p.counts}),
    ))
}

#[derive(Deserialize)]
struct Range {
    from: Option<i64>,
    to: Option<i64>,
}

async fn list_posts(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiQuery(r): ApiQuery<Range>,
) -> AppResult<Json<Vec<PostView>>> {
    let range = match (r.from, r.to) {
        (Some(f), Some(t)) => Some((f, t)),
        (None, None) => None,
        _ => return Err(AppError::field("to", "Give both from and to, or neither.")),
    };
    let mut out = Vec::new();
    for p in service::planned(&state, &auth, range).await? {
        out.push(service::view(&state, &auth, &p).await?);
    }
    Ok(Json(out))
}

async fn create_post(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(input): ApiJson<PostInput>,
) -> AppResult<(StatusCode, Json<PostView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::create(&state, &auth, input).await?),
    ))
}

async fn get_post(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<PostId>,
) -> AppResult<Json<Value>> {
    let p = service::owned(&state, &auth, &id).await?;
    let mut v = serde_json::to_value(service::view(&state, &auth, &p).await?)
        .map_err(anyhow::Error::from)?;
    v["timeline"] = json!(service::timeline(&state, &auth, &id).await?);
    Ok(Json(v))
}

async fn update_post(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<PostId>,
    ApiJson(input): ApiJson<PostInput>,
) -> AppResult<Json<PostView>> {
    Ok(Json(service::update(&state, &auth, &id, input).await?))
}

async fn delete_post(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<PostId>,
) -> AppResult<StatusCode> {
    service::owned(&state, &auth, &id).await?;
    if service::delete(&state, &auth, &id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::Conflict(
            "Only drafts, cancelled and failed posts can be deleted; cancel it first.".into(),
        ))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleBody {
    action: String,
    #[serde(default)]
    local_time: Option<String>,
}

async fn schedule_post(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<PostId>,
    ApiJson(b): ApiJson<ScheduleBody>,
) -> AppResult<Json<PostView>> {
    Ok(Json(
        service::reschedule(&state, &auth, &id, &b.action, b.local_time.as_deref()).await?,
    ))
}

async fn cancel_post(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<PostId>,
) -> AppResult<Json<PostView>> {
    Ok(Json(service::cancel(&state, &auth, &id).await?))
}

async fn duplicate_post(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<PostId>,
) -> AppResult<(StatusCode, Json<PostView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::duplicate(&state, &auth, &id).await?),
    ))
}

async fn retry_post(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<PostId>,
) -> AppResult<Json<PostView>> {
    Ok(Json(service::retry(&state, &auth, &id).await?))
}

#[derive(Deserialize)]
struct UploadQuery {
    filename: Option<String>,
}

async fn upload_media(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiQuery(q): ApiQuery<UploadQuery>,
    body: Body,
) -> AppResult<(StatusCode, Json<media::Upload>)> {
    // A raw body is not held to the default body limit: the size is checked per kind while
    // the file streams to disk.
    let name = q.filename.unwrap_or_default();
    let stream = body.into_data_stream();
    Ok((
        StatusCode::CREATED,
        Json(media::store_stream(&state, auth.workspace_id(), &name, stream).await?),
    ))
}

async fn get_media(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<UploadId>,
) -> AppResult<Json<media::Upload>> {
    media::get(&state, auth.workspace_id(), &id)
        .await?
        .map(Json)
        .ok_or(AppError::NotFound)
}

async fn owned_profile(
    state: &WebState,
    auth: &AuthUser,
    id: &ProfileId,
) -> AppResult<crate::store::profiles::ProfileRecord> {
    crate::publishing::profile_of(state, auth.workspace_id(), id)
        .await?
        .ok_or(AppError::NotFound)
}

fn slots_json(slots: &[when::Slot]) -> Value {
    json!(
        slots
            .iter()
            .map(|s| json!({"day": s.day_name(), "time": s.time()}))
            .collect::<Vec<_>>()
    )
}

async fn get_auto_plug(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<ProfileId>,
) -> AppResult<Json<Option<AutoPlug>>> {
    owned_profile(&state, &auth, &id).await?;
    Ok(Json(
        followups::default_rule(&state, auth.workspace_id(), &id).await?,
    ))
}

async fn put_auto_plug(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<ProfileId>,
    ApiJson(rule): ApiJson<Option<AutoPlug>>,
) -> AppResult<Json<Option<AutoPlug>>> {
    owned_profile(&state, &auth, &id).await?;
    followups::save_default(&state, auth.workspace_id(), &id, rule.as_ref()).await?;
    Ok(Json(rule))
}

async fn get_slots(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<ProfileId>,
) -> AppResult<Json<Value>> {
    owned_profile(&state, &auth, &id).await?;
    Ok(Json(slots_json(
        &crate::publishing::slots(&state, &id).await?,
    )))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SlotBody {
    day: String,
    time: String,
}

async fn put_slots(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<ProfileId>,
    ApiJsonList(body): ApiJsonList<SlotBody>,
) -> AppResult<Json<Value>> {
    owned_profile(&state, &auth, &id).await?;
    let mut slots = Vec::new();
    for (i, s) in body.iter().enumerate() {
        let slot = when::Slot::parse(&s.day, &s.time).ok_or_else(|| {
            AppError::field(
                &format!("[{i}]"),
                format!(
                    "\"{} {}\" is not a weekday (mon-sun) and a time like 09:00.",
                    s.day, s.time
                ),
            )
        })?;
        slots.push((i64::from(slot.weekday), i64::from(slot.minute)));
    }
    crate::publishing::set_slots(&state, &id, &slots).await?;
    Ok(Json(slots_json(
        &crate::publishing::slots(&state, &id).await?,
    )))
}

#[derive(Deserialize)]
struct CountQuery {
    count: Option<usize>,
}

async fn get_suggested_times(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<ProfileId>,
    ApiQuery(q): ApiQuery<CountQuery>,
) -> AppResult<Json<suggest::Suggestions>> {
    let count = q.count.unwrap_or(5);
    if !(1..=20).contains(&count) {
        return Err(AppError::field("count", "Ask for 1 to 20 times."));
    }
    Ok(Json(
        suggest::suggested_times(&state, &auth, &id, count).await?,
    ))
}

async fn get_quota(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<ProfileId>,
) -> AppResult<Json<Value>> {
    let profile = owned_profile(&state, &auth, &id).await?;
    Ok(Json(crate::publishing::quota(&state, &profile).await?))
}
