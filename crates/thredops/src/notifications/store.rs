//! Storage of notifications and of the per-user email choices.

use super::{Kind, NotificationId, SubjectId};
use crate::domain::{PostId, ProfileId, UserId, WorkspaceId};
use crate::jobs::{self, NewJob};
use crate::store::{Store, StoreResult, with_pool, with_tx};

/// One stored notification.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRecord {
    /// Id.
    #[sqlx(try_from = "String")]
    pub id: NotificationId,
    /// Owner.
    pub user_id: WorkspaceId,
    /// What happened.
    #[sqlx(try_from = "String")]
    pub kind: Kind,
    /// The post or profile it is about.
    pub subject_id: Option<SubjectId>,
    /// One line.
    pub title: String,
    /// What happened and what to do.
    pub body: String,
    /// Where to act (a path in the app).
    pub link: String,
    /// When (Unix seconds).
    pub created_at: i64,
    /// When the user read it.
    pub read_at: Option<i64>,
}

const COLUMNS: &str = "id, user_id, kind, subject_id, title, body, link, created_at, read_at";

/// A new notification to record.
#[derive(Debug, Clone)]
pub struct NewNotification {
    /// Owner.
    pub user_id: WorkspaceId,
    /// What happened.
    pub kind: Kind,
    /// Names the event: the same key is recorded once per user.
    pub event_key: String,
    /// The post or profile it is about.
    pub subject_id: Option<SubjectId>,
    /// One line.
    pub title: String,
    /// What happened and what to do.
    pub body: String,
    /// Where to act.
    pub link: String,
}

/// The email choices of a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailChoices {
    /// Email when a scheduled post fails.
    pub post_failed: bool,
    /// Email when a profile needs reconnecting.
    pub profile_reconnect: bool,
}

impl Default for EmailChoices {
    fn default() -> Self {
        Self {
            post_failed: true,
            profile_reconnect: true,
        }
    }
}

impl EmailChoices {
    /// Whether `kind` is wanted by email.
    pub fn wants(&self, kind: Kind) -> bool {
        match kind {
            Kind::PostFailed => self.post_failed,
            Kind::ProfileReconnect => self.profile_reconnect,
        }
    }
}

/// What the email job needs about a notification not yet emailed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PendingEmail {
    /// The notification.
    #[sqlx(flatten)]
    pub notification: NotificationRecord,
    /// The owner's address.
    pub email: String,
}

impl Store {
    /// Records a notification and enqueues its email job in one transaction. `None` when the
    /// event was already recorded (by this or another instance).
    pub async fn insert_notification(
        &self,
        n: &NewNotification,
        now: i64,
    ) -> StoreResult<Option<NotificationId>> {
        let id = NotificationId::new(uuid::Uuid::new_v4().to_string());
        let mut tx = self.begin().await?;
        let inserted = with_tx!(&mut tx, |c| {
            sqlx::query(
            "INSERT INTO notifications (id, user_id, kind, event_key, subject_id, title, body, link, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (user_id, event_key) DO NOTHING"
        )
        .bind(&id)
        .bind(&n.user_id)
        .bind(n.kind.as_str())
        .bind(&n.event_key)
        .bind(&n.subject_id)
        .bind(&n.title)
        .bind(&n.body)
        .bind(&n.link)
        .bind(now)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
        })?;
        if inserted != 1 {
            tx.rollback().await?;
            return Ok(None);
        }
        let job = NewJob::new(super::EMAIL_JOB, serde_json::json!({"notification_id": id}))
            .dedup_key(format!("{}:{}", super::EMAIL_JOB, id))
            .max_attempts(8)
            .user(&n.user_id);
        jobs::enqueue(&mut tx, &job).await?;
        tx.commit().await?;
        Ok(Some(id))
    }

    /// Whether the user already has the notification of `event_key`.
    pub async fn notification_recorded(
        &self,
        user_id: &WorkspaceId,
        event_key: &str,
    ) -> StoreResult<bool> {
        let n: i64 = with_pool!(self, |p| sqlx::query_scalar(
            "SELECT count(*) FROM notifications WHERE user_id = $1 AND event_key = $2"
        )
        .bind(user_id)
        .bind(event_key)
        .fetch_one(p)
        .await)?;
        Ok(n > 0)
    }

