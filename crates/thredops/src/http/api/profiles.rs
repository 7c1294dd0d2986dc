//! Connected Threads profiles: list, detail with sync progress and token health.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::Method;
use serde_json::{Value, json};

use super::registry::{Endpoint, boolean, integer, object, string};
use crate::http::error::AppResult;
use crate::http::session::AuthUser;
use crate::http::state::WebState;
use crate::services::profiles::{self, ProfileView};

pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(
            Method::GET,
            "/api/v1/profiles",
            "Connected Threads profiles with sync state and token health",
            list_profiles,
        )
        .tag("profiles")
        .authenticated()
        .response(
            200,
            "The user's profiles",
            Some(json!({"type": "array", "items": profile_schema()})),
        ),
        Endpoint::new(
            Method::GET,
            "/api/v1/profiles/{id}",
            "One connected profile",
            get_profile,
        )
        .tag("profiles")
        .authenticated()
        .response(200, "The profile", Some(profile_schema()))
        .response(404, "Not one of your profiles", None),
    ]
}

fn nullable_int() -> Value {
    json!({"type": ["integer", "null"], "description": "Unix seconds"})
}

fn profile_schema() -> Value {
    object(
        &[
            ("id", string()),
            ("threads_user_id", string()),
            ("username", string()),
            ("name", json!({"type": ["string", "null"]})),
            (
                "status",
                json!({"type": "string", "enum": ["active", "needs_reconnect", "disconnected", "paused"]}),
            ),
            (
                "scopes",
                json!({"type": "array", "items": {"type": "string"}}),
            ),
            ("connected_at", integer()),
            ("followers_count", json!({"type": ["integer", "null"]})),
            (
                "token",
                object(
                    &[
                        (
                            "state",
                            json!({"type": "string", "enum": ["valid", "expired", "revoked", "disconnected", "paused"]}),
                        ),
                        ("summary", string()),
                        ("present", boolean()),
                        ("expires_at", nullable_int()),
                        ("last_refresh_at", nullable_int()),
                        ("needs_reconnect", boolean()),
                    ],
                    &["state", "summary", "present", "needs_reconnect"],
                ),
            ),
            (
                "sync",
                object(
                    &[
                        ("state", string()),
                        ("last_sync_at", nullable_int()),
                        ("backfill_done_at", nullable_int()),
                        ("progress", json!({"type": ["object", "null"]})),
                        ("api_calls_24h", integer()),
                    ],
                    &["state"],
                ),
            ),
            (
                "last_error",
                json!({"type": ["object", "null"], "properties": {"message": {"type": "string"}, "at": {"type": ["integer", "null"]}}}),
            ),
        ],
        &[
            "id",
            "threads_user_id",
            "username",
            "status",
            "scopes",
            "token",
            "sync",
        ],
    )
}

async fn list_profiles(
    State(state): State<WebState>,
    auth: AuthUser,
) -> AppResult<Json<Vec<ProfileView>>> {
    Ok(Json(profiles::list(&state, &auth).await?))
}

async fn get_profile(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> AppResult<Json<ProfileView>> {
    Ok(Json(
        profiles::get(&state, &auth, &crate::domain::ProfileId::from(id.as_str())).await?,
    ))
}
