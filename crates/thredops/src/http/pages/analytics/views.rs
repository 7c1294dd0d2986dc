//! The analytics pages of one profile.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::super::plan_limit::explain;
use super::super::view::Chrome;
use crate::analytics::demographics::Demographics;
use crate::analytics::explorer::{self, Explorer, ExplorerQuery, FORMATS, PostRowView};
use crate::analytics::overview::MetricLine;
use crate::analytics::period::{Period, PeriodQuery};
use crate::analytics::svg::{self, Spec};
use crate::analytics::table::{Table, cell_text};
use crate::analytics::{self as an, Scope, attribution, content, demographics, overview};
use crate::http::error::{AppError, AppResult};
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::services::profiles::{self, ProfileView};

/// A chart with its data table, ready for the `chart` macro (which formats the cells).
#[derive(Serialize)]
struct Chart {
    title: &'static str,
    svg: String,
    columns: Vec<&'static str>,
    rows: Vec<Vec<Value>>,
    /// Said under a line chart whose series has one point so far.
    #[serde(skip_serializing_if = "Option::is_none")]
    note: Option<&'static str>,
}

fn chart(title: &'static str, svg: String, table: &Table) -> Chart {
    Chart {
        title,
        svg,
        columns: table.columns.clone(),
        rows: table.rows.clone(),
        note: None,
    }
}

/// A line chart's entry, with the note for a series that has one point so far.
fn line_chart(
    title: &'static str,
    spec: &Spec,
    points: &[(String, Option<f64>)],
    table: &Table,
) -> Chart {
    let mut c = chart(title, svg::line(spec, points), table);
    if svg::known_points(points) == 1 {
        c.note = Some(svg::ONE_POINT_NOTE);
    }
    c
}

/// A period form's field errors.
type PeriodErrors = Option<BTreeMap<String, String>>;

/// Resolves the period; a bad one falls back to the default and is reported on the page.
async fn period_or_default(scope: &Scope, q: &PeriodQuery) -> AppResult<(Period, PeriodErrors)> {
    match scope.period(q).await {
        Ok(p) => Ok((p, None)),
        Err(AppError::Validation { fields, .. }) => {
            Ok((scope.period(&PeriodQuery::default()).await?, Some(fields)))
        }
        Err(e) => Err(e),
    }
}

/// What every page of a profile shows: the profile, its sync state and the period form.
#[derive(Serialize)]
struct ProfileFrame<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    profile: ProfileView,
    period: &'a Period,
    tz: &'static str,
    tz_unset: bool,
    history_starts: Option<String>,
    connected_on: String,
    period_errors: PeriodErrors,
    history_note: Option<String>,
    engagement_rate_definition: &'static str,
    post_metrics_definition: &'static str,
}

async fn profile_frame<'a>(
    state: &WebState,
    auth: &'a AuthUser,
    scope: &Scope,
    active: &'a str,
    period: &'a Period,
    errors: PeriodErrors,
) -> AppResult<ProfileFrame<'a>> {
    let profile = profiles::get(state, auth, scope.id()).await?;
    let history = scope.history_start().await?;
    // Said only when the plan actually shortened what is shown.
    let history_note = scope
        .history
        .as_ref()
        .filter(|_| period.history_limited_to_days.is_some())
        .map(|limit| limit.note());
    Ok(ProfileFrame {
        chrome: Chrome::new(state, auth, active),
        profile,
        period,
        tz: scope.tz.name(),
        tz_unset: auth.user.timezone.is_none(),
        history_starts: history.map(|d| d.to_string()),
        connected_on: crate::analytics::period::local_date(scope.tz, scope.profile.connected_at)
            .to_string(),
        period_errors: errors,
        history_note,
        engagement_rate_definition: an::ENGAGEMENT_RATE,
        post_metrics_definition: an::POST_METRICS,
    })
}

fn status(errors: &PeriodErrors) -> StatusCode {
    if errors.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    }
}

/// Everything the dashboard and the report show.
#[derive(Serialize)]
struct DashboardData {
    metrics: Vec<MetricLine>,
    own_posts: usize,
    charts: [Chart; 4],
    heatmap: Chart,
    breakdown: Chart,
    demographics: Demographics,
    attribution: AttributionSummary,
    tables: &'static [&'static str],
}

/// Follower gains and the posts credited with the most.
#[derive(Serialize)]
struct AttributionSummary {
    gained: i64,
    attributed: f64,
    unattributed: f64,
    method: &'static str,
    top: Vec<TopPost>,
}

/// A post credited with follower gains.
#[derive(Serialize)]
struct TopPost {
    media_id: String,
    estimated_followers: f64,
    views: i64,
    posted: i64,
}

/// `analytics/dashboard.html`.
#[derive(Serialize)]
struct DashboardView<'a> {
    #[serde(flatten)]
    frame: ProfileFrame<'a>,
    #[serde(flatten)]
    data: DashboardData,
    query: String,
}

