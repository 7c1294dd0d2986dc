//! Storage of API tokens: only the secret's hash is kept.

use sqlx::Row;

use super::{ApiToken, Scope, TokenId};
use crate::domain::UserId;
use crate::store::{Store, StoreResult, with_pool};

const COLUMNS: &str = "id, user_id, name, prefix, scopes, created_at, expires_at, last_used_at, revoked_at, workspace_id";

// Not a FromRow derive: `scopes` is one comma-separated column decoded into a Vec<Scope>.
macro_rules! from_row {
    ($row:expr) => {{
        let row = $row;
        let scopes: String = row.try_get("scopes")?;
        ApiToken {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            name: row.try_get("name")?,
            prefix: row.try_get("prefix")?,
            scopes: scopes.split(',').filter_map(Scope::parse).collect(),
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
            last_used_at: row.try_get("last_used_at")?,
            revoked_at: row.try_get("revoked_at")?,
            workspace_id: row.try_get("workspace_id")?,
        }
    }};
}

/// A token to store: everything but the secret, which only its hash stands for.
pub struct NewToken<'a> {
    pub token: &'a ApiToken,
    pub token_hash: &'a str,
}

impl Store {
    /// Stores a new token.
    pub async fn insert_api_token(&self, new: NewToken<'_>) -> StoreResult<()> {
        let t = new.token;
        let scopes = t
            .scopes
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",");
        with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO api_tokens (id, user_id, name, prefix, token_hash, scopes, created_at, expires_at, workspace_id) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        )
        .bind(&t.id)
        .bind(&t.user_id)
        .bind(&t.name)
        .bind(&t.prefix)
        .bind(new.token_hash)
        .bind(&scopes)
        .bind(t.created_at)
        .bind(t.expires_at)
        .bind(&t.workspace_id)
        .execute(p)
        .await
        .map(|_| ())
        })?;
        Ok(())
    }

    /// The user's tokens, newest first, revoked ones included.
    pub async fn api_tokens_of(&self, user_id: &UserId) -> StoreResult<Vec<ApiToken>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE user_id = $1 ORDER BY created_at DESC, id"
        ));
        let list = with_pool!(self, |p| async {
            let rows = sqlx::query(sql).bind(user_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(from_row!(r));
            }
            Ok::<_, sqlx::Error>(out)
        }
        .await)?;
        Ok(list)
    }

    /// The token whose secret hashes to `token_hash`, revoked or not.
    pub async fn api_token_by_hash(&self, token_hash: &str) -> StoreResult<Option<ApiToken>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM api_tokens WHERE token_hash = $1"
        ));
        let found = with_pool!(self, |p| async {
            match sqlx::query(sql).bind(token_hash).fetch_optional(p).await? {
                Some(r) => Ok::<_, sqlx::Error>(Some(from_row!(&r))),
                None => Ok(None),
            }
        }
        .await)?;
        Ok(found)
    }

    /// Revokes one of the user's tokens; `false` when they have no such live token.
    pub async fn revoke_api_token(
        &self,
        user_id: &UserId,
        id: &TokenId,
        now: i64,
    ) -> StoreResult<bool> {
        let n = with_pool!(self, |p| {
            sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL"
        )
        .bind(now)
        .bind(id)
        .bind(user_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Records that a token was used.
    pub async fn touch_api_token(&self, id: &TokenId, now: i64) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1 WHERE id = $2"
        )
        .bind(now)
        .bind(id)
        .execute(p)
        .await
        .map(|_| ()))?;
        Ok(())
    }

    /// How many live (not revoked, not expired) tokens the user has.
    pub async fn live_api_tokens(&self, user_id: &UserId, now: i64) -> StoreResult<i64> {
        let n = with_pool!(self, |p| sqlx::query(
            "SELECT count(*) AS n FROM api_tokens WHERE user_id = $1 AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > $2)"
        )
        .bind(user_id)
        .bind(now)
        .fetch_one(p)
        .await
        .and_then(|r| r.try_get::<i64, _>("n")))?;
        Ok(n)
    }
}
