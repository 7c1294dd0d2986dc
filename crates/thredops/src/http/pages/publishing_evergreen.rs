//! Evergreen pages: the list of evergreen posts with their next re-share, last results and
//! state; ThredOps' proposals with their evidence; the form to mark a post (from its page or the
//! synced posts list) or edit an item with its variations; pause, resume, delete.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::view::{Chrome, Flash};
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::publishing::evergreen::{self, ItemInput, ItemView, MAX_VARIATIONS, Proposal};

/// Templates of these pages, embedded in the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "publishing/evergreen.html",
        include_str!("../../../web/templates/publishing/evergreen.html"),
    ),
    (
        "publishing/evergreen_item.html",
        include_str!("../../../web/templates/publishing/evergreen_item.html"),
    ),
    (
        "publishing/evergreen_form.html",
        include_str!("../../../web/templates/publishing/evergreen_form.html"),
    ),
];

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/app/schedule/evergreen", get(list).post(create))
        .route("/app/schedule/evergreen/{id}", get(detail).post(update))
        .route("/app/schedule/evergreen/{id}/{action}", post(act))
}

/// The item form's fields, as posted and as shown again.
#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
struct ItemForm {
    csrf: String,
    post_id: String,
    media_id: String,
    profile_id: String,
    variation_1: String,
    variation_2: String,
    variation_3: String,
    variation_4: String,
    variation_5: String,
    variation_6: String,
    every: String,
    unit: String,
    /// `time` or `slots`.
    when: String,
    time: String,
    min_interval_days: String,
    threshold_percent: String,
    results_hours: String,
}

fn number(field: &str, v: &str) -> Result<Option<i64>, AppError> {
    match v.trim() {
        "" => Ok(None),
        n => n
            .parse()
            .map(Some)
            .map_err(|_| AppError::field(field, "Give a whole number, e.g. 30.")),
    }
}

impl ItemForm {
    fn variations(&self) -> [&String; MAX_VARIATIONS] {
        [
            &self.variation_1,
            &self.variation_2,
            &self.variation_3,
            &self.variation_4,
            &self.variation_5,
            &self.variation_6,
        ]
    }

    fn from_view(v: &ItemView) -> ItemForm {
        let text = |i: usize| v.variations.get(i).cloned().unwrap_or_default();
        let weeks = v.every_days % 7 == 0;
        ItemForm {
            variation_1: text(0),
            variation_2: text(1),
            variation_3: text(2),
            variation_4: text(3),
            variation_5: text(4),
            variation_6: text(5),
            every: (if weeks {
                v.every_days / 7
            } else {
                v.every_days
            })
            .to_string(),
            unit: (if weeks { "weeks" } else { "days" }).to_owned(),
            when: (if v.time.is_some() { "time" } else { "slots" }).to_owned(),
            time: v.time.clone().unwrap_or_default(),
            min_interval_days: v.min_interval_days.to_string(),
            threshold_percent: v.threshold_percent.to_string(),
            results_hours: v.results_hours.to_string(),
            ..ItemForm::default()
        }
    }

    fn defaults(post_id: String, media_id: String, profile_id: String, text: String) -> ItemForm {
        ItemForm {
            post_id,
            media_id,
            profile_id,
            variation_1: text,
            every: evergreen::DEFAULT_INTERVAL_DAYS.to_string(),
            unit: "days".into(),
            when: "time".into(),
            time: "09:00".into(),
            min_interval_days: evergreen::DEFAULT_INTERVAL_DAYS.to_string(),
            threshold_percent: evergreen::DEFAULT_THRESHOLD.to_string(),
            results_hours: evergreen::DEFAULT_RESULTS_HOURS.to_string(),
            ..ItemForm::default()
        }
    }

