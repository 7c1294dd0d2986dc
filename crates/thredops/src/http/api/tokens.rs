//! API tokens: make one (its secret shown once), list them, revoke one. A browser session only:
//! a token can never make or reveal another.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::registry::{Endpoint, integer, nullable, object, string};
use crate::api_tokens::{self, ApiToken, Created, NewTokenInput, Scope, TokenId};
use crate::http::error::AppResult;
use crate::http::json::ApiJson;
use crate::http::session::AuthUser;
use crate::http::state::WebState;

const TAG: &str = "tokens";

/// `POST /api/v1/tokens`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NewTokenBody {
    name: String,
    scopes: Vec<String>,
    #[serde(default)]
    expires_in_days: Option<u32>,
}

fn scope_schema() -> Value {
    json!({"type": "string", "enum": Scope::ALL.map(Scope::as_str)})
}

fn token_props() -> Vec<(&'static str, Value)> {
    vec![
        ("id", string()),
        ("name", string()),
        ("prefix", string()),
        ("scopes", json!({"type": "array", "items": scope_schema()})),
        ("created_at", integer()),
        ("expires_at", nullable(integer())),
        ("last_used_at", nullable(integer())),
        ("revoked_at", nullable(integer())),
        ("workspace_id", nullable(string())),
    ]
}

const TOKEN_REQUIRED: [&str; 9] = [
    "id",
    "name",
    "prefix",
    "scopes",
    "created_at",
    "expires_at",
    "last_used_at",
    "revoked_at",
    "workspace_id",
];

pub fn endpoints() -> Vec<Endpoint> {
    let token = object(&token_props(), &TOKEN_REQUIRED);
    let mut created_props = token_props();
    created_props.push((
        "secret",
        json!({"type": "string", "description": "The token itself (thr_...): shown this once, never stored"}),
    ));
    let mut created_required = TOKEN_REQUIRED.to_vec();
    created_required.push("secret");
    vec![
        Endpoint::new(
            Method::GET,
            "/api/v1/tokens",
            "Your API tokens, newest first (secrets are never shown again)",
            list,
        )
        .tag(TAG)
        .authenticated()
        .response(
            200,
            "The tokens",
            Some(object(
                &[
                    ("tokens", json!({"type": "array", "items": token})),
                    (
                        "scopes",
                        json!({"type": "array", "items": object(&[("name", scope_schema()), ("description", string())], &["name", "description"])}),
                    ),
                ],
                &["tokens", "scopes"],
            )),
        ),
        Endpoint::new(
            Method::POST,
            "/api/v1/tokens",
            "Makes an API token; the answer holds its secret, shown this once",
            create,
        )
        .tag(TAG)
        .authenticated()
        .body(object(
            &[
                ("name", json!({"type": "string", "minLength": 1, "maxLength": 60})),
                ("scopes", json!({"type": "array", "items": scope_schema(), "minItems": 1})),
                (
                    "expires_in_days",
                    nullable(json!({"type": "integer", "minimum": 1, "maximum": api_tokens::MAX_DAYS})),
                ),
            ],
            &["name", "scopes"],
        ))
        .response(
            201,
            "Made",
            Some(object(&created_props, &created_required)),
        )
        .response(
            409,
            "The account already holds the most live tokens allowed",
            Some(super::registry::error_schema()),
        ),
        Endpoint::new(
            Method::DELETE,
            "/api/v1/tokens/{id}",
            "Revokes an API token at once",
            revoke,
        )
        .tag(TAG)
        .authenticated()
        .response(204, "Revoked", None)
        .response(
            404,
            "Not one of your live tokens",
            Some(super::registry::error_schema()),
        ),
    ]
}

fn token_json(t: &ApiToken) -> Value {
    json!(t)
}

async fn list(State(state): State<WebState>, auth: AuthUser) -> AppResult<Json<Value>> {
    let tokens = api_tokens::list(&state, &auth).await?;
    let scopes: Vec<Value> = Scope::ALL
        .iter()
        .map(|s| json!({"name": s.as_str(), "description": s.describe()}))
        .collect();
    Ok(Json(json!({
        "tokens": tokens.iter().map(token_json).collect::<Vec<_>>(),
        "scopes": scopes,
    })))
}

async fn create(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<NewTokenBody>,
) -> AppResult<(StatusCode, Json<Created>)> {
    let input = NewTokenInput {
        name: body.name,
        scopes: body.scopes,
        expires_in_days: body.expires_in_days,
    };
    let created = api_tokens::create(&state, &auth, &input).await?;
    Ok((StatusCode::CREATED, Json(created)))
}

async fn revoke(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<TokenId>,
) -> AppResult<StatusCode> {
    api_tokens::revoke(&state, &auth, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
