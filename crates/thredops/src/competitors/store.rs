//! Storage of competitors, their daily snapshots and public posts, and the reads that compare
//! them with the user's own profile.

use super::CompetitorId;
use super::access::RunStatus;
use crate::domain::{MediaId, ProfileId, WorkspaceId};
use crate::store::{Store, StoreResult, with_pool};

/// A competitor as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CompetitorRecord {
    /// Id.
    pub id: CompetitorId,
    /// Owner.
    pub user_id: WorkspaceId,
    /// The user's profile it is compared with (and read through).
    pub profile_id: ProfileId,
    /// Lower-case handle without `@`.
    pub username: String,
    /// Sealed details (name, verified, picture).
    pub details_enc: Option<Vec<u8>>,
    /// When the last snapshot run ended.
    pub last_run_at: Option<i64>,
    /// How it ended.
    pub last_status: Option<RunStatus>,
    /// Why it did not finish, in words.
    pub last_error: Option<String>,
    /// Calls it made.
    pub last_calls: i64,
    /// Newest public post stored.
    pub newest_post_at: Option<i64>,
    /// Added.
    pub created_at: i64,
}

/// One daily snapshot of a competitor.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct SnapshotRow {
    /// UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// Followers.
    pub followers: i64,
    /// Likes over the 7 days before the snapshot.
    pub likes_7d: i64,
    /// Replies over the 7 days.
    pub replies_7d: i64,
    /// Reposts over the 7 days.
    pub reposts_7d: i64,
    /// Quotes over the 7 days.
    pub quotes_7d: i64,
    /// Views over the 7 days.
    pub views_7d: i64,
    /// When it was taken.
    pub taken_at: i64,
}

/// Someone else's public post as stored: kind and time in the clear, author, text and link
/// sealed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SealedPost {
    /// Threads media id.
    pub media_id: MediaId,
    /// Read-side media type.
    pub media_type: String,
    /// Published (UTC seconds).
    pub posted_at: i64,
    /// Sealed content (JSON).
    pub content_enc: Vec<u8>,
}

/// A post's kind, time and engagement, for cadence, formats and engagement per post.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct PostFacts {
    /// Read-side media type.
    pub media_type: String,
    /// Published (UTC seconds).
    pub posted_at: i64,
    /// Likes + replies + reposts + quotes, when known (own posts only).
    #[sqlx(default)]
    pub engagement: Option<i64>,
}

const COLUMNS: &str = "id, user_id, profile_id, username, details_enc, last_run_at, last_status, last_error, last_calls, newest_post_at, created_at";

impl Store {
    /// Inserts a competitor; `false` when the user already tracks it for this profile.
    pub async fn insert_competitor(&self, c: &CompetitorRecord) -> StoreResult<bool> {
        let done = with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO competitors (id, user_id, profile_id, username, details_enc, last_calls, created_at) \
             VALUES ($1, $2, $3, $4, $5, 0, $6) ON CONFLICT DO NOTHING"
        )
        .bind(&c.id)
        .bind(&c.user_id)
        .bind(&c.profile_id)
        .bind(&c.username)
        .bind(c.details_enc.as_deref())
        .bind(c.created_at)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// A competitor by id, whoever owns it.
    pub async fn competitor(&self, id: &CompetitorId) -> StoreResult<Option<CompetitorRecord>> {
        let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM competitors WHERE id = $1"));
        Ok(with_pool!(self, |p| sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    /// The user's competitors, oldest first.
    pub async fn competitors_of(
        &self,
        user_id: &WorkspaceId,
    ) -> StoreResult<Vec<CompetitorRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM competitors WHERE user_id = $1 ORDER BY created_at, id"
        ));
        Ok(with_pool!(self, |p| sqlx::query_as(sql)
            .bind(user_id)
            .fetch_all(p)
            .await)?)
    }

