//! The scheduled posts whose profile cannot publish, for the warning before their time.

use crate::domain::{PostId, WorkspaceId};
use crate::publishing::EventKind;
use crate::store::{Store, StoreResult, with_pool};

/// A post due soon on a profile that cannot publish, with whom to warn.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReconnectWarning {
    /// The post.
    pub post_id: PostId,
    /// Its owning workspace.
    pub user_id: WorkspaceId,
    /// The owner's address.
    pub email: String,
    /// When it is due (UTC seconds).
    pub scheduled_at: Option<i64>,
    /// Zone of its chosen time.
    pub timezone: String,
}

impl Store {
    /// Scheduled posts due before `before` (UTC seconds) on a profile that is not active and
    /// without a ledger entry of kind `warned`, soonest first (at most 500).
    pub(crate) async fn posts_to_warn_of_reconnect(
        &self,
        before: i64,
        warned: EventKind,
    ) -> StoreResult<Vec<ReconnectWarning>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
                "SELECT s.id AS post_id, s.user_id, u.email, s.scheduled_at, s.timezone FROM scheduled_posts s \
                 JOIN users u ON u.id = s.user_id \
                 JOIN threads_profiles t ON t.id = s.profile_id \
                 WHERE s.state = 'scheduled' AND s.scheduled_at < $1 AND t.status <> 'active' \
                   AND NOT EXISTS (SELECT 1 FROM publish_events e WHERE e.post_id = s.id AND e.kind = $2) \
                 ORDER BY s.scheduled_at LIMIT 500",
            )
            .bind(before)
            .bind(warned.as_str())
            .fetch_all(p)
            .await
        })?)
    }
}
