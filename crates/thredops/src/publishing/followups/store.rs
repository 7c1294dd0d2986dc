//! Storage of follow-ups and of each profile's default auto-plug.

use super::Metric;
use crate::domain::{MediaId, PostId, ProfileId, WorkspaceId};
use crate::publishing::store::{PostRecord, insert_post_in};
use crate::store::{Store, StoreResult, Tx, with_pool, with_tx};

/// Which follow-up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The reply planned at publication.
    #[default]
    FirstReply,
    /// The reply sent once a threshold is passed.
    AutoPlug,
}

impl Kind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::FirstReply => "first_reply",
            Kind::AutoPlug => "auto_plug",
        }
    }

    fn parse(v: &str) -> Kind {
        if v == "auto_plug" {
            Kind::AutoPlug
        } else {
            Kind::FirstReply
        }
    }
}

impl From<String> for Kind {
    fn from(v: String) -> Self {
        Kind::parse(&v)
    }
}

/// Where a follow-up stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FollowupState {
    /// The auto-plug's window is open.
    #[default]
    Watching,
    /// Its reply post exists.
    Sent,
    /// The window closed below the threshold.
    Missed,
}

impl FollowupState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            FollowupState::Watching => "watching",
            FollowupState::Sent => "sent",
            FollowupState::Missed => "missed",
        }
    }

    fn parse(v: &str) -> FollowupState {
        match v {
            "sent" => FollowupState::Sent,
            "missed" => FollowupState::Missed,
            _ => FollowupState::Watching,
        }
    }
}

impl From<String> for FollowupState {
    fn from(v: String) -> Self {
        FollowupState::parse(&v)
    }
}

/// One follow-up as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FollowupRecord {
    /// The published post.
    pub parent_post_id: PostId,
    /// Which follow-up.
    #[sqlx(try_from = "String")]
    pub kind: Kind,
    /// Owning workspace.
    pub user_id: WorkspaceId,
    /// Profile.
    pub profile_id: ProfileId,
    /// Threads media id of the published post.
    pub parent_media_id: MediaId,
    /// Where it stands.
    #[sqlx(try_from = "String")]
    pub state: FollowupState,
    /// Auto-plug: what it counts.
    pub metric: Option<Metric>,
    /// Auto-plug: the count to pass.
    pub threshold: Option<i64>,
    /// Auto-plug: its window in hours.
    pub window_hours: Option<i64>,
    /// Auto-plug: when the window closes (UTC seconds).
    pub window_ends_at: Option<i64>,
    /// Auto-plug: when to look again.
    pub next_check_at: Option<i64>,
    /// The reply's text, sealed.
    pub text_enc: Vec<u8>,
    /// The count at the last check.
    pub last_value: Option<i64>,
    /// When it was last checked.
    pub last_checked_at: Option<i64>,
    /// The reply post.
    pub child_post_id: Option<PostId>,
    /// When it was sent or missed.
    pub decided_at: Option<i64>,
    /// Created.
    pub created_at: i64,
}

/// Vault subject of a follow-up's sealed text.
pub fn text_subject(post_id: &PostId, kind: Kind) -> String {
    format!("{post_id}/{}", kind.as_str())
}

/// Vault subject of a profile's sealed default rule.
pub fn default_subject(profile_id: &ProfileId) -> String {
    format!("auto-plug-default/{profile_id}")
}

const FOLLOWUP_COLUMNS: &str = "parent_post_id, kind, user_id, profile_id, parent_media_id, state, metric, threshold, window_hours, window_ends_at, next_check_at, text_enc, last_value, last_checked_at, child_post_id, decided_at, created_at";

