//! Approvals: when a workspace asks for them, planned posts wait for an owner, an admin or a
//! client reviewer before they are published.
//!
//! A post an editor writes or changes waits (`pending`); one an approver writes is approved.
//! Posts made by the product itself (recurring occurrences, evergreen re-shares, first replies,
//! auto-plugs, inbox replies) wait too: nothing unapproved is published. The publisher holds a
//! waiting post and looks again every minute through the same job chain
//! ([`HOLD_RECHECK_SECS`]), so an approval given at any moment is seen without another job; a
//! post still waiting a week after its time fails with that reason. Approvers decide in the
//! app's review queue or through a client review link: signed with the workspace's own data
//! key, expiring, usable without an account, and ended all at once by raising the workspace's
//! link generation.

pub(crate) mod store;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;

use super::service;
use super::store::PostRecord;
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::now_unix;
use crate::domain::{Need, PostId, WorkspaceId, WorkspaceRole};
use crate::error::{AppError, AppResult};

/// How often the publisher looks again at a post that waits for approval.
pub const HOLD_RECHECK_SECS: i64 = 60;
/// How long after its time a waiting post is given before it fails.
pub const GIVE_UP_AFTER_SECS: i64 = 7 * 24 * 60 * 60;
/// What a held post's note says.
pub const HELD_NOTE: &str = "Waiting for approval: it is published at its time once approved.";
/// Longest a client review link may last, in days.
pub const MAX_LINK_DAYS: u32 = 30;
/// Longest comment.
pub const MAX_COMMENT_CHARS: usize = 2000;

const PURPOSE: &str = "post-review";
const LINK_PURPOSE: &str = "review-link";

/// A post's approval state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Approval {
    /// Waiting for a decision.
    Pending,
    /// May be published.
    Approved,
    /// Sent back with a comment; waits for a change and a new decision.
    ChangesRequested,
}

impl Approval {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Approval::Pending => "pending",
            Approval::Approved => "approved",
            Approval::ChangesRequested => "changes_requested",
        }
    }

    /// Parses a stored name. A decision row may say `submitted` (the schema's name for a post
    /// sent for review): it waits, like `pending`.
    pub fn parse(stored: &str) -> Option<Self> {
        match stored {
            "pending" | "submitted" => Some(Approval::Pending),
            "approved" => Some(Approval::Approved),
            "changes_requested" => Some(Approval::ChangesRequested),
            _ => None,
        }
    }
}

crate::store::decode_by_name!(Approval, "approval state");

/// A decision an approver makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Publish it.
    Approve,
    /// Send it back with a comment.
    RequestChanges,
}

/// A decision as shown beside its post.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct ReviewView {
    /// Who decided: an address, or "Client review link".
    pub reviewer: String,
    /// `approved` or `changes_requested`.
    pub decision: Approval,
    /// The comment, if any.
    pub comment: Option<String>,
    /// When (Unix seconds).
    pub at: i64,
}

/// A post waiting for a decision, as the review queue shows it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct QueueItem {
    /// The post's id.
    #[schemars(with = "String")]
    pub post_id: PostId,
    /// The profile it goes to.
    pub profile: String,
    /// When it is due (Unix seconds).
    pub scheduled_at: Option<i64>,
    /// Its parts' text, in publishing order.
    pub parts: Vec<String>,
    /// How many images or videos it carries.
    pub media: usize,
    /// Its approval state.
    pub approval: Approval,
    /// Decisions so far, oldest first.
    pub reviews: Vec<ReviewView>,
}

/// Whether the workspace asks for approvals.
pub async fn required(state: &AppState, workspace_id: &WorkspaceId) -> AppResult<bool> {
    Ok(state.store.approvals_required(workspace_id).await?)
}

/// Turns approvals on or off for the current workspace (owner and admins).
pub async fn set_required(state: &AppState, auth: &CurrentUser, on: bool) -> AppResult<()> {
    auth.require(Need::Manage)?;
    state
        .store
        .set_approvals_required(auth.workspace_id(), on, now_unix())
        .await?;
    tracing::info!(workspace_id = %auth.workspace_id(), on, "approvals setting changed");
    Ok(())
}

