//! Workspaces: teams that share profiles, posts, drafts, slots, audits and billing.
//!
//! A workspace is an account: what it holds is keyed by the owning account's id, exactly as
//! before workspaces existed, so every account was one workspace from the start and nothing
//! moved. Other people join by an emailed invitation with a role (admin, editor, viewer, client
//! reviewer) and switch between their own workspace and the ones they belong to; the session
//! remembers where it acts. Why the account is the workspace: what a workspace holds is deleted
//! with its owner's account, as the privacy policy promises, by the database's own cascades.
//! The cost: an account owns exactly one workspace (a second one needs a second account).
//!
//! What each route needs of a role is one table ([`access`]), checked by the web layer before
//! any handler runs.

pub mod access;
pub(crate) mod store;

use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::now_unix;
use crate::domain::{Email, UserId, WorkspaceId, WorkspaceRole};
use crate::error::{AppError, AppResult};
use crate::mail::Email as Mail;
use store::InvitationRow;

crate::domain::id_type!(
    /// An invitation to a workspace.
    InvitationId
);

/// How long an invitation link works.
pub const INVITATION_LIFETIME_SECS: i64 = 7 * 24 * 60 * 60;
/// Most invitations a workspace may have waiting at once.
pub const MAX_PENDING_INVITATIONS: usize = 50;
/// Longest workspace name.
pub const MAX_NAME_CHARS: usize = 80;

/// A workspace as the people in it see it.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct WorkspaceView {
    /// The workspace's id (its owner account's id).
    pub id: WorkspaceId,
    /// Its name: the one the owner gave, or the owner's address.
    pub name: String,
    /// The viewer's role there.
    pub role: WorkspaceRole,
    /// The role's name as shown.
    pub role_label: &'static str,
    /// Whether requests act there now.
    pub current: bool,
    /// Whether it is the viewer's own.
    pub own: bool,
}

/// A member as listed to the workspace.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct MemberView {
    /// Their account id.
    pub user_id: UserId,
    /// Their address.
    pub email: String,
    /// Their role.
    pub role: WorkspaceRole,
    /// The role's name as shown.
    pub role_label: &'static str,
    /// When they joined (RFC 3339); none for the owner.
    pub joined_at: Option<String>,
}

/// A waiting invitation.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct InvitationView {
    /// Id (withdraw it with this).
    pub id: InvitationId,
    /// Sent to.
    pub email: String,
    /// The role it gives.
    pub role: WorkspaceRole,
    /// The role's name as shown.
    pub role_label: &'static str,
    /// Works until (RFC 3339).
    pub expires_at: String,
}

/// The people of the current workspace.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
pub struct People {
    /// The owner first, then members by address.
    pub members: Vec<MemberView>,
    /// Invitations still waiting; empty unless the viewer may manage members.
    pub invitations: Vec<InvitationView>,
}

/// What an invitation link shows before it is accepted.
#[derive(Debug, Clone, Serialize)]
pub struct InvitationPreview {
    /// The workspace's name.
    pub workspace: String,
    /// The address it was sent to.
    pub email: String,
    /// The role's name as shown.
    pub role_label: &'static str,
    /// Whether the signed-in account has that address (only then can it be accepted).
    pub for_you: bool,
}

