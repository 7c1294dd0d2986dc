//! Strategist and Deep Audit API: recommendations, weekly plan, experiments, the optional
//! language-model layer, and audits.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{Method, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use super::registry::{Endpoint, boolean, integer, nullable, object, schema_of, string};
use crate::domain::ProfileId;
use crate::http::error::AppResult;
use crate::http::json::ApiJson;
use crate::http::session::AuthUser;
use crate::http::state::WebState;
use crate::strategy::audit::AuditReport;
use crate::strategy::experiments::ExperimentInput;
use crate::strategy::report::{StrategyReport, WeeklyPlan};
use crate::strategy::service::{self, AuditView, ExperimentView, Narrative, Preferences};
use crate::strategy::{AuditId, ExperimentId};

fn list_of(item: Value) -> Value {
    json!({"type": "array", "items": item})
}

fn experiment_body() -> Value {
    object(
        &[
            (
                "kind",
                json!({"type": "string", "enum": ["format", "time_window", "topic", "question"]}),
            ),
            (
                "value",
                json!({"type": ["string", "integer", "null"], "description": "Format (VIDEO, ...), window start hour (audience time), or topic tag"}),
            ),
            (
                "days",
                json!({"type": ["integer", "null"], "minimum": 7, "maximum": 56, "default": 14}),
            ),
            (
                "starts_at",
                json!({"type": ["integer", "null"], "description": "Unix seconds; default now; up to 90 days back to evaluate a past test"}),
            ),
        ],
        &["kind"],
    )
}

fn audit_schema() -> Value {
    object(
        &[
            ("id", string()),
            ("profile_id", string()),
            (
                "status",
                json!({"type": "string", "enum": ["queued", "running", "done", "failed"]}),
            ),
            ("progress", integer()),
            ("score", json!({"type": ["integer", "null"]})),
            ("created_at", integer()),
            ("report", nullable(schema_of::<AuditReport>())),
        ],
        &["id", "profile_id", "status", "progress", "created_at"],
    )
}

/// Every strategy endpoint.
pub fn endpoints() -> Vec<Endpoint> {
    vec![
        Endpoint::new(Method::GET, "/api/v1/profiles/{id}/strategy", "Recommendations with evidence, sample size and confidence", get_strategy)
            .tag("strategy").authenticated().plan_limited("Your plan does not include the strategist")
            .response(200, "The strategist's report; enough_data=false with a message below the thresholds", Some(schema_of::<StrategyReport>()))
            .response(404, "Not one of your profiles", None),
        Endpoint::new(Method::GET, "/api/v1/profiles/{id}/strategy/plan", "Suggested slots and content mix for next week (composer pre-fill)", get_plan)
            .tag("strategy").authenticated().plan_limited("Your plan does not include the strategist")
            .response(200, "Next week's slots and content mix, and the composer's pre-fill", Some(schema_of::<WeeklyPlan>()))
            .response(404, "Not one of your profiles", None),
        Endpoint::new(Method::GET, "/api/v1/profiles/{id}/strategy/experiments", "Experiments with tracking and measured results", list_experiments)
            .tag("strategy").authenticated().plan_limited("Your plan does not include the strategist")
            .response(200, "Experiments, newest first", Some(schema_of::<Vec<ExperimentView>>()))
            .response(404, "Not one of your profiles", None),
        Endpoint::new(Method::POST, "/api/v1/profiles/{id}/strategy/experiments", "Start an experiment", create_experiment)
            .tag("strategy").authenticated().plan_limited("Your plan does not include the strategist").body(experiment_body())
            .response(201, "The experiment with its first tracking", Some(schema_of::<ExperimentView>()))
            .response(404, "Not one of your profiles", None),
        Endpoint::new(Method::POST, "/api/v1/profiles/{id}/strategy/experiments/{experiment_id}/cancel", "Cancel a running experiment", cancel_experiment)
            .tag("strategy").authenticated().plan_limited("Your plan does not include the strategist")
            .response(204, "Cancelled", None)
            .response(404, "No such experiment of yours", None)
            .response(409, "Not running", None),
        Endpoint::new(Method::GET, "/api/v1/strategy/preferences", "Language-model opt-in (off by default)", get_preferences)
            .tag("strategy").authenticated()
            .response(200, "The option and whether the server offers a model", Some(schema_of::<Preferences>())),
        Endpoint::new(Method::PUT, "/api/v1/strategy/preferences", "Opt in or out of the language-model layer", put_preferences)
            .tag("strategy").authenticated().body(object(&[("llm_opt_in", boolean())], &["llm_opt_in"]))
            .response(200, "The saved preference", Some(schema_of::<Preferences>())),
        Endpoint::new(Method::POST, "/api/v1/profiles/{id}/strategy/narrative", "Findings phrased and post ideas drafted by the configured language model (aggregates only)", post_narrative)
            .tag("strategy").authenticated().plan_limited("Your plan does not include the strategist")
            .response(200, "The text, the model, and exactly what was sent", Some(schema_of::<Narrative>()))
            .response(403, "Not opted in", None)
            .response(409, "No model configured, not enough data, or the model did not answer", None),
        Endpoint::new(Method::POST, "/api/v1/profiles/{id}/audits", "Run a Deep Audit (a job; poll the audit for progress)", post_audit)
            .tag("audit").authenticated().plan_limited("The plan's deep audits for this calendar month (UTC) are used up")
            .response(202, "The queued (or already running) audit", Some(audit_schema()))
            .response(404, "Not one of your profiles", None),
        Endpoint::new(Method::GET, "/api/v1/profiles/{id}/audits", "A profile's audits, newest first", list_audits)
            .tag("audit").authenticated()
            .response(200, "Audits without their reports", Some(list_of(audit_schema())))
            .response(404, "Not one of your profiles", None),
        Endpoint::new(Method::GET, "/api/v1/audits/{id}", "One audit with its full report and changes since the previous one", get_audit)
            .tag("audit").authenticated()
            .response(200, "The audit", Some(audit_schema()))
            .response(404, "No such audit of yours", None),
    ]
}

