//! Competitors and Listening pages: benchmark one of your profiles against public profiles,
//! and listen for keywords and topic tags in public posts.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::view::{Chrome, Flash, ProfileChoice};
use crate::analytics::svg::{self, Spec};
use crate::competitors::{self, Benchmark, CompetitorInput, compare};
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::listening::{self, SearchInput, SearchMode, SearchResults, SearchView};

/// Templates of these pages, embedded in the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "competitors/index.html",
        include_str!("../../../web/templates/competitors/index.html"),
    ),
    (
        "competitors/listening.html",
        include_str!("../../../web/templates/competitors/listening.html"),
    ),
    (
        "competitors/allow.html",
        include_str!("../../../web/templates/competitors/allow.html"),
    ),
];

pub fn router() -> Router<WebState> {
    Router::new()
        .route(
            "/app/competitors",
            get(competitors_page).post(add_competitor),
        )
        .route("/app/competitors/{id}/delete", post(remove_competitor))
        .route("/app/listening", get(listening_page).post(add_search))
        .route("/app/listening/{id}/delete", post(remove_search))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PageQuery {
    profile_id: String,
    search: String,
    done: String,
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
struct CompetitorForm {
    csrf: String,
    profile_id: String,
    username: String,
}

#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
struct SearchForm {
    csrf: String,
    profile_id: String,
    query: String,
    mode: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CsrfOnly {
    csrf: String,
    profile_id: String,
}

/// The user's profiles with the selected one marked (the first when none or an unknown one is
/// asked for), and the selected id.
async fn profiles(
    state: &WebState,
    auth: &AuthUser,
    wanted: &str,
) -> AppResult<(Vec<ProfileChoice>, String)> {
    let mut list = super::publishing_power::profiles(state, auth, wanted).await?;
    let selected = match list.iter().find(|p| p.selected) {
        Some(p) => p.id.clone(),
        None => list.first().map(|p| p.id.clone()).unwrap_or_default(),
    };
    for p in &mut list {
        p.selected = p.id == selected;
    }
    Ok((list, selected))
}

/// What both pages show: the profile choice, the form and what the last action left to say.
#[derive(Serialize)]
struct PageFrame<'a, F> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    profiles: Vec<ProfileChoice>,
    form: F,
    #[serde(flatten)]
    flash: Flash,
}

async fn frame<'a, F>(
    state: &WebState,
    auth: &'a AuthUser,
    area: &'a str,
    form: F,
    wanted: &str,
    flash: Flash,
) -> AppResult<(PageFrame<'a, F>, String)> {
    let (profiles, selected) = profiles(state, auth, wanted).await?;
    let frame = PageFrame {
        chrome: Chrome::new(state, auth, area),
        profiles,
        form,
        flash,
    };
    Ok((frame, selected))
}

/// `competitors/index.html`: the selected profile benchmarked against its competitors.
#[derive(Serialize)]
struct CompetitorsView<'a> {
    #[serde(flatten)]
    frame: PageFrame<'a, CompetitorForm>,
    #[serde(flatten)]
    benchmark: Option<BenchmarkPart>,
}

/// The benchmark of the selected profile.
#[derive(Serialize)]
struct BenchmarkPart {
    charts: Vec<Value>,
    bench: Benchmark,
    selected: String,
    feature: &'static str,
}

async fn render_competitors(
    state: &WebState,
    auth: &AuthUser,
    status: StatusCode,
    form: CompetitorForm,
    flash: Flash,
) -> AppResult<Response> {
    let wanted = form.profile_id.clone();
    let (frame, selected) = frame(state, auth, "competitors", form, &wanted, flash).await?;
    let benchmark = if selected.is_empty() {
        None
    } else {
        let bench = competitors::benchmark(state, auth, &selected.as_str().into()).await?;
        Some(BenchmarkPart {
            charts: compare::charts(&bench.comparison),
            bench,
            selected,
            feature: competitors::SCOPE.as_str(),
        })
    };
    let view = CompetitorsView { frame, benchmark };
    let html = state.templates.render("competitors/index.html", &view)?;
    Ok((status, Html(html)).into_response())
}

async fn competitors_page(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    let notice = match q.done.as_str() {
        "added" => {
            "Competitor added. Its recent public posts are being collected; a snapshot is taken every day."
        }
        "removed" => "Competitor removed, with its snapshots and posts.",
        _ => "",
    };
    let form = CompetitorForm {
        profile_id: q.profile_id,
        ..CompetitorForm::default()
    };
    render_competitors(&state, &auth, StatusCode::OK, form, Flash::notice(notice)).await
}

async fn add_competitor(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<CompetitorForm>,
) -> AppResult<Response> {
    let input = CompetitorInput {
        profile_id: form.profile_id.as_str().into(),
        username: form.username.clone(),
    };
    match competitors::add(&state, &auth, input).await {
        Ok(c) => Ok(Redirect::to(&format!(
            "/app/competitors?profile_id={}&done=added",
            c.profile_id
        ))
        .into_response()),
        Err(AppError::Validation { message, fields }) => {
            let outcome = Flash::refused(message, fields);
            render_competitors(
                &state,
                &auth,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                outcome,
            )
            .await
        }
        Err(e) => super::plan_limit::explain(&state, &auth, "competitors", Err::<Response, _>(e)),
    }
}

