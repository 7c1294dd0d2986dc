//! AI Strategist and Deep Audit: advice and a scored audit that cite the creator's own numbers.
//!
//! `data` loads and opens a profile's history; `analysis`, `timing`, `formats`, `content` and
//! `cadence` turn it into recommendations with evidence, comparing content groups within
//! comparable length and format (`adjust`) and deciding every finding under one
//! multiple-comparison control over all the report's tests (`multiple`); `report` assembles them with a weekly plan; `audit` scores the
//! account; `experiments` tracks tests; `llm` optionally phrases the findings. Everything here is
//! computed from stored data, so the same data gives the same answer.

pub(crate) mod adjust;
pub(crate) mod analysis;
pub(crate) mod audience;
pub mod audit;
mod audit_sections;
pub(crate) mod cadence;
pub(crate) mod content;
pub mod data;
pub(crate) mod experiments;
pub(crate) mod formats;
pub(crate) mod llm;
pub(crate) mod multiple;
pub mod report;
pub(crate) mod service;
pub(crate) mod stats;
pub(crate) mod store;
pub(crate) mod timing;

use serde::Deserialize;
use serde_json::json;

use crate::app::AppState;
use crate::clock::now_unix;
use crate::domain::id_type;
use crate::jobs::{JobContext, JobError, Runner, handler_fn};

pub use crate::domain::AuditId;

id_type!(
    /// A strategist experiment.
    ExperimentId
);

/// Job kind of an audit run.
pub const AUDIT_JOB: &str = "strategy.audit";
/// Vault purpose of sealed audit reports.
pub const AUDIT_PURPOSE: &str = "strategy-audit";
/// Vault purpose of sealed experiment specs and results.
pub const EXPERIMENT_PURPOSE: &str = "strategy-experiment";

/// Registers this feature's job handlers.
pub fn register_jobs(runner: Runner, state: &AppState) -> Runner {
    let state = state.clone();
    runner.register(
        AUDIT_JOB,
        handler_fn(move |ctx| {
            let state = state.clone();
            async move { run_audit(state, ctx).await }
        }),
    )
}

#[derive(Deserialize)]
struct AuditPayload {
    audit_id: AuditId,
}

fn retry(e: impl std::fmt::Display) -> JobError {
    JobError::retry(e.to_string())
}

/// Loads the profile, runs the audit off the async runtime with progress, seals and stores it.
async fn run_audit(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    let payload: AuditPayload = ctx.payload_as()?;
    let st = &state.store;
    let Some(row) = st.strategy_audit(&payload.audit_id).await.map_err(retry)? else {
        return Ok(());
    };
    if row.status == store::AuditStatus::Done {
        // A run that finished but was not marked complete (a crash) reports it now; the
        // event is recorded once, so a report already made is not made again.
        emit_audit_completed(
            &state,
            &row,
            row.score,
            row.finished_at.unwrap_or(row.created_at),
        )
        .await;
        return Ok(());
    }
    let result = audit_once(&state, &ctx, &row).await;
    if let Err(e) = &result
        && (e.is_permanent() || ctx.is_last_attempt())
    {
        st.fail_audit(
            &row.id,
            "The audit could not be completed. Please run it again.",
            now_unix(),
        )
        .await
        .map_err(retry)?;
    }
    result
}

async fn audit_once(
    state: &AppState,
    ctx: &JobContext,
    row: &store::AuditRow,
) -> Result<(), JobError> {
    let st = &state.store;
    let Some(profile) = state
        .store
        .profile(&crate::domain::ProfileId::from(row.profile_id.as_str()))
        .await
        .map_err(retry)?
    else {
        return Ok(());
    };
    st.audit_progress(&row.id, 5).await.map_err(retry)?;
    let tz = state
        .store
        .user_by_id(&row.user_id.owner())
        .await
        .map_err(retry)?
        .and_then(|u| u.timezone);
    let dataset = data::load(state, &profile, data::user_tz(tz.as_deref()))
        .await
        .map_err(retry)?;
    st.audit_progress(&row.id, 40).await.map_err(retry)?;
    ctx.report_progress(&json!({"phase": "analysing", "posts": dataset.posts.len()}))
        .await?;
    let (tx, mut rx) = tokio::sync::watch::channel(40i64);
    let work = tokio::task::spawn_blocking(move || {
        audit::run(&dataset, |i, n| {
            let _ = tx.send(40 + (55 * i / n) as i64);
        })
    });
    tokio::pin!(work);
    let mut report = loop {
        tokio::select! {
            done = &mut work => break done.map_err(retry)?,
            changed = rx.changed() => {
                if changed.is_ok() {
                    let p = *rx.borrow_and_update();
                    st.audit_progress(&row.id, p).await.map_err(retry)?;
                }
            }
        }
    };
    let key = state.vault.data_key(&row.user_id).await.map_err(retry)?;
    let previous = st
        .strategy_audits_of(&row.profile_id)
        .await
        .map_err(retry)?
        .into_iter()
        .find(|a| {
            a.id != row.id && a.status == store::AuditStatus::Done && a.created_at <= row.created_at
        });
    if let Some(prev) = previous
        && let Some(sealed) = prev.report_enc.as_deref()
        && let Ok(text) = key.open_string(AUDIT_PURPOSE, &prev.id, sealed)
        && let Ok(before) = serde_json::from_str::<audit::AuditReport>(&text)
    {
        report.changes = Some(audit::changes(&before, prev.created_at, &report));
    }
    let json = serde_json::to_string(&report).map_err(retry)?;
    let sealed = key.seal(AUDIT_PURPOSE, &row.id, json.as_bytes());
    let finished_at = now_unix();
    let score = report.score.map(i64::from);
    st.finish_audit(&row.id, score, &sealed, finished_at)
        .await
        .map_err(retry)?;
    emit_audit_completed(state, row, score, finished_at).await;
    Ok(())
}

async fn emit_audit_completed(
    state: &AppState,
    row: &store::AuditRow,
    score: Option<i64>,
    finished_at: i64,
) {
    crate::webhooks::emit_or_log(
        state,
        &row.user_id,
        crate::webhooks::audit_completed(
            &row.id,
            &crate::domain::ProfileId::new(row.profile_id.as_str()),
            score,
            finished_at,
        ),
    )
    .await;
}
