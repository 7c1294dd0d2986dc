//! Storage of saved searches and the posts they found.

use super::SearchId;
use super::SearchMode;
use crate::competitors::access::RunStatus;
use crate::domain::{ProfileId, WorkspaceId};
use crate::store::{Store, StoreResult, with_pool};

/// A saved search as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SearchRecord {
    /// Id.
    pub id: SearchId,
    /// Owner.
    pub user_id: WorkspaceId,
    /// The profile it searches through.
    pub profile_id: ProfileId,
    /// The keyword or tag (without `#`).
    pub query: String,
    /// Keyword or topic tag.
    #[sqlx(try_from = "String")]
    pub mode: SearchMode,
    /// Newest match time seen.
    pub newest_match_at: Option<i64>,
    /// When the last run ended.
    pub last_run_at: Option<i64>,
    /// How it ended.
    pub last_status: Option<RunStatus>,
    /// Why it did not finish, in words.
    pub last_error: Option<String>,
    /// New matches it found.
    pub last_new: i64,
    /// Saved.
    pub created_at: i64,
}

/// A found post with its sealed author, text and link.
pub use crate::competitors::SealedPost as MatchRecord;

const COLUMNS: &str = "id, user_id, profile_id, query, mode, newest_match_at, last_run_at, last_status, last_error, last_new, created_at";

// A mode this version does not know reads as a keyword search, as it always has.
impl From<String> for SearchMode {
    fn from(s: String) -> Self {
        SearchMode::parse(&s).unwrap_or(SearchMode::Keyword)
    }
}

impl Store {
    /// Saves a search; `false` when the user already has it for this profile.
    pub async fn insert_search(&self, s: &SearchRecord) -> StoreResult<bool> {
        let done = with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO listening_searches (id, user_id, profile_id, query, mode, last_new, created_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6) ON CONFLICT DO NOTHING"
        )
        .bind(&s.id)
        .bind(&s.user_id)
        .bind(&s.profile_id)
        .bind(&s.query)
        .bind(s.mode.as_str())
        .bind(s.created_at)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// A saved search by id, whoever owns it.
    pub async fn search(&self, id: &SearchId) -> StoreResult<Option<SearchRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM listening_searches WHERE id = $1"
        ));
        Ok(with_pool!(self, |p| sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    /// The user's saved searches, oldest first.
    pub async fn searches_of(&self, user_id: &WorkspaceId) -> StoreResult<Vec<SearchRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM listening_searches WHERE user_id = $1 ORDER BY created_at, id"
        ));
        Ok(with_pool!(self, |p| sqlx::query_as(sql)
            .bind(user_id)
            .fetch_all(p)
            .await)?)
    }

    /// Deletes a saved search with its matches.
    pub async fn delete_search(&self, id: &SearchId, user_id: &WorkspaceId) -> StoreResult<bool> {
        let done = with_pool!(self, |p| sqlx::query(
            "DELETE FROM listening_searches WHERE id = $1 AND user_id = $2"
        )
        .bind(id)
        .bind(user_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// Records how a run ended.
    pub async fn finish_search_run(
        &self,
        id: &SearchId,
        at: i64,
        status: RunStatus,
        error: Option<&str>,
        new: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "UPDATE listening_searches SET last_run_at = $1, last_status = $2, last_error = $3, last_new = $4, \
             newest_match_at = (SELECT MAX(posted_at) FROM listening_matches WHERE search_id = $5) WHERE id = $5"
        )
        .bind(at)
        .bind(status.as_str())
        .bind(error)
        .bind(new)
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Stores a found post once; `true` when it was new.
    pub async fn insert_match(
        &self,
        search_id: &SearchId,
        user_id: &WorkspaceId,
        m: &MatchRecord,
        now: i64,
    ) -> StoreResult<bool> {
        let done = with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO listening_matches (search_id, user_id, media_id, media_type, posted_at, content_enc, found_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING"
        )
        .bind(search_id)
        .bind(user_id)
        .bind(&m.media_id)
        .bind(&m.media_type)
        .bind(m.posted_at)
        .bind(&m.content_enc)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// A search's newest matches, newest first.
    pub async fn matches(&self, search_id: &SearchId, limit: i64) -> StoreResult<Vec<MatchRecord>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
                "SELECT media_id, media_type, posted_at, content_enc FROM listening_matches \
                 WHERE search_id = $1 ORDER BY posted_at DESC, media_id LIMIT $2",
            )
            .bind(search_id)
            .bind(limit)
            .fetch_all(p)
            .await
        })?)
    }

    /// Publication times of a search's matches at or after `since` (for the volume chart).
    pub async fn match_times(&self, search_id: &SearchId, since: i64) -> StoreResult<Vec<i64>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_scalar(
            "SELECT posted_at FROM listening_matches WHERE search_id = $1 AND posted_at >= $2 ORDER BY posted_at"
        )
        .bind(search_id)
        .bind(since)
        .fetch_all(p)
        .await
        })?)
    }

    /// How many matches a search has.
    pub async fn match_count(&self, search_id: &SearchId) -> StoreResult<i64> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM listening_matches WHERE search_id = $1"
        )
        .bind(search_id)
        .fetch_one(p)
        .await)?)
    }
}