fn rfc3339(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .unwrap_or_default()
        .to_rfc3339()
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn parse_role(role: &str) -> AppResult<WorkspaceRole> {
    WorkspaceRole::parse_member(role)
        .ok_or_else(|| AppError::field("role", "Choose admin, editor, viewer or reviewer."))
}

/// The displayed name of workspace `owner_id`.
async fn name_of(
    state: &AppState,
    workspace_id: &WorkspaceId,
    owner_email: &str,
) -> AppResult<String> {
    Ok(state
        .store
        .workspace_name(workspace_id)
        .await?
        .unwrap_or_else(|| format!("{owner_email}'s workspace")))
}

/// The user's seat in a workspace they belong to (their role there now), if any.
pub async fn seat_of(
    state: &AppState,
    workspace_id: &WorkspaceId,
    user_id: &UserId,
) -> AppResult<Option<crate::store::sessions::Seat>> {
    Ok(state
        .store
        .member_role(workspace_id, user_id)
        .await?
        .map(|role| crate::store::sessions::Seat {
            workspace_id: workspace_id.clone(),
            role,
        }))
}

/// The displayed name of a workspace.
pub async fn name(state: &AppState, workspace_id: &WorkspaceId) -> AppResult<String> {
    let owner = state
        .store
        .user_by_id(&workspace_id.owner())
        .await?
        .ok_or(AppError::NotFound)?;
    name_of(state, workspace_id, &owner.email).await
}

/// The workspaces the user may act in: their own first, then the ones they belong to.
pub async fn mine(state: &AppState, auth: &CurrentUser) -> AppResult<Vec<WorkspaceView>> {
    let mut all = vec![WorkspaceView {
        id: WorkspaceId::owned_by(&auth.user.id),
        name: name_of(
            state,
            &WorkspaceId::owned_by(&auth.user.id),
            &auth.user.email,
        )
        .await?,
        role: WorkspaceRole::Owner,
        role_label: WorkspaceRole::Owner.label(),
        current: auth.workspace.is_own(&auth.user),
        own: true,
    }];
    for m in state.store.memberships_of(&auth.user.id).await? {
        let role = m.role;
        all.push(WorkspaceView {
            current: m.workspace_id == auth.workspace.id,
            name: m
                .name
                .unwrap_or_else(|| format!("{}'s workspace", m.owner_email)),
            id: m.workspace_id,
            role,
            role_label: role.label(),
            own: false,
        });
    }
    Ok(all)
}

/// The workspace requests act in now.
pub async fn current(state: &AppState, auth: &CurrentUser) -> AppResult<WorkspaceView> {
    mine(state, auth)
        .await?
        .into_iter()
        .find(|w| w.current)
        .ok_or(AppError::NotFound)
}

/// Makes the session act in `workspace_id`: the user's own, or one they belong to (404
/// otherwise, as for anything not theirs).
pub async fn switch(
    state: &AppState,
    auth: &CurrentUser,
    workspace_id: &WorkspaceId,
) -> AppResult<()> {
    if auth.session_id.starts_with("token:") {
        return Err(AppError::Forbidden(
            "An API token acts in the workspace it was made in.",
        ));
    }
    let target = if workspace_id.is_owned_by(&auth.user.id) {
        None
    } else if state
        .store
        .member_role(workspace_id, &auth.user.id)
        .await?
        .is_some()
    {
        Some(workspace_id)
    } else {
        return Err(AppError::NotFound);
    };
    state
        .store
        .set_session_workspace(&auth.session_id, &auth.user.id, target)
        .await?;
    Ok(())
}

/// Names the current workspace (the owner and admins).
pub async fn rename(state: &AppState, auth: &CurrentUser, name: &str) -> AppResult<()> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(AppError::field(
            "name",
            format!("Give the workspace a name of 1 to {MAX_NAME_CHARS} characters."),
        ));
    }
    state
        .store
        .set_workspace_name(auth.workspace_id(), name, now_unix())
        .await?;
    Ok(())
}

/// The owner and members of the current workspace, and its waiting invitations when the user
/// may manage members.
pub async fn people(state: &AppState, auth: &CurrentUser) -> AppResult<People> {
    let owner = state
        .store
        .user_by_id(&auth.workspace_id().owner())
        .await?
        .ok_or(AppError::NotFound)?;
    let mut members = vec![MemberView {
        user_id: owner.id.clone(),
        email: owner.email.clone(),
        role: WorkspaceRole::Owner,
        role_label: WorkspaceRole::Owner.label(),
        joined_at: None,
    }];
    for m in state.store.members_of(auth.workspace_id()).await? {
        let role = m.role;
        members.push(MemberView {
            user_id: m.user_id,
            email: m.email,
            role,
            role_label: role.label(),
            joined_at: Some(rfc3339(m.joined_at)),
        });
    }
    let invitations = if auth.workspace.role.may(crate::domain::Need::Manage) {
        state
            .store
            .pending_invitations(auth.workspace_id(), now_unix())
            .await?
            .into_iter()
            .map(|i| {
                let role = i.role;
                InvitationView {
                    id: i.id,
                    email: i.email,
                    role,
                    role_label: role.label(),
                    expires_at: rfc3339(i.expires_at),
                }
            })
            .collect()
    } else {
        Vec::new()
    };
    Ok(People {
        members,
        invitations,
    })
}

/// The members of the user's own workspace (whatever workspace they act in now), for the
/// data page that says who can see the user's data.
pub async fn own_members(state: &AppState, auth: &CurrentUser) -> AppResult<Vec<MemberView>> {
    Ok(state
        .store
        .members_of(&WorkspaceId::owned_by(&auth.user.id))
        .await?
        .into_iter()
        .map(|m| {
            let role = m.role;
            MemberView {
                user_id: m.user_id,
                email: m.email,
                role,
                role_label: role.label(),
                joined_at: Some(rfc3339(m.joined_at)),
            }
        })
        .collect())
}