    fn input(&self, marking: bool) -> Result<ItemInput, AppError> {
        if self.when != "slots" && self.time.trim().is_empty() {
            return Err(AppError::field(
                "time",
                "Choose a time of day, or the profile's next free posting slot.",
            ));
        }
        let some = |v: &str| Some(v.trim().to_owned()).filter(|v| !v.is_empty());
        Ok(ItemInput {
            post_id: some(&self.post_id).filter(|_| marking).map(Into::into),
            media_id: some(&self.media_id).filter(|_| marking).map(Into::into),
            profile_id: some(&self.profile_id).filter(|_| marking).map(Into::into),
            variations: self.variations().iter().map(|v| (*v).clone()).collect(),
            every: number("every", &self.every)?,
            unit: some(&self.unit),
            time: some(&self.time).filter(|_| self.when != "slots"),
            min_interval_days: number("min_interval_days", &self.min_interval_days)?,
            threshold_percent: number("threshold_percent", &self.threshold_percent)?,
            results_hours: number("results_hours", &self.results_hours)?,
        })
    }
}

/// Problems keyed as the form names its fields (`variations[0]` is `variation_1`).
fn form_fields(fields: BTreeMap<String, String>) -> BTreeMap<String, String> {
    fields
        .into_iter()
        .map(|(k, v)| {
            let k = match k
                .strip_prefix("variations[")
                .and_then(|r| r.strip_suffix(']'))
            {
                Some(i) => format!("variation_{}", i.parse::<usize>().unwrap_or(0) + 1),
                None if k == "variations" => "variation_1".to_owned(),
                None => k,
            };
            (k, v)
        })
        .collect()
}

fn problem(e: AppError) -> Result<(StatusCode, String, BTreeMap<String, String>), AppError> {
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

/// Usernames by profile id.
async fn names(state: &WebState, auth: &AuthUser) -> AppResult<BTreeMap<String, String>> {
    Ok(super::publishing_power::profiles(state, auth, "")
        .await?
        .iter()
        .map(|p| (p.id.clone(), p.username.clone()))
        .collect())
}

/// `publishing/evergreen.html`: evergreen posts, proposals and the form to add one.
#[derive(Serialize)]
struct EvergreenView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    items: Vec<ItemView>,
    proposals: Vec<Proposal>,
    names: BTreeMap<String, String>,
    form: Option<ItemForm>,
    timezone: &'static str,
    max_variations: usize,
    #[serde(flatten)]
    flash: Flash,
}

/// `publishing/evergreen_item.html`: one evergreen post, its variations and re-shares.
#[derive(Serialize)]
struct EvergreenItemView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    item: ItemView,
    form: ItemForm,
    names: BTreeMap<String, String>,
    timezone: &'static str,
    max_variations: usize,
    #[serde(flatten)]
    flash: Flash,
}

