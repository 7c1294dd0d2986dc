//! What the API and the pages call: each function checks ownership first (another user's
//! profile, audit or experiment is a 404) and then delegates to the pure analyses. The
//! strategist's functions are refused when the user's plan has no strategist, and starting an
//! audit beyond the plan's monthly allowance is refused (see [`gate`]).

use serde::Serialize;
use serde_json::{Value, json};

use super::data::{self, Dataset};
use super::experiments::{self, ExperimentInput, Spec};
use super::report::{self, StrategyReport};
use super::store::{AuditRow, AuditStatus, ExperimentRow, ExperimentStatus};
use super::{AUDIT_JOB, AUDIT_PURPOSE, AuditId, EXPERIMENT_PURPOSE, ExperimentId, audit, llm};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::billing::gate;
use crate::clock::now_unix;
use crate::domain::{ProfileId, WorkspaceId};
use crate::error::{AppError, AppResult};
use crate::jobs::NewJob;

/// Loads a profile of `auth` with everything the analyses need.
pub async fn dataset(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: &ProfileId,
) -> AppResult<Dataset> {
    let profile = data::owned_profile(state, auth.workspace_id(), profile_id).await?;
    data::load(
        state,
        &profile,
        data::user_tz(auth.user.timezone.as_deref()),
    )
    .await
}

/// The strategist's recommendations for a profile.
pub async fn strategy(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: &ProfileId,
) -> AppResult<StrategyReport> {
    gate::require_strategist(state, auth.workspace_id()).await?;
    let data = dataset(state, auth, profile_id).await?;
    Ok(report::build(&data))
}

/// Strategist reports kept per process (a few KB each), valid while their profile's data
/// version is unchanged.
pub type ReportCache = crate::analytics::cache::VersionedCache<ReportKey, StrategyReport>;
/// Entries a [`ReportCache`] holds at most.
pub const REPORT_CACHE_CAPACITY: usize = 512;

/// Everything besides the stored data that a strategist report depends on.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ReportKey {
    workspace_id: WorkspaceId,
    profile_id: ProfileId,
    tz: chrono_tz::Tz,
    // Posts settle with age: a new day is a new report even without new data.
    day: chrono::NaiveDate,
}

/// The strategist's report on `profile` (one of `auth`'s), computed once per change of the
/// profile's data and reused until then (the home page shows its top finding on every visit).
/// `None` when the user's plan has no strategist.
pub async fn cached_report(
    state: &AppState,
    auth: &CurrentUser,
    profile: &crate::store::profiles::ProfileRecord,
) -> AppResult<Option<std::sync::Arc<StrategyReport>>> {
    if gate::require_strategist(state, auth.workspace_id())
        .await
        .is_err()
    {
        return Ok(None);
    }
    let tz = data::user_tz(auth.user.timezone.as_deref());
    let now = state.threads.now().timestamp();
    let key = ReportKey {
        workspace_id: auth.workspace_id().clone(),
        profile_id: profile.id.clone(),
        tz,
        day: crate::analytics::period::local_date(tz, now),
    };
    // The version comes with the profile row, read before the data (see analytics/cache.rs).
    let version = profile.data_version;
    if let Some(hit) = state.strategy_cache.get(&key, version) {
        return Ok(Some(hit));
    }
    let report = std::sync::Arc::new(report::build(&data::load(state, profile, tz).await?));
    state.strategy_cache.insert(key, version, report.clone());
    Ok(Some(report))
}

/// Next week's plan.
pub async fn plan(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: &ProfileId,
) -> AppResult<report::WeeklyPlan> {
    gate::require_strategist(state, auth.workspace_id()).await?;
    let data = dataset(state, auth, profile_id).await?;
    let report = report::build(&data);
    Ok(report::weekly_plan(
        &report,
        data.user_tz,
        state.threads.now().timestamp(),
    ))
}

/// An audit as its owner sees it.
#[derive(Debug, Serialize)]
pub struct AuditView {
    /// Audit id.
    pub id: AuditId,
    /// Profile.
    pub profile_id: ProfileId,
    /// queued | running | done | failed.
    pub status: AuditStatus,
    /// 0-100 while it runs.
    pub progress: i64,
    /// Overall score once done.
    pub score: Option<i64>,
    /// Requested (Unix seconds).
    pub created_at: i64,
    /// Finished (Unix seconds).
    pub finished_at: Option<i64>,
    /// Why it failed.
    pub error: Option<String>,
    /// The full report once done.
    pub report: Option<audit::AuditReport>,
}

