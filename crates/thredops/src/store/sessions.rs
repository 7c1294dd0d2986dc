//! Server-side sign-in sessions: every session token names one of these rows.

use sqlx::Row;

use std::sync::LazyLock;

use super::profiles::{self, ProfileRecord, profile_from_row};
use super::session_batch::{Check, Found};
use super::users::{UserRecord, user_from_row};
use super::{Store, StoreResult, with_pool};
use crate::domain::{ProfileId, Role, SessionId, UserId, WorkspaceId, WorkspaceRole};

/// A stored session.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// Session id (random, the JWT's `sid`).
    pub id: SessionId,
    /// Owner.
    pub user_id: UserId,
    /// Sign-in time.
    pub created_at: i64,
    /// Last request seen.
    pub last_seen_at: i64,
    /// Absolute end.
    pub expires_at: i64,
    /// Browser description, for the sessions list.
    pub user_agent: String,
    /// Client address at sign-in.
    pub ip: String,
}

/// The workspace a session acts in when it is not its own account's: the member row's
/// workspace and role, as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seat {
    /// The workspace (its owner account's id).
    pub workspace_id: WorkspaceId,
    /// The member's role there (an unknown stored role, which the schema forbids, reads as the
    /// least: reviewer).
    pub role: WorkspaceRole,
}

/// What a new session records.
#[derive(Debug, Clone)]
pub struct NewSession<'a> {
    /// Session id.
    pub id: &'a SessionId,
    /// Owner.
    pub user_id: &'a UserId,
    /// Now.
    pub now: i64,
    /// Absolute end.
    pub expires_at: i64,
    /// Browser description (truncated).
    pub user_agent: &'a str,
    /// Client address.
    pub ip: &'a str,
}

const COLUMNS: &str = "id, user_id, created_at, last_seen_at, expires_at, user_agent, ip";

/// The member row of the workspace a session acts in; none when it acts in its own account's
/// (or the membership has ended, which sends it back there).
pub(super) const SEAT_JOIN: &str =
    "LEFT JOIN workspace_members m ON m.workspace_id = s.workspace_id AND m.user_id = s.user_id";

/// A live session and its account (`$1` session, `$2` user, `$3` now, `$4` idle since).
static SESSION_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT s.id AS session_id, s.user_id AS session_user_id, s.created_at, \
         s.last_seen_at, s.expires_at, s.user_agent, s.ip, \
         u.email, u.password_hash, u.role, u.timezone, u.created_at AS user_created_at, u.last_active_at, \
         m.workspace_id AS seat_workspace_id, m.role AS seat_role \
         FROM sessions s JOIN users u ON u.id = s.user_id {SEAT_JOIN} \
         WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $3 AND s.last_seen_at > $4"
    )
});

/// What a session check with a profile returns: the session, its account and profile `p`.
pub(super) static CHECK_COLUMNS: LazyLock<String> = LazyLock::new(|| {
    let profile: Vec<String> = profiles::COLUMNS
        .split(", ")
        .map(|c| format!("p.{c}"))
        .collect();
    format!(
        "s.id AS session_id, s.user_id AS session_user_id, s.created_at, s.last_seen_at, \
         s.expires_at, s.user_agent, s.ip, \
         u.email, u.password_hash, u.role, u.timezone, u.created_at AS user_created_at, u.last_active_at, \
         m.workspace_id AS seat_workspace_id, m.role AS seat_role, {}",
        profile.join(", ")
    )
});

/// [`SESSION_SQL`] and the account's profile `$5`, if it is theirs.
static SESSION_WITH_PROFILE_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {} FROM sessions s JOIN users u ON u.id = s.user_id \
         {SEAT_JOIN} \
         LEFT JOIN threads_profiles p ON p.id = $5 AND p.user_id = COALESCE(m.workspace_id, s.user_id) \
         WHERE s.id = $1 AND s.user_id = $2 AND s.revoked_at IS NULL AND s.expires_at > $3 AND s.last_seen_at > $4",
        CHECK_COLUMNS.as_str()
    )
});

/// A `SessionRecord` from a row; the second form names the `id` and `user_id` columns, for
/// joins where another table's columns carry those names.
macro_rules! session_from_row {
    ($row:expr) => {
        session_from_row!($row, id = "id", user_id = "user_id")
    };
    ($row:expr, id = $id:literal, user_id = $user_id:literal) => {{
        let row = $row;
        SessionRecord {
            id: row.try_get($id)?,
            user_id: row.try_get($user_id)?,
            created_at: row.try_get("created_at")?,
            last_seen_at: row.try_get("last_seen_at")?,
            expires_at: row.try_get("expires_at")?,
            user_agent: row.try_get("user_agent")?,
            ip: row.try_get("ip")?,
        }
    }};
}

pub(super) use session_from_row;

/// A session check's answer (session, account, profile) from a row of either driver: a row of
/// [`CHECK_COLUMNS`], or of [`SESSION_SQL`] when `$with_profile` is false.
macro_rules! found_from_row {
    ($row:expr, $with_profile:expr) => {{
        let row = $row;
        let session = session_from_row!(row, id = "session_id", user_id = "session_user_id");
        let user = user_from_row!(row, id = "session_user_id", created_at = "user_created_at");
        let seat_workspace: Option<$crate::domain::WorkspaceId> =
            row.try_get("seat_workspace_id")?;
        let seat_role: Option<String> = row.try_get("seat_role")?;
        let seat = seat_workspace
            .zip(seat_role)
            .map(|(workspace_id, role)| Seat {
                workspace_id,
                role: $crate::domain::WorkspaceRole::parse_member(&role)
                    .unwrap_or($crate::domain::WorkspaceRole::Reviewer),
            });
        let profile = if $with_profile {
            let found: Option<$crate::domain::ProfileId> = row.try_get("id")?;
            match found {
                Some(_) => Some(profile_from_row!(row)),
                None => None,
            }
        } else {
            None
        };
        (session, user, seat, profile)
    }};
}

