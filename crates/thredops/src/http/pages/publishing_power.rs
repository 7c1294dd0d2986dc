//! Publishing power tools pages: recurring series (list, new, one series with its dates, edit,
//! skip or restore a date, stop, delete), bulk import from CSV (upload or paste, preview with
//! each row's problems, confirm) and the plan's export.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::view::{Chrome, Flash, ProfileChoice};
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::publishing::bulk::Preview;
use crate::publishing::compose::{Composition, Part};
use crate::publishing::recurring::{self, SeriesInput, SeriesView, rule};

/// Templates of these pages, embedded in the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "publishing/recurring.html",
        include_str!("../../../web/templates/publishing/recurring.html"),
    ),
    (
        "publishing/recurring_series.html",
        include_str!("../../../web/templates/publishing/recurring_series.html"),
    ),
    (
        "publishing/recurring_form.html",
        include_str!("../../../web/templates/publishing/recurring_form.html"),
    ),
    (
        "publishing/import.html",
        include_str!("../../../web/templates/publishing/import.html"),
    ),
];

/// Largest CSV file or paste the import page reads.
const MAX_CSV_BYTES: usize = 2 * 1024 * 1024;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/app/schedule/recurring", get(list).post(create))
        .route("/app/schedule/recurring/{id}", get(detail).post(update))
        .route("/app/schedule/recurring/{id}/{action}", post(act))
        .route("/app/schedule/import", get(import_page))
        .route(
            "/app/schedule/import/preview",
            post(import_preview).layer(axum::extract::DefaultBodyLimit::max(
                MAX_CSV_BYTES + 64 * 1024,
            )),
        )
        .route(
            "/app/schedule/import/confirm",
            post(import_confirm).layer(axum::extract::DefaultBodyLimit::max(
                MAX_CSV_BYTES + 64 * 1024,
            )),
        )
        .route("/app/schedule/export.csv", get(export_page))
}

/// The series form's fields, as posted and as shown again.
#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
struct SeriesForm {
    csrf: String,
    profile_id: String,
    text: String,
    frequency: String,
    day_mon: String,
    day_tue: String,
    day_wed: String,
    day_thu: String,
    day_fri: String,
    day_sat: String,
    day_sun: String,
    weekday: String,
    nth: String,
    time: String,
    starts_on: String,
    end: String,
    ends_on: String,
    count: String,
}

impl SeriesForm {
    fn from_view(v: &SeriesView) -> SeriesForm {
        let has = |d: &str| {
            if v.days.iter().any(|x| x == d) {
                "on".to_owned()
            } else {
                String::new()
            }
        };
        let frequency = match (v.frequency, v.days.len()) {
            (rule::Frequency::Weekly, 5) if !v.days.iter().any(|d| d == "sat" || d == "sun") => {
                "weekdays"
            }
            (f, _) => f.as_str(),
        };
        SeriesForm {
            profile_id: v.profile_id.clone(),
            text: v
                .content
                .parts
                .first()
                .map(|p| p.text.clone())
                .unwrap_or_default(),
            frequency: frequency.to_owned(),
            day_mon: has("mon"),
            day_tue: has("tue"),
            day_wed: has("wed"),
            day_thu: has("thu"),
            day_fri: has("fri"),
            day_sat: has("sat"),
            day_sun: has("sun"),
            weekday: v.days.first().cloned().unwrap_or_default(),
            nth: v.nth.map(|n| n.to_string()).unwrap_or_default(),
            time: v.time.clone(),
            starts_on: v.starts_on.clone(),
            end: match (&v.ends_on, v.count) {
                (Some(_), _) => "date",
                (_, Some(_)) => "count",
                _ => "never",
            }
            .to_owned(),
            ends_on: v.ends_on.clone().unwrap_or_default(),
            count: v.count.map(|n| n.to_string()).unwrap_or_default(),
            ..SeriesForm::default()
        }
    }

