//! Storage of workspaces: names, member rows, invitations and the workspace a session acts in.

use super::InvitationId;
use crate::domain::{SessionId, UserId, WorkspaceId, WorkspaceRole};
use crate::store::{Store, StoreError, StoreResult, with_pool};

/// A workspace a user belongs to (not their own).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MembershipRow {
    /// The workspace (its owner account's id).
    pub workspace_id: WorkspaceId,
    /// The user's role there.
    #[sqlx(try_from = "String")]
    pub role: WorkspaceRole,
    /// The name the owner gave it, if any.
    pub name: Option<String>,
    /// The owner's address.
    #[sqlx(rename = "email")]
    pub owner_email: String,
}

/// A member of a workspace.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MemberRow {
    /// The member's account.
    pub user_id: UserId,
    /// Their address.
    pub email: String,
    /// Their role.
    #[sqlx(try_from = "String")]
    pub role: WorkspaceRole,
    /// When they joined (Unix seconds).
    #[sqlx(rename = "created_at")]
    pub joined_at: i64,
}

/// An invitation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InvitationRow {
    /// Id.
    pub id: InvitationId,
    /// The workspace it is to.
    pub workspace_id: WorkspaceId,
    /// The address it was sent to.
    pub email: String,
    /// The role it gives.
    #[sqlx(try_from = "String")]
    pub role: WorkspaceRole,
    /// Who sent it.
    pub invited_by: UserId,
    /// Sent (Unix seconds).
    pub created_at: i64,
    /// Works until (Unix seconds).
    pub expires_at: i64,
}

const INVITATION_COLUMNS: &str =
    "id, workspace_id, email, role, invited_by, created_at, expires_at";

/// A stored member role; the schema's CHECK allows only member roles, so anything else is a
/// decoding error rather than a guess.
impl TryFrom<String> for WorkspaceRole {
    type Error = String;
    fn try_from(name: String) -> Result<Self, Self::Error> {
        WorkspaceRole::parse_member(&name).ok_or_else(|| format!("unknown member role {name}"))
    }
}

impl Store {
    /// The name the owner gave their workspace, if any.
    pub async fn workspace_name(&self, workspace_id: &WorkspaceId) -> StoreResult<Option<String>> {
        let name: Option<Option<String>> = with_pool!(self, |p| {
            sqlx::query_scalar("SELECT name FROM workspaces WHERE owner_id = $1")
                .bind(workspace_id)
                .fetch_optional(p)
                .await
        })?;
        Ok(name.flatten())
    }

