//! Notifications API: the list, marking read, and which kinds are emailed.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use super::registry::{Endpoint, boolean, integer, object, string};
use crate::http::error::AppResult;
use crate::http::json::ApiJson;
use crate::http::session::AuthUser;
use crate::http::state::WebState;
use crate::notifications::{self, EmailChoices};

const TAG: &str = "notifications";

fn choices_schema() -> Value {
    object(
        &[("post_failed", boolean()), ("profile_reconnect", boolean())],
        &["post_failed", "profile_reconnect"],
    )
}

pub fn endpoints() -> Vec<Endpoint> {
    let item = object(
        &[
            ("id", string()),
            (
                "kind",
                json!({"type": "string", "enum": ["post_failed", "profile_reconnect"]}),
            ),
            ("title", string()),
            ("body", string()),
            ("link", string()),
            ("created_at", integer()),
            ("read", boolean()),
            ("profile", json!({"type": ["string", "null"]})),
        ],
        &["id", "kind", "title", "body", "link", "created_at", "read"],
    );
    vec![
        Endpoint::new(
            Method::GET,
            "/api/v1/notifications",
            "Your notifications, newest first, and how many are unread",
            list,
        )
        .tag(TAG)
        .authenticated()
        .response(
            200,
            "The list",
            Some(object(
                &[
                    ("unread", integer()),
                    ("notifications", json!({"type": "array", "items": item})),
                ],
                &["unread", "notifications"],
            )),
        ),
        Endpoint::new(
            Method::POST,
            "/api/v1/notifications/{id}/read",
            "Marks one notification read",
            read_one,
        )
        .tag(TAG)
        .authenticated()
        .response(204, "Marked", None)
        .response(404, "Not one of your notifications", None),
        Endpoint::new(
            Method::POST,
            "/api/v1/notifications/read-all",
            "Marks every notification read",
            read_all,
        )
        .tag(TAG)
        .authenticated()
        .response(
            200,
            "How many were unread",
            Some(object(&[("marked", integer())], &["marked"])),
        ),
        Endpoint::new(
            Method::GET,
            "/api/v1/notifications/email",
            "Which kinds of notification are also emailed",
            get_choices,
        )
        .tag(TAG)
        .authenticated()
        .response(200, "The choices", Some(choices_schema())),
        Endpoint::new(
            Method::PUT,
            "/api/v1/notifications/email",
            "Chooses which kinds of notification are also emailed",
            put_choices,
        )
        .tag(TAG)
        .authenticated()
        .body(choices_schema())
        .response(200, "Saved", Some(choices_schema())),
    ]
}

async fn list(State(state): State<WebState>, auth: AuthUser) -> AppResult<Json<Value>> {
    let items = notifications::list(&state, auth.workspace_id()).await?;
    let unread = notifications::unread(&state, auth.workspace_id()).await?;
    Ok(Json(json!({"unread": unread, "notifications": items})))
}

async fn read_one(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::notifications::NotificationId>,
) -> AppResult<StatusCode> {
    notifications::mark_read(&state, auth.workspace_id(), &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn read_all(State(state): State<WebState>, auth: AuthUser) -> AppResult<Json<Value>> {
    let marked = notifications::mark_all_read(&state, auth.workspace_id()).await?;
    Ok(Json(json!({"marked": marked})))
}

async fn get_choices(
    State(state): State<WebState>,
    auth: AuthUser,
) -> AppResult<Json<EmailChoices>> {
    Ok(Json(
        notifications::email_choices(&state, &auth.user.id).await?,
    ))
}

async fn put_choices(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<EmailChoices>,
) -> AppResult<Json<EmailChoices>> {
    notifications::set_email_choices(&state, &auth.user.id, body).await?;
    Ok(Json(body))
}