/// After a person wrote a post (made, changed or moved it): an approver's write approves it,
/// anyone else's sends it to the queue, when the workspace asks for approvals.
pub async fn written(state: &AppState, auth: &CurrentUser, post_id: &PostId) -> AppResult<()> {
    if !required(state, auth.workspace_id()).await? {
        return Ok(());
    }
    let approval = if auth.workspace.role.may(Need::Review) {
        Approval::Approved
    } else {
        Approval::Pending
    };
    state.store.set_post_approval(post_id, approval).await?;
    Ok(())
}

/// Whether the publisher must hold `post` now: its workspace asks for approvals and it is not
/// approved (`None`: never asked, so it waits).
pub fn held(required: bool, approval: Option<Approval>) -> bool {
    required && approval != Some(Approval::Approved)
}

/// The posts of a workspace waiting for a decision.
pub async fn queue(state: &AppState, workspace_id: &WorkspaceId) -> AppResult<Vec<QueueItem>> {
    let key = state
        .vault
        .existing_key(workspace_id)
        .await
        .map_err(|e| anyhow::anyhow!("vault: {e}"))?;
    let profiles = crate::services::profiles::usernames(state, workspace_id).await?;
    let mut items = Vec::new();
    for (post, approval) in state.store.awaiting_approval(workspace_id).await? {
        let content = service::open(state, &post).await?;
        let reviews = reviews(state, key.as_ref(), &post).await?;
        items.push(QueueItem {
            profile: profiles
                .iter()
                .find(|(id, _)| *id == post.profile_id)
                .map(|(_, name)| format!("@{name}"))
                .unwrap_or_default(),
            scheduled_at: post.scheduled_at,
            media: content.parts.iter().map(|p| p.media.len()).sum(),
            parts: content.parts.into_iter().map(|p| p.text).collect(),
            approval: approval.unwrap_or(Approval::Pending),
            post_id: post.id,
            reviews,
        });
    }
    Ok(items)
}

async fn reviews(
    state: &AppState,
    key: Option<&crate::crypto::DataKey>,
    post: &PostRecord,
) -> AppResult<Vec<ReviewView>> {
    Ok(state
        .store
        .post_reviews(&post.id)
        .await?
        .into_iter()
        .map(|r| ReviewView {
            comment: r
                .comment_enc
                .as_deref()
                .and_then(|c| key?.open_string(PURPOSE, &post.id, c).ok()),
            reviewer: r.reviewer,
            decision: r.decision,
            at: r.created_at,
        })
        .collect())
}

/// The decisions on one of the workspace's posts, for its page.
pub async fn reviews_of(state: &AppState, post: &PostRecord) -> AppResult<Vec<ReviewView>> {
    let key = state
        .vault
        .existing_key(&post.user_id)
        .await
        .map_err(|e| anyhow::anyhow!("vault: {e}"))?;
    reviews(state, key.as_ref(), post).await
}

/// Every decision on the workspace's posts, comments readable, for the data export.
pub async fn export(
    state: &AppState,
    workspace_id: &WorkspaceId,
) -> AppResult<Vec<serde_json::Value>> {
    let mut out = Vec::new();
    for post in state.store.planned_posts_of(workspace_id, None).await? {
        for r in reviews_of(state, &post).await? {
            out.push(serde_json::json!({
                "post_id": post.id, "reviewer": r.reviewer, "decision": r.decision,
                "comment": r.comment, "at": r.at,
            }));
        }
    }
    Ok(out)
}

/// Records a decision on a post of `workspace_id` by `reviewer`; asking for changes needs a
/// comment. An approval lets the publisher go at its next look (within a minute, or at the
/// post's time).
pub async fn decide(
    state: &AppState,
    workspace_id: &WorkspaceId,
    reviewer: &str,
    post_id: &PostId,
    decision: Decision,
    comment: &str,
) -> AppResult<Approval> {
    let comment = comment.trim();
    if comment.chars().count() > MAX_COMMENT_CHARS {
        return Err(AppError::field(
            "comment",
            format!("Keep the comment under {MAX_COMMENT_CHARS} characters."),
        ));
    }
    if decision == Decision::RequestChanges && comment.is_empty() {
        return Err(AppError::field(
            "comment",
            "Say what should change: the writer sees this comment.",
        ));
    }
    let review_id = store::ReviewId::new(uuid::Uuid::new_v4().to_string());
    let sealed = if comment.is_empty() {
        None
    } else {
        let key = state
            .vault
            .data_key(workspace_id)
            .await
            .map_err(|e| anyhow::anyhow!("vault: {e}"))?;
        Some(key.seal(PURPOSE, post_id, comment.as_bytes()))
    };
    // The decision row and the post's approval state say the same.
    let approval = match decision {
        Decision::Approve => Approval::Approved,
        Decision::RequestChanges => Approval::ChangesRequested,
    };
    let done = state
        .store
        .decide_on_post(&store::NewDecision {
            workspace_id,
            post_id,
            review_id: &review_id,
            reviewer,
            decision: approval,
            approval,
            comment_enc: sealed.as_deref(),
            now: now_unix(),
        })
        .await?;
    if !done {
        return Err(AppError::NotFound);
    }
    tracing::info!(%workspace_id, %post_id, decision = approval.as_str(), "post reviewed");
    Ok(approval)
}

