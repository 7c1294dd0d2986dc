//! Workspaces: the ones you may act in and switching, the current one's people, invitations
//! and roles. Switching is for browser sessions; a token acts in the workspace it was made in.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::registry::{Endpoint, error_schema, object, schema_of, string};
use crate::domain::WorkspaceRole;
use crate::http::error::AppResult;
use crate::http::json::ApiJson;
use crate::http::session::AuthUser;
use crate::http::state::WebState;
use crate::workspaces::{self, InvitationView, People, WorkspaceView};

const TAG: &str = "workspaces";

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct SwitchBody {
    workspace_id: crate::domain::WorkspaceId,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InviteBody {
    email: String,
    role: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct AcceptBody {
    token: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleBody {
    role: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NameBody {
    name: String,
}

fn member_role_schema() -> Value {
    json!({"type": "string", "enum": WorkspaceRole::MEMBER_ROLES.map(WorkspaceRole::as_str)})
}

pub fn endpoints() -> Vec<Endpoint> {
    let refused = || Some(error_schema());
    vec![
        Endpoint::new(
            Method::GET,
            "/api/v1/workspaces",
            "The workspaces you may act in: your own first, then those you belong to",
            list,
        )
        .tag(TAG)
        .authenticated()
        .response(
            200,
            "Your workspaces",
            Some(object(
                &[(
                    "workspaces",
                    json!({"type": "array", "items": schema_of::<WorkspaceView>()}),
                )],
                &["workspaces"],
            )),
        ),
        Endpoint::new(
            Method::PUT,
            "/api/v1/workspaces/current",
            "Makes this browser session act in another of your workspaces",
            switch,
        )
        .tag(TAG)
        .authenticated()
        .body(object(&[("workspace_id", string())], &["workspace_id"]))
        .response(200, "Now acting there", Some(schema_of::<WorkspaceView>()))
        .response(403, "A token cannot switch", refused())
        .response(404, "Not one of your workspaces", refused()),
        Endpoint::new(
            Method::PUT,
            "/api/v1/workspaces/current/name",
            "Names the current workspace (owner and admins)",
            rename,
        )
        .tag(TAG)
        .authenticated()
        .body(object(
            &[(
                "name",
                json!({"type": "string", "minLength": 1, "maxLength": workspaces::MAX_NAME_CHARS}),
            )],
            &["name"],
        ))
        .response(204, "Renamed", None)
        .response(403, "Your role does not allow this", refused())
        .response(422, "No name, or too long", refused()),
        Endpoint::new(
            Method::GET,
            "/api/v1/workspaces/members",
            "The current workspace's owner and members, and its waiting invitations for those who manage it",
            people,
        )
        .tag(TAG)
        .authenticated()
        .response(200, "The people", Some(schema_of::<People>()))
        .response(403, "Your role does not allow this", refused()),
        Endpoint::new(
            Method::PUT,
            "/api/v1/workspaces/members/{user_id}",
            "Gives a member another role (owner and admins; only the owner handles admins)",
            change_role,
        )
        .tag(TAG)
        .authenticated()
        .body(object(&[("role", member_role_schema())], &["role"]))
        .response(204, "Changed", None)
        .response(403, "Your role does not allow this", refused())
        .response(404, "Not a member", refused())
        .response(422, "Not a role", refused()),
        Endpoint::new(
            Method::DELETE,
            "/api/v1/workspaces/members/{user_id}",
            "Removes a member: their sessions and tokens stop acting in this workspace at once",
            remove,
        )
        .tag(TAG)
        .authenticated()
        .response(204, "Removed", None)
        .response(403, "Your role does not allow this", refused())
        .response(404, "Not a member", refused()),
        Endpoint::new(
            Method::POST,
            "/api/v1/workspaces/invitations",
            "Invites an address to the current workspace with a role; the link is emailed and works once, for 7 days",
            invite,
        )
        .tag(TAG)
        .authenticated()
        .body(object(
            &[
                ("email", json!({"type": "string", "maxLength": 254})),
                ("role", member_role_schema()),
            ],
            &["email", "role"],
        ))
        .response(201, "Sent", Some(schema_of::<InvitationView>()))
        .response(403, "Your role does not allow this", refused())
        .response(409, "Too many invitations waiting", refused())
        .response(422, "Not an address, a member already, or not a role", refused())
        .response(429, "Too many messages to that address", refused()),
        Endpoint::new(
            Method::DELETE,
            "/api/v1/workspaces/invitations/{id}",
            "Withdraws a waiting invitation: its link stops working",
            withdraw,
        )
        .tag(TAG)
        .authenticated()
        .response(204, "Withdrawn", None)
        .response(403, "Your role does not allow this", refused())
        .response(404, "No such waiting invitation", refused()),
        Endpoint::new(
            Method::POST,
            "/api/v1/workspaces/invitations/accept",
            "Accepts an invitation sent to your address; a browser session then acts in the workspace",
            accept,
        )
        .tag(TAG)
        .authenticated()
        .body(object(&[("token", string())], &["token"]))
        .response(
            200,
            "Joined",
            Some(object(&[("workspace_id", string())], &["workspace_id"])),
        )
        .response(400, "Expired, withdrawn or used", refused())
        .response(403, "Sent to another address", refused()),
        Endpoint::new(
            Method::DELETE,
            "/api/v1/workspaces/{id}/membership",
            "Leaves a workspace you belong to",
            leave,
        )
        .tag(TAG)
        .authenticated()
        .response(204, "Left", None)
        .response(400, "Your own workspace", refused())
        .response(404, "Not a member", refused()),
    ]
}

async fn list(State(state): State<WebState>, auth: AuthUser) -> AppResult<Json<Value>> {
    let all = workspaces::mine(&state, &auth).await?;
    Ok(Json(json!({ "workspaces": all })))
}

async fn switch(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<SwitchBody>,
) -> AppResult<Json<WorkspaceView>> {
    workspaces::switch(&state, &auth, &body.workspace_id).await?;
    let all = workspaces::mine(&state, &auth).await?;
    let now = all
        .into_iter()
        .find(|w| w.id == body.workspace_id)
        .map(|w| WorkspaceView { current: true, ..w })
        .ok_or(crate::http::error::AppError::NotFound)?;
    Ok(Json(now))
}

async fn rename(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<NameBody>,
) -> AppResult<StatusCode> {
    workspaces::rename(&state, &auth, &body.name).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn people(State(state): State<WebState>, auth: AuthUser) -> AppResult<Json<People>> {
    Ok(Json(workspaces::people(&state, &auth).await?))
}

async fn change_role(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(user_id): Path<crate::domain::UserId>,
    ApiJson(body): ApiJson<RoleBody>,
) -> AppResult<StatusCode> {
    workspaces::change_role(&state, &auth, &user_id, &body.role).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(user_id): Path<crate::domain::UserId>,
) -> AppResult<StatusCode> {
    workspaces::remove(&state, &auth, &user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn invite(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<InviteBody>,
) -> AppResult<(StatusCode, Json<InvitationView>)> {
    let sent = workspaces::invite(&state, &auth, &body.email, &body.role).await?;
    Ok((StatusCode::CREATED, Json(sent)))
}

async fn withdraw(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::workspaces::InvitationId>,
) -> AppResult<StatusCode> {
    workspaces::withdraw(&state, &auth, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn accept(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<AcceptBody>,
) -> AppResult<Json<Value>> {
    let workspace_id = workspaces::accept(&state, &auth, &body.token).await?;
    Ok(Json(json!({ "workspace_id": workspace_id })))
}

async fn leave(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<crate::domain::WorkspaceId>,
) -> AppResult<StatusCode> {
    workspaces::leave(&state, &auth, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