async fn render_list(
    state: &WebState,
    auth: &AuthUser,
    status: StatusCode,
    form: Option<ItemForm>,
    flash: Flash,
) -> AppResult<Response> {
    let view = EvergreenView {
        chrome: Chrome::new(state, auth, "schedule"),
        items: evergreen::list(state, auth).await?,
        proposals: evergreen::proposals(state, auth, None).await?,
        names: names(state, auth).await?,
        form,
        timezone: crate::publishing::service::user_zone(auth).name(),
        max_variations: MAX_VARIATIONS,
        flash,
    };
    let html = state.templates.render("publishing/evergreen.html", &view)?;
    Ok((status, Html(html)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    post_id: String,
    media_id: String,
    profile_id: String,
    done: String,
}

async fn list(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(q): Query<ListQuery>,
) -> AppResult<Response> {
    let notice = match q.done.as_str() {
        "deleted" => {
            "Evergreen post deleted. Its published re-shares stay on Threads and in your posts."
        }
        _ => "",
    };
    let mut flash = Flash::notice(notice);
    let form = if q.post_id.is_empty() && q.media_id.is_empty() {
        None
    } else {
        let probe = ItemInput {
            post_id: Some(q.post_id.clone())
                .filter(|v| !v.is_empty())
                .map(Into::into),
            media_id: Some(q.media_id.clone())
                .filter(|v| !v.is_empty())
                .map(Into::into),
            profile_id: Some(q.profile_id.clone())
                .filter(|v| !v.is_empty())
                .map(Into::into),
            ..ItemInput::default()
        };
        match evergreen::original_text(&state, &auth, &probe).await {
            Ok(text) => Some(ItemForm::defaults(
                q.post_id,
                q.media_id,
                q.profile_id,
                text,
            )),
            Err(e) => {
                let (_, message, _) = problem(e)?;
                flash.error = message;
                None
            }
        }
    };
    render_list(&state, &auth, StatusCode::OK, form, flash).await
}

async fn create(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<ItemForm>,
) -> AppResult<Response> {
    let result = match form.input(true) {
        Ok(input) => evergreen::create(&state, &auth, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(item) => Ok(
            Redirect::to(&format!("/app/schedule/evergreen/{}?done=created", item.id))
                .into_response(),
        ),
        Err(e) => {
            let (status, message, fields) = problem(e)?;
            let flash = Flash::refused(message, fields);
            render_list(&state, &auth, status, Some(form), flash).await
        }
    }
}

async fn render_item(
    state: &WebState,
    auth: &AuthUser,
    id: &evergreen::ItemId,
    status: StatusCode,
    form: Option<ItemForm>,
    flash: Flash,
) -> AppResult<Response> {
    let record = evergreen::owned(state, auth, id).await?;
    let item = evergreen::view(state, auth, &record).await?;
    let form = form.unwrap_or_else(|| ItemForm::from_view(&item));
    let view = EvergreenItemView {
        chrome: Chrome::new(state, auth, "schedule"),
        item,
        form,
        names: names(state, auth).await?,
        timezone: crate::publishing::service::user_zone(auth).name(),
        max_variations: MAX_VARIATIONS,
        flash,
    };
    let html = state
        .templates
        .render("publishing/evergreen_item.html", &view)?;
    Ok((status, Html(html)).into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Done {
    done: String,
}

async fn detail(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Path(id): Path<evergreen::ItemId>,
    Query(q): Query<Done>,
) -> AppResult<Response> {
    let notice = match q.done.as_str() {
        "created" => {
            "This post is evergreen now. Its next re-share is on the calendar as an ordinary post."
        }
        "saved" => "Saved. A waiting re-share you had not edited was planned anew.",
        "paused" => {
            "Paused: the waiting re-share was removed and nothing more is planned until you resume."
        }
        "resumed" => "Resumed: the next re-share is planned.",
        _ => "",
    };
    render_item(
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
    Path(id): Path<evergreen::ItemId>,
    SignedForm { auth, form }: SignedForm<ItemForm>,
) -> AppResult<Response> {
    let result = match form.input(false) {
        Ok(input) => evergreen::update(&state, &auth, &id, input).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(_) => {
            Ok(Redirect::to(&format!("/app/schedule/evergreen/{id}?done=saved")).into_response())
        }
        Err(e) => {
            let (status, message, fields) = problem(e)?;
            let flash = Flash::refused(message, fields);
            render_item(&state, &auth, &id, status, Some(form), flash).await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CsrfOnly {
    csrf: String,
}

async fn act(
    State(state): State<WebState>,
    Path((id, action)): Path<(evergreen::ItemId, String)>,
    SignedForm { auth, form }: SignedForm<CsrfOnly>,
) -> AppResult<Response> {
    let _ = &form.csrf;
    let done = match action.as_str() {
        "pause" => evergreen::pause(&state, &auth, &id).await.map(|_| "paused"),
        "resume" => evergreen::resume(&state, &auth, &id)
            .await
            .map(|_| "resumed"),
        "delete" => {
            evergreen::delete(&state, &auth, &id).await?;
            return Ok(Redirect::to("/app/schedule/evergreen?done=deleted").into_response());
        }
        _ => return Err(AppError::NotFound),
    };
    match done {
        Ok(done) => {
            Ok(Redirect::to(&format!("/app/schedule/evergreen/{id}?done={done}")).into_response())
        }
        Err(e) => {
            let (status, message, _) = problem(e)?;
            let flash = Flash::refused(message, BTreeMap::new());
            render_item(&state, &auth, &id, status, None, flash).await
        }
    }
}
