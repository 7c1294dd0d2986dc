//! Settings → API tokens: make a token (its secret shown once), see each one's scopes and last
//! use, revoke one.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::untyped::{base, merge};
use crate::api_tokens::{self, NewTokenInput, Scope};
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;

/// Templates of these pages, embedded in the binary.
pub const TEMPLATES: &[(&str, &str)] = &[(
    "accounts/tokens.html",
    include_str!("../../../web/templates/accounts/tokens.html"),
)];

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/settings/tokens", get(show).post(create))
        .route("/settings/tokens/{id}/revoke", post(revoke))
}

/// A checkbox per scope is named `scope_` and the scope with `:` as `_` (`scope_posts_write`).
fn field_of(scope: Scope) -> String {
    format!("scope_{}", scope.as_str().replace(':', "_"))
}

async fn render(
    state: &WebState,
    auth: &AuthUser,
    status: StatusCode,
    extra: Value,
) -> AppResult<Response> {
    let tokens = api_tokens::list(state, auth).await?;
    let now = crate::store::now_unix();
    let rows: Vec<Value> = tokens
        .iter()
        .map(|t| {
            json!({
                "id": t.id, "name": t.name, "prefix": t.prefix,
                "scopes": t.scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                "created_at": t.created_at, "expires_at": t.expires_at,
                "last_used_at": t.last_used_at, "revoked_at": t.revoked_at,
                "live": t.is_live(now),
                "expired": t.revoked_at.is_none() && !t.is_live(now),
            })
        })
        .collect();
    let scopes: Vec<Value> = Scope::ALL
        .iter()
        .map(|s| json!({"name": s.as_str(), "field": field_of(*s), "description": s.describe()}))
        .collect();
    let ctx = json!({"tokens": rows, "scopes": scopes, "max_days": api_tokens::MAX_DAYS});
    let html: Html<String> = state.templates.render(
        "accounts/tokens.html",
        merge(merge(base(state, auth, "settings"), ctx), extra),
    )?;
    Ok((status, html).into_response())
}

async fn show(State(state): State<WebState>, PageUser(auth): PageUser) -> AppResult<Response> {
    render(&state, &auth, StatusCode::OK, json!({})).await
}

async fn create(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<HashMap<String, String>>,
) -> AppResult<Response> {
    let field = |name: &str| {
        form.get(name)
            .map(|v| v.trim().to_owned())
            .unwrap_or_default()
    };
    let expires = field("expires_in_days");
    let input = NewTokenInput {
        name: field("name"),
        scopes: Scope::ALL
            .into_iter()
            .filter(|s| form.contains_key(&field_of(*s)))
            .map(|s| s.as_str().to_owned())
            .collect(),
        expires_in_days: match expires.as_str() {
            "" | "never" => None,
            days => Some(days.parse().unwrap_or(0)),
        },
    };
    let typed = json!({"name": input.name, "expires_in_days": expires,
        "scopes": input.scopes});
    match api_tokens::create(&state, &auth, &input).await {
        Ok(created) => {
            render(
                &state,
                &auth,
                StatusCode::CREATED,
                json!({"created": {"name": created.token.name, "secret": created.secret}}),
            )
            .await
        }
        Err(AppError::Validation { fields, .. }) => {
            render(
                &state,
                &auth,
                StatusCode::UNPROCESSABLE_ENTITY,
                json!({"error": "The token was not made; see the highlighted fields.",
                    "fields": fields, "form": typed}),
            )
            .await
        }
        Err(AppError::Conflict(message)) => {
            render(
                &state,
                &auth,
                StatusCode::CONFLICT,
                json!({"error": message, "form": typed}),
            )
            .await
        }
        Err(other) => Err(other),
    }
}

async fn revoke(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedForm { auth, form: _ }: SignedForm<HashMap<String, String>>,
) -> AppResult<Response> {
    api_tokens::revoke(&state, &auth, &id).await?;
    Ok(Redirect::to("/settings/tokens").into_response())
}