async fn get_strategy(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<ProfileId>,
) -> AppResult<Json<StrategyReport>> {
    Ok(Json(service::strategy(&state, &auth, &id).await?))
}

async fn get_plan(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<ProfileId>,
) -> AppResult<Json<WeeklyPlan>> {
    Ok(Json(service::plan(&state, &auth, &id).await?))
}

async fn list_experiments(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<ProfileId>,
) -> AppResult<Json<Vec<ExperimentView>>> {
    Ok(Json(service::experiments(&state, &auth, &id).await?))
}

async fn create_experiment(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<ProfileId>,
    ApiJson(input): ApiJson<ExperimentInput>,
) -> AppResult<(StatusCode, Json<ExperimentView>)> {
    Ok((
        StatusCode::CREATED,
        Json(service::start_experiment(&state, &auth, &id, &input).await?),
    ))
}

async fn cancel_experiment(
    State(state): State<WebState>,
    auth: AuthUser,
    Path((id, experiment_id)): Path<(ProfileId, ExperimentId)>,
) -> AppResult<StatusCode> {
    service::cancel_experiment(&state, &auth, &id, &experiment_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn get_preferences(
    State(state): State<WebState>,
    auth: AuthUser,
) -> AppResult<Json<Preferences>> {
    Ok(Json(service::preferences(&state, &auth).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreferencesBody {
    llm_opt_in: bool,
}

async fn put_preferences(
    State(state): State<WebState>,
    auth: AuthUser,
    ApiJson(body): ApiJson<PreferencesBody>,
) -> AppResult<Json<Preferences>> {
    Ok(Json(
        service::set_preferences(&state, &auth, body.llm_opt_in).await?,
    ))
}

async fn post_narrative(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<ProfileId>,
) -> AppResult<Json<Narrative>> {
    Ok(Json(service::narrative(&state, &auth, &id).await?))
}

async fn post_audit(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<ProfileId>,
) -> AppResult<(StatusCode, Json<AuditView>)> {
    Ok((
        StatusCode::ACCEPTED,
        Json(service::start_audit(&state, &auth, &id).await?),
    ))
}

async fn list_audits(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<ProfileId>,
) -> AppResult<Json<Vec<AuditView>>> {
    Ok(Json(service::audits(&state, &auth, &id).await?))
}

async fn get_audit(
    State(state): State<WebState>,
    auth: AuthUser,
    Path(id): Path<AuditId>,
) -> AppResult<Json<AuditView>> {
    Ok(Json(service::audit(&state, &auth, &id).await?))
}