/// Inserts the follow-ups planned at a post's publication, inside its transaction. A row that
/// exists already is left alone, and so is the post it would have created.
pub(crate) async fn insert_plan_in(tx: &mut Tx, plan: &super::Plan) -> StoreResult<()> {
    for f in &plan.rows {
        let inserted = with_tx!(tx, |c| {
            sqlx::query(
            "INSERT INTO publishing_followups (parent_post_id, kind, user_id, profile_id, parent_media_id, state, metric, threshold, window_hours, window_ends_at, next_check_at, text_enc, child_post_id, decided_at, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, NULL, $13, $14) ON CONFLICT DO NOTHING"
        )
        .bind(&f.parent_post_id)
        .bind(f.kind.as_str())
        .bind(&f.user_id)
        .bind(&f.profile_id)
        .bind(&f.parent_media_id)
        .bind(f.state.as_str())
        .bind(f.metric.map(Metric::as_str))
        .bind(f.threshold)
        .bind(f.window_hours)
        .bind(f.window_ends_at)
        .bind(f.next_check_at)
        .bind(&f.text_enc)
        .bind(f.decided_at)
        .bind(f.created_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
        })?;
        if inserted != 1 {
            continue;
        }
        if let (Some(child), Some(child_id)) = (&plan.first_reply, &f.child_post_id) {
            insert_post_in(tx, child).await?;
            link_child_in(tx, &f.parent_post_id, f.kind, child_id).await?;
        }
    }
    Ok(())
}

async fn link_child_in(
    tx: &mut Tx,
    parent: &PostId,
    kind: Kind,
    child: &PostId,
) -> StoreResult<()> {
    with_tx!(tx, |c| sqlx::query(
        "UPDATE publishing_followups SET child_post_id = $1 WHERE parent_post_id = $2 AND kind = $3"
    )
    .bind(child)
    .bind(parent)
    .bind(kind.as_str())
    .execute(c)
    .await
    .map(|r| r.rows_affected()))?;
    Ok(())
}

impl Store {
    /// A post's follow-ups.
    pub async fn followups_of(&self, post_id: &PostId) -> StoreResult<Vec<FollowupRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {FOLLOWUP_COLUMNS} FROM publishing_followups WHERE parent_post_id = $1 ORDER BY kind"
        ));
        Ok(with_pool!(self, |p| sqlx::query_as(sql)
            .bind(post_id)
            .fetch_all(p)
            .await)?)
    }

    /// The follow-up a post was created for, if it is a first reply or an auto-plug.
    pub async fn followup_by_child(&self, post_id: &PostId) -> StoreResult<Option<FollowupRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {FOLLOWUP_COLUMNS} FROM publishing_followups WHERE child_post_id = $1"
        ));
        Ok(with_pool!(self, |p| sqlx::query_as(sql)
            .bind(post_id)
            .fetch_optional(p)
            .await)?)
    }

    /// Every follow-up of a user (for the data export).
    pub async fn followups_of_user(
        &self,
        user_id: &WorkspaceId,
    ) -> StoreResult<Vec<FollowupRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {FOLLOWUP_COLUMNS} FROM publishing_followups WHERE user_id = $1 ORDER BY created_at"
        ));
        Ok(with_pool!(self, |p| sqlx::query_as(sql)
            .bind(user_id)
            .fetch_all(p)
            .await)?)
    }

    /// Claims the auto-plugs due for a check at `now` (Threads' clock): each one's next check
    /// moves to `next` first, so two checkers never look at the same post in one round.
    pub async fn claim_due_autoplugs(
        &self,
        now: i64,
        next: i64,
        limit: i64,
    ) -> StoreResult<Vec<FollowupRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {FOLLOWUP_COLUMNS} FROM publishing_followups WHERE state = 'watching' AND next_check_at <= $1 ORDER BY next_check_at LIMIT $2"
        ));
        let due: Vec<FollowupRecord> = with_pool!(self, |p| sqlx::query_as(sql)
            .bind(now)
            .bind(limit)
            .fetch_all(p)
            .await)?;
        let mut claimed = Vec::new();
        for f in due {
            let won = with_pool!(self, |p| {
                sqlx::query(
                "UPDATE publishing_followups SET next_check_at = $1 WHERE parent_post_id = $2 AND kind = 'auto_plug' AND state = 'watching' AND next_check_at = $3"
            )
            .bind(next)
            .bind(&f.parent_post_id)
            .bind(f.next_check_at)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
            })?;
            if won == 1 {
                claimed.push(f);
            }
        }
        Ok(claimed)
    }

    /// Records a check below the threshold and when to look next; with `missed` the window is
    /// closed.
    pub async fn record_autoplug_check(
        &self,
        parent_post_id: &PostId,
        value: Option<i64>,
        now: i64,
        next_check_at: i64,
        missed: bool,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "UPDATE publishing_followups SET last_value = COALESCE($1, last_value), last_checked_at = $2, next_check_at = $5, \
             state = CASE WHEN $3 THEN 'missed' ELSE state END, decided_at = CASE WHEN $3 THEN $2 ELSE decided_at END \
             WHERE parent_post_id = $4 AND kind = 'auto_plug' AND state = 'watching'"
        )
        .bind(value)
        .bind(now)
        .bind(missed)
        .bind(parent_post_id)
        .bind(next_check_at)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Moves an auto-plug from watching to sent and stores its reply post, in one transaction:
    /// `false` (nothing written) when it was no longer watching.
    pub async fn send_autoplug(
        &self,
        parent_post_id: &PostId,
        value: i64,
        now: i64,
        child: &PostRecord,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let won = with_tx!(&mut tx, |c| {
            sqlx::query(
            "UPDATE publishing_followups SET state = 'sent', last_value = $1, last_checked_at = $2, decided_at = $2 \
             WHERE parent_post_id = $3 AND kind = 'auto_plug' AND state = 'watching'"
        )
        .bind(value)
        .bind(now)
        .bind(parent_post_id)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
        })?;
        if won != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        insert_post_in(&mut tx, child).await?;
        link_child_in(&mut tx, parent_post_id, Kind::AutoPlug, &child.id).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// A profile's sealed default auto-plug.
    pub async fn autoplug_default(&self, profile_id: &ProfileId) -> StoreResult<Option<Vec<u8>>> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT rule_enc FROM publishing_autoplug_defaults WHERE profile_id = $1"
        )
        .bind(profile_id)
        .fetch_optional(p)
        .await)?)
    }

    /// Every sealed default auto-plug of a user, by profile (for the data export).
    pub async fn autoplug_defaults_of(
        &self,
        user_id: &WorkspaceId,
    ) -> StoreResult<Vec<(ProfileId, Vec<u8>)>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT profile_id, rule_enc FROM publishing_autoplug_defaults WHERE user_id = $1 ORDER BY profile_id"
        )
        .bind(user_id)
        .fetch_all(p)
        .await
        })?)
    }

    /// Saves a profile's sealed default auto-plug.
    pub async fn save_autoplug_default(
        &self,
        profile_id: &ProfileId,
        user_id: &WorkspaceId,
        rule_enc: &[u8],
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO publishing_autoplug_defaults (profile_id, user_id, rule_enc, updated_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (profile_id) DO UPDATE SET rule_enc = excluded.rule_enc, updated_at = excluded.updated_at"
        )
        .bind(profile_id)
        .bind(user_id)
        .bind(rule_enc)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Removes a profile's default auto-plug.
    pub async fn delete_autoplug_default(&self, profile_id: &ProfileId) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "DELETE FROM publishing_autoplug_defaults WHERE profile_id = $1"
        )
        .bind(profile_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The metric sync stored for a post, if it was read at or after `fresh_after`.
    pub async fn stored_metric(
        &self,
        profile_id: &ProfileId,
        media_id: &MediaId,
        metric: &str,
        fresh_after: i64,
    ) -> StoreResult<Option<i64>> {
        let column = if metric == "views" { "views" } else { "likes" };
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {column} FROM posts WHERE profile_id = $1 AND media_id = $2 AND metrics_at >= $3 AND {column} IS NOT NULL"
        ));
        let v: Option<Option<i64>> = with_pool!(self, |p| sqlx::query_scalar(sql)
            .bind(profile_id)
            .bind(media_id)
            .bind(fresh_after)
            .fetch_optional(p)
            .await)?;
        Ok(v.flatten())
    }
}
