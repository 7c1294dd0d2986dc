//! Storage of audits, experiments and the language-model opt-in (portable SQL, both backends).

use sqlx::Row;

use crate::store::{Store, StoreResult, with_pool};

/// A stored audit row; the report stays sealed until its owner opens it.
#[derive(Debug, Clone)]
pub struct AuditRow {
    /// Audit id.
    pub id: String,
    /// Profile audited.
    pub profile_id: String,
    /// Owner.
    pub user_id: String,
    /// queued | running | done | failed.
    pub status: String,
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

macro_rules! audit_select {
    ($tail:literal) => {
        concat!(
            "SELECT id, profile_id, user_id, status, progress, score, report_enc, error, created_at, finished_at FROM strategy_audits ",
            $tail
        )
    };
}

macro_rules! audit_row {
    ($r:expr) => {{
        let r = $r;
        Ok::<_, sqlx::Error>(AuditRow {
            id: r.try_get("id")?,
            profile_id: r.try_get("profile_id")?,
            user_id: r.try_get("user_id")?,
            status: r.try_get("status")?,
            progress: r.try_get("progress")?,
            score: r.try_get("score")?,
            report_enc: r.try_get("report_enc")?,
            error: r.try_get("error")?,
            created_at: r.try_get("created_at")?,
            finished_at: r.try_get("finished_at")?,
        })
    }};
}

/// A stored experiment; its spec and result are sealed.
#[derive(Debug, Clone)]
pub struct ExperimentRow {
    /// Experiment id.
    pub id: String,
    /// Profile.
    pub profile_id: String,
    /// running | finished | cancelled.
    pub status: String,
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

/// Storage calls of the strategy area.
pub struct StrategyStore<'a>(pub &'a Store);

impl StrategyStore<'_> {
    /// Records a queued audit.
    pub async fn insert_audit(
        &self,
        id: &str,
        profile_id: &str,
        user_id: &str,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self.0, |p| {
            sqlx::query("INSERT INTO strategy_audits (id, profile_id, user_id, status, progress, created_at) VALUES ($1, $2, $3, 'queued', 0, $4)")
            .bind(id).bind(profile_id).bind(user_id).bind(now)
            .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Marks progress (0-100) of a running audit.
    pub async fn audit_progress(&self, id: &str, progress: i64) -> StoreResult<()> {
        with_pool!(self.0, |p| {
            sqlx::query("UPDATE strategy_audits SET status = 'running', progress = $1 WHERE id = $2 AND status IN ('queued', 'running')")
            .bind(progress).bind(id)
            .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Stores the finished report.
    pub async fn finish_audit(
        &self,
        id: &str,
        score: Option<i64>,
        report_enc: &[u8],
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self.0, |p| {
            sqlx::query("UPDATE strategy_audits SET status = 'done', progress = 100, score = $1, report_enc = $2, finished_at = $3, error = NULL WHERE id = $4")
            .bind(score).bind(report_enc).bind(now).bind(id)
            .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Marks an audit failed with a reason the owner can read; a failed audit does not count
    /// against the plan's allowance, so its count goes with it.
    pub async fn fail_audit(&self, id: &str, error: &str, now: i64) -> StoreResult<()> {
        with_pool!(self.0, |p| {
            async {
            let mut tx = p.begin().await?;
            sqlx::query("UPDATE strategy_audits SET status = 'failed', error = $1, finished_at = $2 WHERE id = $3")
                .bind(error).bind(now).bind(id)
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
    pub async fn audit(&self, id: &str) -> StoreResult<Option<AuditRow>> {
        let row = with_pool!(
            self.0,
            |p| match sqlx::query(audit_select!("WHERE id = $1"))
                .bind(id)
                .fetch_optional(p)
                .await
            {
                Ok(Some(r)) => audit_row!(&r).map(Some),
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            }
        )?;
        Ok(row)
    }

    /// A profile's audits, newest first.
    pub async fn audits_of(&self, profile_id: &str) -> StoreResult<Vec<AuditRow>> {
        let rows = with_pool!(self.0, |p| match sqlx::query(audit_select!(
            "WHERE profile_id = $1 ORDER BY created_at DESC, id DESC"
        ))
        .bind(profile_id)
        .fetch_all(p)
        .await
        {
            Ok(rows) => rows
                .iter()
                .map(|r| audit_row!(r))
                .collect::<Result<Vec<_>, _>>(),
            Err(e) => Err(e),
        })?;
        Ok(rows)
    }

    /// Records an experiment.
    pub async fn insert_experiment(&self, e: &ExperimentRow, user_id: &str) -> StoreResult<()> {
        with_pool!(self.0, |p| {
            sqlx::query("INSERT INTO strategy_experiments (id, profile_id, user_id, status, starts_at, ends_at, spec_enc, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(&e.id).bind(&e.profile_id).bind(user_id).bind(&e.status).bind(e.starts_at).bind(e.ends_at).bind(&e.spec_enc).bind(e.created_at)
            .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Sets an experiment's status and (optionally) its frozen result.
    pub async fn set_experiment(
        &self,
        id: &str,
        status: &str,
        result_enc: Option<&[u8]>,
    ) -> StoreResult<()> {
        with_pool!(self.0, |p| {
            sqlx::query("UPDATE strategy_experiments SET status = $1, result_enc = COALESCE($2, result_enc) WHERE id = $3")
            .bind(status).bind(result_enc).bind(id)
            .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// A profile's experiments, newest first.
    pub async fn experiments_of(&self, profile_id: &str) -> StoreResult<Vec<ExperimentRow>> {
        let rows = with_pool!(self.0, |p| {
            async {
            let rows = sqlx::query("SELECT id, profile_id, status, starts_at, ends_at, spec_enc, result_enc, created_at FROM strategy_experiments WHERE profile_id = $1 ORDER BY created_at DESC, id DESC")
                .bind(profile_id)
                .fetch_all(p)
                .await?;
            rows.iter()
                .map(|r| {
                    Ok(ExperimentRow {
                        id: r.try_get(0)?,
                        profile_id: r.try_get(1)?,
                        status: r.try_get(2)?,
                        starts_at: r.try_get(3)?,
                        ends_at: r.try_get(4)?,
                        spec_enc: r.try_get(5)?,
                        result_enc: r.try_get(6)?,
                        created_at: r.try_get(7)?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
        }
        .await
        })?;
        Ok(rows)
    }

    /// Whether the user opted in to the language-model layer (off unless they said yes).
    pub async fn llm_opt_in(&self, user_id: &str) -> StoreResult<bool> {
        let v: Option<bool> = with_pool!(self.0, |p| sqlx::query_scalar(
            "SELECT llm_opt_in FROM strategy_preferences WHERE user_id = $1"
        )
        .bind(user_id)
        .fetch_optional(p)
        .await)?;
        Ok(v.unwrap_or(false))
    }

    /// Records the user's choice.
    pub async fn set_llm_opt_in(&self, user_id: &str, on: bool, now: i64) -> StoreResult<()> {
        with_pool!(self.0, |p| {
            sqlx::query("INSERT INTO strategy_preferences (user_id, llm_opt_in, updated_at) VALUES ($1, $2, $3) ON CONFLICT (user_id) DO UPDATE SET llm_opt_in = excluded.llm_opt_in, updated_at = excluded.updated_at")
            .bind(user_id).bind(on).bind(now)
            .execute(p).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }
}
