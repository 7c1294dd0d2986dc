//! Staff access to a user's account: least privilege, a stated reason, and a log entry the user
//! sees in Settings for every view.

use serde::Serialize;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::now_unix;
use crate::domain::{Email, Role, UserId, WorkspaceId};
use crate::error::{AppError, AppResult};
use crate::store::users::UserRecord;

/// The account facts support needs, as a staff member sees them.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct AccountSummary {
    /// Account id.
    pub id: UserId,
    /// Sign-in address.
    pub email: String,
    /// user, support or admin.
    pub role: &'static str,
    /// Sign-up (Unix seconds).
    pub created_at: i64,
    /// Last sign-in or use (Unix seconds).
    pub last_active_at: i64,
    /// The connected profiles, without any Meta content.
    pub profiles: Vec<ProfileFacts>,
}

/// A connected profile's state, without its username or anything synced.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ProfileFacts {
    /// Profile id.
    pub id: crate::domain::ProfileId,
    /// Where the connection stands.
    pub status: crate::store::profiles::ProfileStatus,
    /// Connected (Unix seconds).
    pub connected_at: i64,
    /// Last finished sync (Unix seconds).
    pub last_sync_at: Option<i64>,
    /// The last sync error: admins only, left out for support agents.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
}

/// What a staff member may see of an account. Support agents and admins see the account facts
/// support needs; admins also see each profile's last sync error. Neither ever sees Meta content
/// (usernames, posts, demographics): only the user can, through the export.
pub async fn view_account(
    state: &AppState,
    staff: &CurrentUser,
    user_id: &UserId,
    reason: &str,
) -> AppResult<AccountSummary> {
    if staff.user.role < Role::Support {
        return Err(AppError::Forbidden(
            "Only support agents and admins can view accounts.",
        ));
    }
    let reason = reason.trim();
    if reason.chars().count() < 5 || reason.chars().count() > 300 {
        return Err(AppError::field(
            "reason",
            "Say why you need this account (5 to 300 characters); the user will see it.",
        ));
    }
    let target = state
        .store
        .user_by_id(user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    record_access(
        state,
        &staff.user,
        &target.id,
        "viewed the account summary",
        reason,
    )
    .await?;
    let admin = staff.user.role == Role::Admin;
    let profiles = state
        .store
        .profiles_of(&WorkspaceId::owned_by(&target.id))
        .await?
        .into_iter()
        .map(|p| ProfileFacts {
            id: p.id,
            status: p.status,
            connected_at: p.connected_at,
            last_sync_at: p.last_sync_at,
            last_error: if admin { p.last_error } else { None },
        })
        .collect();
    Ok(AccountSummary {
        id: target.id,
        email: target.email,
        role: target.role.as_str(),
        created_at: target.created_at,
        last_active_at: target.last_active_at,
        profiles,
    })
}

/// Records in `user_id`'s access log that `staff` saw part of their data, with what and why.
/// Every staff view of a user's data goes through here, before the data is read.
pub async fn record_access(
    state: &AppState,
    staff: &UserRecord,
    user_id: &UserId,
    action: &str,
    reason: &str,
) -> AppResult<()> {
    state
        .store
        .log_staff_access(
            user_id,
            &staff.id,
            staff.role.as_str(),
            action,
            reason,
            now_unix(),
        )
        .await?;
    tracing::info!(staff_id = %staff.id, user_id = %user_id, action, "staff access recorded");
    Ok(())
}

/// Grants `role` to the account with `email` (the `thredops admin grant` command).
pub async fn grant(store: &crate::store::Store, email: &str, role: &str) -> anyhow::Result<()> {
    let email = Email::parse(email)
        .map_err(|e| anyhow::anyhow!("{email:?} is not an email address: {e}"))?;
    let role = Role::parse(role)
        .ok_or_else(|| anyhow::anyhow!("{role:?} is not a role: use user, support or admin"))?;
    store.set_role(&email, role).await.map_err(|e| match e {
        crate::store::StoreError::NotFound => {
            anyhow::anyhow!("no account with the email {}", email.as_str())
        }
        other => other.into(),
    })
}
