//! Starting a publisher run: everything it needs in one read (the post, its owner's timezone, the
//! profile's state and sealed token, the profile's quota reading), opened with one read of the
//! owner's data key. A burst of due posts is bound by database round trips, so a run spends two
//! where it used to spend six.

use threads_api::{AccessToken, Session};

use super::PURPOSE;
use super::approvals::Approval;
use super::compose::Composition;
use super::store::PostRecord;
use super::store::quota::QuotaRow;
use crate::app::AppState;
use crate::domain::ThreadsUserId;
use crate::jobs::JobError;
use crate::services::profiles::purpose;
use crate::store::profiles::ProfileStatus;

/// What a run starts from.
#[derive(Debug, Clone)]
pub struct Start {
    /// The post.
    pub post: PostRecord,
    /// Its owner's timezone now (IANA name; none means UTC).
    pub owner_timezone: Option<String>,
    /// The profile's status; none when the profile is gone.
    pub profile_status: Option<ProfileStatus>,
    /// The profile's Threads user id (the sealed token's subject).
    pub threads_user_id: Option<ThreadsUserId>,
    /// The profile's sealed access token.
    pub token_enc: Option<Vec<u8>>,
    /// The profile's quota reading; none before its first.
    pub quota: Option<QuotaRow>,
    /// Whether its workspace asks for approvals.
    pub approvals_required: bool,
    /// The post's approval state (`None`: never asked).
    pub approval: Option<Approval>,
}

/// The profile's session (none when it cannot publish: gone, not active, no token or key) and
/// the post's content.
pub async fn open(
    state: &AppState,
    start: &Start,
) -> Result<(Option<Session>, Composition), JobError> {
    let post = &start.post;
    let key = state
        .vault
        .existing_key(&post.user_id)
        .await
        .map_err(|e| JobError::retry(e.to_string()))?;
    let Some(key) = key else {
        return Err(JobError::permanent(
            "content unreadable: the owner's data key is gone",
        ));
    };
    let content = key
        .open_string(PURPOSE, &post.id, &post.content_enc)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .ok_or_else(|| JobError::permanent("content unreadable"))?;
    let token = match (
        &start.profile_status,
        &start.threads_user_id,
        &start.token_enc,
    ) {
        (Some(ProfileStatus::Active), Some(subject), Some(sealed)) => key
            .open_string(purpose::TOKEN, subject, sealed)
            .map_err(|e| JobError::retry(format!("opening the access token: {e}")))?,
        _ => return Ok((None, content)),
    };
    let session = state.threads.client.session(AccessToken::new(token));
    Ok((Some(session), content))
}
