//! Schedule pages: the month and week calendar, the composer, a post with its ledger and
//! actions, posting slots, the hosted media URLs and the page script.

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::{Datelike, Duration, NaiveDate, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use super::account::CsrfForm;
use super::app::{base, merge};
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::publishing::service::{self, user_zone};
use crate::publishing::{media, when};
use tokio_util::io::ReaderStream;

#[path = "publishing_compose.rs"]
mod compose;

/// Templates of these pages, embedded in the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "publishing/calendar.html",
        include_str!("../../../web/templates/publishing/calendar.html"),
    ),
    (
        "publishing/compose.html",
        include_str!("../../../web/templates/publishing/compose.html"),
    ),
    (
        "publishing/post.html",
        include_str!("../../../web/templates/publishing/post.html"),
    ),
];

const SCRIPT: &str = include_str!("../../../web/static/publishing.js");

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/app/schedule", get(calendar))
        .route("/app/schedule/acknowledge", post(acknowledge))
        .route("/app/schedule/slots/{profile}", post(save_slots))
        // Composer posts may carry files (streamed to disk, each held to its own limit).
        .route(
            "/app/schedule/new",
            get(compose::new_form)
                .post(compose::create)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/app/schedule/posts/{id}", get(detail))
        .route(
            "/app/schedule/posts/{id}/edit",
            get(compose::edit_form)
                .post(compose::update)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/app/schedule/posts/{id}/{action}", post(act))
        .route("/media/{token}/{name}", get(hosted_media))
        .route("/app/schedule/media/{id}", get(compose::own_media))
        .route("/static/publishing.js", get(script))
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SCRIPT,
    )
        .into_response()
}

/// Serves an upload while its URL is live; anything else is a plain 404.
async fn hosted_media(
    State(state): State<WebState>,
    Path((token, _name)): Path<(String, String)>,
) -> AppResult<Response> {
    let token: String = token.chars().take(64).collect();
    match media::serve(&state, &token).await? {
        Some(hosted) => Ok(stream_upload(hosted, "private, no-store")),
        None => Ok((StatusCode::NOT_FOUND, "Not found").into_response()),
    }
}

/// An upload's bytes, streamed from disk.
fn stream_upload(hosted: media::Hosted, cache: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, hosted.content_type),
            (header::CONTENT_LENGTH, hosted.bytes.to_string()),
            (header::CACHE_CONTROL, cache.to_owned()),
        ],
        Body::from_stream(ReaderStream::new(hosted.file)),
    )
        .into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CalendarQuery {
    view: Option<String>,
    date: Option<String>,
    done: Option<String>,
}

/// Short text of a post for the calendar.
pub(super) fn preview(c: &crate::publishing::compose::Composition) -> String {
    let text = c.parts.first().map(|p| p.text.trim()).unwrap_or("");
    let mut out: String = text.chars().take(60).collect();
    if text.chars().count() > 60 {
        out.push('…');
    }
    if out.is_empty() {
        "(media only)".into()
    } else {
        out
    }
}

