//! The Team page: the workspaces a user may act in (and switching between them), the current
//! workspace's members and invitations, and accepting an invitation from its emailed link.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::view::{Chrome, Problems};
use crate::domain::{Need, WorkspaceRole};
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::publishing::approvals;
use crate::workspaces::{self, InvitationPreview, People, WorkspaceView};

/// Templates of this page.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "workspaces/team.html",
        include_str!("../../../web/templates/workspaces/team.html"),
    ),
    (
        "workspaces/accept.html",
        include_str!("../../../web/templates/workspaces/accept.html"),
    ),
];

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/app/workspaces", get(show))
        .route("/app/workspaces/switch", post(switch))
        .route("/app/workspaces/leave", post(leave))
        .route("/app/workspaces/name", post(rename))
        .route("/app/workspaces/members", post(invite))
        .route("/app/workspaces/members/{user_id}/role", post(change_role))
        .route("/app/workspaces/members/{user_id}/remove", post(remove))
        .route("/app/workspaces/invitations/{id}/withdraw", post(withdraw))
        .route("/app/workspaces/accept", get(accept_page).post(accept))
        .route("/app/workspaces/approvals", post(set_approvals))
        .route("/app/workspaces/review-links", post(make_link))
        .route("/app/workspaces/review-links/end", post(end_links))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Done {
    done: Option<String>,
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "joined" => Some("You joined the workspace and now work in it."),
        "invited" => Some("Invitation sent. The link works for 7 days."),
        "role" => Some("Role changed."),
        "removed" => Some("Member removed. Their open pages go back to their own workspace."),
        "withdrawn" => Some("Invitation withdrawn: its link no longer works."),
        "left" => Some("You left the workspace."),
        "named" => Some("Workspace renamed."),
        "approvals-on" => Some(
            "Approvals are on: posts wait for an owner, admin or client reviewer before they are published.",
        ),
        "approvals-off" => Some("Approvals are off: posts are published at their time."),
        "links-ended" => Some("Every client review link given so far stopped working."),
        _ => None,
    }
}

/// `workspaces/team.html`: the user's workspaces, this one's members, invitations and review.
#[derive(Serialize)]
struct TeamView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    workspaces: Vec<WorkspaceView>,
    people: People,
    roles: Vec<RoleOption>,
    may_manage: bool,
    is_owner: bool,
    may_review: bool,
    approvals_required: bool,
    max_link_days: u32,
    #[serde(flatten)]
    outcome: TeamOutcome,
}

/// A role a member may be given.
#[derive(Serialize)]
struct RoleOption {
    value: &'static str,
    label: &'static str,
}

/// What the last action left to show: a notice, a new review link or a refused form.
#[derive(Serialize, Default)]
struct TeamOutcome {
    #[serde(skip_serializing_if = "Option::is_none")]
    notice: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    review_link: Option<ReviewLink>,
    #[serde(skip_serializing_if = "Option::is_none")]
    form: Option<TeamForm>,
    #[serde(flatten)]
    problems: Problems,
}

/// A client review link just made.
#[derive(Serialize)]
struct ReviewLink {
    url: String,
    expires_at: i64,
}

/// What was typed in the refused form (only the fields it has).
#[derive(Serialize, Default)]
struct TeamForm {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    days: Option<String>,
}

async fn render(
    state: &WebState,
    auth: &AuthUser,
    status: StatusCode,
    outcome: TeamOutcome,
) -> AppResult<Response> {
    let mine = workspaces::mine(state, auth).await?;
    let people = workspaces::people(state, auth).await?;
    let roles = WorkspaceRole::MEMBER_ROLES
        .iter()
        .filter(|r| **r != WorkspaceRole::Admin || auth.workspace.role == WorkspaceRole::Owner)
        .map(|r| RoleOption {
            value: r.as_str(),
            label: r.label(),
        })
        .collect();
    let html: Html<String> = state.templates.render(
        "workspaces/team.html",
        &TeamView {
            chrome: Chrome::new(state, auth, "team"),
            workspaces: mine,
            people,
            roles,
            may_manage: auth.workspace.role.may(Need::Manage),
            is_owner: auth.workspace.role == WorkspaceRole::Owner,
            may_review: approvals::may_review(auth.workspace.role),
            approvals_required: approvals::required(state, auth.workspace_id()).await?,
            max_link_days: approvals::MAX_LINK_DAYS,
            outcome,
        },
    )?;
    Ok((status, html).into_response())
}

/// Renders the page with a refusal in words, keeping what was typed.
async fn refused(
    state: &WebState,
    auth: &AuthUser,
    err: AppError,
    typed: TeamForm,
) -> AppResult<Response> {
    let none = BTreeMap::new;
    let (status, message, fields) = match err {
        AppError::Validation { fields, message } => {
            (StatusCode::UNPROCESSABLE_ENTITY, message, fields)
        }
        AppError::Conflict(message) => (StatusCode::CONFLICT, message, none()),
        AppError::BadRequest(message) => (StatusCode::BAD_REQUEST, message, none()),
        AppError::Forbidden(message) => (StatusCode::FORBIDDEN, message.to_owned(), none()),
        other => return Err(other),
    };
    let outcome = TeamOutcome {
        form: Some(typed),
        problems: Problems::fields(message, fields),
        ..TeamOutcome::default()
    };
    render(state, auth, status, outcome).await
}