    /// Removes a competitor with its snapshots and posts.
    pub async fn delete_competitor(
        &self,
        id: &CompetitorId,
        user_id: &WorkspaceId,
    ) -> StoreResult<bool> {
        let done = with_pool!(self, |p| sqlx::query(
            "DELETE FROM competitors WHERE id = $1 AND user_id = $2"
        )
        .bind(id)
        .bind(user_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done == 1)
    }

    /// Records how a snapshot run ended (and the newer details, when read).
    pub async fn finish_competitor_run(
        &self,
        id: &CompetitorId,
        at: i64,
        status: RunStatus,
        error: Option<&str>,
        calls: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "UPDATE competitors SET last_run_at = $1, last_status = $2, last_error = $3, last_calls = $4, \
             newest_post_at = (SELECT MAX(posted_at) FROM competitor_posts WHERE competitor_id = $5) WHERE id = $5"
        )
        .bind(at)
        .bind(status.as_str())
        .bind(error)
        .bind(calls)
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Stores the day's snapshot (a second run the same day replaces it).
    pub async fn upsert_competitor_snapshot(
        &self,
        competitor_id: &CompetitorId,
        user_id: &WorkspaceId,
        s: &SnapshotRow,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO competitor_snapshots (competitor_id, user_id, day, followers, likes_7d, replies_7d, reposts_7d, quotes_7d, views_7d, taken_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (competitor_id, day) DO UPDATE SET followers = excluded.followers, likes_7d = excluded.likes_7d, \
             replies_7d = excluded.replies_7d, reposts_7d = excluded.reposts_7d, quotes_7d = excluded.quotes_7d, \
             views_7d = excluded.views_7d, taken_at = excluded.taken_at"
        )
        .bind(competitor_id)
        .bind(user_id)
        .bind(&s.day)
        .bind(s.followers)
        .bind(s.likes_7d)
        .bind(s.replies_7d)
        .bind(s.reposts_7d)
        .bind(s.quotes_7d)
        .bind(s.views_7d)
        .bind(s.taken_at)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// A competitor's snapshots, oldest first.
    pub async fn competitor_snapshots(
        &self,
        competitor_id: &CompetitorId,
    ) -> StoreResult<Vec<SnapshotRow>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
                "SELECT day, followers, likes_7d, replies_7d, reposts_7d, quotes_7d, views_7d, taken_at \
                 FROM competitor_snapshots WHERE competitor_id = $1 ORDER BY day",
            )
            .bind(competitor_id)
            .fetch_all(p)
            .await
        })?)
    }

    /// Stores a public post once; `true` when it was new.
    pub async fn insert_competitor_post(
        &self,
        competitor_id: &CompetitorId,
        user_id: &WorkspaceId,
        post: &SealedPost,
        now: i64,
    ) -> StoreResult<bool> {
        let done = with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO competitor_posts (competitor_id, user_id, media_id, media_type, posted_at, content_enc, seen_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING"
        )
        .bind(competitor_id)
        .bind(user_id)
        .bind(&post.media_id)
        .bind(&post.media_type)
        .bind(post.posted_at)
        .bind(&post.content_enc)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }

    /// A competitor's posts published at or after `since`.
    pub async fn competitor_post_facts(
        &self,
        competitor_id: &CompetitorId,
        since: i64,
    ) -> StoreResult<Vec<PostFacts>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
                "SELECT media_type, posted_at FROM competitor_posts WHERE competitor_id = $1 AND posted_at >= $2 ORDER BY posted_at",
            )
            .bind(competitor_id)
            .bind(since)
            .fetch_all(p)
            .await
        })?)
    }

    /// How many public posts of a competitor are stored.
    pub async fn competitor_post_count(&self, competitor_id: &CompetitorId) -> StoreResult<i64> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT COUNT(*) FROM competitor_posts WHERE competitor_id = $1"
        )
        .bind(competitor_id)
        .fetch_one(p)
        .await)?)
    }

    /// The user's own synced posts published at or after `since`, with their engagement.
    pub async fn own_post_facts(
        &self,
        profile_id: &ProfileId,
        since: i64,
    ) -> StoreResult<Vec<PostFacts>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
                "SELECT media_type, posted_at, CAST(COALESCE(likes, 0) + COALESCE(replies, 0) + COALESCE(reposts, 0) + COALESCE(quotes, 0) AS BIGINT) AS engagement \
                 FROM posts WHERE profile_id = $1 AND posted_at >= $2 AND NOT is_repost ORDER BY posted_at",
            )
            .bind(profile_id)
            .bind(since)
            .fetch_all(p)
            .await
        })?)
    }

    /// A competitor's posts with their sealed content, oldest first (for the export).
    pub async fn competitor_posts_sealed(
        &self,
        competitor_id: &CompetitorId,
    ) -> StoreResult<Vec<(MediaId, String, i64, Vec<u8>)>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT media_id, media_type, posted_at, content_enc FROM competitor_posts WHERE competitor_id = $1 ORDER BY posted_at"
        )
        .bind(competitor_id)
        .fetch_all(p)
        .await
        })?)
    }

    /// Replaces a competitor's sealed details.
    pub async fn set_competitor_details(
        &self,
        id: &CompetitorId,
        details_enc: &[u8],
    ) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE competitors SET details_enc = $1 WHERE id = $2"
        )
        .bind(details_enc)
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