async fn calendar(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(q): Query<CalendarQuery>,
) -> AppResult<Html<String>> {
    let tz = user_zone(&auth);
    let today = Utc::now().with_timezone(&tz).date_naive();
    let anchor = q
        .date
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .unwrap_or(today);
    let week_view = q.view.as_deref() == Some("week");
    let (first, last, prev, next, title) = if week_view {
        let start = when::week_start(anchor);
        (
            start,
            start + Duration::days(6),
            start - Duration::days(7),
            start + Duration::days(7),
            format!("Week of {}", start.format("%-d %B %Y")),
        )
    } else {
        let month = anchor.with_day(1).unwrap_or(anchor);
        let next_month = (month + Duration::days(32)).with_day(1).unwrap_or(month);
        let prev_month = (month - Duration::days(1)).with_day(1).unwrap_or(month);
        let end = next_month - Duration::days(1);
        (
            when::week_start(month),
            when::week_start(end) + Duration::days(6),
            prev_month,
            next_month,
            month.format("%B %Y").to_string(),
        )
    };
    let start_utc = when::to_utc(first.and_hms_opt(0, 0, 0).unwrap_or_default(), tz).timestamp();
    let end_utc = when::to_utc(
        (last + Duration::days(1))
            .and_hms_opt(0, 0, 0)
            .unwrap_or_default(),
        tz,
    )
    .timestamp();
    let mut by_day: std::collections::BTreeMap<NaiveDate, Vec<Value>> = Default::default();
    for p in state
        .store
        .planned_posts_of(&auth.user.id, Some((start_utc, end_utc)))
        .await?
    {
        let Some(at) = p
            .scheduled_at
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        else {
            continue;
        };
        let local = at.with_timezone(&tz);
        let content = service::open(&state, &p).await?;
        by_day.entry(local.date_naive()).or_default().push(json!({
            "id": p.id, "time": local.format("%H:%M").to_string(), "state": p.state, "kind": p.kind, "preview": preview(&content),
        }));
    }
    let mut weeks = Vec::new();
    let mut day = first;
    while day <= last {
        let mut cells = Vec::new();
        for _ in 0..7 {
            cells.push(json!({
                "date": day.format("%Y-%m-%d").to_string(), "label": day.format("%a %-d %b").to_string(), "day": day.day(),
                "outside": !week_view && day.month() != anchor.month(), "today": day == today,
                "weekend": when::is_weekend(day.weekday()), "posts": by_day.remove(&day).unwrap_or_default(),
            }));
            day += Duration::days(1);
        }
        weeks.push(cells);
    }
    let mut drafts = Vec::new();
    let mut failed = 0;
    for p in state.store.planned_posts_of(&auth.user.id, None).await? {
        if p.state == crate::publishing::PostState::Failed && !p.acknowledged {
            failed += 1;
        }
        if p.scheduled_at.is_none() {
            let content = service::open(&state, &p).await?;
            drafts.push(
                json!({"id": p.id, "preview": preview(&content), "kind": p.kind, "state": p.state}),
            );
        }
    }
    let mut profiles = Vec::new();
    for prof in state.store.profiles_of(&auth.user.id).await? {
        let slots = crate::publishing::slots(&state, &prof.id).await?;
        let text: Vec<String> = slots
            .iter()
            .map(|s| format!("{} {}", s.day_name(), s.time()))
            .collect();
        profiles.push(json!({"id": prof.id, "name": crate::services::profiles::get(&state, &auth, &prof.id).await.map(|v| v.username).unwrap_or_default(), "slots": text.join(", ")}));
    }
    let view = if week_view { "week" } else { "month" };
    let notice = match q.done.as_deref() {
        Some("slots") => Some("Posting slots saved."),
        Some("deleted") => Some("The post was deleted."),
        _ => None,
    };
    let ctx = json!({
        "title": title, "view": view, "weeks": weeks, "drafts": drafts, "failed": failed, "profiles": profiles,
        "timezone": tz.name(), "notice": notice,
        "prev": format!("/app/schedule?view={view}&date={prev}"), "next": format!("/app/schedule?view={view}&date={next}"),
        "other_view": format!("/app/schedule?view={}&date={anchor}", if week_view { "month" } else { "week" }),
    });
    state.templates.render(
        "publishing/calendar.html",
        merge(base(&state, &auth, "schedule"), ctx),
    )
}

