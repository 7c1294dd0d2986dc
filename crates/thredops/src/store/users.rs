//! Accounts.

use sqlx::Row;

use super::{Store, StoreError, StoreResult, with_pool};
use crate::domain::{Email, Role, SessionId, UserId};

/// A stored account.
#[derive(Debug, Clone)]
pub struct UserRecord {
    /// Account id (UUID).
    pub id: crate::domain::UserId,
    /// Normalised email.
    pub email: String,
    /// PHC-format argon2id hash.
    pub password_hash: String,
    /// Staff role.
    pub role: Role,
    /// IANA timezone chosen by the user, if any.
    pub timezone: Option<String>,
    /// Creation time (Unix seconds).
    pub created_at: i64,
    /// Last sign-in or use (Unix seconds).
    pub last_active_at: i64,
}

const COLUMNS: &str = "id, email, password_hash, role, timezone, created_at, last_active_at";

/// A `UserRecord` from a row; the second form names the `id` and `created_at` columns, for
/// joins where another table's columns carry those names.
macro_rules! user_from_row {
    ($row:expr) => {
        user_from_row!($row, id = "id", created_at = "created_at")
    };
    ($row:expr, id = $id:literal, created_at = $created_at:literal) => {{
        let row = $row;
        let role: String = row.try_get("role")?;
        UserRecord {
            id: row.try_get($id)?,
            email: row.try_get("email")?,
            password_hash: row.try_get("password_hash")?,
            role: Role::parse(&role).unwrap_or(Role::User),
            timezone: row.try_get("timezone")?,
            created_at: row.try_get($created_at)?,
            last_active_at: row.try_get("last_active_at")?,
        }
    }};
}

pub(super) use user_from_row;

impl Store {
    /// Creates an account; [`StoreError::Conflict`] if the email is taken.
    pub async fn create_user(
        &self,
        email: &Email,
        password_hash: &str,
        now: i64,
    ) -> StoreResult<UserRecord> {
        let id = UserId::new(uuid::Uuid::new_v4().to_string());
        with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO users (id, email, password_hash, role, created_at, last_active_at, password_changed_at) VALUES ($1, $2, $3, 'user', $4, $4, $4)"
        )
        .bind(&id)
        .bind(email.as_str())
        .bind(password_hash)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        self.user_by_id(&id).await?.ok_or(StoreError::NotFound)
    }

    /// Finds an account by normalised email.
    pub async fn user_by_email(&self, email: &Email) -> StoreResult<Option<UserRecord>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM users WHERE email = $1"));
        self.fetch_user(sql, email.as_str()).await
    }

    /// Finds an account by id.
    pub async fn user_by_id(&self, id: &UserId) -> StoreResult<Option<UserRecord>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM users WHERE id = $1"));
        self.fetch_user(sql, id.as_str()).await
    }

    async fn fetch_user(
        &self,
        sql: sqlx::AssertSqlSafe<String>,
        key: &str,
    ) -> StoreResult<Option<UserRecord>> {
        let found = with_pool!(self, |p| async {
            match sqlx::query(sql).bind(key).fetch_optional(p).await? {
                Some(row) => Ok::<_, sqlx::Error>(Some(user_from_row!(row))),
                None => Ok(None),
            }
        }
        .await)?;
        Ok(found)
    }

    /// Replaces the password hash and revokes every session except `keep_session`, atomically.
    pub async fn change_password(
        &self,
        user_id: &UserId,
        new_hash: &str,
        keep_session: Option<&SessionId>,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            async {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE users SET password_hash = $1, password_changed_at = $2 WHERE id = $3")
                .bind(new_hash)
                .bind(now)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL AND id <> $3")
                .bind(now)
                .bind(user_id)
                .bind(keep_session.map_or("", SessionId::as_str))
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        }
        .await
        })?;
        Ok(())
    }

    /// Records use of the account (drives the inactivity purge).
    pub async fn touch_user(&self, user_id: &UserId, now: i64) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE users SET last_active_at = $1 WHERE id = $2 AND last_active_at < $1"
        )
        .bind(now)
        .bind(user_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Sets a user's role (staff grants).
    pub async fn set_role(&self, email: &Email, role: Role) -> StoreResult<()> {
        let done = with_pool!(self, |p| sqlx::query(
            "UPDATE users SET role = $1 WHERE email = $2"
        )
        .bind(role.as_str())
        .bind(email.as_str())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