/// `analytics/report.html`: the dashboard, printable.
#[derive(Serialize)]
struct ReportView<'a> {
    #[serde(flatten)]
    frame: ProfileFrame<'a>,
    #[serde(flatten)]
    data: DashboardData,
}

async fn dashboard_context(scope: &Scope, period: Period) -> AppResult<DashboardData> {
    let w = period.current;
    let o = overview::overview(scope, period).await?;
    let points = overview::series(scope, &w).await?;
    let posts = scope.posts(w.start, w.end).await?;
    let own_posts = posts.iter().filter(|p| !p.is_repost).count();
    let cells = content::heatmap(scope, &posts);
    let groups = content::breakdown(scope, &posts);
    let demo = demographics::demographics(scope, &w).await?;
    let attr = attribution::attribution(scope, &w).await?;
    let series_t = overview::series_table(&points);
    let dates = |f: &dyn Fn(&overview::DayPoint) -> Option<f64>| {
        points
            .iter()
            .map(|p| (p.date.clone(), f(p)))
            .collect::<Vec<_>>()
    };
    let followers = line_chart(
        "Follower growth",
        &Spec {
            id: "followers",
            title: "Follower growth",
            x_label: "Date",
            y_label: "Followers",
        },
        &dates(&|p| p.followers.map(|v| v as f64)),
        &series_t,
    );
    let views = line_chart(
        "Daily profile views",
        &Spec {
            id: "views",
            title: "Daily profile views",
            x_label: "Date",
            y_label: "Views",
        },
        &dates(&|p| p.views.map(|v| v as f64)),
        &series_t,
    );
    let engagement = svg::bars(
        &Spec {
            id: "engagement",
            title: "Engagements of posts published each day",
            x_label: "Date",
            y_label: "Engagements",
        },
        &points
            .iter()
            .map(|p| (p.date.clone(), p.engagements as f64))
            .collect::<Vec<_>>(),
    );
    let cadence = overview::cadence(&points);
    let mut cadence_t = Table::new(&["when", "posts"]);
    cadence
        .iter()
        .for_each(|(l, n)| cadence_t.push(vec![json!(l), json!(n)]));
    let cadence_svg = svg::bars(
        &Spec {
            id: "cadence",
            title: "Posting cadence",
            x_label: "Date",
            y_label: "Posts",
        },
        &cadence
            .iter()
            .map(|(l, n)| (l.clone(), *n as f64))
            .collect::<Vec<_>>(),
    );
    let heat_t = content::heatmap_table(&cells);
    let busy: Vec<Vec<Value>> = heat_t
        .rows
        .iter()
        .filter(|r| r[2].as_i64().unwrap_or(0) > 0)
        .cloned()
        .collect();
    let heat_rows = Table {
        columns: heat_t.columns.clone(),
        rows: busy,
    };
    let mut top = attr.posts.clone();
    top.truncate(10);
    let top = top
        .into_iter()
        .map(|c| TopPost {
            media_id: c.media_id.into(),
            estimated_followers: c.estimated_followers,
            views: c.views,
            posted: c.posted_at,
        })
        .collect();
    Ok(DashboardData {
        metrics: o.metrics,
        own_posts,
        charts: [
            followers,
            views,
            chart(
                "Engagements of posts published each day",
                engagement,
                &series_t,
            ),
            chart("Posting cadence", cadence_svg, &cadence_t),
        ],
        heatmap: chart(
            "Best time to post",
            svg::heatmap("heatmap", &cells, scope.tz.name()),
            &heat_rows,
        ),
        breakdown: chart(
            "Content breakdown",
            String::new(),
            &content::breakdown_table(&groups),
        ),
        demographics: demo,
        attribution: AttributionSummary {
            gained: attr.gained,
            attributed: attr.attributed,
            unattributed: attr.unattributed,
            method: attr.method,
            top,
        },
        tables: crate::analytics::exports::TABLES,
    })
}

pub async fn dashboard(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Path(id): Path<crate::domain::ProfileId>,
    Query(q): Query<PeriodQuery>,
) -> AppResult<Response> {
    let scope = Scope::open(&state, &auth, &id).await?;
    let (period, errors) = period_or_default(&scope, &q).await?;
    let code = status(&errors);
    let view = DashboardView {
        frame: profile_frame(&state, &auth, &scope, "analytics", &period, errors).await?,
        data: dashboard_context(&scope, period.clone()).await?,
        query: serde_urlencoded::to_string(&q).unwrap_or_default(),
    };
    let html = state.templates.render("analytics/dashboard.html", &view)?;
    Ok((code, html).into_response())
}

