//! Schedule pages: the month and week calendar, the composer, a post with its ledger and
//! actions, posting slots, the hosted media URLs and the page script.

use axum::Router;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

use super::account::CsrfForm;
use super::view::{Chrome, Problems};
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::publishing::followups::{self, AutoPlug, Metric};
use crate::publishing::service::{self, PostView, user_zone};
use crate::publishing::{calendar, media, when};
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
const CALENDAR_SCRIPT: &str = include_str!("../../../web/static/calendar.js");

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/app/schedule", get(calendar))
        .route("/app/schedule/acknowledge", post(acknowledge))
        .route("/app/schedule/slots/{profile}", post(save_slots))
        .route("/app/schedule/auto-plug/{profile}", post(save_auto_plug))
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
        .route("/static/calendar.js", get(calendar_script))
}

async fn script() -> Response {
    javascript(SCRIPT)
}

async fn calendar_script() -> Response {
    javascript(CALENDAR_SCRIPT)
}

fn javascript(source: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        source,
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

async fn calendar(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(q): Query<CalendarQuery>,
) -> AppResult<Html<String>> {
    render_calendar(&state, &auth, &q, CalendarProblem::default()).await
}

/// `publishing/calendar.html`: the month, week or queue, slots and auto-plugs.
#[derive(Serialize)]
struct CalendarView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    cal: calendar::Calendar,
    notice: Option<&'static str>,
    weekdays: [&'static str; 7],
    auto_plugs: BTreeMap<String, Option<AutoPlugForm>>,
    #[serde(flatten)]
    problem: CalendarProblem,
}

/// The calendar's form that was refused, if any (the template asks whether each is defined).
#[derive(Serialize, Default)]
struct CalendarProblem {
    #[serde(skip_serializing_if = "Option::is_none")]
    slots_error: Option<SlotsError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    auto_plug_error: Option<AutoPlugError>,
}

/// A refused slots editor: the rows as typed.
#[derive(Serialize)]
struct SlotsError {
    profile: String,
    message: String,
    rows: Vec<SlotRow>,
}

/// A slot row as typed.
#[derive(Serialize)]
struct SlotRow {
    day: String,
    time: String,
}

/// A refused default auto-plug: its field errors and the form as typed.
#[derive(Serialize)]
struct AutoPlugError {
    profile: String,
    fields: BTreeMap<String, String>,
    form: AutoPlugForm,
}

async fn render_calendar(
    state: &WebState,
    auth: &AuthUser,
    q: &CalendarQuery,
    problem: CalendarProblem,
) -> AppResult<Html<String>> {
    let layout = calendar::Layout::parse(q.view.as_deref());
    let anchor = q
        .date
        .as_deref()
        .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
    let page = calendar::build(state, auth, layout, anchor).await?;
    let notice = match q.done.as_deref() {
        Some("slots") => Some("Posting slots saved."),
        Some("auto-plug") => Some("Default auto-plug saved."),
        Some("deleted") => Some("The post was deleted."),
        _ => None,
    };
    let mut auto_plugs = BTreeMap::new();
    for p in crate::publishing::profiles_for(state, auth.workspace_id()).await? {
        let rule = followups::default_rule(state, auth.workspace_id(), &p.id).await?;
        auto_plugs.insert(p.id.to_string(), rule.as_ref().map(AutoPlugForm::from_rule));
    }
    state.templates.render(
        "publishing/calendar.html",
        &CalendarView {
            chrome: Chrome::new(state, auth, "schedule"),
            cal: page,
            notice,
            weekdays: calendar::WEEKDAYS,
            auto_plugs,
            problem,
        },
    )
}

async fn acknowledge(
    State(state): State<WebState>,
    SignedForm { auth, form: _ }: SignedForm<CsrfForm>,
) -> AppResult<Response> {
    service::acknowledge_failures(&state, &auth).await?;
    Ok(Redirect::to("/app/schedule").into_response())
}

/// The schedule page again with a form's problems beside its fields (422).
async fn refused(
    state: &WebState,
    auth: &AuthUser,
    problem: CalendarProblem,
) -> AppResult<Response> {
    let html = render_calendar(state, auth, &CalendarQuery::default(), problem).await?;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
}

/// Saves the slots editor: rows of `day` and `time` fields, in order (a row whose day is empty
/// is a removed slot). A wrong row re-renders the page with the rows as typed.
async fn save_slots(
    State(state): State<WebState>,
    Path(profile): Path<String>,
    SignedForm { auth, form }: SignedForm<Vec<(String, String)>>,
) -> AppResult<Response> {
    crate::publishing::profile_of(&state, auth.workspace_id(), &profile)
        .await?
        .ok_or(AppError::NotFound)?;
    let field = |name: &'static str| {
        form.iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let rows: Vec<(String, String)> = field("day").zip(field("time")).collect();
    match calendar::parse_slot_rows(&rows) {
        Ok(slots) => {
            let slots: Vec<(i64, i64)> = slots
                .iter()
                .map(|s| (i64::from(s.weekday), i64::from(s.minute)))
                .collect();
            crate::publishing::set_slots(&state, &profile, &slots).await?;
            Ok(Redirect::to("/app/schedule?done=slots").into_response())
        }
        Err(message) => {
            let rows = rows
                .into_iter()
                .map(|(day, time)| SlotRow { day, time })
                .collect();
            let slots_error = SlotsError {
                profile,
                message,
                rows,
            };
            let problem = CalendarProblem {
                slots_error: Some(slots_error),
                ..CalendarProblem::default()
            };
            refused(&state, &auth, problem).await
        }
    }
}

/// The default auto-plug form of a profile, as typed.
#[derive(Deserialize, serde::Serialize, Default)]
#[serde(default)]
struct AutoPlugForm {
    csrf: String,
    metric: String,
    threshold: String,
    window: String,
    text: String,
}

impl AutoPlugForm {
    fn from_rule(r: &AutoPlug) -> Self {
        AutoPlugForm {
            csrf: String::new(),
            metric: r.metric.as_str().to_owned(),
            threshold: r.threshold.to_string(),
            window: r.window_hours.to_string(),
            text: r.text.clone(),
        }
    }
}

/// Saves (or with an empty text removes) a profile's default auto-plug; a wrong field is named
/// beside it and the form keeps what was typed.
async fn save_auto_plug(
    State(state): State<WebState>,
    Path(profile): Path<String>,
    SignedForm { auth, form }: SignedForm<AutoPlugForm>,
) -> AppResult<Response> {
    crate::publishing::profile_of(&state, auth.workspace_id(), &profile)
        .await?
        .ok_or(AppError::NotFound)?;
    let rule = (!form.text.trim().is_empty()).then(|| AutoPlug {
        metric: Metric::parse(&form.metric).unwrap_or_default(),
        threshold: compose::number_or_invalid(&form.threshold, 0),
        window_hours: compose::number_or_invalid(&form.window, 24),
        text: form.text.clone(),
    });
    match followups::save_default(&state, auth.workspace_id(), &profile, rule.as_ref()).await {
        Ok(()) => Ok(Redirect::to("/app/schedule?done=auto-plug").into_response()),
        Err(AppError::Validation { fields, .. }) => {
            let auto_plug_error = AutoPlugError {
                profile,
                fields,
                form,
            };
            let problem = CalendarProblem {
                auto_plug_error: Some(auto_plug_error),
                ..CalendarProblem::default()
            };
            refused(&state, &auth, problem).await
        }
        Err(e) => Err(e),
    }
}

async fn detail(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Path(id): Path<String>,
) -> AppResult<Response> {
    render_post(&state, &auth, &id, StatusCode::OK, Problems::default()).await
}

/// `publishing/post.html`: a post, its ledger and its actions.
#[derive(Serialize)]
struct PostPageView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    post: PostView,
    timeline: Vec<Value>,
    timezone: &'static str,
    reschedule_value: String,
    evergreen: Option<EvergreenNumber>,
    #[serde(flatten)]
    problems: Problems,
}

