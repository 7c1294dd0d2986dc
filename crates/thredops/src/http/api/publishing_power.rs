//! Publishing power tools API: recurring series (create, edit, stop, skip and restore one
//! date), bulk import from CSV (preview, then import) and the plan's export.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::publishing::schemas::composition_schema;
use super::registry::{Endpoint, integer, object, string};
use crate::http::error::AppResult;
use crate::http::json::ApiJson;
use crate::http::session::AuthUser;
use crate::http::state::WebState;
use crate::publishing::bulk::{self, Imported, Preview};
use crate::publishing::recurring::{self, SeriesInput, SeriesView};

const TAG: &str = "publishing";

fn nullable(t: &str) -> Value {
    json!({"type": [t, "null"]})
}

fn series_input_schema() -> Value {
    object(
        &[
            ("profile_id", string()),
            ("content", composition_schema()),
            (
                "frequency",
                json!({"type": "string", "enum": ["daily", "weekdays", "weekly", "monthly"]}),
            ),
            (
                "days",
                json!({"type": "array", "items": {"type": "string", "enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}, "description": "Weekly: the weekdays"}),
            ),
            (
                "weekday",
                json!({"type": "string", "description": "Monthly: the weekday, e.g. mon"}),
            ),
            (
                "nth",
                json!({"type": "integer", "enum": [1, 2, 3, 4, -1], "description": "Monthly: first to fourth, or -1 for the last"}),
            ),
            (
                "time",
                json!({"type": "string", "description": "Wall-clock time in your time zone, 09:00"}),
            ),
            (
                "starts_on",
                json!({"type": "string", "description": "First date, 2027-03-29 (default today)"}),
            ),
            (
                "ends_on",
                json!({"type": "string", "description": "Last date, if any"}),
            ),
            (
                "count",
                json!({"type": "integer", "description": "Number of posts, if limited (skipped ones included)"}),
            ),
        ],
        &["profile_id", "content", "frequency", "time"],
    )
}

fn series_schema() -> Value {
    let occurrence = object(
        &[
            ("date", string()),
            ("number", integer()),
            ("local_time", string()),
            ("at", integer()),
            ("at_display", string()),
            (
                "status",
                json!({"type": "string", "description": "upcoming (not planned yet), planned, edited, skipped, removed, or the state of its post once underway or done"}),
            ),
            ("post_id", nullable("string")),
            (
                "over_quota",
                json!({"type": "boolean", "description": "More than 250 posts of the profile planned in the 24 hours up to it: it would be deferred"}),
            ),
        ],
        &["date", "number", "at", "status", "over_quota"],
    );
    object(
        &[
            ("id", string()),
            ("profile_id", string()),
            (
                "state",
                json!({"type": "string", "enum": ["active", "stopped"]}),
            ),
            ("kind", string()),
            ("content", composition_schema()),
            (
                "frequency",
                json!({"type": "string", "enum": ["daily", "weekly", "monthly"]}),
            ),
            (
                "days",
                json!({"type": "array", "items": {"type": "string"}}),
            ),
            ("nth", nullable("integer")),
            ("time", string()),
            ("starts_on", string()),
            ("ends_on", nullable("string")),
            ("count", nullable("integer")),
            ("description", string()),
            ("timezone", string()),
            (
                "occurrences",
                json!({"type": "array", "items": occurrence, "description": "The last two weeks' dates and the next ten"}),
            ),
        ],
        &["id", "state", "description", "occurrences"],
    )
}

/// A signed-in endpoint of the publishing area.
pub(super) fn route<H, T>(
    method: Method,
    path: &'static str,
    summary: &'static str,
    handler: H,
) -> Endpoint
where
    H: axum::handler::Handler<T, WebState>,
    T: 'static,
{
    Endpoint::new(method, path, summary, handler)
        .tag(TAG)
        .authenticated()
}

fn import_schemas() -> (Value, Value) {
    let row = object(
        &[
            (
                "row",
                json!({"type": "integer", "description": "Line in the CSV (1 = first line)"}),
            ),
            ("text", string()),
            ("profile", string()),
            ("local_time", string()),
            ("timezone", string()),
            ("at_display", string()),
            (
                "problems",
                json!({"type": "object", "additionalProperties": {"type": "string"}, "description": "By column: text, scheduled_time, timezone, profile, media; empty when the row will be imported"}),
            ),
        ],
        &["row", "problems"],
    );
    let preview = object(
        &[
            ("rows", json!({"type": "array", "items": row})),
            ("good", integer()),
            ("bad", integer()),
            ("error", nullable("string")),
        ],
        &["rows", "good", "bad"],
    );
    let imported = object(
        &[
            (
                "posts",
                json!({"type": "array", "items": {"type": "string"}}),
            ),
            ("skipped", json!({"type": "array", "items": row})),
        ],
        &["posts", "skipped"],
    );
    (preview, imported)
}

pub fn endpoints() -> Vec<Endpoint> {
    let series = || Some(series_schema());
    let (preview_schema, imported_schema) = import_schemas();
    let csv_body = || {
        object(
            &[(
                "csv",
                json!({"type": "string", "description": "CSV text: text, scheduled_time, timezone (optional), profile (optional), media (upload ids, optional); a header row may name them in any order"}),
            )],
            &["csv"],
        )
    };
    let date_body = || object(&[("date", string())], &["date"]);
    vec![
        route(Method::GET, "/api/v1/publishing/recurring", "Your recurring series with their recent and next dates", list)
            .response(200, "Series", Some(json!({"type": "array", "items": series_schema()}))),
        route(Method::POST, "/api/v1/publishing/recurring", "Creates a recurring series (daily, weekdays, given weekdays, or the nth weekday of the month at a local time, with an optional end) and plans its next 14 days as scheduled posts", create)
            .body(series_input_schema())
            .response(201, "The series", series()),
        route(Method::GET, "/api/v1/publishing/recurring/{id}", "One series with its recent and next dates", get_one)
            .response(200, "The series", series())
            .response(404, "Not one of yours", None),
        route(Method::PUT, "/api/v1/publishing/recurring/{id}", "Replaces a series' post and rule; its waiting, unedited posts are planned anew", update)
            .body(series_input_schema())
            .response(200, "The series", series())
            .response(404, "Not one of yours", None)
            .response(409, "The series is stopped", None),
        route(Method::DELETE, "/api/v1/publishing/recurring/{id}", "Stops and deletes a series (published posts stay)", delete)
            .response(204, "Deleted", None)
            .response(404, "Not one of yours", None),
        route(Method::POST, "/api/v1/publishing/recurring/{id}/stop", "Stops a series: nothing more is planned and its waiting posts are removed", stop)
            .response(200, "The series", series())
            .response(404, "Not one of yours", None),
        route(Method::POST, "/api/v1/publishing/recurring/{id}/skip", "Skips one date of a series ({\"date\": \"2027-03-29\"}); its post, if planned, is removed", skip)
            .body(date_body())
            .response(200, "The series", series())
            .response(404, "Not one of yours", None)
            .response(409, "That date's post is publishing or published", None),
        route(Method::POST, "/api/v1/publishing/recurring/{id}/restore", "Plans a skipped date again", restore)
            .body(date_body())
            .response(200, "The series", series())
            .response(404, "Not one of yours", None),
        route(Method::POST, "/api/v1/publishing/import/preview", "Checks every row of a CSV plan with the composer's preflight; stores nothing", import_preview)
            .body(csv_body())
            .response(200, "Each row with its line number and problems", Some(preview_schema)),
        route(Method::POST, "/api/v1/publishing/import", "Checks the rows again and schedules exactly those without problems, each in its row's time zone", import_rows)
            .body(csv_body())
            .response(201, "The new posts and the rows left out", Some(imported_schema)),
        route(Method::GET, "/api/v1/publishing/export.csv", "The plan (posts waiting to publish) as CSV in the import's columns", export_csv)
            .response(200, "text/csv", None),
    ]
}

async fn list(State(state): State<WebState>, auth: AuthUser) -> AppResult<Json<Vec<SeriesView>>> {
    Ok(Json(recurring::list(&state, &auth).await?))
}

async fn create(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(input): ApiJson<SeriesInput>,
) -> AppResult<(StatusCode, Json<SeriesView>)> {
    Ok((
        StatusCode::CREATED,
        Json(recurring::create(&state, &auth, input).await?),
    ))
}

async fn get_one(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<recurring::SeriesId>,
) -> AppResult<Json<SeriesView>> {
    let s = recurring::owned(&state, &auth, &id).await?;
    Ok(Json(recurring::view(&state, &auth, &s).await?))
}

async fn update(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<recurring::SeriesId>,
    ApiJson(input): ApiJson<SeriesInput>,
) -> AppResult<Json<SeriesView>> {
    Ok(Json(recurring::update(&state, &auth, &id, input).await?))
}

async fn delete(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<recurring::SeriesId>,
) -> AppResult<StatusCode> {
    recurring::delete(&state, &auth, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn stop(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<recurring::SeriesId>,
) -> AppResult<Json<SeriesView>> {
    Ok(Json(recurring::stop(&state, &auth, &id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DateBody {
    date: String,
}

async fn skip(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<recurring::SeriesId>,
    ApiJson(b): ApiJson<DateBody>,
) -> AppResult<Json<SeriesView>> {
    Ok(Json(recurring::skip(&state, &auth, &id, &b.date).await?))
}

async fn restore(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<recurring::SeriesId>,
    ApiJson(b): ApiJson<DateBody>,
) -> AppResult<Json<SeriesView>> {
    Ok(Json(recurring::restore(&state, &auth, &id, &b.date).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CsvBody {
    csv: String,
}

async fn import_preview(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(b): ApiJson<CsvBody>,
) -> AppResult<Json<Preview>> {
    Ok(Json(bulk::preview(&state, &auth, &b.csv).await?))
}

async fn import_rows(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(b): ApiJson<CsvBody>,
) -> AppResult<(StatusCode, Json<Imported>)> {
    Ok((
        StatusCode::CREATED,
        Json(bulk::import(&state, &auth, &b.csv).await?),
    ))
}

/// The plan as a CSV download (also served to the schedule page's link).
pub(crate) async fn export_csv(
    State(state): State<WebState>,
    auth: AuthUser,
) -> AppResult<Response> {
    let body = bulk::export(&state, &auth).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"thredops-plan.csv\"",
            ),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        body,
    )
        .into_response())
}
