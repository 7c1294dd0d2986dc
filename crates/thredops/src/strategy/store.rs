//! Storage of audits, experiments and the language-model opt-in (portable SQL, both backends).

use serde::Serialize;

use super::{AuditId, ExperimentId};
use crate::domain::{MediaId, ProfileId, WorkspaceId};
use crate::store::{Store, StoreResult, with_pool};

/// Where an audit is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditStatus {
    /// Waiting for its job.
    Queued,
    /// Its job runs.
    Running,
    /// The report is there.
    Done,
    /// It could not be completed.
    Failed,
}

impl AuditStatus {
    const ALL: [AuditStatus; 4] = [
        AuditStatus::Queued,
        AuditStatus::Running,
        AuditStatus::Done,
        AuditStatus::Failed,
    ];

    /// Queued or running: a new audit of its profile waits for it.
    pub fn is_underway(self) -> bool {
        matches!(self, AuditStatus::Queued | AuditStatus::Running)
    }

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            AuditStatus::Queued => "queued",
            AuditStatus::Running => "running",
            AuditStatus::Done => "done",
            AuditStatus::Failed => "failed",
        }
    }
}

impl TryFrom<String> for AuditStatus {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        AuditStatus::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown audit status {s:?}"))
    }
}

/// Where an experiment is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExperimentStatus {
    /// Its period is on (or over, with the result not frozen yet).
    Running,
    /// Its result is frozen.
    Finished,
    /// Stopped by its owner.
    Cancelled,
}

impl ExperimentStatus {
    const ALL: [ExperimentStatus; 3] = [
        ExperimentStatus::Running,
        ExperimentStatus::Finished,
        ExperimentStatus::Cancelled,
    ];

    /// The stored and shown name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExperimentStatus::Running => "running",
            ExperimentStatus::Finished => "finished",
            ExperimentStatus::Cancelled => "cancelled",
        }
    }
}

impl TryFrom<String> for ExperimentStatus {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        ExperimentStatus::ALL
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown experiment status {s:?}"))
    }
}

/// A stored audit row; the report stays sealed until its owner opens it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    /// Audit id.
    pub id: AuditId,
    /// Profile audited.
    pub profile_id: ProfileId,
    /// The workspace that asked for it (column `user_id`).
    pub user_id: WorkspaceId,
    /// Where it is.
    #[sqlx(try_from = "String")]
    pub status: AuditStatus,
    /// 0-100 while running.
    pub progress: i64,
    /// Overall score once done.
    pub score: Option<i64>,
    /// Sealed report JSON.
    pub report_enc: Option<Vec<u8>>,
    /// Why it failed.
    pub error: Option<String>,
    /// Requested (Unix seconds).
    pub created_at: i64,
    /// Finished.
    pub finished_at: Option<i64>,
}

/// The columns of an [`AuditRow`].
const AUDIT_COLUMNS: &str =
    "id, profile_id, user_id, status, progress, score, report_enc, error, created_at, finished_at";

/// A stored experiment; its spec and result are sealed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExperimentRow {
    /// Experiment id.
    pub id: ExperimentId,
    /// Profile.
    pub profile_id: ProfileId,
    /// Where it is.
    #[sqlx(try_from = "String")]
    pub status: ExperimentStatus,
    /// Start (Unix seconds).
    pub starts_at: i64,
    /// End (Unix seconds).
    pub ends_at: i64,
    /// Sealed spec JSON.
    pub spec_enc: Vec<u8>,
    /// Sealed frozen result JSON, once finished.
    pub result_enc: Option<Vec<u8>>,
    /// Created.
    pub created_at: i64,
}