async fn audit_view(state: &AppState, row: AuditRow, with_report: bool) -> AppResult<AuditView> {
    let report = match (&row.report_enc, with_report) {
        (Some(sealed), true) => {
            let key = state
                .vault
                .existing_key(&row.user_id)
                .await
                .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
            key.and_then(|k| k.open_string(AUDIT_PURPOSE, &row.id, sealed).ok())
                .and_then(|s| serde_json::from_str(&s).ok())
        }
        _ => None,
    };
    Ok(AuditView {
        id: row.id,
        profile_id: row.profile_id,
        status: row.status,
        progress: row.progress,
        score: row.score,
        created_at: row.created_at,
        finished_at: row.finished_at,
        error: row.error,
        report,
    })
}

/// Queues an audit of a profile; one queued or running audit per profile at a time.
pub async fn start_audit(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: &ProfileId,
) -> AppResult<AuditView> {
    data::owned_profile(state, auth.workspace_id(), profile_id).await?;
    let st = &state.store;
    if let Some(active) = st
        .strategy_audits_of(profile_id)
        .await?
        .into_iter()
        .find(|a| matches!(a.status, AuditStatus::Queued | AuditStatus::Running))
    {
        return audit_view(state, active, false).await;
    }
    // Time-ordered ids: two audits started within the same second still list newest first.
    let id = AuditId::new(uuid::Uuid::now_v7().to_string());
    gate::count_audit(state, auth.workspace_id(), &id).await?;
    if let Err(e) = st
        .insert_audit(&id, profile_id, auth.workspace_id(), now_unix())
        .await
    {
        gate::uncount_audit(state, &id).await?;
        return Err(e.into());
    }
    let job = NewJob::new(AUDIT_JOB, json!({"audit_id": id}))
        .dedup_key(format!("{AUDIT_JOB}:{id}"))
        .max_attempts(3)
        .user(auth.workspace_id())
        .subject(profile_id);
    state.jobs.enqueue(job).await?;
    state.jobs_wake();
    let row = st.strategy_audit(&id).await?.ok_or(AppError::NotFound)?;
    audit_view(state, row, false).await
}

/// A profile's audits, newest first (scores only).
pub async fn audits(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: &ProfileId,
) -> AppResult<Vec<AuditView>> {
    data::owned_profile(state, auth.workspace_id(), profile_id).await?;
    let mut out = Vec::new();
    for row in state.store.strategy_audits_of(profile_id).await? {
        out.push(audit_view(state, row, false).await?);
    }
    Ok(out)
}

/// One audit with its report.
pub async fn audit(
    state: &AppState,
    auth: &CurrentUser,
    audit_id: &AuditId,
) -> AppResult<AuditView> {
    let row = state
        .store
        .strategy_audit(audit_id)
        .await?
        .filter(|a| &a.user_id == auth.workspace_id())
        .ok_or(AppError::NotFound)?;
    audit_view(state, row, true).await
}

/// An experiment with its tracking and result.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct ExperimentView {
    /// Experiment id.
    pub id: ExperimentId,
    /// Profile.
    pub profile_id: ProfileId,
    /// running | finished | cancelled.
    #[schemars(with = "String")]
    pub status: ExperimentStatus,
    /// What is tested.
    pub spec: Spec,
    /// Start (Unix seconds).
    pub starts_at: i64,
    /// End (Unix seconds).
    pub ends_at: i64,
    /// Progress and measured result.
    pub result: Value,
}

