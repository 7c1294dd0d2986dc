//! The signed-in privacy settings: connected profiles, export, deletion, notices and the staff
//! access log. Public pages (deletion requests, status, Meta callbacks) are in `privacy_public`.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::view::Chrome;
use crate::auth::password;
use crate::http::cookies;
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::privacy::purge::Receipt;
use crate::privacy::{export, purge, requests};
use crate::services::profiles::{self as profile_service, TokenState};
use crate::workspaces::{MemberView, WorkspaceView};

#[path = "privacy_public.rs"]
mod public_pages;

/// Templates of these pages, embedded in the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "privacy/settings.html",
        include_str!("../../../web/templates/privacy/settings.html"),
    ),
    (
        "privacy/deleted.html",
        include_str!("../../../web/templates/privacy/deleted.html"),
    ),
    (
        "privacy/status.html",
        include_str!("../../../web/templates/privacy/status.html"),
    ),
    (
        "privacy/request.html",
        include_str!("../../../web/templates/privacy/request.html"),
    ),
    (
        "privacy/confirm.html",
        include_str!("../../../web/templates/privacy/confirm.html"),
    ),
    (
        "privacy/ticket_confirm.html",
        include_str!("../../../web/templates/privacy/ticket_confirm.html"),
    ),
];

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/settings/privacy", get(privacy_settings))
        .route("/settings/privacy/export", get(download_export))
        .route("/settings/privacy/delete", post(delete_account))
        .route("/settings/privacy/request", post(request_deletion))
        .merge(public_pages::router())
}

/// A time for templates: UTC text that `app.js` rewrites into the reader's timezone through
/// `<time data-unix>` (no timezone database is compiled in).
pub fn when(ts: i64) -> When {
    let utc = chrono::DateTime::from_timestamp(ts, 0).unwrap_or_default();
    When {
        unix: ts,
        iso: utc.to_rfc3339(),
        text: utc.format("%-d %b %Y %H:%M UTC").to_string(),
    }
}

/// A moment as the templates show it: Unix seconds, RFC 3339 and UTC text.
#[derive(Serialize)]
pub struct When {
    unix: i64,
    iso: String,
    text: String,
}

/// `privacy/settings.html`: connected profiles, export, deletion, notices and the access log.
#[derive(Serialize)]
struct PrivacySettingsView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    own_members: Vec<MemberView>,
    other_workspaces: Vec<WorkspaceView>,
    profiles: Vec<ProfileRow>,
    access_log: Vec<AccessRow>,
    notices: Vec<NoticeRow>,
    last_active: When,
    retention_days: u64,
    pending_purge: Option<When>,
    contact: &'a str,
    #[serde(flatten)]
    outcome: PrivacyOutcome,
}

/// A connected profile and the state of its token.
#[derive(Serialize)]
struct ProfileRow {
    id: String,
    username: String,
    status: String,
    scopes: Vec<String>,
    last_sync: Option<When>,
    token_present: bool,
    token_expires: Option<When>,
    needs_reconnect: bool,
    token_state: TokenState,
    token_summary: String,
}

/// A staff member's access to the account.
#[derive(Serialize)]
struct AccessRow {
    role: String,
    name: Option<String>,
    action: String,
    reason: String,
    at: When,
}

/// A notice sent to the user.
#[derive(Serialize)]
struct NoticeRow {
    kind: String,
    message: String,
    at: When,
}

/// What the last action left to say: a notice, or why the account was not deleted.
#[derive(Serialize, Default)]
struct PrivacyOutcome {
    #[serde(skip_serializing_if = "Option::is_none")]
    notice: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    delete_error: Option<&'static str>,
    fields: BTreeMap<String, String>,
}

/// `privacy/deleted.html`: the deletion receipt.
#[derive(Serialize)]
struct DeletedView<'a> {
    receipt: Receipt,
    mailed: bool,
    operator: &'a str,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Notice {
    done: Option<String>,
}

async fn privacy_settings(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(q): Query<Notice>,
) -> AppResult<Html<String>> {
    let notice = match q.done.as_deref() {
        Some("requested") => Some("We emailed you a link to confirm the deletion request."),
        _ => None,
    };
    let outcome = PrivacyOutcome {
        notice,
        ..PrivacyOutcome::default()
    };
    render(&state, &auth, outcome).await.map(Html)
}

