//! Keys that sign session tokens, stored wrapped by the master key so every instance shares them.

use sqlx::Row;

use super::{Store, StoreResult, with_pool};
use crate::crypto::MasterKeyId;

/// A stored, wrapped signing key.
#[derive(Debug, Clone)]
pub struct SigningKeyRecord {
    /// Key id, carried in the token header.
    pub kid: String,
    /// The key sealed under the master key.
    pub wrapped_key: Vec<u8>,
    /// Which master key sealed it.
    pub master_key_id: MasterKeyId,
    /// When it was made.
    pub created_at: i64,
    /// When it stopped signing new tokens (it still verifies until tokens expire).
    pub retired_at: Option<i64>,
}

impl Store {
    /// Every signing key, newest first.
    pub async fn signing_keys(&self) -> StoreResult<Vec<SigningKeyRecord>> {
        let keys = with_pool!(self, |p| {
            async {
            let rows = sqlx::query("SELECT kid, wrapped_key, master_key_id, created_at, retired_at FROM signing_keys ORDER BY created_at DESC, kid DESC")
                .fetch_all(p)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(SigningKeyRecord {
                    kid: row.try_get("kid")?,
                    wrapped_key: row.try_get("wrapped_key")?,
                    master_key_id: row.try_get("master_key_id")?,
                    created_at: row.try_get("created_at")?,
                    retired_at: row.try_get("retired_at")?,
                });
            }
            Ok::<_, sqlx::Error>(out)
        }
        .await
        })?;
        Ok(keys)
    }

    /// Adds a key and retires every other one, atomically.
    pub async fn add_signing_key(
        &self,
        kid: &str,
        wrapped: &[u8],
        master_key_id: &MasterKeyId,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            async {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL")
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query("INSERT INTO signing_keys (kid, wrapped_key, master_key_id, created_at) VALUES ($1, $2, $3, $4)")
                .bind(kid)
                .bind(wrapped)
                .bind(master_key_id)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        }
        .await
        })?;
        Ok(())
    }

    /// Replaces a key's wrapping (master key rotation).
    pub async fn replace_signing_key(
        &self,
        kid: &str,
        wrapped: &[u8],
        master_key_id: &MasterKeyId,
    ) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE signing_keys SET wrapped_key = $1, master_key_id = $2 WHERE kid = $3"
        )
        .bind(wrapped)
        .bind(master_key_id)
        .bind(kid)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Deletes keys retired before `cutoff` (no token signed by them can still be valid).
    pub async fn drop_signing_keys_retired_before(&self, cutoff: i64) -> StoreResult<u64> {
        let done = with_pool!(self, |p| sqlx::query(
            "DELETE FROM signing_keys WHERE retired_at IS NOT NULL AND retired_at < $1"
        )
        .bind(cutoff)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done)
    }
}