/// Only the owner may make, change or remove admins.
fn may_handle(auth: &CurrentUser, role: WorkspaceRole) -> AppResult<()> {
    if role == WorkspaceRole::Admin && auth.workspace.role != WorkspaceRole::Owner {
        return Err(AppError::Forbidden(
            "Only the workspace's owner can add, change or remove admins.",
        ));
    }
    Ok(())
}

/// Invites `email` to the current workspace with `role`, mailing a link that works for a week.
/// Answers the invitation (without its secret).
pub async fn invite(
    state: &AppState,
    auth: &CurrentUser,
    email: &str,
    role: &str,
) -> AppResult<InvitationView> {
    let email = Email::parse(email).map_err(|m| AppError::field("email", m))?;
    let role = parse_role(role)?;
    may_handle(auth, role)?;
    let workspace_id = auth.workspace_id();
    let owner = state
        .store
        .user_by_id(&workspace_id.owner())
        .await?
        .ok_or(AppError::NotFound)?;
    if owner.email == email.as_str() {
        return Err(AppError::field(
            "email",
            "That address owns this workspace.",
        ));
    }
    if state
        .store
        .members_of(workspace_id)
        .await?
        .iter()
        .any(|m| m.email == email.as_str())
    {
        return Err(AppError::field(
            "email",
            "That address is already a member; change their role in the list instead.",
        ));
    }
    let now = now_unix();
    let pending = state.store.pending_invitations(workspace_id, now).await?;
    if pending.iter().any(|i| i.email == email.as_str()) {
        return Err(AppError::field(
            "email",
            "That address already has an invitation waiting; withdraw it to send a new one.",
        ));
    }
    if pending.len() >= MAX_PENDING_INVITATIONS {
        return Err(AppError::Conflict(format!(
            "This workspace has {MAX_PENDING_INVITATIONS} invitations waiting; withdraw some first."
        )));
    }
    seats_left(state, workspace_id, pending.len()).await?;
    if !state.throttle.mail_to(email.as_str()) {
        return Err(AppError::RateLimited(std::time::Duration::from_secs(60)));
    }
    let mut secret = [0u8; 32];
    rand::rng().fill_bytes(&mut secret);
    let token = hex::encode(secret);
    let invitation = InvitationRow {
        id: InvitationId::new(uuid::Uuid::new_v4().to_string()),
        workspace_id: workspace_id.clone(),
        email: email.as_str().to_owned(),
        role,
        invited_by: auth.user.id.clone(),
        created_at: now,
        expires_at: now + INVITATION_LIFETIME_SECS,
    };
    state
        .store
        .insert_invitation(&invitation, &token_hash(&token))
        .await?;
    let name = name_of(state, workspace_id, &owner.email).await?;
    let link = format!(
        "{}/app/workspaces/accept?token={token}",
        state.public_origin()
    );
    crate::services::recovery::send_later(
        state,
        Mail {
            to: invitation.email.clone(),
            subject: format!("You are invited to {name} on ThredOps"),
            body: format!(
                "{} invites you to the ThredOps workspace \"{name}\" as {}.\n\nJoin it here (sign in, or sign up with this address first):\n{link}\n\nThe link works once, for 7 days. If you did not expect this, ignore this message.",
                auth.user.email,
                role.label()
            ),
        },
    );
    tracing::info!(%workspace_id, invitation_id = %invitation.id, role = role.as_str(), "workspace invitation sent");
    Ok(InvitationView {
        id: invitation.id,
        email: invitation.email,
        role,
        role_label: role.label(),
        expires_at: rfc3339(invitation.expires_at),
    })
}

/// Plan check: one more person (member or waiting invitation) must fit the plan's seats.
async fn seats_left(state: &AppState, workspace_id: &WorkspaceId, pending: usize) -> AppResult<()> {
    let entitlement =
        crate::billing::entitlements::of_user(state, workspace_id, now_unix()).await?;
    let Some(limit) = entitlement.limits().seats else {
        return Ok(());
    };
    let used = state.store.members_of(workspace_id).await?.len() + pending;
    if used < limit as usize {
        return Ok(());
    }
    let noun = if limit == 1 { "person" } else { "people" };
    Err(AppError::PlanLimit {
        limit: "seats",
        plan: entitlement.plan.name.to_owned(),
        message: format!(
            "Your {} plan includes {limit} {noun} besides you, and {used} are in or invited. Upgrade your plan on the Billing page (/app/billing), or remove someone or withdraw an invitation first.",
            entitlement.plan.name
        ),
    })
}

