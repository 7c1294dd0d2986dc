//! Privacy API: export, account deletion, the staff access log and staff account views.

use crate::http::query::ApiQuery;
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::registry::{Endpoint, integer, object, schema_of, string};
use crate::auth::password;
use crate::http::cookies;
use crate::http::error::{AppError, AppResult};
use crate::http::json::ApiJson;
use crate::http::session::AuthUser;
use crate::http::state::WebState;
use crate::privacy::{export, purge, staff};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(Method::GET, "/api/v1/privacy/export", "Everything ThredOps holds about you, as a tar archive of CSV and JSON files", export_data)
            .tag("privacy")
            .authenticated()
            .response(200, "application/x-tar archive", None),
        Endpoint::new(Method::POST, "/api/v1/privacy/delete-account", "Delete the account and all its data at once (password required)", delete_account)
            .tag("privacy")
            .authenticated()
            .body(object(&[("password", string())], &["password"]))
            .response(200, "The deletion receipt", Some(receipt_schema())),
        Endpoint::new(Method::GET, "/api/v1/privacy/access-log", "Every staff view of your account", access_log)
            .tag("privacy")
            .authenticated()
            .response(200, "Newest first", Some(json!({"type": "array", "items": object(&[("staff_role", string()), ("staff_name", json!({"type": ["string", "null"]})), ("action", string()), ("reason", string()), ("at", integer())], &["staff_role", "action", "reason", "at"])}))),
        Endpoint::new(Method::GET, "/api/v1/staff/users/{id}", "Staff: an account's summary (recorded in that user's access log)", staff_view)
            .tag("privacy")
            .authenticated()
            .query("reason", string(), "Why the account is opened (required; recorded in the user's access log)")
            .response(200, "Account facts support needs; never Meta content", Some(schema_of::<staff::AccountSummary>()))
            .response(403, "Not a support agent or admin", None)
            .response(404, "No such account", None)
            .response(422, "A reason is required", None),
    ]
}

fn receipt_schema() -> Value {
    object(
        &[
            ("url", string()),
            ("confirmation_code", string()),
            ("profiles_purged", integer()),
        ],
        &["url", "confirmation_code", "profiles_purged"],
    )
}

async fn export_data(State(state): State<WebState>, auth: AuthUser) -> AppResult<Response> {
    let archive = export::build(&state, &auth.user.id).await?;
    Ok(crate::http::download::export_archive(archive))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeleteBody {
    password: String,
}

async fn delete_account(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<DeleteBody>,
) -> AppResult<Response> {
    let ok = password::verify(body.password, Some(auth.user.password_hash.clone())).await?;
    if !ok {
        return Err(AppError::field("password", "That is not your password."));
    }
    let receipt = purge::delete_account(&state, &auth.user.id, purge::Source::Account).await?;
    Ok((
        [(header::SET_COOKIE, state.cookies.clear(&cookies::SESSION))],
        Json(receipt),
    )
        .into_response())
}

async fn access_log(State(state): State<WebState>, auth: AuthUser) -> AppResult<Json<Value>> {
    Ok(Json(json!(
        crate::privacy::reads::access_log(&state, &auth.user.id).await?
    )))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Reason {
    reason: String,
}

async fn staff_view(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::domain::UserId>,
    ApiQuery(q): ApiQuery<Reason>,
) -> AppResult<Json<staff::AccountSummary>> {
    Ok(Json(
        staff::view_account(&state, &auth, &id, &q.reason).await?,
    ))
}