async fn remove_competitor(
    State(state): State<WebState>,
    Path(id): Path<crate::competitors::CompetitorId>,
    SignedForm { auth, form }: SignedForm<CsrfOnly>,
) -> AppResult<Response> {
    let _ = &form.csrf;
    competitors::remove(&state, &auth, &id).await?;
    Ok(Redirect::to(&format!(
        "/app/competitors?profile_id={}&done=removed",
        form.profile_id
    ))
    .into_response())
}

/// The volume chart of a search with its data table.
#[derive(Serialize)]
struct VolumeChart {
    id: &'static str,
    title: &'static str,
    svg: String,
    columns: [&'static str; 2],
    note: &'static str,
    rows: Vec<(String, i64)>,
}

fn volume_chart(volume: &[listening::VolumeDay]) -> VolumeChart {
    let spec = Spec {
        id: "listening-volume",
        title: "Matching posts per day, last 14 days",
        x_label: "Day",
        y_label: "Posts",
    };
    let points: Vec<(String, Option<f64>)> = volume
        .iter()
        .map(|d| (d.day.clone(), Some(d.matches as f64)))
        .collect();
    VolumeChart {
        id: "listening-volume",
        title: spec.title,
        svg: svg::line(&spec, &points),
        columns: ["day", "posts"],
        note: "",
        rows: volume.iter().map(|d| (d.day.clone(), d.matches)).collect(),
    }
}

/// `competitors/listening.html`: the saved searches of the selected profile and their matches.
#[derive(Serialize)]
struct ListeningView<'a> {
    #[serde(flatten)]
    frame: PageFrame<'a, SearchForm>,
    #[serde(flatten)]
    searches: Option<SearchesPart>,
}

/// The selected profile's searches, and the results of the one shown.
#[derive(Serialize)]
struct SearchesPart {
    #[serde(skip_serializing_if = "Option::is_none")]
    chart: Option<VolumeChart>,
    #[serde(skip_serializing_if = "Option::is_none")]
    results: Option<SearchResults>,
    searches: Vec<SearchView>,
    selected: String,
    allowed: bool,
    reason: String,
    feature: &'static str,
}

async fn render_listening(
    state: &WebState,
    auth: &AuthUser,
    status: StatusCode,
    form: SearchForm,
    search: &str,
    flash: Flash,
) -> AppResult<Response> {
    let wanted = form.profile_id.clone();
    let (frame, selected) = frame(state, auth, "listening", form, &wanted, flash).await?;
    let mut part = None;
    if !selected.is_empty() {
        let profile = crate::services::profiles::of_workspace(
            state,
            auth.workspace_id(),
            &crate::domain::ProfileId::from(selected.as_str()),
        )
        .await?;
        let allowed = profile
            .as_ref()
            .is_some_and(|p| competitors::access::has_scope(p, listening::SCOPE));
        let searches: Vec<_> = listening::list(state, auth)
            .await?
            .into_iter()
            .filter(|s| s.profile_id == selected)
            .collect();
        let shown = searches
            .iter()
            .find(|s| s.id == search)
            .or(searches.first())
            .map(|s| s.id.clone());
        let (mut chart, mut results) = (None, None);
        if let Some(id) = shown {
            let found = listening::results(state, auth, &id).await?;
            chart = Some(volume_chart(&found.volume));
            results = Some(found);
        }
        part = Some(SearchesPart {
            chart,
            results,
            searches,
            selected,
            allowed,
            reason: listening::reason(),
            feature: listening::SCOPE.as_str(),
        });
    }
    let view = ListeningView {
        frame,
        searches: part,
    };
    let html = state
        .templates
        .render("competitors/listening.html", &view)?;
    Ok((status, Html(html)).into_response())
}

async fn listening_page(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(q): Query<PageQuery>,
) -> AppResult<Response> {
    let notice = match q.done.as_str() {
        "added" => "Search saved. It runs now, then every hour for new posts.",
        "removed" => "Search removed, with the posts it found.",
        _ => "",
    };
    let form = SearchForm {
        profile_id: q.profile_id,
        ..SearchForm::default()
    };
    render_listening(
        &state,
        &auth,
        StatusCode::OK,
        form,
        &q.search,
        Flash::notice(notice),
    )
    .await
}

async fn add_search(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<SearchForm>,
) -> AppResult<Response> {
    let mode = match form.mode.as_str() {
        "" | "keyword" => SearchMode::Keyword,
        "tag" => SearchMode::Tag,
        _ => {
            let message = "Choose keyword or topic tag.";
            let fields = [("mode".to_owned(), message.to_owned())].into();
            let extra = Flash::refused(message.to_owned(), fields);
            return render_listening(
                &state,
                &auth,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                "",
                extra,
            )
            .await;
        }
    };
    let input = SearchInput {
        profile_id: form.profile_id.as_str().into(),
        query: form.query.clone(),
        mode,
    };
    match listening::add(&state, &auth, input).await {
        Ok(s) => Ok(Redirect::to(&format!(
            "/app/listening?profile_id={}&search={}&done=added",
            s.profile_id, s.id
        ))
        .into_response()),
        Err(AppError::Validation { message, fields }) => {
            let extra = Flash::refused(message, fields);
            render_listening(
                &state,
                &auth,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                "",
                extra,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

async fn remove_search(
    State(state): State<WebState>,
    Path(id): Path<crate::listening::SearchId>,
    SignedForm { auth, form }: SignedForm<CsrfOnly>,
) -> AppResult<Response> {
    let _ = &form.csrf;
    listening::remove(&state, &auth, &id).await?;
    Ok(Redirect::to(&format!(
        "/app/listening?profile_id={}&done=removed",
        form.profile_id
    ))
    .into_response())
}
