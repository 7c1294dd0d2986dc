//! Staff access to a user's account: least privilege, a stated reason, and a log entry the user
//! sees in Settings for every view.

use serde_json::{Value, json};

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::domain::{Email, Role};
use crate::error::{AppError, AppResult};
use crate::store::now_unix;
use crate::store::users::UserRecord;

/// What a staff member may see of an account. Support agents and admins see the account facts
/// support needs; admins also see each profile's last sync error. Neither ever sees Meta content
/// (usernames, posts, demographics): only the user can, through the export.
pub async fn view_account(
    state: &AppState,
    staff: &CurrentUser,
    user_id: &str,
    reason: &str,
) -> AppResult<Value> {
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
    let profiles: Vec<Value> = state
        .store
        .profiles_of(&target.id)
        .await?
        .iter()
        .map(|p| {
            let mut v = json!({"id": p.id, "status": p.status, "connected_at": p.connected_at, "last_sync_at": p.last_sync_at});
            if admin {
                v["last_error"] = json!(p.last_error);
            }
            v
        })
        .collect();
    Ok(json!({
        "id": target.id,
        "email": target.email,
        "role": target.role.as_str(),
        "created_at": target.created_at,
        "last_active_at": target.last_active_at,
        "profiles": profiles,
    }))
}

/// Records in `user_id`'s access log that `staff` saw part of their data, with what and why.
/// Every staff view of a user's data goes through here, before the data is read.
pub async fn record_access(
    state: &AppState,
    staff: &UserRecord,
    user_id: &str,
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
    tracing::info!(staff_id = %staff.id, user_id, action, "staff access recorded");
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
