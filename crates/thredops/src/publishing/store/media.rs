//! Storage of hosted media uploads (`media_uploads`).

use crate::publishing::UploadId;
use crate::publishing::media::Upload;
use crate::store::{Store, StoreResult, with_pool};

/// The columns of an [`Upload`], as its `FromRow` derive reads them.
const COLUMNS: &str = "id, user_id, token, kind, content_type, file_name, bytes, width, height, expires_at, deleted_at";

/// The column an upload is found by.
#[derive(Debug, Clone, Copy)]
enum Key {
    Id,
    Token,
}

impl Store {
    /// Records a stored upload.
    pub(crate) async fn insert_upload(&self, u: &Upload, now: i64) -> StoreResult<()> {
        with_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO media_uploads (id, user_id, token, kind, content_type, file_name, bytes, width, height, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        )
        .bind(&u.id)
        .bind(&u.user_id)
        .bind(&u.token)
        .bind(u.kind.as_str())
        .bind(&u.content_type)
        .bind(&u.file_name)
        .bind(u.bytes)
        .bind(u.width)
        .bind(u.height)
        .bind(now)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// An upload by id, whoever owns it and whether or not it was deleted.
    pub(crate) async fn upload_by_id(&self, id: &UploadId) -> StoreResult<Option<Upload>> {
        self.upload_where(Key::Id, id).await
    }

    /// An upload by the secret token of its public URL.
    pub(crate) async fn upload_by_token(&self, token: &str) -> StoreResult<Option<Upload>> {
        self.upload_where(Key::Token, token).await
    }

    async fn upload_where(&self, key: Key, value: &str) -> StoreResult<Option<Upload>> {
        let column = match key {
            Key::Id => "id",
            Key::Token => "token",
        };
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM media_uploads WHERE {column} = $1"
        ));
        Ok(with_pool!(self, |pool| sqlx::query_as(sql)
            .bind(value)
            .fetch_optional(pool)
            .await)?)
    }

    /// Makes an upload public until `expires_at` (UTC seconds).
    pub(crate) async fn set_upload_expiry(
        &self,
        id: &UploadId,
        expires_at: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |pool| sqlx::query(
            "UPDATE media_uploads SET expires_at = $1 WHERE id = $2"
        )
        .bind(expires_at)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Marks an upload deleted (its file is gone) and no longer public.
    pub(crate) async fn mark_upload_deleted(&self, id: &UploadId, now: i64) -> StoreResult<()> {
        with_pool!(self, |pool| sqlx::query(
            "UPDATE media_uploads SET deleted_at = $1, expires_at = NULL WHERE id = $2"
        )
        .bind(now)
        .bind(id)
        .execute(pool)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
