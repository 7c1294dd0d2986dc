//! Feeds page: follow an RSS or Atom feed for a profile, see each feed's last poll and the
//! drafts it made, stop following one.

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
use crate::publishing::feeds::{self, FeedInput, FeedView};

/// Templates of this page, embedded in the binary.
pub const TEMPLATES: &[(&str, &str)] = &[(
    "publishing/feeds.html",
    include_str!("../../../web/templates/publishing/feeds.html"),
)];

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/app/schedule/feeds", get(page).post(create))
        .route("/app/schedule/feeds/{id}/delete", post(delete))
}

/// The form's fields, as posted and as shown again.
#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
struct FeedForm {
    csrf: String,
    profile_id: String,
    url: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Done {
    done: String,
}

/// `publishing/feeds.html`: the RSS feeds that make drafts, and the form to add one.
#[derive(Serialize)]
struct FeedsView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    feeds: Vec<FeedView>,
    form: FeedForm,
    profiles: Vec<ProfileChoice>,
    names: BTreeMap<String, String>,
    #[serde(flatten)]
    flash: Flash,
}

async fn render(
    state: &WebState,
    auth: &AuthUser,
    status: StatusCode,
    form: FeedForm,
    flash: Flash,
) -> AppResult<Response> {
    let list = feeds::list(state, auth).await?;
    let profiles = super::publishing_power::profiles(state, auth, &form.profile_id).await?;
    let names: BTreeMap<String, String> = profiles
        .iter()
        .map(|p| (p.id.clone(), p.username.clone()))
        .collect();
    let html = state.templates.render(
        "publishing/feeds.html",
        &FeedsView {
            chrome: Chrome::new(state, auth, "schedule"),
            feeds: list,
            form,
            profiles,
            names,
            flash,
        },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn page(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(q): Query<Done>,
) -> AppResult<Response> {
    let notice = match q.done.as_str() {
        "added" => {
            "Feed added. It is read within a few minutes, then at most every 30 minutes; new items become drafts."
        }
        "deleted" => "Feed removed. The drafts it made stay with your drafts.",
        _ => "",
    };
    render(
        &state,
        &auth,
        StatusCode::OK,
        FeedForm::default(),
        Flash::notice(notice),
    )
    .await
}

async fn create(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<FeedForm>,
) -> AppResult<Response> {
    let input = FeedInput {
        profile_id: form.profile_id.clone().into(),
        url: form.url.clone(),
    };
    match feeds::add(&state, &auth, input).await {
        Ok(_) => Ok(Redirect::to("/app/schedule/feeds?done=added").into_response()),
        Err(AppError::Validation { message, fields }) => {
            let extra = Flash::refused(message, fields);
            render(&state, &auth, StatusCode::UNPROCESSABLE_ENTITY, form, extra).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CsrfOnly {
    csrf: String,
}

async fn delete(
    State(state): State<WebState>,
    Path(id): Path<feeds::FeedId>,
    SignedForm { auth, form }: SignedForm<CsrfOnly>,
) -> AppResult<Response> {
    let _ = &form.csrf;
    feeds::delete(&state, &auth, &id).await?;
    Ok(Redirect::to("/app/schedule/feeds?done=deleted").into_response())
}