impl Store {
    /// Records a queued audit.
    pub async fn insert_audit(
        &self,
        id: &AuditId,
        profile_id: &ProfileId,
        workspace_id: &WorkspaceId,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query("INSERT INTO strategy_audits (id, profile_id, user_id, status, progress, created_at) VALUES ($1, $2, $3, $4, 0, $5)")
            .bind(id).bind(profile_id).bind(workspace_id).bind(AuditStatus::Queued.as_str()).bind(now)
            .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Marks progress (0-100) of a queued or running audit, which now runs.
    pub async fn audit_progress(&self, id: &AuditId, progress: i64) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query("UPDATE strategy_audits SET status = $1, progress = $2 WHERE id = $3 AND status IN ($4, $1)")
            .bind(AuditStatus::Running.as_str()).bind(progress).bind(id).bind(AuditStatus::Queued.as_str())
            .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Stores the finished report.
    pub async fn finish_audit(
        &self,
        id: &AuditId,
        score: Option<i64>,
        report_enc: &[u8],
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query("UPDATE strategy_audits SET status = $1, progress = 100, score = $2, report_enc = $3, finished_at = $4, error = NULL WHERE id = $5")
            .bind(AuditStatus::Done.as_str()).bind(score).bind(report_enc).bind(now).bind(id)
            .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Marks an audit failed with a reason the owner can read; a failed audit does not count
    /// against the plan's allowance, so its count goes with it.
    pub async fn fail_audit(&self, id: &AuditId, error: &str, now: i64) -> StoreResult<()> {
        with_pool!(self, |p| {
            async {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE strategy_audits SET status = $1, error = $2, finished_at = $3 WHERE id = $4")
                .bind(AuditStatus::Failed.as_str()).bind(error).bind(now).bind(id)
                .execute(&mut *tx).await?;
            sqlx::query("DELETE FROM audit_usage WHERE audit_id = $1")
                .bind(id)
                .execute(&mut *tx).await?;
            tx.commit().await
        }
        .await
        })?;
        Ok(())
    }

    /// One audit by id (any owner: callers check).
    pub async fn strategy_audit(&self, id: &AuditId) -> StoreResult<Option<AuditRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {AUDIT_COLUMNS} FROM strategy_audits WHERE id = $1"
        ));
        Ok(with_pool!(self, |p| sqlx::query_as(sql)
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    /// A profile's audits, newest first.
    pub async fn strategy_audits_of(&self, profile_id: &ProfileId) -> StoreResult<Vec<AuditRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {AUDIT_COLUMNS} FROM strategy_audits WHERE profile_id = $1 ORDER BY created_at DESC, id DESC"
        ));
        Ok(with_pool!(self, |p| sqlx::query_as(sql)
            .bind(profile_id)
            .fetch_all(p)
            .await)?)
    }

    /// Records an experiment.
    pub async fn insert_experiment(
        &self,
        e: &ExperimentRow,
        workspace_id: &WorkspaceId,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query("INSERT INTO strategy_experiments (id, profile_id, user_id, status, starts_at, ends_at, spec_enc, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&e.id).bind(&e.profile_id).bind(workspace_id).bind(e.status.as_str()).bind(e.starts_at).bind(e.ends_at).bind(&e.spec_enc).bind(e.created_at)
            .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Sets an experiment's status and (optionally) its frozen result.
    pub async fn set_experiment(
        &self,
        id: &ExperimentId,
        status: ExperimentStatus,
        result_enc: Option<&[u8]>,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query("UPDATE strategy_experiments SET status = $1, result_enc = COALESCE($2, result_enc) WHERE id = $3")
            .bind(status.as_str()).bind(result_enc).bind(id)
            .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// A profile's experiments, newest first.
    pub async fn experiments_of(&self, profile_id: &ProfileId) -> StoreResult<Vec<ExperimentRow>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as("SELECT id, profile_id, status, starts_at, ends_at, spec_enc, result_enc, created_at FROM strategy_experiments WHERE profile_id = $1 ORDER BY created_at DESC, id DESC")
                .bind(profile_id)
                .fetch_all(p)
                .await
        })?)
    }

    /// Whether the workspace opted in to the language-model layer (off unless it said yes).
    pub async fn llm_opt_in(&self, workspace_id: &WorkspaceId) -> StoreResult<bool> {
        let v: Option<bool> = with_pool!(self, |p| sqlx::query_scalar(
            "SELECT llm_opt_in FROM strategy_preferences WHERE user_id = $1"
        )
        .bind(workspace_id)
        .fetch_optional(p)
        .await)?;
        Ok(v.unwrap_or(false))
    }

    /// Records the workspace's choice.
    pub async fn set_llm_opt_in(
        &self,
        workspace_id: &WorkspaceId,
        on: bool,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query("INSERT INTO strategy_preferences (user_id, llm_opt_in, updated_at) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE SET llm_opt_in = excluded.llm_opt_in, updated_at = excluded.updated_at")
            .bind(workspace_id).bind(on).bind(now)
            .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }
}