async fn render(state: &WebState, auth: &AuthUser, outcome: PrivacyOutcome) -> AppResult<String> {
    let when_opt = |ts: Option<i64>| ts.map(when);
    let profiles = profile_service::list(state, auth)
        .await?
        .into_iter()
        .map(|p| ProfileRow {
            id: p.id.into(),
            username: p.username,
            status: p.status.as_str().into(),
            scopes: p.scopes,
            last_sync: when_opt(p.sync.last_sync_at),
            token_present: p.token.present,
            token_expires: when_opt(p.token.expires_at),
            needs_reconnect: p.token.needs_reconnect,
            token_state: p.token.state,
            token_summary: p.token.summary,
        })
        .collect();
    let access = crate::privacy::reads::access_log(state, &auth.user.id)
        .await?
        .into_iter()
        .map(|a| AccessRow {
            role: a.staff_role,
            name: a.staff_name,
            action: a.action,
            reason: a.reason,
            at: when(a.at),
        })
        .collect();
    let notices = crate::privacy::reads::notices(state, &auth.user.id)
        .await?
        .into_iter()
        .map(|n| NoticeRow {
            kind: n.kind,
            message: n.message,
            at: when(n.created_at),
        })
        .collect();
    let own_members = crate::workspaces::own_members(state, auth).await?;
    let other_workspaces: Vec<_> = crate::workspaces::mine(state, auth)
        .await?
        .into_iter()
        .filter(|w| !w.own)
        .collect();
    let view = PrivacySettingsView {
        chrome: Chrome::new(state, auth, "settings"),
        own_members,
        other_workspaces,
        profiles,
        access_log: access,
        notices,
        last_active: when(auth.user.last_active_at),
        retention_days: state.settings.privacy.inactive_after.as_secs() / 86_400,
        pending_purge: crate::privacy::reads::pending_purge_at(state, &auth.user.id)
            .await?
            .map(when),
        contact: &state.settings.privacy.operator_contact,
        outcome,
    };
    state
        .templates
        .render("privacy/settings.html", &view)
        .map(|h| h.0)
}

async fn download_export(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
) -> AppResult<Response> {
    let archive = export::build(&state, &auth.user.id).await?;
    Ok(crate::http::download::export_archive(archive))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct DeleteForm {
    csrf: String,
    password: String,
    confirm: String,
}

async fn delete_account(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<DeleteForm>,
) -> AppResult<Response> {
    let mut fields = BTreeMap::new();
    if form.confirm.trim() != "DELETE" {
        fields.insert(
            "confirm".into(),
            "Type DELETE in capitals to confirm.".into(),
        );
    }
    let ok = password::verify(form.password.clone(), Some(auth.user.password_hash.clone())).await?;
    if !ok {
        fields.insert("password".into(), "That is not your password.".into());
    }
    if !fields.is_empty() {
        let outcome = PrivacyOutcome {
            delete_error: Some("Your account was not deleted."),
            fields,
            ..PrivacyOutcome::default()
        };
        let html = render(&state, &auth, outcome).await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response());
    }
    let receipt = purge::delete_account(&state, &auth.user.id, purge::Source::Account).await?;
    let html = state.templates.render(
        "privacy/deleted.html",
        &DeletedView {
            receipt,
            mailed: true,
            operator: &state.settings.privacy.operator_name,
        },
    )?;
    let mut response = (StatusCode::OK, html).into_response();
    if let Ok(v) = state.cookies.clear(&cookies::SESSION).parse() {
        response.headers_mut().insert(header::SET_COOKIE, v);
    }
    Ok(response)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CsrfOnly {
    csrf: String,
}

async fn request_deletion(
    State(state): State<WebState>,
    SignedForm { auth, form: _ }: SignedForm<CsrfOnly>,
) -> AppResult<Response> {
    requests::request(&state, &auth.user.email).await?;
    Ok((
        StatusCode::SEE_OTHER,
        [(header::LOCATION, "/settings/privacy?done=requested")],
    )
        .into_response())
}

/// Maps a validation error of a public form to its message, for re-rendering.
pub fn field_errors(err: &AppError) -> Option<BTreeMap<String, String>> {
    match err {
        AppError::Validation { fields, .. } => Some(fields.clone()),
        _ => None,
    }
}