/// Decides as a signed-in approver of the current workspace.
pub async fn decide_as(
    state: &AppState,
    auth: &CurrentUser,
    post_id: &PostId,
    decision: Decision,
    comment: &str,
) -> AppResult<Approval> {
    auth.require(Need::Review)?;
    decide(
        state,
        auth.workspace_id(),
        &auth.user.email,
        post_id,
        decision,
        comment,
    )
    .await
}

/// Who decides through a client review link, as the post's history shows it.
pub const LINK_REVIEWER: &str = "Client review link";

/// A client review link's token for the current workspace, lasting `days`; answers the token
/// and its end (Unix seconds).
pub async fn make_link(
    state: &AppState,
    auth: &CurrentUser,
    days: u32,
) -> AppResult<(String, i64)> {
    auth.require(Need::Manage)?;
    if days == 0 || days > MAX_LINK_DAYS {
        return Err(AppError::field(
            "days",
            format!("Choose 1 to {MAX_LINK_DAYS} days."),
        ));
    }
    let workspace_id = auth.workspace_id();
    let epoch = state.store.review_links_epoch(workspace_id).await?;
    let expires = now_unix() + i64::from(days) * 86_400;
    let key = state
        .vault
        .data_key(workspace_id)
        .await
        .map_err(|e| anyhow::anyhow!("vault: {e}"))?;
    let sealed = key.seal(
        LINK_PURPOSE,
        workspace_id,
        format!("{expires}:{epoch}").as_bytes(),
    );
    Ok((
        format!("{workspace_id}.{}", URL_SAFE_NO_PAD.encode(sealed)),
        expires,
    ))
}

/// Ends every client review link of the current workspace.
pub async fn end_links(state: &AppState, auth: &CurrentUser) -> AppResult<()> {
    auth.require(Need::Manage)?;
    state
        .store
        .end_review_links(auth.workspace_id(), now_unix())
        .await?;
    Ok(())
}

const LINK_GONE: &str =
    "This review link has expired or was withdrawn. Ask the team for a new one.";

/// What a genuine client review link opens.
#[derive(Debug, Clone)]
pub struct ReviewLink {
    /// The workspace whose queue it shows.
    pub workspace_id: WorkspaceId,
    /// When it stops working (Unix seconds).
    pub expires_at: i64,
}

/// The workspace a client review link opens, if it is genuine, unexpired and not withdrawn.
pub async fn open_link(state: &AppState, token: &str) -> AppResult<ReviewLink> {
    let gone = || AppError::BadRequest(LINK_GONE.into());
    let (workspace_id, sealed) = token.split_once('.').ok_or_else(gone)?;
    let sealed = URL_SAFE_NO_PAD.decode(sealed).map_err(|_| gone())?;
    let key = state
        .vault
        .existing_key(&crate::domain::WorkspaceId::from(workspace_id))
        .await
        .map_err(|e| anyhow::anyhow!("vault: {e}"))?
        .ok_or_else(gone)?;
    let text = key
        .open_string(LINK_PURPOSE, workspace_id, &sealed)
        .map_err(|_| gone())?;
    let (expires, epoch) = text.split_once(':').ok_or_else(gone)?;
    let expires: i64 = expires.parse().map_err(|_| gone())?;
    let epoch: i64 = epoch.parse().map_err(|_| gone())?;
    if expires <= now_unix()
        || epoch
            != state
                .store
                .review_links_epoch(&crate::domain::WorkspaceId::from(workspace_id))
                .await?
    {
        return Err(gone());
    }
    Ok(ReviewLink {
        workspace_id: WorkspaceId::from(workspace_id),
        expires_at: expires,
    })
}

/// The role an approver has: used by pages to offer the queue.
pub fn may_review(role: WorkspaceRole) -> bool {
    role.may(Need::Review)
}
