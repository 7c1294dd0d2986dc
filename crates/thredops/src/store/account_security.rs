//! Account recovery and protection: confirmed addresses, one-time account links and TOTP.

use sqlx::Row;

use super::{Store, StoreResult, with_pool};
use crate::domain::UserId;

/// What a one-time account link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkPurpose {
    /// Set a new password.
    Reset,
    /// Confirm the address of a new account.
    Verify,
    /// Confirm a new address (the change takes effect then).
    EmailChange,
}

impl LinkPurpose {
    fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Reset => "reset",
            LinkPurpose::Verify => "verify",
            LinkPurpose::EmailChange => "email_change",
        }
    }
}

/// A link that was valid and is now spent.
#[derive(Debug, Clone)]
pub struct TakenLink {
    /// The account it was for.
    pub user_id: UserId,
    /// For an email change: the address being confirmed.
    pub new_email: Option<String>,
}

/// An account's TOTP enrolment.
#[derive(Debug, Clone)]
pub struct MfaRecord {
    /// The secret, sealed with the owner's data key.
    pub secret_enc: Vec<u8>,
    /// When enrolment was confirmed with a first code; `None` while pending.
    pub confirmed_at: Option<i64>,
}

impl Store {
    /// Stores a link (by hash) and retires the owner's earlier unused links of the same purpose,
    /// so only the newest mailed link works.
    pub async fn create_account_link(
        &self,
        token_hash: &str,
        user_id: &UserId,
        purpose: LinkPurpose,
        new_email: Option<&str>,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            async {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE account_tokens SET used_at = $1 WHERE user_id = $2 AND purpose = $3 AND used_at IS NULL")
                .bind(now)
                .bind(user_id)
                .bind(purpose.as_str())
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO account_tokens (token_hash, user_id, purpose, new_email, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(token_hash)
                .bind(user_id)
                .bind(purpose.as_str())
                .bind(new_email)
                .bind(now)
                .bind(expires_at)
                .execute(&mut *tx)
                .await?;
            // Spent and expired links are of no further use.
            sqlx::query("DELETE FROM account_tokens WHERE expires_at < $1")
                .bind(now - 86_400)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        }
        .await
        })?;
        Ok(())
    }

    /// The account of a link that is still usable, without spending it (to show its form).
    pub async fn account_link_owner(
        &self,
        token_hash: &str,
        purpose: LinkPurpose,
        now: i64,
    ) -> StoreResult<Option<UserId>> {
        let found: Option<UserId> = with_pool!(self, |p| {
            sqlx::query_scalar(
            "SELECT user_id FROM account_tokens WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3"
        )
        .bind(token_hash)
        .bind(purpose.as_str())
        .bind(now)
        .fetch_optional(p)
        .await
        })?;
        Ok(found)
    }

    /// Spends a link in one statement: of two concurrent uses, exactly one gets it.
    pub async fn take_account_link(
        &self,
        token_hash: &str,
        purpose: LinkPurpose,
        now: i64,
    ) -> StoreResult<Option<TakenLink>> {
        let taken = with_pool!(self, |p| {
            async {
            let row = sqlx::query(
                "UPDATE account_tokens SET used_at = $1 WHERE token_hash = $2 AND purpose = $3 AND used_at IS NULL AND expires_at > $1 RETURNING user_id, new_email",
            )
            .bind(now)
            .bind(token_hash)
            .bind(purpose.as_str())
            .fetch_optional(p)
            .await?;
            match row {
                Some(r) => Ok::<_, sqlx::Error>(Some(TakenLink {
                    user_id: r.try_get("user_id")?,
                    new_email: r.try_get("new_email")?,
                })),
                None => Ok(None),
            }
        }
        .await
        })?;
        Ok(taken)
    }

    /// Whether the account's current address is confirmed.
    pub async fn email_verified(&self, user_id: &UserId) -> StoreResult<bool> {
        let at: Option<Option<i64>> = with_pool!(self, |p| sqlx::query_scalar(
            "SELECT email_verified_at FROM users WHERE id = $1"
        )
        .bind(user_id)
        .fetch_optional(p)
        .await)?;
        Ok(matches!(at, Some(Some(_))))
    }

    /// Marks the current address confirmed.
    pub async fn set_email_verified(&self, user_id: &UserId, now: i64) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE users SET email_verified_at = $1 WHERE id = $2 AND email_verified_at IS NULL"
        )
        .bind(now)
        .bind(user_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Replaces the address with a confirmed new one; [`super::StoreError::Conflict`] if another
    /// account took it meanwhile.
    pub async fn change_email(
        &self,
        user_id: &UserId,
        new_email: &str,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE users SET email = $1, email_verified_at = $2 WHERE id = $3"
        )
        .bind(new_email)
        .bind(now)
        .bind(user_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The account's TOTP enrolment, confirmed or pending.
    pub async fn mfa(&self, user_id: &UserId) -> StoreResult<Option<MfaRecord>> {
        let found = with_pool!(self, |p| async {
            let row =
                sqlx::query("SELECT secret_enc, confirmed_at FROM user_mfa WHERE user_id = $1")
                    .bind(user_id)
                    .fetch_optional(p)
                    .await?;
            match row {
                Some(r) => Ok::<_, sqlx::Error>(Some(MfaRecord {
                    secret_enc: r.try_get("secret_enc")?,
                    confirmed_at: r.try_get("confirmed_at")?,
                })),
                None => Ok(None),
            }
        }
        .await)?;
        Ok(found)
    }

    /// Whether two-step sign-in is on for the account.
    pub async fn mfa_enabled(&self, user_id: &UserId) -> StoreResult<bool> {
        Ok(self
            .mfa(user_id)
            .await?
            .is_some_and(|m| m.confirmed_at.is_some()))
    }

    /// Starts (or restarts) a pending enrolment; a confirmed one is left alone (false).
    pub async fn begin_mfa(
        &self,
        user_id: &UserId,
        secret_enc: &[u8],
        now: i64,
    ) -> StoreResult<bool> {
        let done = with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO user_mfa (user_id, secret_enc, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (user_id) DO UPDATE SET secret_enc = excluded.secret_enc, created_at = excluded.created_at \
             WHERE user_mfa.confirmed_at IS NULL"
        )
        .bind(user_id)
        .bind(secret_enc)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Turns a pending enrolment on at TOTP step `step` and replaces the recovery codes.
    pub async fn confirm_mfa(
        &self,
        user_id: &UserId,
        step: i64,
        code_hashes: &[String],
        now: i64,
    ) -> StoreResult<bool> {
        let done = with_pool!(self, |p| {
            async {
            let mut tx = p.begin().await?;
            let done = sqlx::query(
                "UPDATE user_mfa SET confirmed_at = $1, last_step = $2 WHERE user_id = $3 AND confirmed_at IS NULL",
            )
            .bind(now)
            .bind(step)
            .bind(user_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if done == 1 {
                sqlx::query("DELETE FROM mfa_recovery_codes WHERE user_id = $1")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
                for hash in code_hashes {
                    sqlx::query("INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES ($1, $2)")
                        .bind(user_id)
                        .bind(hash)
                        .execute(&mut *tx)
                        .await?;
                }
            }
            tx.commit().await?;
            Ok::<_, sqlx::Error>(done == 1)
        }
        .await
        })?;
        Ok(done)
    }

    /// Records a TOTP step as used; false when it (or a later one) was used already, so a code
    /// seen over someone's shoulder cannot be played again.
    pub async fn use_mfa_step(&self, user_id: &UserId, step: i64) -> StoreResult<bool> {
        let done = with_pool!(self, |p| {
            sqlx::query(
            "UPDATE user_mfa SET last_step = $1 WHERE user_id = $2 AND confirmed_at IS NOT NULL AND last_step < $1"
        )
        .bind(step)
        .bind(user_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Spends a recovery code; false when unknown or used.
    pub async fn use_recovery_code(
        &self,
        user_id: &UserId,
        code_hash: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let done = with_pool!(self, |p| {
            sqlx::query(
            "UPDATE mfa_recovery_codes SET used_at = $1 WHERE user_id = $2 AND code_hash = $3 AND used_at IS NULL"
        )
        .bind(now)
        .bind(user_id)
        .bind(code_hash)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// Unused recovery codes left.
    pub async fn recovery_codes_left(&self, user_id: &UserId) -> StoreResult<i64> {
        let n: i64 = with_pool!(self, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL"
        )
        .bind(user_id)
        .fetch_one(p)
        .await)?;
        Ok(n)
    }

    /// Turns two-step sign-in off: the secret and the codes are deleted.
    pub async fn remove_mfa(&self, user_id: &UserId) -> StoreResult<()> {
        with_pool!(self, |p| async {
            let mut tx = p.begin().await?;
            for sql in [
                "DELETE FROM mfa_recovery_codes WHERE user_id = $1",
                "DELETE FROM user_mfa WHERE user_id = $1",
            ] {
                sqlx::query(sql).bind(user_id).execute(&mut *tx).await?;
            }
            tx.commit().await
        }
        .await)?;
        Ok(())
    }
}