    /// A notification whose email is still to be decided, with the owner's address.
    pub async fn pending_email(&self, id: &NotificationId) -> StoreResult<Option<PendingEmail>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {}, u.email AS email FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.id = $1 AND n.emailed_at IS NULL",
            COLUMNS
                .split(", ")
                .map(|c| format!("n.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
        Ok(with_pool!(self, |p| sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    /// Claims the email of a notification: true for exactly one caller, whichever instance.
    /// `skipped` records that the user does not want this kind by email.
    pub async fn claim_notification_email(
        &self,
        id: &NotificationId,
        skipped: bool,
        now: i64,
    ) -> StoreResult<bool> {
        let n = with_pool!(self, |p| {
            sqlx::query(
            "UPDATE notifications SET emailed_at = $1, email_skipped = $2 WHERE id = $3 AND emailed_at IS NULL"
        )
        .bind(now)
        .bind(skipped)
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Gives a claimed email back after the mailer refused it, so a retry can send it.
    pub async fn unclaim_notification_email(&self, id: &NotificationId) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE notifications SET emailed_at = NULL, email_skipped = FALSE WHERE id = $1"
        )
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The user's notifications, newest first.
    pub async fn notifications_of(
        &self,
        user_id: &WorkspaceId,
        limit: i64,
    ) -> StoreResult<Vec<NotificationRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM notifications WHERE user_id = $1 ORDER BY created_at DESC, id LIMIT $2"
        ));
        Ok(with_pool!(self, |p| sqlx::query_as(sql)
            .bind(user_id)
            .bind(limit)
            .fetch_all(p)
            .await)?)
    }

    /// How many of the user's notifications are unread.
    pub async fn unread_notifications(&self, user_id: &WorkspaceId) -> StoreResult<i64> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL"
        )
        .bind(user_id)
        .fetch_one(p)
        .await)?)
    }

    /// Marks one of the user's notifications read (`None`: all of them). Returns rows changed.
    pub async fn mark_notifications_read(
        &self,
        user_id: &WorkspaceId,
        id: Option<&NotificationId>,
        now: i64,
    ) -> StoreResult<u64> {
        Ok(with_pool!(self, |p| {
            sqlx::query(
            "UPDATE notifications SET read_at = $1 WHERE user_id = $2 AND read_at IS NULL AND ($3 IS NULL OR id = $3)"
        )
        .bind(now)
        .bind(user_id)
        .bind(id.map(|i| i.as_str()))
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?)
    }

    /// Whether `id` is one of the user's notifications.
    pub async fn has_notification(
        &self,
        user_id: &WorkspaceId,
        id: &NotificationId,
    ) -> StoreResult<bool> {
        let found: i64 = with_pool!(self, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM notifications WHERE id = $1 AND user_id = $2"
        )
        .bind(id)
        .bind(user_id)
        .fetch_one(p)
        .await)?;
        Ok(found > 0)
    }

    /// The user's email choices (every kind on until changed).
    pub async fn email_choices(&self, user_id: &UserId) -> StoreResult<EmailChoices> {
        let row: Option<(bool, bool)> = with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT email_post_failed, email_profile_reconnect FROM notification_settings WHERE user_id = $1"
        )
        .bind(user_id)
        .fetch_optional(p)
        .await
        })?;
        Ok(
            row.map_or_else(EmailChoices::default, |(post_failed, profile_reconnect)| {
                EmailChoices {
                    post_failed,
                    profile_reconnect,
                }
            }),
        )
    }

    /// Saves the user's email choices.
    pub async fn set_email_choices(
        &self,
        user_id: &UserId,
        choices: EmailChoices,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO notification_settings (user_id, email_post_failed, email_profile_reconnect, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (user_id) DO UPDATE SET email_post_failed = excluded.email_post_failed, email_profile_reconnect = excluded.email_profile_reconnect, updated_at = excluded.updated_at"
        )
        .bind(user_id)
        .bind(choices.post_failed)
        .bind(choices.profile_reconnect)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Failed, unacknowledged posts that changed since `since`: (post id, owner, version).
    pub async fn recent_failed_posts(
        &self,
        since: i64,
    ) -> StoreResult<Vec<(PostId, WorkspaceId, i64)>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT id, user_id, version FROM scheduled_posts WHERE state = 'failed' AND acknowledged = 0 AND updated_at >= $1 ORDER BY updated_at LIMIT 500"
        )
        .bind(since)
        .fetch_all(p)
        .await
        })?)
    }

    /// Ids of profiles that came to need reconnecting since `since`.
    pub async fn recent_reconnect_profiles(&self, since: i64) -> StoreResult<Vec<ProfileId>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_scalar(
            "SELECT id FROM threads_profiles WHERE status = 'needs_reconnect' AND last_error_at >= $1 ORDER BY last_error_at LIMIT 500"
        )
        .bind(since)
        .fetch_all(p)
        .await
        })?)
    }
}