async fn acknowledge(
    State(state): State<WebState>,
    SignedForm { auth, form: _ }: SignedForm<CsrfForm>,
) -> AppResult<Response> {
    state.store.acknowledge_failures(&auth.user.id).await?;
    Ok(Redirect::to("/app/schedule").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SlotsForm {
    csrf: String,
    slots: String,
}

/// Saves slots written as `Mon 09:00, Tue 17:30` (or `weekdays 09:00`).
async fn save_slots(
    State(state): State<WebState>,
    Path(profile): Path<String>,
    SignedForm { auth, form }: SignedForm<SlotsForm>,
) -> AppResult<Response> {
    state
        .store
        .profile_of(&auth.user.id, &profile)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut slots = Vec::new();
    for entry in form
        .slots
        .split([',', '\n'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let (day, time) = entry.split_once(' ').unwrap_or((entry, ""));
        let days: Vec<&str> = match day.to_ascii_lowercase().as_str() {
            "weekdays" => vec!["mon", "tue", "wed", "thu", "fri"],
            "daily" | "everyday" => vec!["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
            _ => vec![day],
        };
        for d in days {
            let slot = when::Slot::parse(d, time).ok_or_else(|| {
                AppError::field(
                    "slots",
                    format!("\"{entry}\" is not a weekday and a time like \"Mon 09:00\"."),
                )
            })?;
            slots.push((i64::from(slot.weekday), i64::from(slot.minute)));
        }
    }
    state.store.set_posting_slots(&profile, &slots).await?;
    Ok(Redirect::to("/app/schedule?done=slots").into_response())
}

async fn detail(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    render_post(&state, &auth, &id, StatusCode::OK, json!({})).await
}

pub(super) async fn render_post(
    state: &WebState,
    auth: &AuthUser,
    id: &str,
    status: StatusCode,
    extra: Value,
) -> AppResult<Response> {
    let record = service::owned(state, auth, id).await?;
    let view = service::view(state, auth, &record).await?;
    let tz = user_zone(auth);
    let suggested = view
        .scheduled_at
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .unwrap_or_else(Utc::now);
    let ctx = json!({
        "post": view, "timeline": service::timeline(state, auth, id).await?, "timezone": tz.name(),
        "reschedule_value": when::local_value(suggested, tz),
    });
    let html = state.templates.render(
        "publishing/post.html",
        merge(merge(base(state, auth, "schedule"), ctx), extra),
    )?;
    Ok((status, html).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ActionForm {
    csrf: String,
    local_time: String,
}

async fn act(
    State(state): State<WebState>,
    Path((id, action)): Path<(String, String)>,
    SignedForm { auth, form }: SignedForm<ActionForm>,
) -> AppResult<Response> {
    let result = match action.as_str() {
        "reschedule" => service::reschedule(&state, &auth, &id, "schedule", Some(&form.local_time))
            .await
            .map(|p| p.id),
        "queue" => service::reschedule(&state, &auth, &id, "queue", None)
            .await
            .map(|p| p.id),
        "unschedule" => service::reschedule(&state, &auth, &id, "draft", None)
            .await
            .map(|p| p.id),
        "cancel" => service::cancel(&state, &auth, &id).await.map(|p| p.id),
        "duplicate" => service::duplicate(&state, &auth, &id).await.map(|p| p.id),
        "retry" => service::retry(&state, &auth, &id).await.map(|p| p.id),
        "delete" => {
            service::owned(&state, &auth, &id).await?;
            return if state.store.delete_planned_post(&id, &auth.user.id).await? {
                Ok(Redirect::to("/app/schedule?done=deleted").into_response())
            } else {
                render_post(
                    &state,
                    &auth,
                    &id,
                    StatusCode::CONFLICT,
                    json!({"error": "Cancel the post before deleting it."}),
                )
                .await
            };
        }
        _ => return Err(AppError::NotFound),
    };
    match result {
        Ok(target) => Ok(Redirect::to(&format!("/app/schedule/posts/{target}")).into_response()),
        Err(AppError::Validation { message, fields }) => {
            render_post(
                &state,
                &auth,
                &id,
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": message, "fields": fields}),
            )
            .await
        }
        Err(AppError::Conflict(message)) => {
            render_post(
                &state,
                &auth,
                &id,
                StatusCode::CONFLICT,
                json!({"error": message}),
            )
            .await
        }
        Err(other) => Err(other),
    }
}