/// A synced post as the strategist reads it, its content still sealed.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StrategyPostRow {
    /// Meta media id.
    pub media_id: MediaId,
    /// Meta media type.
    pub media_type: String,
    /// Publication time (Unix seconds).
    pub posted_at: i64,
    /// Characters of text.
    pub text_len: i64,
    /// Distinct links.
    pub link_count: i64,
    /// Asks a question.
    pub has_question: bool,
    /// Quote post.
    pub is_quote: bool,
    /// Repost of someone else's post.
    pub is_repost: bool,
    /// Latest views (none before the first snapshot).
    pub views: Option<i64>,
    /// Latest likes.
    pub likes: Option<i64>,
    /// Latest replies.
    pub replies: Option<i64>,
    /// Latest reposts.
    pub reposts: Option<i64>,
    /// Latest quotes.
    pub quotes: Option<i64>,
    /// Latest shares.
    pub shares: Option<i64>,
    /// When the metrics were read.
    pub metrics_at: Option<i64>,
    /// Sealed content.
    pub content_enc: Vec<u8>,
}

impl StrategyPostRow {
    /// Views, likes, replies, reposts, quotes, shares; none before the first snapshot.
    pub fn metrics(&self) -> Option<[i64; 6]> {
        let n = |v: Option<i64>| v.unwrap_or(0);
        self.views.map(|v| {
            [
                v,
                n(self.likes),
                n(self.replies),
                n(self.reposts),
                n(self.quotes),
                n(self.shares),
            ]
        })
    }
}

impl Store {
    /// Every synced post of a profile, oldest first.
    pub(crate) async fn strategy_posts(
        &self,
        profile_id: &ProfileId,
    ) -> StoreResult<Vec<StrategyPostRow>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT media_id, media_type, posted_at, text_len, link_count, has_question, is_quote, is_repost, \
             views, likes, replies, reposts, quotes, shares, metrics_at, content_enc FROM posts WHERE profile_id = $1 ORDER BY posted_at, media_id",
        )
        .bind(profile_id)
        .fetch_all(p)
        .await
        })?)
    }

    /// A profile's daily follower counts: (day, taken at, followers), oldest first.
    pub(crate) async fn follower_days(
        &self,
        profile_id: &ProfileId,
    ) -> StoreResult<Vec<(String, i64, i64)>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT day, taken_at, followers_count FROM account_snapshots WHERE profile_id = $1 ORDER BY day",
        )
        .bind(profile_id)
        .fetch_all(p)
        .await
        })?)
    }

    /// The latest snapshot of a demographic `breakdown`: (day, sealed payload).
    pub(crate) async fn latest_breakdown(
        &self,
        profile_id: &ProfileId,
        breakdown: &str,
    ) -> StoreResult<Option<(String, Vec<u8>)>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT day, payload_enc FROM demographic_snapshots WHERE profile_id = $1 AND breakdown = $2 ORDER BY day DESC LIMIT 1",
        )
        .bind(profile_id)
        .bind(breakdown)
        .fetch_optional(p)
        .await
        })?)
    }
}
