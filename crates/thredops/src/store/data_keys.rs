//! Wrapped per-account data keys (see `crypto::vault`), keyed by the account's workspace id.

use sqlx::Row;

use super::{Store, StoreResult, with_pool};
use crate::clock::now_unix;
use crate::crypto::MasterKeyId;
use crate::domain::WorkspaceId;

impl Store {
    /// Stores a wrapped data key unless the user already has one.
    pub async fn insert_data_key(
        &self,
        workspace_id: &WorkspaceId,
        wrapped: &[u8],
        master_key_id: &MasterKeyId,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO data_keys (user_id, wrapped_key, master_key_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (user_id) DO NOTHING"
        )
        .bind(workspace_id)
        .bind(wrapped)
        .bind(master_key_id)
        .bind(now_unix())
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// The wrapped key and the id of the master key that wrapped it.
    pub async fn data_key(
        &self,
        workspace_id: &WorkspaceId,
    ) -> StoreResult<Option<(Vec<u8>, MasterKeyId)>> {
        let row = with_pool!(self, |p| async {
            match sqlx::query("SELECT wrapped_key, master_key_id FROM data_keys WHERE user_id = $1")
                .bind(workspace_id)
                .fetch_optional(p)
                .await?
            {
                Some(r) => Ok::<_, sqlx::Error>(Some((r.try_get(0)?, r.try_get(1)?))),
                None => Ok(None),
            }
        }
        .await)?;
        Ok(row)
    }

    /// Every wrapped key, for re-wrapping under a new master key.
    pub async fn all_data_keys(&self) -> StoreResult<Vec<(WorkspaceId, Vec<u8>)>> {
        let rows = with_pool!(self, |p| async {
            let rows = sqlx::query("SELECT user_id, wrapped_key FROM data_keys ORDER BY user_id")
                .fetch_all(p)
                .await?;
            rows.iter()
                .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()
        }
        .await)?;
        Ok(rows)
    }

    /// Replaces a wrapped key (same data key, new wrapping).
    pub async fn replace_data_key(
        &self,
        workspace_id: &WorkspaceId,
        wrapped: &[u8],
        master_key_id: &MasterKeyId,
    ) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE data_keys SET wrapped_key = $1, master_key_id = $2 WHERE user_id = $3"
        )
        .bind(wrapped)
        .bind(master_key_id)
        .bind(workspace_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Deletes the wrapped key (crypto-shredding).
    pub async fn delete_data_key(&self, workspace_id: &WorkspaceId) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "DELETE FROM data_keys WHERE user_id = $1"
        )
        .bind(workspace_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
