//! Analytics pages: profile pickers, the dashboard, the posts explorer, the post page, the
//! printable report and the time zone form.

mod views;

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::view::{Chrome, Problems};
use crate::analytics;
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::PageUser;
use crate::http::state::WebState;
use crate::services::profiles::{self, ProfileView};

const JS: &str = include_str!("../../../web/static/analytics.js");

/// Templates of these pages, embedded in the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "analytics/macros.html",
        include_str!("../../../web/templates/analytics/macros.html"),
    ),
    (
        "analytics/picker.html",
        include_str!("../../../web/templates/analytics/picker.html"),
    ),
    (
        "analytics/dashboard.html",
        include_str!("../../../web/templates/analytics/dashboard.html"),
    ),
    (
        "analytics/posts.html",
        include_str!("../../../web/templates/analytics/posts.html"),
    ),
    (
        "analytics/post.html",
        include_str!("../../../web/templates/analytics/post.html"),
    ),
    (
        "analytics/report.html",
        include_str!("../../../web/templates/analytics/report.html"),
    ),
    (
        "analytics/timezone.html",
        include_str!("../../../web/templates/analytics/timezone.html"),
    ),
];

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/app/analytics", get(pick_analytics))
        .route("/app/posts", get(pick_posts))
        .route(
            "/app/analytics/timezone",
            get(timezone_form).post(timezone_submit),
        )
        .route("/app/profiles/{id}/analytics", get(views::dashboard))
        .route("/app/profiles/{id}/analytics/report", get(views::report))
        .route("/app/profiles/{id}/posts", get(views::explorer))
        .route("/app/profiles/{id}/posts/{media_id}", get(views::post))
        .route(
            "/static/analytics.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    JS,
                )
            }),
        )
}

async fn picker(
    state: &WebState,
    auth: &crate::http::session::AuthUser,
    area: &str,
) -> AppResult<Response> {
    let list = profiles::list(state, auth).await?;
    let (title, suffix) = if area == "posts" {
        ("Posts", "posts")
    } else {
        ("Analytics", "analytics")
    };
    if let [only] = list.as_slice() {
        return Ok(Redirect::to(&format!("/app/profiles/{}/{suffix}", only.id)).into_response());
    }
    let html = state.templates.render(
        "analytics/picker.html",
        &PickerView {
            chrome: Chrome::new(state, auth, area),
            profiles: &list,
            title,
            suffix,
        },
    )?;
    Ok(html.into_response())
}

/// `analytics/picker.html`: which profile's analytics or posts to open.
#[derive(Serialize)]
struct PickerView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    profiles: &'a [ProfileView],
    title: &'static str,
    suffix: &'static str,
}

async fn pick_analytics(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
) -> AppResult<Response> {
    picker(&state, &auth, "analytics").await
}

async fn pick_posts(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
) -> AppResult<Response> {
    picker(&state, &auth, "posts").await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TimezoneForm {
    csrf: String,
    timezone: String,
    back: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct BackQuery {
    back: String,
}

/// Only our own app pages are valid places to return to (no open redirect).
fn safe_back(back: &str) -> String {
    if back.starts_with("/app/") && !back.starts_with("//") && !back.contains('\\') {
        back.to_owned()
    } else {
        "/app/analytics".to_owned()
    }
}

/// `analytics/timezone.html`: the reader's time zone.
#[derive(Serialize)]
struct TimezoneView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    timezone: Option<&'a str>,
    back: String,
    zones: Vec<(&'static str, Vec<&'static str>)>,
    #[serde(flatten)]
    problems: Problems,
}

async fn timezone_form(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(q): Query<BackQuery>,
) -> AppResult<Html<String>> {
    state.templates.render(
        "analytics/timezone.html",
        &TimezoneView {
            chrome: Chrome::new(&state, &auth, "analytics"),
            timezone: auth.user.timezone.as_deref(),
            back: safe_back(&q.back),
            zones: analytics::zone_groups(),
            problems: Problems::default(),
        },
    )
}

async fn timezone_submit(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<TimezoneForm>,
) -> AppResult<Response> {
    let back = safe_back(&form.back);
    match analytics::set_timezone(&state, &auth, &form.timezone).await {
        Ok(_) => Ok((StatusCode::SEE_OTHER, [(header::LOCATION, back)]).into_response()),
        Err(AppError::Validation { fields, .. }) => {
            let html = state.templates.render(
                "analytics/timezone.html",
                &TimezoneView {
                    chrome: Chrome::new(&state, &auth, "analytics"),
                    timezone: Some(&form.timezone),
                    back,
                    zones: analytics::zone_groups(),
                    problems: Problems::fields("Your time zone was not changed.", fields),
                },
            )?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(other) => Err(other),
    }
}
