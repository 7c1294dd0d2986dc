//! The signed-in privacy settings: connected profiles, export, deletion, notices and the staff
//! access log. Public pages (deletion requests, status, Meta callbacks) are in `privacy_public`.

use axum::Router;
use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::untyped::{base, merge};
use crate::auth::password;
use crate::http::cookies;
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::privacy::{export, purge, requests};
use crate::services::profiles as profile_service;

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
pub fn when(ts: i64) -> Value {
    let utc = chrono::DateTime::from_timestamp(ts, 0).unwrap_or_default();
    json!({"unix": ts, "iso": utc.to_rfc3339(), "text": utc.format("%-d %b %Y %H:%M UTC").to_string()})
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
    render(&state, &auth, json!({"notice": notice}))
        .await
        .map(Html)
}

async fn render(state: &WebState, auth: &AuthUser, extra: Value) -> AppResult<String> {
    let when_opt = |ts: Option<i64>| ts.map(when);
    let profiles: Vec<Value> = profile_service::list(state, auth)
        .await?
        .into_iter()
        .map(|p| {
            json!({
                "id": p.id, "username": p.username, "status": p.status, "scopes": p.scopes,
                "last_sync": when_opt(p.sync.last_sync_at),
                "token_present": p.token.present,
                "token_expires": when_opt(p.token.expires_at),
                "needs_reconnect": p.token.needs_reconnect,
                "token_state": p.token.state, "token_summary": p.token.summary,
            })
        })
        .collect();
    let access: Vec<Value> = state
        .store
        .staff_access_of(&auth.user.id)
        .await?
        .into_iter()
        .map(|a| json!({"role": a.staff_role, "name": a.staff_name, "action": a.action, "reason": a.reason, "at": when(a.at)}))
        .collect();
    let notices: Vec<Value> = state
        .store
        .notices_of(&auth.user.id)
        .await?
        .into_iter()
        .map(|n| json!({"kind": n.kind, "message": n.message, "at": when(n.created_at)}))
        .collect();
    let own_members = crate::workspaces::own_members(state, auth).await?;
    let other_workspaces: Vec<_> = crate::workspaces::mine(state, auth)
        .await?
        .into_iter()
        .filter(|w| !w.own)
        .collect();
    let ctx = json!({
        "own_members": own_members,
        "other_workspaces": other_workspaces,
        "profiles": profiles,
        "access_log": access,
        "notices": notices,
        "last_active": when(auth.user.last_active_at),
        "retention_days": state.settings.privacy.inactive_after.as_secs() / 86_400,
        "pending_purge": state.store.pending_purge_at(&auth.user.id).await?.map(when),
        "contact": state.settings.privacy.operator_contact,
    });
    state
        .templates
        .render(
            "privacy/settings.html",
            merge(merge(base(state, auth, "settings"), ctx), extra),
        )
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
    let mut fields = serde_json::Map::new();
    if form.confirm.trim() != "DELETE" {
        fields.insert(
            "confirm".into(),
            json!("Type DELETE in capitals to confirm."),
        );
    }
    let ok = password::verify(form.password.clone(), Some(auth.user.password_hash.clone())).await?;
    if !ok {
        fields.insert("password".into(), json!("That is not your password."));
    }
    if !fields.is_empty() {
        let html = render(
            &state,
            &auth,
            json!({"delete_error": "Your account was not deleted.", "fields": fields}),
        )
        .await?;
        return Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(html)).into_response());
    }
    let receipt = purge::delete_account(&state, &auth.user.id, purge::Source::Account).await?;
    let html = state.templates.render(
        "privacy/deleted.html",
        json!({"receipt": receipt, "mailed": true, "operator": state.settings.privacy.operator_name}),
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
pub fn field_errors(err: &AppError) -> Option<Value> {
    match err {
        AppError::Validation { fields, .. } => Some(json!(fields)),
        _ => None,
    }
}
