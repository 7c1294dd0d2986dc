//! Connected Threads profiles and the OAuth states that connect them.

use crate::domain::{ProfileId, ThreadsUserId, WorkspaceId};
use sqlx::Row;

use super::{Store, StoreError, StoreResult, with_pool};

/// Where a profile connection stands (the `status` column; its CHECK allows exactly these).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProfileStatus {
    /// Connected: syncs and publishes.
    Active,
    /// Threads refused the token: the user must reconnect.
    NeedsReconnect,
    /// The user disconnected it; no token is held.
    Disconnected,
    /// Paused by the plan's profile limit.
    Paused,
}

impl ProfileStatus {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            ProfileStatus::Active => "active",
            ProfileStatus::NeedsReconnect => "needs_reconnect",
            ProfileStatus::Disconnected => "disconnected",
            ProfileStatus::Paused => "paused",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            ProfileStatus::Active,
            ProfileStatus::NeedsReconnect,
            ProfileStatus::Disconnected,
            ProfileStatus::Paused,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }

    /// Reads the stored name: an unknown one is a decoding error (the column's CHECK allows
    /// only the names above), converted by `?` into either driver's error.
    pub fn decode(stored: String) -> Result<Self, UnknownStatus> {
        Self::parse(&stored).ok_or(UnknownStatus(stored))
    }

    /// Whether a profile with this status takes a seat under the plan's profile limit.
    pub fn occupies_seat(self) -> bool {
        matches!(self, ProfileStatus::Active | ProfileStatus::NeedsReconnect)
    }
}

/// A `status` column value that is none of [`ProfileStatus`]'s names.
#[derive(Debug, thiserror::Error)]
#[error("unknown profile status {0:?}")]
pub struct UnknownStatus(String);

impl From<UnknownStatus> for sqlx::Error {
    fn from(e: UnknownStatus) -> Self {
        sqlx::Error::Decode(Box::new(e))
    }
}

impl From<UnknownStatus> for rusqlite::Error {
    fn from(e: UnknownStatus) -> Self {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    }
}

/// A stored Threads profile connection. Encrypted columns stay sealed here.
#[derive(Debug, Clone)]
pub struct ProfileRecord {
    /// ThredOps id of the connection.
    pub id: ProfileId,
    /// Owning workspace (the `user_id` column).
    pub user_id: WorkspaceId,
    /// Meta's (app-scoped) Threads user id.
    pub threads_user_id: ThreadsUserId,
    /// Sealed username.
    pub username_enc: Vec<u8>,
    /// Sealed profile details (name, biography, picture URL, verified) as JSON.
    pub profile_enc: Option<Vec<u8>>,
    /// Where the connection stands.
    pub status: ProfileStatus,
    /// Granted scopes, comma-separated.
    pub scopes: String,
    /// First connection time.
    pub connected_at: i64,
    /// Sealed long-lived access token (None once disconnected).
    pub token_enc: Option<Vec<u8>>,
    /// When the current token was issued (refresh is allowed 24 h after).
    pub token_issued_at: Option<i64>,
    /// When the current token expires.
    pub token_expires_at: Option<i64>,
    /// Last successful refresh.
    pub last_refresh_at: Option<i64>,
    /// Last error shown to the user.
    pub last_error: Option<String>,
    /// When that error happened.
    pub last_error_at: Option<i64>,
    /// Last successful sync.
    pub last_sync_at: Option<i64>,
    /// When the first full backfill finished.
    pub backfill_done_at: Option<i64>,
    /// Current follower count.
    pub followers_count: Option<i64>,
    /// Time of the newest stored post (incremental sync starts here).
    pub newest_post_at: Option<i64>,
    /// Where an interrupted backfill resumes (a paging cursor).
    pub backfill_cursor: Option<String>,
    /// Bumped by every write to the profile's analytics data (see [`Store::bump_data_version`]).
    pub data_version: i64,
}

pub(super) const COLUMNS: &str = "id, user_id, threads_user_id, username_enc, profile_enc, status, scopes, connected_at, token_enc, token_issued_at, token_expires_at, last_refresh_at, last_error, last_error_at, last_sync_at, backfill_done_at, followers_count, newest_post_at, backfill_cursor, data_version";

