//! The review queue: in the app for approvers, and behind a client review link for a client
//! without an account.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::untyped::{base, merge};
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::publishing::approvals::{self, Decision};

/// Templates of these pages.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "review/queue_items.html",
        include_str!("../../../web/templates/review/queue_items.html"),
    ),
    (
        "review/app.html",
        include_str!("../../../web/templates/review/app.html"),
    ),
    (
        "review/client.html",
        include_str!("../../../web/templates/review/client.html"),
    ),
];

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/app/review", get(queue))
        .route("/app/review/posts/{id}/{decision}", post(decide))
        .route("/review/{token}", get(client_queue))
        .route("/review/{token}/posts/{id}/{decision}", post(client_decide))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Done {
    done: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CommentForm {
    comment: String,
}

fn notice(done: Option<&str>) -> Option<&'static str> {
    match done? {
        "approved" => Some("Approved: it is published at its time."),
        "changes" => Some("Sent back with your comment."),
        _ => None,
    }
}

fn decision(word: &str) -> AppResult<Decision> {
    match word {
        "approve" => Ok(Decision::Approve),
        "changes" => Ok(Decision::RequestChanges),
        _ => Err(AppError::NotFound),
    }
}

/// The context a refused decision shows: the message beside the comment, what was typed kept.
fn refused(err: AppError, post_id: &str, typed: &str) -> AppResult<(StatusCode, Value)> {
    match err {
        AppError::Validation { message, fields } => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({
                "error": message,
                "failed_post": post_id,
                "typed_comment": typed,
                "comment_error": fields.get("comment").cloned().unwrap_or_default(),
            }),
        )),
        other => Err(other),
    }
}

async fn render_app(
    state: &WebState,
    auth: &AuthUser,
    status: StatusCode,
    extra: Value,
) -> AppResult<Response> {
    let items = approvals::queue(state, auth.workspace_id()).await?;
    let required = approvals::required(state, auth.workspace_id()).await?;
    let html: Html<String> = state.templates.render(
        "review/app.html",
        merge(
            merge(
                base(state, auth, "review"),
                json!({"items": items, "required": required, "action_base": "/app/review/posts"}),
            ),
            extra,
        ),
    )?;
    Ok((status, html).into_response())
}

async fn queue(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(q): Query<Done>,
) -> AppResult<Response> {
    render_app(
        &state,
        &auth,
        StatusCode::OK,
        json!({"notice": notice(q.done.as_deref())}),
    )
    .await
}

async fn decide(
    State(state): State<WebState>,
    Path((id, word)): Path<(String, String)>,
    SignedForm { auth, form }: SignedForm<CommentForm>,
) -> AppResult<Response> {
    let d = decision(&word)?;
    match approvals::decide_as(&state, &auth, &id, d, &form.comment).await {
        Ok(_) => {
            let done = if d == Decision::Approve {
                "approved"
            } else {
                "changes"
            };
            Ok(Redirect::to(&format!("/app/review?done={done}")).into_response())
        }
        Err(e) => {
            let (status, ctx) = refused(e, &id, &form.comment)?;
            render_app(&state, &auth, status, ctx).await
        }
    }
}

async fn render_client(
    state: &WebState,
    token: &str,
    status: StatusCode,
    extra: Value,
) -> AppResult<Response> {
    let ctx = match approvals::open_link(state, token).await {
        Ok(link) => {
            let items = approvals::queue(state, &link.workspace_id).await?;
            json!({
                "workspace": crate::workspaces::name(state, &link.workspace_id).await?,
                "expires_at": link.expires_at,
                "items": items,
                "action_base": format!("/review/{token}/posts"),
            })
        }
        Err(AppError::BadRequest(message)) => {
            let html: Html<String> = state.templates.render(
                "review/client.html",
                json!({"gone": message, "workspace": "ThredOps", "expires_at": 0}),
            )?;
            return Ok((StatusCode::GONE, html).into_response());
        }
        Err(e) => return Err(e),
    };
    let html: Html<String> = state
        .templates
        .render("review/client.html", merge(ctx, extra))?;
    Ok((status, html).into_response())
}

async fn client_queue(
    State(state): State<WebState>,
    Path(token): Path<String>,
    Query(q): Query<Done>,
) -> AppResult<Response> {
    render_client(
        &state,
        &token,
        StatusCode::OK,
        json!({"notice": notice(q.done.as_deref())}),
    )
    .await
}

/// A decision through a client link: the link is the proof (signed, expiring), so the form
/// carries no session token; the same-origin check on writes still applies.
async fn client_decide(
    State(state): State<WebState>,
    Path((token, id, word)): Path<(String, String, String)>,
    axum::Form(form): axum::Form<CommentForm>,
) -> AppResult<Response> {
    let d = decision(&word)?;
    let link = match approvals::open_link(&state, &token).await {
        Ok(link) => link,
        Err(AppError::BadRequest(_)) => {
            return render_client(&state, &token, StatusCode::GONE, json!({})).await;
        }
        Err(e) => return Err(e),
    };
    let reviewer = approvals::LINK_REVIEWER;
    match approvals::decide(&state, &link.workspace_id, reviewer, &id, d, &form.comment).await {
        Ok(_) => {
            let done = if d == Decision::Approve {
                "approved"
            } else {
                "changes"
            };
            Ok(Redirect::to(&format!("/review/{token}?done={done}")).into_response())
        }
        Err(e) => {
            let (status, ctx) = refused(e, &id, &form.comment)?;
            render_client(&state, &token, status, ctx).await
        }
    }
}
