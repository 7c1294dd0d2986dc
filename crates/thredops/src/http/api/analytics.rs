//! Analytics API: overview, series, heatmap, breakdown, demographics, attribution, posts explorer,
//! post history and exports of a profile, plus the user's time zone. Another user's profile is 404.

use crate::http::query::ApiQuery;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::registry::{Endpoint, date, object, one_of, schema_of, string};
use crate::analytics::explorer::{self, ExplorerQuery};
use crate::analytics::exports::{self, ExportQuery};
use crate::analytics::period::{Period, PeriodQuery};
use crate::analytics::{self as an, Scope, attribution, content, demographics, overview};
use crate::http::error::{AppError, AppResult};
use crate::http::json::ApiJson;
use crate::http::session::{AuthUser, OwnProfile};
use crate::http::state::WebState;

const TAG: &str = "analytics";

/// Rows of a table as JSON objects keyed by column (the JSON export's shape).
type Rows = Vec<BTreeMap<String, Value>>;

/// `GET .../analytics/series`.
#[derive(Serialize, schemars::JsonSchema)]
struct SeriesBody {
    /// The period.
    period: Period,
    /// One point per local day.
    points: Vec<overview::DayPoint>,
    /// Posts per day (per week past 45 days): `[date, posts]`.
    #[schemars(schema_with = "date_count_pairs")]
    cadence: Vec<(String, i64)>,
}

/// `[[date, count], ...]`. Written without `prefixItems`, which the API fuzzer's schema
/// handling turns into a draft-07 `items` array that OpenAPI 3.1 refuses.
fn date_count_pairs(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "array",
        "items": {
            "type": "array",
            "items": {"type": ["string", "integer"]},
            "minItems": 2,
            "maxItems": 2,
            "description": "[YYYY-MM-DD, posts]"
        }
    })
}

/// `GET .../analytics/heatmap`.
#[derive(Serialize, schemars::JsonSchema)]
struct HeatmapBody {
    /// The period.
    period: Period,
    /// The time zone weekdays and hours are in.
    timezone: String,
    /// One row per weekday and hour: weekday, hour, posts, views, engagement rate.
    #[schemars(with = "Rows")]
    cells: Value,
}

/// `GET .../analytics/breakdown`.
#[derive(Serialize, schemars::JsonSchema)]
struct BreakdownBody {
    /// The period.
    period: Period,
    /// One row per dimension and value.
    #[schemars(with = "Rows")]
    groups: Value,
}

/// `GET .../analytics/demographics`.
#[derive(Serialize, schemars::JsonSchema)]
struct DemographicsBody {
    /// The period.
    period: Period,
    /// The breakdowns at the period's last snapshot and their change.
    demographics: demographics::Demographics,
}

/// `GET .../analytics/attribution`.
#[derive(Serialize, schemars::JsonSchema)]
struct AttributionBody {
    /// The period.
    period: Period,
    /// The estimate.
    attribution: attribution::Attribution,
}

/// `GET .../analytics/posts/{media_id}`.
#[derive(Serialize, schemars::JsonSchema)]
struct PostBody {
    /// The post and its latest metrics.
    post: explorer::PostRowView,
    /// Every snapshot, oldest first.
    #[schemars(with = "Rows")]
    history: Value,
}