macro_rules! profile_from_row {
    ($row:expr) => {{
        let row = $row;
        ProfileRecord {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            threads_user_id: row.try_get("threads_user_id")?,
            username_enc: row.try_get("username_enc")?,
            profile_enc: row.try_get("profile_enc")?,
            status: $crate::store::profiles::ProfileStatus::decode(row.try_get("status")?)?,
            scopes: row.try_get("scopes")?,
            connected_at: row.try_get("connected_at")?,
            token_enc: row.try_get("token_enc")?,
            token_issued_at: row.try_get("token_issued_at")?,
            token_expires_at: row.try_get("token_expires_at")?,
            last_refresh_at: row.try_get("last_refresh_at")?,
            last_error: row.try_get("last_error")?,
            last_error_at: row.try_get("last_error_at")?,
            last_sync_at: row.try_get("last_sync_at")?,
            backfill_done_at: row.try_get("backfill_done_at")?,
            followers_count: row.try_get("followers_count")?,
            newest_post_at: row.try_get("newest_post_at")?,
            backfill_cursor: row.try_get("backfill_cursor")?,
            data_version: row.try_get("data_version")?,
        }
    }};
}

pub(super) use profile_from_row;

/// What a completed OAuth connection stores.
#[derive(Debug)]
pub struct ConnectedProfile<'a> {
    /// Id to use if this is a new connection.
    pub new_id: &'a ProfileId,
    /// Owning workspace.
    pub user_id: &'a WorkspaceId,
    /// Meta's user id.
    pub threads_user_id: &'a ThreadsUserId,
    /// Sealed username.
    pub username_enc: &'a [u8],
    /// Sealed profile details.
    pub profile_enc: &'a [u8],
    /// Granted scopes.
    pub scopes: &'a str,
    /// Sealed long-lived token.
    pub token_enc: &'a [u8],
    /// Token issue time.
    pub token_issued_at: i64,
    /// Token expiry.
    pub token_expires_at: i64,
    /// Now.
    pub now: i64,
}

/// Whether a connection was new or a reconnection of a known profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connected {
    /// First connection: a new profile row.
    New(ProfileId),
    /// The same Threads account again for the same user: history kept, token replaced.
    Reconnected(ProfileId),
}

impl Store {
    /// Records a new OAuth state (stored hashed) bound to a user, with the scopes it asks for
    /// (comma-separated; `None` for the default set).
    pub async fn create_oauth_state(
        &self,
        state_hash: &str,
        workspace_id: &WorkspaceId,
        scopes: Option<&str>,
        now: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query("INSERT INTO oauth_states (state_hash, user_id, scopes, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(state_hash)
            .bind(workspace_id)
            .bind(scopes)
            .bind(now)
            .bind(expires_at)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Uses up a state if it is unused, unexpired and belongs to `user_id`. `None` when it could
    /// not be used; otherwise the scopes it asked for (`Some(None)`: the default set).
    pub async fn consume_oauth_state(
        &self,
        state_hash: &str,
        workspace_id: &WorkspaceId,
        now: i64,
    ) -> StoreResult<Option<Option<String>>> {
        let row: Option<(Option<String>,)> = with_pool!(self, |p| {
            sqlx::query_as(
            "UPDATE oauth_states SET used_at = $1 WHERE state_hash = $2 AND user_id = $3 AND used_at IS NULL AND expires_at > $1 RETURNING scopes"
        )
        .bind(now)
        .bind(state_hash)
        .bind(workspace_id)
        .fetch_optional(p)
        .await
        })?;
        Ok(row.map(|(scopes,)| scopes))
    }

    /// Deletes states that can no longer be used.
    pub async fn prune_oauth_states(&self, now: i64) -> StoreResult<u64> {
        let done = with_pool!(self, |p| sqlx::query(
            "DELETE FROM oauth_states WHERE expires_at < $1"
        )
        .bind(now - 3600)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(done)
    }

    /// Stores a completed connection, inside `tx`. A Threads account already connected to another
    /// ThredOps account is a [`StoreError::Conflict`].
    pub async fn save_connection(
        &self,
        tx: &mut super::Tx,
        c: &ConnectedProfile<'_>,
    ) -> StoreResult<Connected> {
        let existing: Option<(ProfileId, WorkspaceId)> = super::with_tx!(tx, |conn| async {
            match sqlx::query("SELECT id, user_id FROM threads_profiles WHERE threads_user_id = $1")
                .bind(c.threads_user_id)
                .fetch_optional(&mut *conn)
                .await?
            {
                Some(r) => Ok::<_, sqlx::Error>(Some((r.try_get(0)?, r.try_get(1)?))),
                None => Ok(None),
            }
        }
        .await)?;
        match existing {
            Some((_, owner)) if owner != *c.user_id => Err(StoreError::Conflict),
            Some((id, _)) => {
                super::with_tx!(tx, |conn| {
                    sqlx::query(
                    "UPDATE threads_profiles SET username_enc = $1, profile_enc = $2, scopes = $3, token_enc = $4, token_issued_at = $5, token_expires_at = $6, status = 'active', last_error = NULL, last_error_at = NULL, disconnected_at = NULL WHERE id = $7"
                )
                .bind(c.username_enc)
                .bind(c.profile_enc)
                .bind(c.scopes)
                .bind(c.token_enc)
                .bind(c.token_issued_at)
                .bind(c.token_expires_at)
                .bind(&id)
                .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected())
                })?;
                Ok(Connected::Reconnected(id))
            }
            None => {
                super::with_tx!(tx, |conn| {
                    sqlx::query(
                    "INSERT INTO threads_profiles (id, user_id, threads_user_id, username_enc, profile_enc, status, scopes, connected_at, token_enc, token_issued_at, token_expires_at) VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $8, $9, $10)"
                )
                .bind(c.new_id)
                .bind(c.user_id)
                .bind(c.threads_user_id)
                .bind(c.username_enc)
                .bind(c.profile_enc)
                .bind(c.scopes)
                .bind(c.now)
                .bind(c.token_enc)
                .bind(c.token_issued_at)
                .bind(c.token_expires_at)
                .execute(&mut *conn)
                .await
                .map(|r| r.rows_affected())
                })?;
                Ok(Connected::New(c.new_id.clone()))
            }
        }
    }

    /// The user's profiles, oldest connection first.
    pub async fn profiles_of(&self, workspace_id: &WorkspaceId) -> StoreResult<Vec<ProfileRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM threads_profiles WHERE user_id = $1 ORDER BY connected_at, id"
        ));
        let list = with_pool!(self, |p| async {
            let rows = sqlx::query(sql).bind(workspace_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in &rows {
                out.push(profile_from_row!(row));
            }
            Ok::<_, sqlx::Error>(out)
        }
        .await)?;
        Ok(list)
    }