async fn show(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(q): Query<Done>,
) -> AppResult<Response> {
    render(
        &state,
        &auth,
        StatusCode::OK,
        TeamOutcome {
            notice: notice(q.done.as_deref()),
            ..TeamOutcome::default()
        },
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct WorkspaceForm {
    workspace_id: crate::domain::WorkspaceId,
}

async fn switch(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<WorkspaceForm>,
) -> AppResult<Redirect> {
    workspaces::switch(&state, &auth, &form.workspace_id).await?;
    Ok(Redirect::to("/app?workspace=switched"))
}

async fn leave(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<WorkspaceForm>,
) -> AppResult<Response> {
    match workspaces::leave(&state, &auth, &form.workspace_id).await {
        Ok(()) => Ok(Redirect::to("/app/workspaces?done=left").into_response()),
        Err(e) => refused(&state, &auth, e, TeamForm::default()).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NameForm {
    name: String,
}

async fn rename(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<NameForm>,
) -> AppResult<Response> {
    match workspaces::rename(&state, &auth, &form.name).await {
        Ok(()) => Ok(Redirect::to("/app/workspaces?done=named").into_response()),
        Err(e) => {
            refused(
                &state,
                &auth,
                e,
                TeamForm {
                    name: Some(form.name),
                    ..TeamForm::default()
                },
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct InviteForm {
    email: String,
    role: String,
}

async fn invite(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<InviteForm>,
) -> AppResult<Response> {
    match workspaces::invite(&state, &auth, &form.email, &form.role).await {
        Ok(_) => Ok(Redirect::to("/app/workspaces?done=invited").into_response()),
        Err(e) => {
            refused(
                &state,
                &auth,
                e,
                TeamForm {
                    email: Some(form.email),
                    role: Some(form.role),
                    ..TeamForm::default()
                },
            )
            .await
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RoleForm {
    role: String,
}

async fn change_role(
    State(state): State<WebState>,
    Path(user_id): Path<crate::domain::UserId>,
    SignedForm { auth, form }: SignedForm<RoleForm>,
) -> AppResult<Response> {
    match workspaces::change_role(&state, &auth, &user_id, &form.role).await {
        Ok(()) => Ok(Redirect::to("/app/workspaces?done=role").into_response()),
        Err(e) => refused(&state, &auth, e, TeamForm::default()).await,
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Empty {}

async fn remove(
    State(state): State<WebState>,
    Path(user_id): Path<crate::domain::UserId>,
    SignedForm { auth, form: _ }: SignedForm<Empty>,
) -> AppResult<Response> {
    match workspaces::remove(&state, &auth, &user_id).await {
        Ok(()) => Ok(Redirect::to("/app/workspaces?done=removed").into_response()),
        Err(e) => refused(&state, &auth, e, TeamForm::default()).await,
    }
}

async fn withdraw(
    State(state): State<WebState>,
    Path(id): Path<crate::workspaces::InvitationId>,
    SignedForm { auth, form: _ }: SignedForm<Empty>,
) -> AppResult<Redirect> {
    workspaces::withdraw(&state, &auth, &id).await?;
    Ok(Redirect::to("/app/workspaces?done=withdrawn"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TokenQuery {
    token: String,
}

async fn accept_page(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(q): Query<TokenQuery>,
) -> AppResult<Response> {
    let (status, invitation, error) = match workspaces::preview(&state, &auth, &q.token).await {
        Ok(preview) => (StatusCode::OK, Some(preview), None),
        Err(AppError::BadRequest(message)) => (StatusCode::GONE, None, Some(message)),
        Err(e) => return Err(e),
    };
    let view = AcceptView {
        chrome: Chrome::new(&state, &auth, "team"),
        token: invitation.is_some().then_some(q.token.as_str()),
        invitation,
        error,
    };
    let html: Html<String> = state.templates.render("workspaces/accept.html", &view)?;
    Ok((status, html).into_response())
}

/// `workspaces/accept.html`: an invitation to accept, or why it cannot be.
#[derive(Serialize)]
struct AcceptView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    invitation: Option<InvitationPreview>,
    #[serde(skip_serializing_if = "Option::is_none")]
    token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

async fn accept(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<TokenQuery>,
) -> AppResult<Response> {
    match workspaces::accept(&state, &auth, &form.token).await {
        Ok(_) => Ok(Redirect::to("/app/workspaces?done=joined").into_response()),
        Err(e @ (AppError::BadRequest(_) | AppError::Forbidden(_))) => {
            let view = AcceptView {
                chrome: Chrome::new(&state, &auth, "team"),
                invitation: None,
                token: None,
                error: Some(e.public_message()),
            };
            let html: Html<String> = state.templates.render("workspaces/accept.html", &view)?;
            Ok((StatusCode::BAD_REQUEST, html).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ApprovalsForm {
    required: Option<String>,
}

async fn set_approvals(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<ApprovalsForm>,
) -> AppResult<Redirect> {
    let on = form.required.is_some();
    approvals::set_required(&state, &auth, on).await?;
    let done = if on { "approvals-on" } else { "approvals-off" };
    Ok(Redirect::to(&format!("/app/workspaces?done={done}")))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct LinkForm {
    days: String,
}

async fn make_link(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<LinkForm>,
) -> AppResult<Response> {
    let days = form.days.trim().parse::<u32>().unwrap_or(0);
    match approvals::make_link(&state, &auth, days).await {
        Ok((token, expires_at)) => {
            let url = format!("{}/review/{token}", state.public_origin());
            render(
                &state,
                &auth,
                StatusCode::OK,
                TeamOutcome {
                    review_link: Some(ReviewLink { url, expires_at }),
                    ..TeamOutcome::default()
                },
            )
            .await
        }
        Err(e) => {
            let typed = TeamForm {
                days: Some(form.days),
                ..TeamForm::default()
            };
            refused(&state, &auth, e, typed).await
        }
    }
}

async fn end_links(
    State(state): State<WebState>,
    SignedForm { auth, form: _ }: SignedForm<Empty>,
) -> AppResult<Redirect> {
    approvals::end_links(&state, &auth).await?;
    Ok(Redirect::to("/app/workspaces?done=links-ended"))
}