/// The evergreen item a post reshared, and which reshare it was.
#[derive(Serialize)]
struct EvergreenNumber {
    item: String,
    number: i64,
}

pub(super) async fn render_post(
    state: &WebState,
    auth: &AuthUser,
    id: &str,
    status: StatusCode,
    problems: Problems,
) -> AppResult<Response> {
    let record = service::owned(state, auth, id).await?;
    let view = service::view(state, auth, &record).await?;
    let tz = user_zone(auth);
    let suggested = view
        .scheduled_at
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .unwrap_or_else(crate::clock::now);
    let html = state.templates.render(
        "publishing/post.html",
        &PostPageView {
            chrome: Chrome::new(state, auth, "schedule"),
            post: view,
            timeline: service::timeline(state, auth, id).await?,
            timezone: tz.name(),
            reschedule_value: when::local_value(suggested, tz),
            evergreen: crate::publishing::evergreen::reshare_of(state, id)
                .await?
                .map(|(item, number)| EvergreenNumber { item, number }),
            problems,
        },
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
            return if service::delete(&state, &auth, &id).await? {
                Ok(Redirect::to("/app/schedule?done=deleted").into_response())
            } else {
                render_post(
                    &state,
                    &auth,
                    &id,
                    StatusCode::CONFLICT,
                    Problems::message("Cancel the post before deleting it."),
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
                Problems::fields(message, fields),
            )
            .await
        }
        Err(AppError::Conflict(message)) => {
            render_post(
                &state,
                &auth,
                &id,
                StatusCode::CONFLICT,
                Problems::message(message),
            )
            .await
        }
        Err(other) => Err(other),
    }
}