/// Starts an experiment.
pub async fn start_experiment(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: &ProfileId,
    input: &ExperimentInput,
) -> AppResult<ExperimentView> {
    gate::require_strategist(state, auth.workspace_id()).await?;
    let data = dataset(state, auth, profile_id).await?;
    let audience = super::audience::of(&data);
    let now = state.threads.now().timestamp();
    let (spec, starts_at) = experiments::parse(input, &audience.timezone, now)?;
    // Time-ordered, as for audits: the list tie-breaks on id within a second.
    let id = ExperimentId::new(uuid::Uuid::now_v7().to_string());
    let key = state
        .vault
        .data_key(auth.workspace_id())
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let row = ExperimentRow {
        spec_enc: key.seal(
            EXPERIMENT_PURPOSE,
            &id,
            serde_json::to_string(&spec)
                .map_err(|e| AppError::Internal(e.into()))?
                .as_bytes(),
        ),
        id: id.clone(),
        profile_id: profile_id.clone(),
        status: ExperimentStatus::Running,
        starts_at,
        ends_at: starts_at + spec.days * 86_400,
        result_enc: None,
        created_at: now_unix(),
    };
    state
        .store
        .insert_experiment(&row, auth.workspace_id())
        .await?;
    experiment_views(state, auth, &data, vec![row])
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// A profile's experiments with live tracking; finished ones have their result frozen.
pub async fn experiments(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: &ProfileId,
) -> AppResult<Vec<ExperimentView>> {
    gate::require_strategist(state, auth.workspace_id()).await?;
    let data = dataset(state, auth, profile_id).await?;
    let rows = state.store.experiments_of(profile_id).await?;
    experiment_views(state, auth, &data, rows).await
}

/// Cancels a running experiment.
pub async fn cancel_experiment(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: &ProfileId,
    id: &ExperimentId,
) -> AppResult<()> {
    gate::require_strategist(state, auth.workspace_id()).await?;
    data::owned_profile(state, auth.workspace_id(), profile_id).await?;
    let st = &state.store;
    let row = st
        .experiments_of(profile_id)
        .await?
        .into_iter()
        .find(|e| &e.id == id)
        .ok_or(AppError::NotFound)?;
    if row.status != ExperimentStatus::Running {
        return Err(AppError::Conflict(
            "Only a running experiment can be cancelled.".into(),
        ));
    }
    st.set_experiment(id, ExperimentStatus::Cancelled, None)
        .await?;
    Ok(())
}

async fn experiment_views(
    state: &AppState,
    auth: &CurrentUser,
    data: &Dataset,
    rows: Vec<ExperimentRow>,
) -> AppResult<Vec<ExperimentView>> {
    let key = state
        .vault
        .data_key(auth.workspace_id())
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("{e}")))?;
    let now = state.threads.now().timestamp();
    let st = &state.store;
    let mut out = Vec::new();
    for row in rows {
        let Some(spec) = key
            .open_string(EXPERIMENT_PURPOSE, &row.id, &row.spec_enc)
            .ok()
            .and_then(|s| serde_json::from_str::<Spec>(&s).ok())
        else {
            continue;
        };
        let frozen = row
            .result_enc
            .as_deref()
            .and_then(|r| {
                key.open_string(EXPERIMENT_PURPOSE, &format!("{}/result", row.id), r)
                    .ok()
            })
            .and_then(|s| serde_json::from_str(&s).ok());
        let mut status = row.status;
        let result = match frozen {
            Some(r) => r,
            None => {
                let r = experiments::evaluate(data, &spec, row.starts_at, row.ends_at, now);
                // Once the period is over the result is frozen, so later history cannot rewrite it.
                if status == ExperimentStatus::Running && now >= row.ends_at {
                    let sealed = key.seal(
                        EXPERIMENT_PURPOSE,
                        &format!("{}/result", row.id),
                        r.to_string().as_bytes(),
                    );
                    st.set_experiment(&row.id, ExperimentStatus::Finished, Some(&sealed))
                        .await?;
                    status = ExperimentStatus::Finished;
                }
                r
            }
        };
        out.push(ExperimentView {
            id: row.id,
            profile_id: row.profile_id,
            status,
            spec,
            starts_at: row.starts_at,
            ends_at: row.ends_at,
            result,
        });
    }
    Ok(out)
}

/// The language-model option as its user sees it.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Preferences {
    /// Whether the user opted in (off by default).
    pub llm_opt_in: bool,
    /// Whether this server has a language model configured.
    pub llm_available: bool,
}

/// The user's language-model preference and whether the server offers one.
pub async fn preferences(state: &AppState, auth: &CurrentUser) -> AppResult<Preferences> {
    let on = state.store.llm_opt_in(auth.workspace_id()).await?;
    Ok(Preferences {
        llm_opt_in: on,
        llm_available: state.settings.llm.is_some(),
    })
}

/// Records the user's choice.
pub async fn set_preferences(
    state: &AppState,
    auth: &CurrentUser,
    llm_opt_in: bool,
) -> AppResult<Preferences> {
    state
        .store
        .set_llm_opt_in(auth.workspace_id(), llm_opt_in, now_unix())
        .await?;
    preferences(state, auth).await
}

/// The findings as the language model phrased them, with exactly what it was sent.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub struct Narrative {
    /// The model's text.
    pub text: String,
    /// The model that wrote it.
    pub model: String,
    /// Exactly what was sent: aggregates of the report, never a post's text.
    pub sent: Value,
}

/// The findings phrased by the language model, for users who opted in.
pub async fn narrative(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: &ProfileId,
) -> AppResult<Narrative> {
    gate::require_strategist(state, auth.workspace_id()).await?;
    if state.settings.llm.is_none() {
        return Err(AppError::Conflict(
            "No language model is configured on this server.".into(),
        ));
    }
    if !state.store.llm_opt_in(auth.workspace_id()).await? {
        return Err(AppError::Forbidden(
            "Turn on the language-model option in the strategist first; it is off by default.",
        ));
    }
    let report = strategy(state, auth, profile_id).await?;
    if !report.enough_data {
        return Err(AppError::Conflict(report.message));
    }
    let (text, model) = llm::narrate(state, &report).await?;
    Ok(Narrative {
        text,
        model,
        sent: llm::aggregates(&report),
    })
}
