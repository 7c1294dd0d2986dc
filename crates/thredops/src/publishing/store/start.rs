//! The publisher run's one read: a post with its owner's timezone, its profile's state and sealed
//! token, its quota reading and its workspace's approval rule.

use crate::domain::{PostId, ThreadsUserId};
use crate::publishing::approvals::Approval;
use crate::publishing::start::Start;
use crate::publishing::store::PostRecord;
use crate::publishing::store::quota::QuotaRow;
use crate::store::profiles::ProfileStatus;
use crate::store::{Store, StoreResult, with_pool};

use super::COLUMNS;

/// The joined row; the quota's columns are all null before the profile's first reading.
#[derive(sqlx::FromRow)]
struct StartRow {
    #[sqlx(flatten)]
    post: PostRecord,
    owner_timezone: Option<String>,
    profile_status: Option<String>,
    profile_threads_user_id: Option<ThreadsUserId>,
    profile_token_enc: Option<Vec<u8>>,
    q_remaining: Option<i64>,
    q_total: Option<i64>,
    q_read_at_ms: Option<i64>,
    q_finished: Option<i64>,
    approvals_required: Option<bool>,
    approval: Option<Approval>,
}

impl StartRow {
    fn into_start(self) -> Start {
        let quota = self.q_remaining.map(|remaining| QuotaRow {
            remaining,
            total: self.q_total,
            read_at_ms: self.q_read_at_ms.unwrap_or_default(),
            finished: self.q_finished.unwrap_or_default(),
        });
        Start {
            post: self.post,
            owner_timezone: self.owner_timezone,
            // The column's CHECK allows only the statuses' names.
            profile_status: self
                .profile_status
                .as_deref()
                .and_then(ProfileStatus::parse),
            threads_user_id: self.profile_threads_user_id,
            token_enc: self.profile_token_enc,
            quota,
            approvals_required: self.approvals_required.unwrap_or(false),
            approval: self.approval,
        }
    }
}

impl Store {
    /// A post with what its publisher run needs, in one query.
    pub async fn publisher_start(&self, post_id: &PostId) -> StoreResult<Option<Start>> {
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
        let row: Option<StartRow> = with_pool!(self, |pool| sqlx::query_as(sql)
            .bind(post_id)
            .fetch_optional(pool)
            .await)?;
        Ok(row.map(StartRow::into_start))
    }
}