pub async fn report(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Path(id): Path<crate::domain::ProfileId>,
    Query(q): Query<PeriodQuery>,
) -> AppResult<Response> {
    let scope = Scope::open(&state, &auth, &id).await?;
    let (period, errors) = period_or_default(&scope, &q).await?;
    let code = status(&errors);
    let view = ReportView {
        frame: profile_frame(&state, &auth, &scope, "analytics", &period, errors).await?,
        data: dashboard_context(&scope, period.clone()).await?,
    };
    let html = state.templates.render("analytics/report.html", &view)?;
    Ok((code, html).into_response())
}

/// A link to the explorer with one parameter changed (page reset unless it is the page).
fn link_with(id: &str, q: &ExplorerQuery, change: impl FnOnce(&mut ExplorerQuery)) -> String {
    let mut q = q.clone();
    q.page = None;
    change(&mut q);
    format!(
        "/app/profiles/{id}/posts?{}",
        serde_urlencoded::to_string(&q).unwrap_or_default()
    )
}

/// `analytics/posts.html`: the posts explorer.
#[derive(Serialize)]
struct PostsView<'a> {
    #[serde(flatten)]
    frame: ProfileFrame<'a>,
    result: &'a Explorer,
    q: &'a ExplorerQuery,
    sorts: Vec<SortLink>,
    formats: Vec<&'static str>,
    prev: Option<String>,
    next: Option<String>,
    export_query: String,
}

/// A column the explorer sorts by: its link and, when current, its direction.
#[derive(Serialize)]
struct SortLink {
    key: &'static str,
    href: String,
    aria: Option<&'static str>,
}

pub async fn explorer(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Path(id): Path<crate::domain::ProfileId>,
    Query(q): Query<ExplorerQuery>,
) -> AppResult<Response> {
    let scope = Scope::open(&state, &auth, &id).await?;
    let (result, errors) = match explorer::explore(&scope, &q).await {
        Ok(r) => (r, None),
        Err(AppError::Validation { fields, .. }) => (
            explorer::explore(&scope, &ExplorerQuery::default()).await?,
            Some(fields),
        ),
        Err(e) => return Err(e),
    };
    let sorts: Vec<SortLink> = [
        "posted_at",
        "views",
        "likes",
        "replies",
        "reposts",
        "quotes",
        "shares",
        "engagement_rate",
    ]
    .iter()
    .map(|k| {
        let next = if result.sort == *k && result.order == "desc" {
            "asc"
        } else {
            "desc"
        };
        let current = (result.sort == *k).then_some(if result.order == "asc" {
            "ascending"
        } else {
            "descending"
        });
        SortLink {
            key: k,
            href: link_with(&id, &q, |q| {
                q.sort = Some((*k).into());
                q.order = Some(next.into());
            }),
            aria: current,
        }
    })
    .collect();
    let page_link = |p: i64| link_with(&id, &q, |q| q.page = Some(p.to_string()));
    let export_query = serde_urlencoded::to_string(&ExplorerQuery {
        page: None,
        per_page: None,
        ..q.clone()
    })
    .unwrap_or_default();
    let code = status(&errors);
    let view = PostsView {
        frame: profile_frame(&state, &auth, &scope, "posts", &result.period, errors).await?,
        result: &result,
        q: &q,
        sorts,
        formats: FORMATS.iter().map(|f| f.0).collect(),
        prev: (result.page > 1).then(|| page_link(result.page - 1)),
        next: (result.page < result.pages).then(|| page_link(result.page + 1)),
        export_query,
    };
    let html = state.templates.render("analytics/posts.html", &view)?;
    Ok((code, html).into_response())
}

pub async fn post(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Path((id, media_id)): Path<(crate::domain::ProfileId, crate::domain::MediaId)>,
) -> AppResult<Response> {
    let scope = Scope::open(&state, &auth, &id).await?;
    let detail = match explorer::post_detail(&scope, &media_id).await {
        Ok(d) => d,
        Err(e) => return explain(&state, &auth, "posts", Err::<Response, _>(e)),
    };
    let history = &detail.history;
    let curve: Vec<(String, Option<f64>)> = history
        .rows
        .iter()
        .map(|r| (format!("{}h", cell_text(&r[2])), r[3].as_f64()))
        .collect();
    let velocity = line_chart(
        "Views by age of the post",
        &Spec {
            id: "velocity",
            title: "Views by age of the post",
            x_label: "Hours since publication",
            y_label: "Views",
        },
        &curve,
        history,
    );
    let profile =
        profiles::get(&state, &auth, &crate::domain::ProfileId::from(id.as_str())).await?;
    let view = PostView {
        chrome: Chrome::new(&state, &auth, "posts"),
        profile,
        post: detail.post,
        tz: scope.tz.name(),
        velocity,
        engagement_rate_definition: an::ENGAGEMENT_RATE,
    };
    Ok(state
        .templates
        .render("analytics/post.html", &view)?
        .into_response())
}

/// `analytics/post.html`: one post and its views by age.
#[derive(Serialize)]
struct PostView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    profile: ProfileView,
    post: PostRowView,
    tz: &'static str,
    velocity: Chart,
    engagement_rate_definition: &'static str,
}