/// The documentation every GET of this area shares, with what it answers.
fn documented(e: Endpoint, answer: Value) -> Endpoint {
    e.tag(TAG)
        .authenticated()
        .query(
            "period",
            one_of(&["", "7d", "30d", "90d", "365d", "all", "custom"]),
            "The period (default, or empty: 30d); custom needs from and to",
        )
        .query(
            "from",
            date(),
            "First local date of a custom period, YYYY-MM-DD (empty: none)",
        )
        .query(
            "to",
            date(),
            "Last local date (inclusive) of a custom period, YYYY-MM-DD (empty: none)",
        )
        .response(200, "The data", Some(answer))
        .response(404, "Not one of your profiles", None)
}

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        documented(
            Endpoint::new(
                Method::GET,
                "/api/v1/profiles/{id}/analytics/overview",
                "Totals of a period vs the previous period",
                overview_json,
            ),
            schema_of::<overview::OverviewBody>(),
        ),
        documented(
            Endpoint::new(
                Method::GET,
                "/api/v1/profiles/{id}/analytics/series",
                "Daily followers, views, clicks, posts and engagements",
                series_json,
            ),
            schema_of::<SeriesBody>(),
        ),
        documented(
            Endpoint::new(
                Method::GET,
                "/api/v1/profiles/{id}/analytics/heatmap",
                "Posts, views and engagement by weekday and hour in the user's time zone",
                heatmap_json,
            ),
            schema_of::<HeatmapBody>(),
        ),
        documented(
            Endpoint::new(
                Method::GET,
                "/api/v1/profiles/{id}/analytics/breakdown",
                "Performance by format, link, length, question and topic tag",
                breakdown_json,
            ),
            schema_of::<BreakdownBody>(),
        ),
        documented(
            Endpoint::new(
                Method::GET,
                "/api/v1/profiles/{id}/analytics/demographics",
                "Follower demographics and their change over the period",
                demographics_json,
            ),
            schema_of::<DemographicsBody>(),
        ),
        documented(
            Endpoint::new(
                Method::GET,
                "/api/v1/profiles/{id}/analytics/attribution",
                "Estimated followers brought by each post (an estimate; method included)",
                attribution_json,
            ),
            schema_of::<AttributionBody>(),
        ),
        documented(
            Endpoint::new(
                Method::GET,
                "/api/v1/profiles/{id}/analytics/posts",
                "Posts explorer: the period's posts, filtered, sorted and paged",
                posts_json,
            ),
            schema_of::<explorer::Explorer>(),
        )
        .query(
            "format",
            string(),
            "Only posts of this format (text, image, video, carousel, ...)",
        )
        .query(
            "topic",
            string(),
            "Only posts with this topic tag (case-insensitive)",
        )
        .query(
            "q",
            string(),
            "Only posts whose text contains this (case-insensitive)",
        )
        .query(
            "min_views",
            json!({"type": "integer", "minimum": 0}),
            "Only posts with at least this many views",
        )
        .query("sort", string(), "Sort key (default posted_at)")
        .query(
            "order",
            one_of(&["asc", "desc"]),
            "Sort order (default desc)",
        )
        .query(
            "page",
            json!({"type": "integer", "minimum": 1}),
            "1-based page",
        )
        .query(
            "per_page",
            json!({"type": "integer", "minimum": 1, "maximum": 200}),
            "Rows per page (default 50)",
        ),
        // The post's whole history: no period applies.
        Endpoint::new(
            Method::GET,
            "/api/v1/profiles/{id}/analytics/posts/{media_id}",
            "One post with its metric history",
            post_json,
        )
        .tag(TAG)
        .authenticated()
        .response(
            200,
            "The post and its metric history",
            Some(schema_of::<PostBody>()),
        )
        .response(404, "Not one of your profiles, or no such post", None),
        documented(
            Endpoint::new(
                Method::GET,
                "/api/v1/profiles/{id}/analytics/exports/{table}",
                "A table as CSV or JSON",
                export,
            ),
            json!({"description": "CSV (text/csv) or, with format=json, rows as JSON objects"}),
        )
        .query(
            "format",
            one_of(&["csv", "json"]),
            "Output format (default csv)",
        )
        .query("media_id", string(), "The post of the post_history table"),
        Endpoint::new(
            Method::PUT,
            "/api/v1/me/timezone",
            "Sets the time zone analytics are shown in",
            put_timezone,
        )
        .tag(TAG)
        .authenticated()
        .body(object(&[("timezone", string())], &["timezone"]))
        .response(
            200,
            "Saved",
            Some(object(&[("timezone", string())], &["timezone"])),
        ),
    ]
}

async fn overview_json(
    State(state): State<WebState>,
    own: OwnProfile,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> AppResult<Response> {
    let scope = Scope::own_for_numbers(&state, &own.auth, own.profile).await?;
    let r = overview::report(&scope, &q).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], r.api_json()).into_response())
}

