//! Storage of the privacy feature: receipts, confirmations, warnings, notices, staff access log,
//! ticket deletion requests and the export's reads.

mod export;
mod ticket_requests;

use sqlx::Row;

use crate::domain::{ProfileId, UserId};
use crate::store::{Store, StoreResult, with_pool};

/// A deletion receipt as the public status page shows it (no personal data).
#[derive(Debug, Clone, serde::Serialize)]
pub struct ReceiptRecord {
    /// account | meta_callback | support | retention.
    pub source: String,
    /// awaiting_confirmation | completed | expired.
    pub status: String,
    /// When it was asked for (Unix seconds).
    pub requested_at: i64,
    /// When the purge finished.
    pub completed_at: Option<i64>,
    /// How many Threads profiles were removed.
    pub profiles_purged: i64,
}

/// One line of the staff access log.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AccessRecord {
    /// The staff member's role at the time.
    pub staff_role: String,
    /// The name they go by in the support chat, while their account exists.
    pub staff_name: Option<String>,
    /// What they looked at.
    pub action: String,
    /// Why, as they stated it.
    pub reason: String,
    /// When (Unix seconds).
    pub at: i64,
}

/// An in-app notice.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NoticeRecord {
    /// Kind, e.g. `inactivity_warning`.
    pub kind: String,
    /// Text shown to the user.
    pub message: String,
    /// When (Unix seconds).
    pub created_at: i64,
}

/// A user close to or past the inactivity limit who still has Meta data.
#[derive(Debug, Clone)]
pub struct InactiveUser {
    /// Account id.
    pub id: UserId,
    /// Email for the warning.
    pub email: String,
    /// Last sign-in or use.
    pub last_active_at: i64,
    /// The activity time a warning was already sent about, if any.
    pub warned_for: Option<i64>,
}

