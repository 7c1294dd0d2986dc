//! Posts planned on a profile that cannot publish (it needs reconnecting, or was disconnected):
//! the user is told when scheduling, and again by email and in the post's ledger before the
//! post is due, instead of finding out from a failure.

use std::time::Duration;

use crate::app::AppState;
use crate::clock::now_unix;
use crate::mail::Email;
use crate::store::StoreResult;

use super::store::PostRecord;
use super::{EventKind, PostState};

/// How long before its time a post on a profile that cannot publish is warned about again.
pub const WARN_BEFORE: Duration = Duration::from_secs(24 * 3600);
/// Ledger kind of that warning (one per post).
pub const WARNED: EventKind = EventKind::ReconnectWarned;

/// The note a scheduled post gets when its profile cannot publish now.
pub async fn note_for(state: &AppState, post: &PostRecord) -> StoreResult<Option<String>> {
    if post.state != PostState::Scheduled {
        return Ok(None);
    }
    let profile = state
        .store
        .profile_of(&post.user_id, &post.profile_id)
        .await?;
    Ok(profile
        .filter(|p| p.status != crate::store::profiles::ProfileStatus::Active)
        .map(|_| "This profile needs reconnecting before the post's time, or the post will fail. Reconnect it on the Profiles page.".to_owned()))
}

/// Emails (and records in the ledger) each post due within [`WARN_BEFORE`] whose profile cannot
/// publish, once per post. Returns how many were warned.
pub async fn warn_due_soon(state: &AppState) -> anyhow::Result<usize> {
    let soon = now_unix() + WARN_BEFORE.as_secs() as i64;
    let rows = state.store.posts_to_warn_of_reconnect(soon, WARNED).await?;
    let mut warned = 0;
    for row in rows {
        let (post_id, user_id, email, zone) = (row.post_id, row.user_id, row.email, row.timezone);
        let when = row
            .scheduled_at
            .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
            .map(|t| super::when::show(t, super::when::zone(Some(&zone))))
            .unwrap_or_default();
        let message = format!(
            "The profile of this post needs reconnecting; unless it is reconnected before {when}, the post will fail."
        );
        // The ledger entry first: a crash after it loses one email, never sends two.
        state
            .store
            .add_publish_event(&post_id, crate::clock::now_ms(), WARNED, &message)
            .await?;
        let mail = Email {
            to: email,
            subject: "A scheduled post cannot be published until you reconnect its profile".into(),
            body: format!(
                "A post you scheduled for {when} is on a Threads profile that ThredOps can no longer publish to (it needs reconnecting or was disconnected).\n\nReconnect the profile in ThredOps (Profiles) before then, or the post will fail.\n\n{}",
                state.settings.privacy.operator_name
            ),
        };
        // Part of the "profile needs reconnecting" emails the user can turn off in Settings: the
        // choices of the workspace's owner, whose account id it is and who is emailed.
        let owner = user_id.owner();
        let wanted = state.store.email_choices(&owner).await?.profile_reconnect;
        if wanted && let Err(e) = state.mailer.send(&mail).await {
            tracing::warn!(error = %format!("{e:#}"), "reconnect warning could not be mailed");
        }
        warned += 1;
    }
    Ok(warned)
}
