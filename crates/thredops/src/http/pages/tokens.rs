//! Settings → API tokens: make a token (its secret shown once), see each one's scopes and last
//! use, revoke one.

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Serialize;

use super::view::{Chrome, Problems};
use crate::api_tokens::{self, NewTokenInput, Scope, TokenId};
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

/// `accounts/tokens.html`: the user's API tokens and the form to make one.
#[derive(Serialize)]
struct TokensView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    tokens: Vec<TokenRow<'a>>,
    scopes: Vec<ScopeChoice>,
    max_days: u32,
    #[serde(flatten)]
    outcome: TokensOutcome,
}

/// A token in the list.
#[derive(Serialize)]
struct TokenRow<'a> {
    id: &'a TokenId,
    name: &'a str,
    prefix: &'a str,
    scopes: Vec<&'static str>,
    created_at: i64,
    expires_at: Option<i64>,
    last_used_at: Option<i64>,
    revoked_at: Option<i64>,
    live: bool,
    expired: bool,
}

/// A scope's checkbox.
#[derive(Serialize)]
struct ScopeChoice {
    name: &'static str,
    field: String,
    description: &'static str,
}

/// What making a token left to show: the new secret, once, or why it was not made.
#[derive(Serialize, Default)]
struct TokensOutcome {
    #[serde(skip_serializing_if = "Option::is_none")]
    created: Option<CreatedToken>,
    #[serde(skip_serializing_if = "Option::is_none")]
    form: Option<TypedToken>,
    #[serde(flatten)]
    problems: Problems,
}

/// A token just made, with its secret.
#[derive(Serialize)]
struct CreatedToken {
    name: String,
    secret: String,
}

/// The token form as typed.
#[derive(Serialize)]
struct TypedToken {
    name: String,
    expires_in_days: String,
    scopes: Vec<String>,
}

async fn render(
    state: &WebState,
    auth: &AuthUser,
    status: StatusCode,
    outcome: TokensOutcome,
) -> AppResult<Response> {
    let tokens = api_tokens::list(state, auth).await?;
    let now = crate::clock::now_unix();
    let rows = tokens
        .iter()
        .map(|t| TokenRow {
            id: &t.id,
            name: &t.name,
            prefix: &t.prefix,
            scopes: t.scopes.iter().map(|s| s.as_str()).collect(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
            live: t.is_live(now),
            expired: t.revoked_at.is_none() && !t.is_live(now),
        })
        .collect();
    let scopes = Scope::ALL
        .iter()
        .map(|s| ScopeChoice {
            name: s.as_str(),
            field: field_of(*s),
            description: s.describe(),
        })
        .collect();
    let html: Html<String> = state.templates.render(
        "accounts/tokens.html",
        &TokensView {
            chrome: Chrome::new(state, auth, "settings"),
            tokens: rows,
            scopes,
            max_days: api_tokens::MAX_DAYS,
            outcome,
        },
    )?;
    Ok((status, html).into_response())
}

async fn show(State(state): State<WebState>, PageUser(auth): PageUser) -> AppResult<Response> {
    render(&state, &auth, StatusCode::OK, TokensOutcome::default()).await
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
    let typed = TypedToken {
        name: input.name.clone(),
        expires_in_days: expires,
        scopes: input.scopes.clone(),
    };
    match api_tokens::create(&state, &auth, &input).await {
        Ok(created) => {
            render(
                &state,
                &auth,
                StatusCode::CREATED,
                TokensOutcome {
                    created: Some(CreatedToken {
                        name: created.token.name,
                        secret: created.secret,
                    }),
                    ..TokensOutcome::default()
                },
            )
            .await
        }
        Err(AppError::Validation { fields, .. }) => {
            render(
                &state,
                &auth,
                StatusCode::UNPROCESSABLE_ENTITY,
                TokensOutcome {
                    form: Some(typed),
                    problems: Problems::fields(
                        "The token was not made; see the highlighted fields.",
                        fields,
                    ),
                    ..TokensOutcome::default()
                },
            )
            .await
        }
        Err(AppError::Conflict(message)) => {
            render(
                &state,
                &auth,
                StatusCode::CONFLICT,
                TokensOutcome {
                    form: Some(typed),
                    problems: Problems::message(message),
                    ..TokensOutcome::default()
                },
            )
            .await
        }
        Err(other) => Err(other),
    }
}

async fn revoke(
    State(state): State<WebState>,
    Path(id): Path<TokenId>,
    SignedForm { auth, form: _ }: SignedForm<HashMap<String, String>>,
) -> AppResult<Response> {
    api_tokens::revoke(&state, &auth, &id).await?;
    Ok(Redirect::to("/settings/tokens").into_response())
}