    /// How many of the user's profiles are still connected (any status but disconnected).
    pub async fn count_connected_profiles(&self, workspace_id: &WorkspaceId) -> StoreResult<i64> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT count(*) FROM threads_profiles WHERE user_id = $1 AND status <> 'disconnected'"
        )
        .bind(workspace_id)
        .fetch_one(p)
        .await)?)
    }

    /// One profile of a user (None for other users' profiles: callers answer 404).
    pub async fn profile_of(
        &self,
        workspace_id: &WorkspaceId,
        profile_id: &ProfileId,
    ) -> StoreResult<Option<ProfileRecord>> {
        Ok(self
            .profile(profile_id)
            .await?
            .filter(|p| p.user_id == *workspace_id))
    }

    /// A profile by id, whoever owns it (for jobs).
    pub async fn profile(&self, profile_id: &ProfileId) -> StoreResult<Option<ProfileRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM threads_profiles WHERE id = $1"
        ));
        let found = with_pool!(self, |p| async {
            match sqlx::query(sql).bind(profile_id).fetch_optional(p).await? {
                Some(row) => Ok::<_, sqlx::Error>(Some(profile_from_row!(&row))),
                None => Ok(None),
            }
        }
        .await)?;
        Ok(found)
    }

    /// A profile by Meta's user id (deauthorize and deletion callbacks).
    pub async fn profile_by_threads_user(
        &self,
        threads_user_id: &ThreadsUserId,
    ) -> StoreResult<Option<ProfileRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM threads_profiles WHERE threads_user_id = $1"
        ));
        let found = with_pool!(self, |p| async {
            match sqlx::query(sql)
                .bind(threads_user_id)
                .fetch_optional(p)
                .await?
            {
                Some(row) => Ok::<_, sqlx::Error>(Some(profile_from_row!(&row))),
                None => Ok(None),
            }
        }
        .await)?;
        Ok(found)
    }

    /// Saves (or clears) the cursor an interrupted backfill resumes from.
    pub async fn set_backfill_cursor(
        &self,
        profile_id: &ProfileId,
        cursor: Option<&str>,
    ) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE threads_profiles SET backfill_cursor = $1 WHERE id = $2"
        )
        .bind(cursor)
        .bind(profile_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Replaces the token after a refresh.
    pub async fn save_refreshed_token(
        &self,
        profile_id: &ProfileId,
        token_enc: &[u8],
        issued_at: i64,
        expires_at: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "UPDATE threads_profiles SET token_enc = $1, token_issued_at = $2, token_expires_at = $3, last_refresh_at = $2, last_error = NULL, last_error_at = NULL WHERE id = $4 AND status = 'active'"
        )
        .bind(token_enc)
        .bind(issued_at)
        .bind(expires_at)
        .bind(profile_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Records an error the user should see; `needs_reconnect` also stops using the token.
    pub async fn record_profile_error(
        &self,
        profile_id: &ProfileId,
        message: &str,
        needs_reconnect: bool,
        now: i64,
    ) -> StoreResult<()> {
        let sql = if needs_reconnect {
            "UPDATE threads_profiles SET last_error = $1, last_error_at = $2, status = 'needs_reconnect', token_enc = NULL WHERE id = $3 AND status = 'active'"
        } else {
            "UPDATE threads_profiles SET last_error = $1, last_error_at = $2 WHERE id = $3"
        };
        with_pool!(self, |p| sqlx::query(sql)
            .bind(message)
            .bind(now)
            .bind(profile_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// What deleting the profile with its history would remove, counted for the confirmation.
    pub async fn profile_footprint(&self, profile_id: &ProfileId) -> StoreResult<ProfileFootprint> {
        let row = with_pool!(self, |p| {
            async {
            let r = sqlx::query(
                "SELECT (SELECT count(*) FROM posts WHERE profile_id = $1) AS posts, \
                 (SELECT count(*) FROM post_metric_snapshots WHERE profile_id = $1) AS post_snapshots, \
                 (SELECT count(*) FROM account_snapshots WHERE profile_id = $1) AS account_snapshots, \
                 (SELECT count(*) FROM scheduled_posts WHERE profile_id = $1 AND state IN ('scheduled', 'container_created', 'ready')) AS scheduled, \
                 (SELECT count(*) FROM scheduled_posts WHERE profile_id = $1 AND state = 'draft') AS drafts, \
                 (SELECT count(*) FROM strategy_audits WHERE profile_id = $1) AS audits",
            )
            .bind(profile_id)
            .fetch_one(p)
            .await?;
            Ok::<_, sqlx::Error>(ProfileFootprint {
                posts: r.try_get("posts")?,
                post_snapshots: r.try_get("post_snapshots")?,
                account_snapshots: r.try_get("account_snapshots")?,
                scheduled: r.try_get("scheduled")?,
                drafts: r.try_get("drafts")?,
                audits: r.try_get("audits")?,
            })
        }
        .await
        })?;
        Ok(row)
    }

    /// Marks an active profile as needing a reconnect because Threads refused its token, and
    /// stops using the token. When Threads said the token expired, its expiry is moved to no
    /// later than `now`, so the profile reads as expired rather than revoked. True when the
    /// profile changed (false: it was not active, so the event was already recorded).
    pub async fn mark_needs_reconnect(
        &self,
        profile_id: &ProfileId,
        message: &str,
        expired: bool,
        now: i64,
    ) -> StoreResult<bool> {
        let n = with_pool!(self, |p| {
            sqlx::query(
            "UPDATE threads_profiles SET last_error = $1, last_error_at = $2, status = 'needs_reconnect', token_enc = NULL, \
             token_expires_at = CASE WHEN $3 THEN (CASE WHEN token_expires_at IS NULL OR token_expires_at > $2 THEN $2 ELSE token_expires_at END) ELSE token_expires_at END \
             WHERE id = $4 AND status = 'active'"
        )
        .bind(message)
        .bind(now)
        .bind(expired)
        .bind(profile_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Disconnects: the token is destroyed at once; with `keep_history` the synced data stays,
    /// otherwise the profile and everything synced for it is deleted.
    pub async fn disconnect_profile(
        &self,
        profile_id: &ProfileId,
        keep_history: bool,
        now: i64,
    ) -> StoreResult<()> {
        if keep_history {
            with_pool!(self, |p| {
                sqlx::query(
                "UPDATE threads_profiles SET status = 'disconnected', token_enc = NULL, token_issued_at = NULL, token_expires_at = NULL, disconnected_at = $1 WHERE id = $2"
            )
            .bind(now)
            .bind(profile_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
            })?;
        } else {
            with_pool!(self, |p| sqlx::query(
                "DELETE FROM threads_profiles WHERE id = $1"
            )
            .bind(profile_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected()))?;
        }
        Ok(())
    }
}

/// Counts of what a profile holds, for "delete everything synced from this profile".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ProfileFootprint {
    /// Synced Threads posts.
    pub posts: i64,
    /// Metric snapshots of those posts.
    pub post_snapshots: i64,
    /// Daily account snapshots (followers and totals).
    pub account_snapshots: i64,
    /// Posts scheduled to publish from this profile.
    pub scheduled: i64,
    /// Drafts for this profile.
    pub drafts: i64,
    /// Strategy audit reports.
    pub audits: i64,
}
