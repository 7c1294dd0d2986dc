//! Connecting, watching and disconnecting Threads profiles.

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::account::CsrfForm;
use super::view::Chrome;
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::services::profiles::{self, CallbackQuery, ConnectFailure, ProfileView};
use crate::store::profiles::{Connected, ProfileFootprint};
use crate::threads::SCOPES;

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/app/profiles", get(list))
        .route("/app/profiles/connect", post(connect))
        .route("/oauth/threads/callback", get(callback))
        .route("/app/profiles/{id}", get(detail))
        .route("/app/profiles/{id}/events", get(events))
        .route("/app/profiles/{id}/sync", post(sync_now))
        .route("/app/profiles/{id}/disconnect", post(disconnect))
}

/// Scopes with the reason each is asked for.
/// A permission ThredOps asks Threads for, and why.
#[derive(Serialize)]
struct ScopeRow {
    name: &'static str,
    why: &'static str,
}

fn scope_list(list: &[(threads_api::Scope, &'static str)]) -> Vec<ScopeRow> {
    list.iter()
        .map(|(s, why)| ScopeRow {
            name: s.as_str(),
            why,
        })
        .collect()
}

/// `profiles.html`: the connected profiles and the permissions asked for.
#[derive(Serialize)]
struct ProfilesView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    profiles: Vec<ProfileView>,
    scopes: Vec<ScopeRow>,
    optional_scopes: Vec<ScopeRow>,
    notice: Option<&'static str>,
}

/// `connect_failed.html`: why a profile was not connected.
#[derive(Serialize)]
struct ConnectFailedView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    title: &'static str,
    message: String,
}

/// `profile.html`: one profile and its sync.
#[derive(Serialize)]
struct ProfilePageView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    profile: ProfileView,
    notice: Option<&'static str>,
    scopes: Vec<ScopeRow>,
}

/// `profile_delete.html`: what deleting a profile's history removes.
#[derive(Serialize)]
struct ProfileDeleteView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    profile: ProfileView,
    items: [String; 6],
    footprint: ProfileFootprint,
    confirm: &'static str,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Notice {
    done: Option<String>,
}

async fn list(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(q): Query<Notice>,
) -> AppResult<Html<String>> {
    let list = profiles::list(&state, &auth).await?;
    let notice = match q.done.as_deref() {
        Some("disconnected") => {
            Some("The profile was disconnected. Its access token was destroyed.")
        }
        Some("deleted") => {
            Some("The profile was disconnected and everything synced from it was deleted.")
        }
        _ => None,
    };
    state.templates.render(
        "profiles.html",
        &ProfilesView {
            chrome: Chrome::new(&state, &auth, "profiles"),
            profiles: list,
            scopes: scope_list(SCOPES),
            optional_scopes: scope_list(crate::threads::OPTIONAL_SCOPES),
            notice,
        },
    )
}

/// The connect button's form; `feature` names an optional scope to allow as well.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ConnectForm {
    csrf: String,
    feature: String,
}

async fn connect(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<ConnectForm>,
) -> AppResult<Response> {
    let _ = &form.csrf;
    let feature = match form.feature.as_str() {
        "" => None,
        name => Some(crate::threads::optional_scope(name).ok_or_else(|| {
            AppError::field("feature", "ThredOps does not ask for that permission.")
        })?),
    };
    // Over the plan's limit: the explanation page with the limit and the way to upgrade.
    let started = profiles::start_connect_for(&state, &auth, feature)
        .await
        .map(|url| (StatusCode::SEE_OTHER, [(header::LOCATION, url)]));
    super::plan_limit::explain(&state, &auth, "profiles", started)
}

async fn callback(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(query): Query<CallbackQuery>,
) -> AppResult<Response> {
    match profiles::finish_connect(&state, &auth, query).await {
        Ok(Connected::New(id)) => Ok(redirect(&format!("/app/profiles/{id}?connected=new"))),
        Ok(Connected::Reconnected(id)) => {
            Ok(redirect(&format!("/app/profiles/{id}?connected=again")))
        }
        Err(ConnectFailure::App(e)) => Err(e),
        Err(failure) => {
            let status = match failure {
                ConnectFailure::Exchange(_) => StatusCode::BAD_GATEWAY,
                ConnectFailure::TakenByAnotherAccount => StatusCode::CONFLICT,
                _ => StatusCode::BAD_REQUEST,
            };
            let title = match failure {
                ConnectFailure::Denied => "Connection cancelled",
                _ => "The profile was not connected",
            };
            let html = state.templates.render(
                "connect_failed.html",
                &ConnectFailedView {
                    chrome: Chrome::new(&state, &auth, "profiles"),
                    title,
                    message: failure.to_string(),
                },
            )?;
            Ok((status, html).into_response())
        }
    }
}

fn redirect(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_owned())],
    )
        .into_response()
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DetailQuery {
    connected: Option<String>,
    done: Option<String>,
}

