//! Starting a publisher run: everything it needs in one read (the post, its owner's timezone, the
//! profile's state and sealed token, the profile's quota reading), opened with one read of the
//! owner's data key. A burst of due posts is bound by database round trips, so a run spends two
//! where it used to spend six.

use sqlx::Row;
use threads_api::{AccessToken, Session};

use super::PURPOSE;
use super::compose::Composition;
use super::quota_store::QuotaRow;
use super::store::{COLUMNS, PostRecord, post_from_row};
use crate::app::AppState;
use crate::jobs::JobError;
use crate::services::profiles::purpose;
use crate::store::{Store, StoreResult, with_pool};

/// What a run starts from.
#[derive(Debug, Clone)]
pub struct Start {
    /// The post.
    pub post: PostRecord,
    /// Its owner's timezone now (IANA name; none means UTC).
    pub owner_timezone: Option<String>,
    /// The profile's status (`active`, ...); none when the profile is gone.
    pub profile_status: Option<String>,
    /// The profile's Threads user id (the sealed token's subject).
    pub threads_user_id: Option<String>,
    /// The profile's sealed access token.
    pub token_enc: Option<Vec<u8>>,
    /// The profile's quota reading; none before its first.
    pub quota: Option<QuotaRow>,
    /// Whether its workspace asks for approvals.
    pub approvals_required: bool,
    /// The post's approval state (`None`: never asked).
    pub approval: Option<String>,
}

impl Store {
    /// A post with what its publisher run needs, in one query.
    pub async fn publisher_start(&self, post_id: &str) -> StoreResult<Option<Start>> {
        let post_columns: Vec<String> = COLUMNS.split(", ").map(|c| format!("p.{c}")).collect();
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {}, u.timezone AS owner_timezone, t.status AS profile_status, \
                 t.threads_user_id AS profile_threads_user_id, t.token_enc AS profile_token_enc, \
                 q.remaining AS q_remaining, q.total AS q_total, q.read_at_ms AS q_read_at_ms, \
                 q.finished AS q_finished, p.approval AS approval, \
                 w.approvals_required AS approvals_required \
             FROM scheduled_posts p JOIN users u ON u.id = p.user_id \
             LEFT JOIN workspaces w ON w.owner_id = p.user_id \
             LEFT JOIN threads_profiles t ON t.id = p.profile_id \
             LEFT JOIN publishing_quota q ON q.profile_id = p.profile_id \
             WHERE p.id = $1",
            post_columns.join(", ")
        ));
        let found = with_pool!(self, |pool| async {
            let Some(r) = sqlx::query(sql).bind(post_id).fetch_optional(pool).await? else {
                return Ok::<_, sqlx::Error>(None);
            };
            let quota = match r.try_get::<Option<i64>, _>("q_remaining")? {
                Some(remaining) => Some(QuotaRow {
                    remaining,
                    total: r.try_get("q_total")?,
                    read_at_ms: r.try_get("q_read_at_ms")?,
                    finished: r.try_get("q_finished")?,
                }),
                None => None,
            };
            Ok(Some(Start {
                post: post_from_row!(&r),
                owner_timezone: r.try_get("owner_timezone")?,
                profile_status: r.try_get("profile_status")?,
                threads_user_id: r.try_get("profile_threads_user_id")?,
                token_enc: r.try_get("profile_token_enc")?,
                quota,
                approvals_required: r
                    .try_get::<Option<bool>, _>("approvals_required")?
                    .unwrap_or(false),
                approval: r.try_get("approval")?,
            }))
        }
        .await)?;
        Ok(found)
    }
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
        (Some(status), Some(subject), Some(sealed)) if status == "active" => key
            .open_string(purpose::TOKEN, subject, sealed)
            .map_err(|e| JobError::retry(format!("opening the access token: {e}")))?,
        _ => return Ok((None, content)),
    };
    let session = state.threads.client.session(AccessToken::new(token));
    Ok((Some(session), content))
}