    /// The API input, or the problems of fields the API cannot even read.
    fn input(&self, keep: Option<&Composition>) -> Result<SeriesInput, AppError> {
        let picked = [
            (&self.day_mon, "mon"),
            (&self.day_tue, "tue"),
            (&self.day_wed, "wed"),
            (&self.day_thu, "thu"),
            (&self.day_fri, "fri"),
            (&self.day_sat, "sat"),
            (&self.day_sun, "sun"),
        ];
        let days = picked
            .iter()
            .filter(|(v, _)| !v.is_empty())
            .map(|(_, d)| (*d).to_owned())
            .collect();
        let nth = match self.nth.trim() {
            "" => None,
            n => Some(
                n.parse::<i64>()
                    .map_err(|_| AppError::field("nth", "Choose first to fourth, or last."))?,
            ),
        };
        let (ends_on, count) = match self.end.as_str() {
            "date" => {
                if self.ends_on.trim().is_empty() {
                    return Err(AppError::field("ends_on", "Choose the last date."));
                }
                (Some(self.ends_on.clone()), None)
            }
            "count" => {
                let n =
                    self.count.trim().parse::<u32>().map_err(|_| {
                        AppError::field("count", "Give the number of posts, e.g. 10.")
                    })?;
                (None, Some(n))
            }
            _ => (None, None),
        };
        // An edit keeps the rest of the post (a chain's replies, a poll) and replaces its text.
        let mut content = keep.cloned().unwrap_or(Composition {
            parts: vec![Part::default()],
            ..Composition::default()
        });
        if content.parts.is_empty() {
            content.parts.push(Part::default());
        }
        content.parts[0].text = self.text.clone();
        Ok(SeriesInput {
            profile_id: self.profile_id.clone(),
            content,
            frequency: self.frequency.clone(),
            days,
            weekday: Some(self.weekday.clone()).filter(|w| !w.is_empty()),
            nth,
            time: self.time.clone(),
            starts_on: Some(self.starts_on.clone()),
            ends_on,
            count,
        })
    }
}

/// Problems keyed as the form names its fields (the post's text is `text`).
fn form_fields(fields: BTreeMap<String, String>) -> BTreeMap<String, String> {
    fields
        .into_iter()
        .map(|(k, v)| {
            let k = match k.as_str() {
                "parts[0].text" | "parts[0].media" => "text".to_owned(),
                k if k.starts_with("parts[") || k == "topic_tag" || k == "reply_control" => {
                    "text".to_owned()
                }
                _ => k.to_owned(),
            };
            (k, v)
        })
        .collect()
}

/// The user's profiles for a profile choice: id, username and whether it is `selected`.
pub(super) async fn profiles(
    state: &WebState,
    auth: &AuthUser,
    selected: &str,
) -> AppResult<Vec<ProfileChoice>> {
    let mut out = Vec::new();
    for p in crate::publishing::profiles_for(state, auth.workspace_id()).await? {
        let name = crate::services::profiles::get(state, auth, &p.id)
            .await
            .map(|v| v.username)
            .unwrap_or_default();
        out.push(ProfileChoice {
            selected: p.id == selected,
            id: p.id.into(),
            username: name,
        });
    }
    Ok(out)
}

/// The choices of the series form: weekdays and which week of the month.
#[derive(Serialize)]
struct Choices {
    days: Vec<DayChoice>,
    nths: Vec<NthChoice>,
}

/// A weekday's checkbox.
#[derive(Serialize)]
struct DayChoice {
    value: &'static str,
    label: &'static str,
    field: String,
}

/// Which week of the month.
#[derive(Serialize)]
struct NthChoice {
    value: &'static str,
    label: &'static str,
}

fn choices() -> Choices {
    let nths = [
        ("1", "First"),
        ("2", "Second"),
        ("3", "Third"),
        ("4", "Fourth"),
        ("-1", "Last"),
    ];
    Choices {
        days: rule::DAYS
            .iter()
            .zip(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"])
            .map(|(v, l)| DayChoice {
                value: v,
                label: l,
                field: format!("day_{v}"),
            })
            .collect(),
        nths: nths
            .iter()
            .map(|(v, l)| NthChoice { value: v, label: l })
            .collect(),
    }
}

/// `publishing/recurring.html`: the recurring series and the form to start one.
#[derive(Serialize)]
struct RecurringView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    series: Vec<SeriesView>,
    form: SeriesForm,
    profiles: Vec<ProfileChoice>,
    choices: Choices,
    timezone: &'static str,
    fields: BTreeMap<String, String>,
    error: String,
}

/// `publishing/recurring_series.html`: one series, its coming posts and its form.
#[derive(Serialize)]
struct SeriesPageView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    series: SeriesView,
    form: SeriesForm,
    profiles: Vec<ProfileChoice>,
    choices: Choices,
    #[serde(flatten)]
    flash: Flash,
}

/// `publishing/import.html`: the CSV import, its preview and outcome.
#[derive(Serialize)]
struct ImportView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    timezone: &'static str,
    #[serde(flatten)]
    outcome: ImportOutcome,
}

/// The CSV as given, its preview, and what the last step left to say.
#[derive(Serialize, Default)]
struct ImportOutcome {
    csv: String,
    preview: Option<Preview>,
    error: String,
    notice: String,
}