async fn detail(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Path(id): Path<String>,
    Query(q): Query<DetailQuery>,
) -> AppResult<Html<String>> {
    let profile =
        profiles::get(&state, &auth, &crate::domain::ProfileId::from(id.as_str())).await?;
    let notice = match (q.connected.as_deref(), q.done.as_deref()) {
        (Some("new"), _) => {
            Some("Connected. ThredOps is now fetching your history; this page updates as it goes.")
        }
        (Some("again"), _) => Some("Reconnected. Your history was kept and syncing has resumed."),
        (_, Some("sync")) => Some("A sync was started."),
        _ => None,
    };
    state.templates.render(
        "profile.html",
        &ProfilePageView {
            chrome: Chrome::new(&state, &auth, "profiles"),
            profile,
            notice,
            scopes: scope_list(SCOPES),
        },
    )
}

/// Server-sent events with the backfill's progress, once a second, until it is done.
async fn events(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Path(id): Path<String>,
) -> AppResult<Sse<impl Stream<Item = Result<Event, Infallible>>>> {
    // Ownership is checked once, up front: another user's id is a 404, not an empty stream.
    profiles::get(&state, &auth, &crate::domain::ProfileId::from(id.as_str())).await?;
    let stream = futures_util::stream::unfold(Some((state, auth, id)), |ctx| async move {
        let (state, auth, id) = ctx?;
        // The stream ends when the server stops, so it never holds up a shutdown.
        let mut stopping = state.stopping.subscribe();
        tokio::select! {
            () = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stopping.wait_for(|stop| *stop) => return None,
        }
        let view = profiles::get(&state, &auth, &crate::domain::ProfileId::from(id.as_str()))
            .await
            .ok()?;
        let done = view.sync.progress.is_none() && view.sync.backfill_done_at.is_some();
        let event = Event::default()
            .event(if done { "done" } else { "progress" })
            .json_data(json!({"sync": view.sync, "status": view.status}))
            .ok()?;
        let next = (!done).then_some((state, auth, id));
        Some((Ok(event), next))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

async fn sync_now(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedForm { auth, form: _ }: SignedForm<CsrfForm>,
) -> AppResult<Response> {
    let profile =
        profiles::get(&state, &auth, &crate::domain::ProfileId::from(id.as_str())).await?;
    if profile.status != crate::store::profiles::ProfileStatus::Active {
        return Err(AppError::Conflict(
            "This profile is not connected; reconnect it first.".into(),
        ));
    }
    crate::sync::sync_now(&state, auth.workspace_id(), &profile.id).await?;
    Ok(redirect(&format!("/app/profiles/{id}?done=sync")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DisconnectForm {
    csrf: String,
    history: String,
    /// `delete` once the user has seen what goes and confirmed it.
    confirm: String,
}

/// The value of `confirm` that the confirmation page's button sends.
const CONFIRM_DELETE: &str = "delete";

/// "12 posts", "1 post".
fn count_of(n: i64, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The page that says what deleting the profile's history removes, and asks to confirm.
async fn confirm_delete(state: &WebState, auth: &AuthUser, id: &str) -> AppResult<Response> {
    let profile = profiles::get(state, auth, &crate::domain::ProfileId::from(id)).await?;
    let f = profiles::deletion_footprint(state, auth, &crate::domain::ProfileId::from(id)).await?;
    let items = [
        count_of(f.posts, "synced Threads post", "synced Threads posts"),
        count_of(
            f.post_snapshots,
            "metric snapshot of those posts",
            "metric snapshots of those posts",
        ),
        count_of(
            f.account_snapshots,
            "daily account snapshot (followers and totals)",
            "daily account snapshots (followers and totals)",
        ),
        count_of(f.scheduled, "scheduled post", "scheduled posts"),
        count_of(f.drafts, "draft", "drafts"),
        count_of(f.audits, "audit report", "audit reports"),
    ];
    let html = state.templates.render(
        "profile_delete.html",
        &ProfileDeleteView {
            chrome: Chrome::new(state, auth, "profiles"),
            profile,
            items,
            footprint: f,
            confirm: CONFIRM_DELETE,
        },
    )?;
    Ok(html.into_response())
}

async fn disconnect(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedForm { auth, form }: SignedForm<DisconnectForm>,
) -> AppResult<Response> {
    let keep = match form.history.as_str() {
        "keep" => true,
        // Deleting needs a second, explicit step: a plain post only shows what would go.
        "delete" if form.confirm != CONFIRM_DELETE => {
            return confirm_delete(&state, &auth, &id).await;
        }
        "delete" => false,
        _ => {
            return Err(AppError::field(
                "history",
                "Choose whether to keep or delete this profile's history.",
            ));
        }
    };
    profiles::disconnect(
        &state,
        &auth,
        &crate::domain::ProfileId::from(id.as_str()),
        keep,
    )
    .await?;
    Ok(redirect(if keep {
        "/app/profiles?done=disconnected"
    } else {
        "/app/profiles?done=deleted"
    }))
}