impl Store {
    /// Records a receipt.
    pub async fn insert_receipt(
        &self,
        code_hash: &str,
        source: &str,
        status: &str,
        now: i64,
        profiles_purged: i64,
    ) -> StoreResult<()> {
        let completed = (status == "completed").then_some(now);
        with_pool!(self, |p| {
            sqlx::query("INSERT INTO deletion_receipts (code_hash, source, status, requested_at, completed_at, profiles_purged) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(code_hash).bind(source).bind(status).bind(now).bind(completed).bind(profiles_purged)
            .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Marks a receipt completed.
    pub async fn complete_receipt(
        &self,
        code_hash: &str,
        now: i64,
        profiles: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query("UPDATE deletion_receipts SET status = 'completed', completed_at = $2, profiles_purged = $3 WHERE code_hash = $1")
            .bind(code_hash).bind(now).bind(profiles)
            .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// A receipt by the hash of its code.
    pub async fn receipt(&self, code_hash: &str) -> StoreResult<Option<ReceiptRecord>> {
        let row = with_pool!(self, |p| {
            async {
            match sqlx::query("SELECT source, status, requested_at, completed_at, profiles_purged FROM deletion_receipts WHERE code_hash = $1")
                .bind(code_hash).fetch_optional(p).await?
            {
                Some(r) => Ok::<_, sqlx::Error>(Some(ReceiptRecord {
                    source: r.try_get(0)?,
                    status: r.try_get(1)?,
                    requested_at: r.try_get(2)?,
                    completed_at: r.try_get(3)?,
                    profiles_purged: r.try_get(4)?,
                })),
                None => Ok(None),
            }
        }.await
        })?;
        Ok(row)
    }

    /// Stores a pending ownership confirmation.
    pub async fn insert_confirmation(
        &self,
        token_hash: &str,
        user_id: &UserId,
        code_hash: &str,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query("INSERT INTO deletion_confirmations (token_hash, user_id, code_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(token_hash).bind(user_id).bind(code_hash).bind(now).bind(expires_at)
            .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// The (user id, receipt code hash) of a live confirmation token.
    pub async fn confirmation(
        &self,
        token_hash: &str,
        now: i64,
    ) -> StoreResult<Option<(UserId, String)>> {
        let row = with_pool!(self, |p| {
            async {
            match sqlx::query("SELECT user_id, code_hash FROM deletion_confirmations WHERE token_hash = $1 AND expires_at > $2")
                .bind(token_hash).bind(now).fetch_optional(p).await?
            {
                Some(r) => Ok::<_, sqlx::Error>(Some((r.try_get(0)?, r.try_get(1)?))),
                None => Ok(None),
            }
        }.await
        })?;
        Ok(row)
    }

    /// How many confirmation links were sent to a user since `since` (to refuse mail floods).
    pub async fn confirmations_since(&self, user_id: &UserId, since: i64) -> StoreResult<i64> {
        let n: i64 = with_pool!(self, |p| sqlx::query_scalar(
            "SELECT count(*) FROM deletion_confirmations WHERE user_id = $1 AND created_at > $2"
        )
        .bind(user_id)
        .bind(since)
        .fetch_one(p)
        .await)?;
        Ok(n)
    }

    /// Records a staff view of a user's data.
    pub async fn log_staff_access(
        &self,
        user_id: &UserId,
        staff_user_id: &UserId,
        staff_role: &str,
        action: &str,
        reason: &str,
        now: i64,
    ) -> StoreResult<()> {
        let id = uuid::Uuid::new_v4().to_string();
        with_pool!(self, |p| {
            sqlx::query("INSERT INTO staff_access_log (id, user_id, staff_user_id, staff_role, action, reason, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(&id).bind(user_id).bind(staff_user_id).bind(staff_role).bind(action).bind(reason).bind(now)
            .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// The staff access log of a user, newest first.
    pub async fn staff_access_of(&self, user_id: &UserId) -> StoreResult<Vec<AccessRecord>> {
        let rows = with_pool!(self, |p| {
            async {
            let rows = sqlx::query("SELECT l.staff_role, l.action, l.reason, l.at, u.email FROM staff_access_log l LEFT JOIN users u ON u.id = l.staff_user_id WHERE l.user_id = $1 ORDER BY l.at DESC, l.id")
                .bind(user_id).fetch_all(p).await?;
            rows.iter().map(|r| Ok::<_, sqlx::Error>(AccessRecord {
                staff_role: r.try_get(0)?,
                staff_name: r.try_get::<Option<String>, _>(4)?.map(|e| crate::support::store::display_name(&e)),
                action: r.try_get(1)?,
                reason: r.try_get(2)?,
                at: r.try_get(3)?,
            })).collect::<Result<Vec<_>, _>>()
        }.await
        })?;
        Ok(rows)
    }

    /// Adds an in-app notice.
    pub async fn add_notice(
        &self,
        user_id: &UserId,
        kind: &str,
        message: &str,
        now: i64,
    ) -> StoreResult<()> {
        let id = uuid::Uuid::new_v4().to_string();
        with_pool!(self, |p| {
            sqlx::query("INSERT INTO privacy_notices (id, user_id, kind, message, created_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(&id).bind(user_id).bind(kind).bind(message).bind(now)
            .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// A user's notices, newest first.
    pub async fn notices_of(&self, user_id: &UserId) -> StoreResult<Vec<NoticeRecord>> {
        let rows = with_pool!(self, |p| {
            async {
            let rows = sqlx::query("SELECT kind, message, created_at FROM privacy_notices WHERE user_id = $1 AND dismissed_at IS NULL ORDER BY created_at DESC, id")
                .bind(user_id).fetch_all(p).await?;
            rows.iter().map(|r| Ok::<_, sqlx::Error>(NoticeRecord {
                kind: r.try_get(0)?,
                message: r.try_get(1)?,
                created_at: r.try_get(2)?,
            })).collect::<Result<Vec<_>, _>>()
        }.await
        })?;
        Ok(rows)
    }

    /// Users inactive since before `cutoff` who still hold Threads profiles.
    pub async fn inactive_users_with_meta_data(
        &self,
        cutoff: i64,
    ) -> StoreResult<Vec<InactiveUser>> {
        let rows = with_pool!(self, |p| {
            async {
            let rows = sqlx::query("SELECT u.id, u.email, u.last_active_at, w.last_active_at FROM users u LEFT JOIN inactivity_warnings w ON w.user_id = u.id WHERE u.last_active_at <= $1 AND EXISTS (SELECT 1 FROM threads_profiles t WHERE t.user_id = u.id) ORDER BY u.last_active_at")
                .bind(cutoff).fetch_all(p).await?;
            rows.iter().map(|r| Ok::<_, sqlx::Error>(InactiveUser {
                id: r.try_get(0)?,
                email: r.try_get(1)?,
                last_active_at: r.try_get(2)?,
                warned_for: r.try_get(3)?,
            })).collect::<Result<Vec<_>, _>>()
        }.await
        })?;
        Ok(rows)
    }

    /// Remembers that a user was warned about the inactivity that began at `last_active_at`.
    pub async fn record_inactivity_warning(
        &self,
        user_id: &UserId,
        last_active_at: i64,
        now: i64,
        purge_at: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query("INSERT INTO inactivity_warnings (user_id, last_active_at, warned_at, purge_at) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO UPDATE SET last_active_at = $2, warned_at = $3, purge_at = $4")
            .bind(user_id).bind(last_active_at).bind(now).bind(purge_at)
            .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// When the user's Meta data is due to be purged, if they were warned for their current
    /// period of inactivity.
    pub async fn pending_purge_at(&self, user_id: &UserId) -> StoreResult<Option<i64>> {
        let v: Option<i64> = with_pool!(self, |p| {
            sqlx::query_scalar("SELECT w.purge_at FROM inactivity_warnings w JOIN users u ON u.id = w.user_id WHERE w.user_id = $1 AND w.last_active_at = u.last_active_at")
            .bind(user_id).fetch_optional(p).await
        })?;
        Ok(v)
    }

    /// Deletes the account row; every table holding its data cascades from it.
    pub async fn delete_user(&self, user_id: &UserId) -> StoreResult<u64> {
        Ok(with_pool!(self, |p| sqlx::query(
            "DELETE FROM users WHERE id = $1"
        )
        .bind(user_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
    }

    /// Deletes one Threads profile and, by cascade, everything synced for it.
    pub async fn delete_profile(&self, profile_id: &ProfileId) -> StoreResult<u64> {
        Ok(with_pool!(self, |p| sqlx::query(
            "DELETE FROM threads_profiles WHERE id = $1"
        )
        .bind(profile_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
    }

    /// Deletes every job about `subject` (a purged profile's), whatever its state.
    pub(crate) async fn delete_jobs_about(&self, subject: &str) -> StoreResult<u64> {
        Ok(with_pool!(self, |p| sqlx::query(
            "DELETE FROM jobs WHERE subject = $1"
        )
        .bind(subject)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
    }
}

impl Store {
    /// The answer given to an already applied Meta callback with this request hash.
    pub async fn applied_meta_callback(&self, request_hash: &str) -> StoreResult<Option<String>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_scalar("SELECT response FROM meta_callbacks WHERE request_hash = $1")
                .bind(request_hash)
                .fetch_optional(p)
                .await
        })?)
    }

    /// Remembers an applied Meta callback and its answer (the first answer wins), and forgets
    /// those older than `forget_before`, which their freshness check refuses anyway.
    pub async fn record_meta_callback(
        &self,
        request_hash: &str,
        kind: &str,
        response: &str,
        now: i64,
        forget_before: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| async {
            sqlx::query("DELETE FROM meta_callbacks WHERE applied_at < $1")
                .bind(forget_before)
                .execute(p)
                .await?;
            sqlx::query(
                "INSERT INTO meta_callbacks (request_hash, kind, response, applied_at) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (request_hash) DO NOTHING",
            )
            .bind(request_hash)
            .bind(kind)
            .bind(response)
            .bind(now)
            .execute(p)
            .await
            .map(|_| ())
        }
        .await)?;
        Ok(())
    }
}