async fn render_list(
    state: &WebState,
    auth: &AuthUser,
    status: StatusCode,
    form: SeriesForm,
    problem: Option<Problem>,
) -> AppResult<Response> {
    let series = recurring::list(state, auth).await?;
    let (error, fields) = problem.map_or_else(Default::default, |(_, m, f)| (m, f));
    let view = RecurringView {
        chrome: Chrome::new(state, auth, "schedule"),
        series,
        profiles: profiles(state, auth, &form.profile_id).await?,
        form,
        choices: choices(),
        timezone: crate::publishing::service::user_zone(auth).name(),
        fields,
        error,
    };
    let html = state.templates.render("publishing/recurring.html", &view)?;
    Ok((status, Html(html)).into_response())
}

async fn list(State(state): State<WebState>, PageUser(auth): PageUser) -> AppResult<Response> {
    let form = SeriesForm {
        frequency: "weekdays".into(),
        time: "09:00".into(),
        end: "never".into(),
        ..SeriesForm::default()
    };
    render_list(&state, &auth, StatusCode::OK, form, None).await
}

/// A refusal shown on the page: its status, message and problems by form field.
type Problem = (StatusCode, String, BTreeMap<String, String>);

fn problem(e: AppError) -> Result<Problem, AppError> {
    match e {
        AppError::Validation { message, fields } => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            message,
            form_fields(fields),
        )),
        AppError::Conflict(message) => Ok((StatusCode::CONFLICT, message, BTreeMap::new())),
        other => Err(other),
    }
}