const INVITATION_GONE: &str =
    "This invitation has expired, was withdrawn or was already used. Ask for a new one.";

async fn live(state: &AppState, token: &str) -> AppResult<InvitationRow> {
    state
        .store
        .live_invitation(&token_hash(token.trim()), now_unix())
        .await?
        .ok_or_else(|| AppError::BadRequest(INVITATION_GONE.into()))
}

/// What an invitation link offers, for the page that asks to accept it.
pub async fn preview(
    state: &AppState,
    auth: &CurrentUser,
    token: &str,
) -> AppResult<InvitationPreview> {
    let invitation = live(state, token).await?;
    let owner = state
        .store
        .user_by_id(&invitation.workspace_id.owner())
        .await?
        .ok_or_else(|| AppError::BadRequest(INVITATION_GONE.into()))?;
    let role = invitation.role;
    Ok(InvitationPreview {
        workspace: name_of(state, &invitation.workspace_id, &owner.email).await?,
        for_you: invitation.email == auth.user.email,
        email: invitation.email,
        role_label: role.label(),
    })
}

/// Accepts an invitation: the signed-in account must have the address it was sent to. The
/// session then acts in the workspace. Answers the workspace's id.
pub async fn accept(state: &AppState, auth: &CurrentUser, token: &str) -> AppResult<WorkspaceId> {
    let invitation = live(state, token).await?;
    if invitation.email != auth.user.email {
        return Err(AppError::Forbidden(
            "This invitation was sent to another address: sign in with that address to accept it.",
        ));
    }
    let role = invitation.role;
    if !state
        .store
        .accept_invitation(&invitation.id, now_unix())
        .await?
    {
        return Err(AppError::BadRequest(INVITATION_GONE.into()));
    }
    state
        .store
        .put_member(
            &invitation.workspace_id,
            &auth.user.id,
            role,
            &invitation.invited_by,
            now_unix(),
        )
        .await?;
    tracing::info!(workspace_id = %invitation.workspace_id, user_id = %auth.user.id, role = role.as_str(), "joined a workspace");
    if !auth.session_id.starts_with("token:") {
        switch(state, auth, &invitation.workspace_id).await?;
    }
    Ok(invitation.workspace_id)
}

/// Withdraws a waiting invitation of the current workspace.
pub async fn withdraw(state: &AppState, auth: &CurrentUser, id: &InvitationId) -> AppResult<()> {
    if state
        .store
        .revoke_invitation(auth.workspace_id(), id, now_unix())
        .await?
    {
        Ok(())
    } else {
        Err(AppError::NotFound)
    }
}

/// Gives a member of the current workspace another role.
pub async fn change_role(
    state: &AppState,
    auth: &CurrentUser,
    user_id: &UserId,
    role: &str,
) -> AppResult<()> {
    let role = parse_role(role)?;
    let before = state
        .store
        .member_role(auth.workspace_id(), user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    may_handle(auth, before)?;
    may_handle(auth, role)?;
    state
        .store
        .set_member_role(auth.workspace_id(), user_id, role)
        .await?;
    Ok(())
}

/// Removes a member from the current workspace; their sessions there go back to their own.
pub async fn remove(state: &AppState, auth: &CurrentUser, user_id: &UserId) -> AppResult<()> {
    let before = state
        .store
        .member_role(auth.workspace_id(), user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    may_handle(auth, before)?;
    state
        .store
        .remove_member(auth.workspace_id(), user_id)
        .await?;
    tracing::info!(workspace_id = %auth.workspace_id(), %user_id, "member removed from a workspace");
    Ok(())
}

/// Leaves a workspace the user belongs to (not their own).
pub async fn leave(
    state: &AppState,
    auth: &CurrentUser,
    workspace_id: &WorkspaceId,
) -> AppResult<()> {
    if workspace_id.is_owned_by(&auth.user.id) {
        return Err(AppError::BadRequest(
            "You own this workspace; delete your account to end it.".into(),
        ));
    }
    if !state
        .store
        .remove_member(workspace_id, &auth.user.id)
        .await?
    {
        return Err(AppError::NotFound);
    }
    Ok(())
}
