//! The review queue: in the app for approvers, and behind a client review link for a client
//! without an account.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::view::Chrome;
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::publishing::approvals::{self, Decision, QueueItem};

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

/// What the last decision left to show: a notice, or why it was refused beside the comment,
/// with what was typed kept.
#[derive(Serialize, Default)]
struct ReviewOutcome<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    notice: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    failed_post: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    typed_comment: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment_error: Option<String>,
}

impl ReviewOutcome<'_> {
    fn notice(done: Option<&str>) -> Self {
        ReviewOutcome {
            notice: notice(done),
            ..ReviewOutcome::default()
        }
    }
}

/// `review/app.html`: the review queue of a signed-in reviewer.
#[derive(Serialize)]
struct AppReviewView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    items: Vec<QueueItem>,
    required: bool,
    action_base: &'static str,
    #[serde(flatten)]
    outcome: ReviewOutcome<'a>,
}

/// `review/client.html`: the review queue through a client link.
#[derive(Serialize)]
struct ClientReviewView<'a> {
    workspace: String,
    expires_at: i64,
    items: Vec<QueueItem>,
    action_base: String,
    #[serde(flatten)]
    outcome: ReviewOutcome<'a>,
}

/// `review/client.html` for a link that no longer works.
#[derive(Serialize)]
struct GoneLinkView {
    gone: String,
    workspace: &'static str,
    expires_at: i64,
}

/// A refused decision: the message beside the comment, what was typed kept.
fn refused<'a>(
    err: AppError,
    post_id: &'a str,
    typed: &'a str,
) -> AppResult<(StatusCode, ReviewOutcome<'a>)> {
    match err {
        AppError::Validation { message, fields } => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            ReviewOutcome {
                error: Some(message),
                failed_post: Some(post_id),
                typed_comment: Some(typed),
                comment_error: Some(fields.get("comment").cloned().unwrap_or_default()),
                ..ReviewOutcome::default()
            },
        )),
        other => Err(other),
    }
}

async fn render_app(
    state: &WebState,
    auth: &AuthUser,
    status: StatusCode,
    outcome: ReviewOutcome<'_>,
) -> AppResult<Response> {
    let items = approvals::queue(state, auth.workspace_id()).await?;
    let required = approvals::required(state, auth.workspace_id()).await?;
    let html: Html<String> = state.templates.render(
        "review/app.html",
        &AppReviewView {
            chrome: Chrome::new(state, auth, "review"),
            items,
            required,
            action_base: "/app/review/posts",
            outcome,
        },
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
        ReviewOutcome::notice(q.done.as_deref()),
    )
    .await
}

async fn decide(
    State(state): State<WebState>,
    Path((id, word)): Path<(crate::domain::PostId, String)>,
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
    outcome: ReviewOutcome<'_>,
) -> AppResult<Response> {
    let view = match approvals::open_link(state, token).await {
        Ok(link) => {
            let items = approvals::queue(state, &link.workspace_id).await?;
            ClientReviewView {
                workspace: crate::workspaces::name(state, &link.workspace_id).await?,
                expires_at: link.expires_at,
                items,
                action_base: format!("/review/{token}/posts"),
                outcome,
            }
        }
        Err(AppError::BadRequest(message)) => {
            let view = GoneLinkView {
                gone: message,
                workspace: "ThredOps",
                expires_at: 0,
            };
            let html: Html<String> = state.templates.render("review/client.html", &view)?;
            return Ok((StatusCode::GONE, html).into_response());
        }
        Err(e) => return Err(e),
    };
    let html: Html<String> = state.templates.render("review/client.html", &view)?;
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
        ReviewOutcome::notice(q.done.as_deref()),
    )
    .await
}

/// A decision through a client link: the link is the proof (signed, expiring), so the form
/// carries no session token; the same-origin check on writes still applies.
async fn client_decide(
    State(state): State<WebState>,
    Path((token, id, word)): Path<(String, crate::domain::PostId, String)>,
    axum::Form(form): axum::Form<CommentForm>,
) -> AppResult<Response> {
    let d = decision(&word)?;
    let link = match approvals::open_link(&state, &token).await {
        Ok(link) => link,
        Err(AppError::BadRequest(_)) => {
            let outcome = ReviewOutcome::default();
            return render_client(&state, &token, StatusCode::GONE, outcome).await;
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