async fn create(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<SeriesForm>,
) -> AppResult<Response> {
    let result = match form.input(None) {
        Ok(input) => recurring::create(&state, &auth, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(s) => Ok(Redirect::to(&format!("/app/schedule/recurring/{}", s.id.0)).into_response()),
        Err(e) => {
            let refused = problem(e)?;
            render_list(&state, &auth, refused.0, form, Some(refused)).await
        }
    }
}

async fn render_series(
    state: &WebState,
    auth: &AuthUser,
    id: &str,
    status: StatusCode,
    form: Option<SeriesForm>,
    flash: Flash,
) -> AppResult<Response> {
    let record = recurring::owned(state, auth, id).await?;
    let view = recurring::view(state, auth, &record).await?;
    let form = form.unwrap_or_else(|| SeriesForm::from_view(&view));
    let page = SeriesPageView {
        chrome: Chrome::new(state, auth, "schedule"),
        series: view,
        profiles: profiles(state, auth, &form.profile_id).await?,
        form,
        choices: choices(),
        flash,
    };
    let html = state
        .templates
        .render("publishing/recurring_series.html", &page)?;
    Ok((status, Html(html)).into_response())
}

/// The digits and dashes of a date typed or echoed back (never anything else in a URL or page).
fn date_only(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_digit() || *c == '-')
        .take(10)
        .collect()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Done {
    done: String,
    date: String,
}

async fn detail(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> AppResult<Response> {
    let date = date_only(&q.date);
    let notice = match q.done.as_str() {
        "saved" => "Series saved; its waiting posts were planned anew.".to_owned(),
        "skip" => format!("The post of {date} is skipped."),
        "restore" => format!("The post of {date} is planned again."),
        "stop" => "The series is stopped; its waiting posts were removed.".to_owned(),
        _ => String::new(),
    };
    render_series(
        &state,
        &auth,
        &id,
        StatusCode::OK,
        None,
        Flash::notice(notice),
    )
    .await
}

async fn update(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedForm { auth, form }: SignedForm<SeriesForm>,
) -> AppResult<Response> {
    let record = recurring::owned(&state, &auth, &id).await?;
    let current = recurring::view(&state, &auth, &record).await?;
    let result = match form.input(Some(&current.content)) {
        Ok(input) => recurring::update(&state, &auth, &id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/app/schedule/recurring/{id}?done=saved")).into_response())
        }
        Err(e) => {
            let (status, message, fields) = problem(e)?;
            render_series(
                &state,
                &auth,
                &id,
                status,
                Some(form),
                Flash::refused(message, fields),
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ActionForm {
    csrf: String,
    date: String,
}

async fn act(
    State(state): State<WebState>,
    Path((id, action)): Path<(String, String)>,
    SignedForm { auth, form }: SignedForm<ActionForm>,
) -> AppResult<Response> {
    let _ = &form.csrf;
    let result = match action.as_str() {
        "skip" => recurring::skip(&state, &auth, &id, &form.date)
            .await
            .map(|_| ()),
        "restore" => recurring::restore(&state, &auth, &id, &form.date)
            .await
            .map(|_| ()),
        "stop" => recurring::stop(&state, &auth, &id).await.map(|_| ()),
        "delete" => {
            recurring::delete(&state, &auth, &id).await?;
            return Ok(Redirect::to("/app/schedule/recurring").into_response());
        }
        _ => return Err(AppError::NotFound),
    };
    match result {
        Ok(()) => {
            let date = date_only(&form.date);
            let to = format!("/app/schedule/recurring/{id}?done={action}&date={date}");
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => {
            let (status, message, fields) = problem(e)?;
            let flash = Flash::refused(message, fields);
            render_series(&state, &auth, &id, status, None, flash).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ImportQuery {
    imported: Option<usize>,
    skipped: Option<usize>,
}

async fn render_import(
    state: &WebState,
    auth: &AuthUser,
    status: StatusCode,
    outcome: ImportOutcome,
) -> AppResult<Response> {
    let view = ImportView {
        chrome: Chrome::new(state, auth, "schedule"),
        timezone: crate::publishing::service::user_zone(auth).name(),
        outcome,
    };
    let html = state.templates.render("publishing/import.html", &view)?;
    Ok((status, Html(html)).into_response())
}

async fn import_page(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(q): Query<ImportQuery>,
) -> AppResult<Response> {
    let notice = match (q.imported, q.skipped) {
        (Some(n), Some(s)) if s > 0 => format!(
            "Imported {n} post{}; {s} row{} with problems {} left out.",
            if n == 1 { "" } else { "s" },
            if s == 1 { "" } else { "s" },
            if s == 1 { "was" } else { "were" }
        ),
        (Some(n), _) => format!("Imported {n} post{}.", if n == 1 { "" } else { "s" }),
        _ => String::new(),
    };
    let outcome = ImportOutcome {
        notice,
        ..ImportOutcome::default()
    };
    render_import(&state, &auth, StatusCode::OK, outcome).await
}

/// The CSV of the import form: the chosen file, else the pasted text. Multipart (a file) or
/// url-encoded (paste only); the CSRF token is checked either way.
async fn read_import_form(
    state: &WebState,
    auth: &AuthUser,
    request: axum::extract::Request,
) -> AppResult<String> {
    use axum::extract::FromRequest;
    let multipart = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let axum::Form(form) = axum::Form::<ConfirmForm>::from_request(request, state)
            .await
            .map_err(|e| AppError::BadRequest(e.body_text()))?;
        crate::http::guards::require_session_csrf(state, auth, &form.csrf)?;
        return Ok(form.csv);
    }
    let mut parts = axum::extract::Multipart::from_request(request, state)
        .await
        .map_err(|e| AppError::BadRequest(e.body_text()))?;
    let (mut csrf, mut pasted, mut file) = (String::new(), String::new(), String::new());
    while let Some(field) = parts.next_field().await? {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await?;
        if bytes.len() > MAX_CSV_BYTES {
            return Err(AppError::PayloadTooLarge);
        }
        let text = String::from_utf8(bytes.to_vec()).map_err(|_| {
            AppError::field(
                "file",
                "The file is not UTF-8 text. Save it as CSV (UTF-8).",
            )
        })?;
        match name.as_str() {
            "csrf" => csrf = text,
            "csv" => pasted = text,
            "file" => file = text,
            _ => {}
        }
    }
    crate::http::guards::require_session_csrf(state, auth, &csrf)?;
    Ok(if file.trim().is_empty() { pasted } else { file })
}

async fn import_preview(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    request: axum::extract::Request,
) -> AppResult<Response> {
    let csv = match read_import_form(&state, &auth, request).await {
        Ok(csv) => csv,
        Err(AppError::Validation { message, .. }) => {
            let outcome = ImportOutcome {
                error: message,
                ..ImportOutcome::default()
            };
            return render_import(&state, &auth, StatusCode::UNPROCESSABLE_ENTITY, outcome).await;
        }
        Err(other) => return Err(other),
    };
    let preview = crate::publishing::bulk::preview(&state, &auth, &csv).await?;
    let status = if preview.error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let outcome = ImportOutcome {
        csv,
        error: preview.error.clone().unwrap_or_default(),
        preview: Some(preview),
        ..ImportOutcome::default()
    };
    render_import(&state, &auth, status, outcome).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ConfirmForm {
    csrf: String,
    csv: String,
}

async fn import_confirm(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<ConfirmForm>,
) -> AppResult<Response> {
    match crate::publishing::bulk::import(&state, &auth, &form.csv).await {
        Ok(done) => {
            let to = format!(
                "/app/schedule/import?imported={}&skipped={}",
                done.posts.len(),
                done.skipped.len()
            );
            Ok(Redirect::to(&to).into_response())
        }
        Err(AppError::Validation { message, .. }) => {
            let outcome = ImportOutcome {
                error: message,
                csv: form.csv,
                ..ImportOutcome::default()
            };
            render_import(&state, &auth, StatusCode::UNPROCESSABLE_ENTITY, outcome).await
        }
        Err(other) => Err(other),
    }
}

async fn export_page(state: State<WebState>, PageUser(auth): PageUser) -> AppResult<Response> {
    crate::http::api::export_plan_csv(state, auth).await
}