    /// Names the owner's workspace.
    pub async fn set_workspace_name(
        &self,
        workspace_id: &WorkspaceId,
        name: &str,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO workspaces (owner_id, name, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (owner_id) DO UPDATE SET name = excluded.name, updated_at = excluded.updated_at",
            )
            .bind(workspace_id)
            .bind(name)
            .bind(now)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// The workspaces `user_id` belongs to besides their own, oldest membership first.
    pub async fn memberships_of(&self, user_id: &UserId) -> StoreResult<Vec<MembershipRow>> {
        Ok(with_pool!(self, |p| sqlx::query_as(
            "SELECT m.workspace_id, m.role, w.name, u.email FROM workspace_members m \
             JOIN users u ON u.id = m.workspace_id \
             LEFT JOIN workspaces w ON w.owner_id = m.workspace_id \
             WHERE m.user_id = $1 ORDER BY m.created_at, m.workspace_id",
        )
        .bind(user_id)
        .fetch_all(p)
        .await)?)
    }

    /// The members of a workspace (its owner not included), by address.
    pub async fn members_of(&self, workspace_id: &WorkspaceId) -> StoreResult<Vec<MemberRow>> {
        Ok(with_pool!(self, |p| sqlx::query_as(
            "SELECT m.user_id, u.email, m.role, m.created_at FROM workspace_members m \
             JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1 ORDER BY u.email",
        )
        .bind(workspace_id)
        .fetch_all(p)
        .await)?)
    }

    /// The stored role of `user_id` in `workspace_id`, if they are a member.
    pub async fn member_role(
        &self,
        workspace_id: &WorkspaceId,
        user_id: &UserId,
    ) -> StoreResult<Option<WorkspaceRole>> {
        let role: Option<String> = with_pool!(self, |p| {
            sqlx::query_scalar(
                "SELECT role FROM workspace_members WHERE workspace_id = $1 AND user_id = $2",
            )
            .bind(workspace_id)
            .bind(user_id)
            .fetch_optional(p)
            .await
        })?;
        role.map(|name| {
            WorkspaceRole::try_from(name)
                .map_err(|e| StoreError::from(sqlx::Error::Decode(e.into())))
        })
        .transpose()
    }

    /// Adds a member, or gives an existing one the role.
    pub async fn put_member(
        &self,
        workspace_id: &WorkspaceId,
        user_id: &UserId,
        role: WorkspaceRole,
        invited_by: &UserId,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO workspace_members (workspace_id, user_id, role, invited_by, created_at) \
                 VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (workspace_id, user_id) DO UPDATE SET role = excluded.role",
            )
            .bind(workspace_id)
            .bind(user_id)
            .bind(role.as_str())
            .bind(invited_by)
            .bind(now)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// Changes a member's role; false when they are not a member.
    pub async fn set_member_role(
        &self,
        workspace_id: &WorkspaceId,
        user_id: &UserId,
        role: WorkspaceRole,
    ) -> StoreResult<bool> {
        let changed = with_pool!(self, |p| {
            sqlx::query(
                "UPDATE workspace_members SET role = $1 WHERE workspace_id = $2 AND user_id = $3",
            )
            .bind(role.as_str())
            .bind(workspace_id)
            .bind(user_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(changed > 0)
    }

    /// Ends a membership; false when there was none. The member's sessions in that workspace
    /// go back to their own at their next request (the session check joins the member row).
    pub async fn remove_member(
        &self,
        workspace_id: &WorkspaceId,
        user_id: &UserId,
    ) -> StoreResult<bool> {
        let removed = with_pool!(self, |p| {
            sqlx::query("DELETE FROM workspace_members WHERE workspace_id = $1 AND user_id = $2")
                .bind(workspace_id)
                .bind(user_id)
                .execute(p)
                .await
                .map(|r| r.rows_affected())
        })?;
        Ok(removed > 0)
    }

    /// Points a session at a workspace (`None`: the account's own).
    pub async fn set_session_workspace(
        &self,
        session_id: &SessionId,
        user_id: &UserId,
        workspace_id: Option<&WorkspaceId>,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query("UPDATE sessions SET workspace_id = $1 WHERE id = $2 AND user_id = $3")
                .bind(workspace_id)
                .bind(session_id)
                .bind(user_id)
                .execute(p)
                .await
                .map(|_| ())
        })?;
        Ok(())
    }

    /// Stores an invitation; only the hash of its link's secret is kept.
    pub async fn insert_invitation(
        &self,
        invitation: &InvitationRow,
        token_hash: &str,
    ) -> StoreResult<()> {
        let i = invitation;
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO workspace_invitations (id, workspace_id, email, role, token_hash, invited_by, created_at, expires_at) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(&i.id)
            .bind(&i.workspace_id)
            .bind(&i.email)
            .bind(i.role.as_str())
            .bind(token_hash)
            .bind(&i.invited_by)
            .bind(i.created_at)
            .bind(i.expires_at)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }

    /// Invitations of a workspace still waiting at `now`, newest first.
    pub async fn pending_invitations(
        &self,
        workspace_id: &WorkspaceId,
        now: i64,
    ) -> StoreResult<Vec<InvitationRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {INVITATION_COLUMNS} FROM workspace_invitations WHERE workspace_id = $1 \
             AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2 \
             ORDER BY created_at DESC, id"
        ));
        Ok(with_pool!(self, |p| sqlx::query_as(sql)
            .bind(workspace_id)
            .bind(now)
            .fetch_all(p)
            .await)?)
    }

    /// The invitation a link stands for, if it still works at `now`.
    pub async fn live_invitation(
        &self,
        token_hash: &str,
        now: i64,
    ) -> StoreResult<Option<InvitationRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {INVITATION_COLUMNS} FROM workspace_invitations WHERE token_hash = $1 \
             AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2"
        ));
        Ok(with_pool!(self, |p| sqlx::query_as(sql)
            .bind(token_hash)
            .bind(now)
            .fetch_optional(p)
            .await)?)
    }

    /// Marks an invitation used, once: false when it was used, withdrawn or expired meanwhile.
    pub async fn accept_invitation(&self, id: &InvitationId, now: i64) -> StoreResult<bool> {
        let taken = with_pool!(self, |p| {
            sqlx::query(
                "UPDATE workspace_invitations SET accepted_at = $1 WHERE id = $2 \
                 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $1",
            )
            .bind(now)
            .bind(id)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(taken > 0)
    }

    /// Withdraws a waiting invitation of a workspace; false when there is none.
    pub async fn revoke_invitation(
        &self,
        workspace_id: &WorkspaceId,
        id: &InvitationId,
        now: i64,
    ) -> StoreResult<bool> {
        let revoked = with_pool!(self, |p| {
            sqlx::query(
                "UPDATE workspace_invitations SET revoked_at = $1 WHERE id = $2 AND workspace_id = $3 \
                 AND accepted_at IS NULL AND revoked_at IS NULL",
            )
            .bind(now)
            .bind(id)
            .bind(workspace_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(revoked > 0)
    }
}

impl Store {
    /// Whether posts of the workspace wait for approval before publishing.
    pub async fn approvals_required(&self, workspace_id: &WorkspaceId) -> StoreResult<bool> {
        let on: Option<bool> = with_pool!(self, |p| {
            sqlx::query_scalar("SELECT approvals_required FROM workspaces WHERE owner_id = $1")
                .bind(workspace_id)
                .fetch_optional(p)
                .await
        })?;
        Ok(on.unwrap_or(false))
    }

    /// Turns approvals on or off. Turning them on approves the posts already planned, so that
    /// only what is written from then on waits.
    pub async fn set_approvals_required(
        &self,
        workspace_id: &WorkspaceId,
        on: bool,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            async {
            let mut tx = p.begin().await?;
            sqlx::query(
                "INSERT INTO workspaces (owner_id, approvals_required, updated_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (owner_id) DO UPDATE SET approvals_required = excluded.approvals_required, \
                 updated_at = excluded.updated_at",
            )
            .bind(workspace_id)
            .bind(on)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if on {
                sqlx::query(
                    "UPDATE scheduled_posts SET approval = 'approved' WHERE user_id = $1 AND approval IS NULL",
                )
                .bind(workspace_id)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await
        }
        .await
        })?;
        Ok(())
    }

    /// The workspace's review-link generation: links carry it, and raising it ends them all.
    pub async fn review_links_epoch(&self, workspace_id: &WorkspaceId) -> StoreResult<i64> {
        let epoch: Option<i64> = with_pool!(self, |p| {
            sqlx::query_scalar("SELECT review_links_epoch FROM workspaces WHERE owner_id = $1")
                .bind(workspace_id)
                .fetch_optional(p)
                .await
        })?;
        Ok(epoch.unwrap_or(0))
    }

    /// Ends every review link given so far.
    pub async fn end_review_links(&self, workspace_id: &WorkspaceId, now: i64) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
                "INSERT INTO workspaces (owner_id, review_links_epoch, updated_at) VALUES ($1, 1, $2) \
                 ON CONFLICT (owner_id) DO UPDATE SET review_links_epoch = workspaces.review_links_epoch + 1, \
                 updated_at = excluded.updated_at",
            )
            .bind(workspace_id)
            .bind(now)
            .execute(p)
            .await
            .map(|_| ())
        })?;
        Ok(())
    }
}
