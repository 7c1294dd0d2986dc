//! Storage of approvals: a post's approval state and the decisions with their comments.

use super::super::store::{COLUMNS, PostRecord};
use super::Approval;
use crate::domain::{PostId, WorkspaceId};
use crate::store::{Store, StoreResult, with_pool};

crate::domain::id_type!(
    /// A decision on a post (a row of `post_reviews`).
    ReviewId
);

/// A post waiting for a decision, with its approval state.
#[derive(sqlx::FromRow)]
struct AwaitingRow {
    #[sqlx(flatten)]
    post: PostRecord,
    approval: Option<Approval>,
}

/// A decision on a post, as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReviewRow {
    /// Who decided: an address, or the client review link.
    pub reviewer: String,
    /// `approved` or `changes_requested`.
    pub decision: Approval,
    /// The comment, sealed with the workspace's key.
    pub comment_enc: Option<Vec<u8>>,
    /// When (Unix seconds).
    pub created_at: i64,
}

/// A decision to record.
pub struct NewDecision<'a> {
    /// The post's workspace.
    pub workspace_id: &'a WorkspaceId,
    /// The post.
    pub post_id: &'a PostId,
    /// The decision's id.
    pub review_id: &'a ReviewId,
    /// Who decided.
    pub reviewer: &'a str,
    /// `approved` or `changes_requested`.
    pub decision: Approval,
    /// The post's approval state after it.
    pub approval: Approval,
    /// The comment, sealed.
    pub comment_enc: Option<&'a [u8]>,
    /// When.
    pub now: i64,
}

impl Store {
    /// A post's approval state (`None`: never asked).
    pub async fn post_approval(&self, post_id: &PostId) -> StoreResult<Option<Approval>> {
        let approval: Option<Option<Approval>> = with_pool!(self, |p| {
            sqlx::query_scalar("SELECT approval FROM scheduled_posts WHERE id = $1")
                .bind(post_id)
                .fetch_optional(p)
                .await
        })?;
        Ok(approval.flatten())
    }

    /// Records a decision on a post of its workspace that waits for one (scheduled, not
    /// approved) and sets the post's approval state, together; false when there is no such post.
    pub async fn decide_on_post(&self, d: &NewDecision<'_>) -> StoreResult<bool> {
        let done = with_pool!(self, |p| {
            async {
            let mut tx = p.begin().await?;
            let changed = sqlx::query(
                "UPDATE scheduled_posts SET approval = $1 WHERE id = $2 AND user_id = $3 \
                 AND state = 'scheduled' AND (approval IS NULL OR approval <> 'approved')",
            )
            .bind(d.approval.as_str())
            .bind(d.post_id)
            .bind(d.workspace_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if changed == 0 {
                return Ok::<_, sqlx::Error>(false);
            }
            sqlx::query(
                "INSERT INTO post_reviews (id, post_id, user_id, reviewer, decision, comment_enc, created_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(d.review_id)
            .bind(d.post_id)
            .bind(d.workspace_id)
            .bind(d.reviewer)
            .bind(d.decision.as_str())
            .bind(d.comment_enc)
            .bind(d.now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(true)
        }
        .await
        })?;
        Ok(done)
    }

    /// The decisions on a post, oldest first.
    pub async fn post_reviews(&self, post_id: &PostId) -> StoreResult<Vec<ReviewRow>> {
        Ok(with_pool!(self, |p| sqlx::query_as(
            "SELECT reviewer, decision, comment_enc, created_at FROM post_reviews \
             WHERE post_id = $1 ORDER BY created_at, id",
        )
        .bind(post_id)
        .fetch_all(p)
        .await)?)
    }

    /// The workspace's planned posts that wait for a decision (scheduled, not approved),
    /// soonest first, with their approval state.
    pub async fn awaiting_approval(
        &self,
        workspace_id: &WorkspaceId,
    ) -> StoreResult<Vec<(PostRecord, Option<Approval>)>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS}, approval FROM scheduled_posts WHERE user_id = $1 \
             AND state = 'scheduled' AND (approval IS NULL OR approval <> 'approved') \
             ORDER BY scheduled_at, created_at"
        ));
        let rows: Vec<AwaitingRow> = with_pool!(self, |p| sqlx::query_as(sql)
            .bind(workspace_id)
            .fetch_all(p)
            .await)?;
        Ok(rows.into_iter().map(|r| (r.post, r.approval)).collect())
    }

    /// Notes on a planned post that it waits for approval (the publisher's hold); a post that
    /// started publishing meanwhile keeps its own note.
    pub async fn hold_note(&self, post_id: &PostId, note: &str) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
                "UPDATE scheduled_posts SET note = $1 WHERE id = $2 AND state = 'scheduled'",
            )
            .bind(note)
            .bind(post_id)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// Sets a post's approval state without a decision (a write by someone who cannot approve
    /// sends it back to the queue; one by an approver approves it).
    pub async fn set_post_approval(&self, post_id: &PostId, approval: Approval) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query("UPDATE scheduled_posts SET approval = $1 WHERE id = $2")
                .bind(approval.as_str())
                .bind(post_id)
                .execute(p)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }
}
