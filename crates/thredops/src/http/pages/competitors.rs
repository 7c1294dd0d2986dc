//! Competitors and Listening pages: benchmark one of your profiles against public profiles,
//! and listen for keywords and topic tags in public posts.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::untyped::{base, merge};
use crate::analytics::svg::{self, Spec};
use crate::competitors::{self, CompetitorInput, compare};
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::listening::{self, SearchInput, SearchMode};

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
) -> AppResult<(Vec<Value>, String)> {
    let mut list = super::publishing_power::profiles(state, auth, wanted).await?;
    let selected = match list.iter().find(|p| p["selected"] == true) {
        Some(p) => p["id"].as_str().unwrap_or_default().to_owned(),
        None => list
            .first()
            .and_then(|p| p["id"].as_str())
            .unwrap_or_default()
            .to_owned(),
    };
    for p in &mut list {
        p["selected"] = json!(p["id"] == selected.as_str());
    }
    Ok((list, selected))
}

/// Renders the page of `area` (its navigation key) with `ctx`, then `extra` over it.
fn page(
    state: &WebState,
    auth: &AuthUser,
    status: StatusCode,
    area: &str,
    ctx: Value,
    extra: Value,
) -> AppResult<Response> {
    let template = match area {
        "competitors" => "competitors/index.html",
        _ => "competitors/listening.html",
    };
    let html = state
        .templates
        .render(template, merge(merge(base(state, auth, area), ctx), extra))?;
    Ok((status, Html(html)).into_response())
}

async fn render_competitors(
    state: &WebState,
    auth: &AuthUser,
    status: StatusCode,
    form: CompetitorForm,
    extra: Value,
) -> AppResult<Response> {
    let (profiles, selected) = profiles(state, auth, &form.profile_id).await?;
    let mut ctx =
        json!({"profiles": profiles, "form": form, "fields": {}, "error": "", "notice": ""});
    if !selected.is_empty() {
        let bench = competitors::benchmark(state, auth, &selected).await?;
        ctx["charts"] = json!(compare::charts(&bench.comparison));
        ctx["bench"] = json!(bench);
        ctx["selected"] = json!(selected);
        ctx["feature"] = json!(competitors::SCOPE.as_str());
    }
    page(state, auth, status, "competitors", ctx, extra)
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
    render_competitors(
        &state,
        &auth,
        StatusCode::OK,
        form,
        json!({"notice": notice}),
    )
    .await
}

async fn add_competitor(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<CompetitorForm>,
) -> AppResult<Response> {
    let input = CompetitorInput {
        profile_id: form.profile_id.clone(),
        username: form.username.clone(),
    };
    match competitors::add(&state, &auth, input).await {
        Ok(c) => Ok(Redirect::to(&format!(
            "/app/competitors?profile_id={}&done=added",
            c.profile_id
        ))
        .into_response()),
        Err(AppError::Validation { message, fields }) => {
            let extra = json!({"error": message, "fields": fields});
            render_competitors(&state, &auth, StatusCode::UNPROCESSABLE_ENTITY, form, extra).await
        }
        Err(e) => super::plan_limit::explain(&state, &auth, "competitors", Err::<Response, _>(e)),
    }
}

async fn remove_competitor(
    State(state): State<WebState>,
    Path(id): Path<String>,
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
fn volume_chart(volume: &[listening::VolumeDay]) -> Value {
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
    json!({
        "id": "listening-volume", "title": spec.title, "svg": svg::line(&spec, &points),
        "columns": ["day", "posts"], "note": "",
        "rows": volume.iter().map(|d| json!([d.day, d.matches])).collect::<Vec<_>>(),
    })
}

async fn render_listening(
    state: &WebState,
    auth: &AuthUser,
    status: StatusCode,
    form: SearchForm,
    search: &str,
    extra: Value,
) -> AppResult<Response> {
    let (profiles, selected) = profiles(state, auth, &form.profile_id).await?;
    let mut ctx =
        json!({"profiles": profiles, "form": form, "fields": {}, "error": "", "notice": ""});
    if !selected.is_empty() {
        let profile = state
            .store
            .profile_of(auth.workspace_id(), &selected)
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
        if let Some(id) = shown {
            let results = listening::results(state, auth, &id).await?;
            ctx["chart"] = volume_chart(&results.volume);
            ctx["results"] = json!(results);
        }
        ctx["searches"] = json!(searches);
        ctx["selected"] = json!(selected);
        ctx["allowed"] = json!(allowed);
        ctx["reason"] = json!(listening::reason());
        ctx["feature"] = json!(listening::SCOPE.as_str());
    }
    page(state, auth, status, "listening", ctx, extra)
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
        json!({"notice": notice}),
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
            let extra = json!({"error": "Choose keyword or topic tag.", "fields": {"mode": "Choose keyword or topic tag."}});
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
        profile_id: form.profile_id.clone(),
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
            let extra = json!({"error": message, "fields": fields});
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
    Path(id): Path<String>,
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