pub(super) use found_from_row;

impl Store {
    /// Records a new session and the sign-in as account activity.
    pub async fn create_session(&self, s: NewSession<'_>) -> StoreResult<()> {
        with_pool!(self, |p| {
            async {
            let mut tx = p.begin().await?;
            sqlx::query("INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at, user_agent, ip) VALUES ($1, $2, $3, $3, $4, $5, $6)")
                .bind(s.id)
                .bind(s.user_id)
                .bind(s.now)
                .bind(s.expires_at)
                .bind(s.user_agent)
                .bind(s.ip)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE users SET last_active_at = $1 WHERE id = $2")
                .bind(s.now)
                .bind(s.user_id)
                .execute(&mut *tx)
                .await?;
            tx.commit().await
        }
        .await
        })?;
        Ok(())
    }

    /// The live session `id` of `user_id` (not revoked, not past its absolute end, used within
    /// `idle_secs`) together with its account, in one query: every authenticated request asks.
    pub async fn live_session(
        &self,
        id: &SessionId,
        user_id: &UserId,
        now: i64,
        idle_secs: i64,
    ) -> StoreResult<Option<(SessionRecord, UserRecord, Option<Seat>)>> {
        let found = self
            .session_check(id, user_id, None, now, idle_secs)
            .await?;
        Ok(found.map(|(session, user, seat, _)| (session, user, seat)))
    }

    /// [`live_session`](Self::live_session) and, in the same query, the account's profile
    /// `profile_id` (`None` when it is not theirs): a profile page's whole authorisation in one
    /// round trip.
    pub async fn live_session_with_profile(
        &self,
        id: &SessionId,
        user_id: &UserId,
        now: i64,
        idle_secs: i64,
        profile_id: &ProfileId,
    ) -> StoreResult<Option<Found>> {
        self.session_check(id, user_id, Some(profile_id), now, idle_secs)
            .await
    }

    /// The session check, on the store's [`SessionReader`](super::session_reader): SQLite reads
    /// on the calling thread (`inline`), PostgreSQL together with concurrent checks
    /// (`session_batch`); the pool answers on the plain path and whenever the inline read cannot.
    async fn session_check(
        &self,
        id: &SessionId,
        user_id: &UserId,
        profile_id: Option<&ProfileId>,
        now: i64,
        idle_secs: i64,
    ) -> StoreResult<Option<Found>> {
        let idle_since = now - idle_secs;
        if let super::session_reader::SessionReader::Batched(batcher) = &self.session_reader {
            let check = Check {
                session_id: id.clone(),
                user_id: user_id.clone(),
                profile_id: profile_id.cloned(),
                now,
                idle_since,
            };
            return Ok(batcher.check(check).await?);
        }
        let sql = match profile_id {
            None => SESSION_SQL.as_str(),
            Some(_) => SESSION_WITH_PROFILE_SQL.as_str(),
        };
        let inline = {
            let params: [(&str, &dyn rusqlite::ToSql); 5] = [
                ("$1", &id),
                ("$2", &user_id),
                ("$3", &now),
                ("$4", &idle_since),
                ("$5", &profile_id),
            ];
            let used = if profile_id.is_some() { 5 } else { 4 };
            self.read_inline(sql, &params[..used], |row| {
                Ok(found_from_row!(&row, profile_id.is_some()))
            })
        };
        if let Some(found) = inline {
            return Ok(found);
        }
        let found = with_pool!(self, |p| {
            async {
                let mut query = sqlx::query(sql)
                    .bind(id)
                    .bind(user_id)
                    .bind(now)
                    .bind(idle_since);
                if let Some(profile_id) = profile_id {
                    query = query.bind(profile_id);
                }
                let Some(row) = query.fetch_optional(p).await? else {
                    return Ok::<_, sqlx::Error>(None);
                };
                Ok(Some(found_from_row!(&row, profile_id.is_some())))
            }
            .await
        })?;
        Ok(found)
    }

    /// Marks a session (and its account) as used now.
    pub async fn touch_session(
        &self,
        id: &SessionId,
        user_id: &UserId,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| async {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE sessions SET last_seen_at = $1 WHERE id = $2")
                .bind(now)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE users SET last_active_at = $1 WHERE id = $2 AND last_active_at < $1",
            )
            .bind(now)
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        }
        .await)?;
        Ok(())
    }

    /// Live sessions of a user, newest first.
    pub async fn sessions_of(
        &self,
        user_id: &UserId,
        now: i64,
        idle_secs: i64,
    ) -> StoreResult<Vec<SessionRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM sessions WHERE user_id = $1 AND revoked_at IS NULL AND expires_at > $2 AND last_seen_at > $3 ORDER BY created_at DESC, id"
        ));
        let list = with_pool!(self, |p| async {
            let rows = sqlx::query(sql)
                .bind(user_id)
                .bind(now)
                .bind(now - idle_secs)
                .fetch_all(p)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                out.push(session_from_row!(&row));
            }
            Ok::<_, sqlx::Error>(out)
        }
        .await)?;
        Ok(list)
    }

    /// Revokes one of the user's sessions; false if there was no such live session.
    pub async fn revoke_session(
        &self,
        id: &SessionId,
        user_id: &UserId,
        now: i64,
    ) -> StoreResult<bool> {
        let done = with_pool!(self, |p| {
            sqlx::query("UPDATE sessions SET revoked_at = $1 WHERE id = $2 AND user_id = $3 AND revoked_at IS NULL")
            .bind(now)
            .bind(id)
            .bind(user_id)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }
}