async fn series_json(
    State(state): State<WebState>,
    own: OwnProfile,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> AppResult<Json<SeriesBody>> {
    let scope = Scope::own(&state, &own.auth, own.profile).await?;
    let period = scope.period(&q).await?;
    let points = overview::series(&scope, &period.current).await?;
    let cadence = overview::cadence(&points);
    Ok(Json(SeriesBody {
        period,
        points,
        cadence,
    }))
}

async fn heatmap_json(
    State(state): State<WebState>,
    own: OwnProfile,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> AppResult<Json<HeatmapBody>> {
    let scope = Scope::own(&state, &own.auth, own.profile).await?;
    let period = scope.period(&q).await?;
    let posts = scope
        .posts(period.current.start, period.current.end)
        .await?;
    let table = content::heatmap_table(&content::heatmap(&scope, &posts));
    Ok(Json(HeatmapBody {
        period,
        timezone: scope.tz.name().to_owned(),
        cells: table.to_json(),
    }))
}

async fn breakdown_json(
    State(state): State<WebState>,
    own: OwnProfile,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> AppResult<Json<BreakdownBody>> {
    let scope = Scope::own(&state, &own.auth, own.profile).await?;
    let period = scope.period(&q).await?;
    let posts = scope
        .posts(period.current.start, period.current.end)
        .await?;
    let table = content::breakdown_table(&content::breakdown(&scope, &posts));
    Ok(Json(BreakdownBody {
        period,
        groups: table.to_json(),
    }))
}

async fn demographics_json(
    State(state): State<WebState>,
    own: OwnProfile,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> AppResult<Json<DemographicsBody>> {
    let scope = Scope::own(&state, &own.auth, own.profile).await?;
    let period = scope.period(&q).await?;
    let d = demographics::demographics(&scope, &period.current).await?;
    Ok(Json(DemographicsBody {
        period,
        demographics: d,
    }))
}

async fn attribution_json(
    State(state): State<WebState>,
    own: OwnProfile,
    ApiQuery(q): ApiQuery<PeriodQuery>,
) -> AppResult<Json<AttributionBody>> {
    let scope = Scope::own(&state, &own.auth, own.profile).await?;
    let period = scope.period(&q).await?;
    let a = attribution::attribution(&scope, &period.current).await?;
    Ok(Json(AttributionBody {
        period,
        attribution: a,
    }))
}

async fn posts_json(
    State(state): State<WebState>,
    own: OwnProfile,
    ApiQuery(q): ApiQuery<ExplorerQuery>,
) -> AppResult<Json<explorer::Explorer>> {
    let scope = Scope::own(&state, &own.auth, own.profile).await?;
    Ok(Json(explorer::explore(&scope, &q).await?))
}

async fn post_json(
    State(state): State<WebState>,
    own: OwnProfile,
    Path((_, media_id)): Path<(String, crate::domain::MediaId)>,
) -> AppResult<Json<PostBody>> {
    let scope = Scope::own(&state, &own.auth, own.profile).await?;
    let d = explorer::post_detail(&scope, &media_id).await?;
    Ok(Json(PostBody {
        post: d.post,
        history: d.history.to_json(),
    }))
}

async fn export(
    State(state): State<WebState>,
    own: OwnProfile,
    Path((_, table)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<ExportQuery>,
) -> AppResult<Response> {
    let scope = Scope::own(&state, &own.auth, own.profile).await?;
    let format = match q.format.as_deref().unwrap_or("csv") {
        "csv" | "" => "csv",
        "json" => "json",
        _ => return Err(AppError::field("format", "Export as csv or json.")),
    };
    let t = exports::table(&scope, &table, &q.filters, q.media_id.as_ref()).await?;
    let file = format!("attachment; filename=\"{table}.{format}\"");
    Ok(if format == "csv" {
        (
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (header::CONTENT_DISPOSITION, file),
            ],
            t.to_csv(),
        )
            .into_response()
    } else {
        ([(header::CONTENT_DISPOSITION, file)], Json(t.to_json())).into_response()
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TimezoneBody {
    timezone: String,
}

async fn put_timezone(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<TimezoneBody>,
) -> AppResult<Json<Value>> {
    let tz = an::set_timezone(&state, &auth, &body.timezone).await?;
    Ok(Json(json!({"timezone": tz.name()})))
}
