//! Strategist and Deep Audit pages: per-profile advice, plan and experiments; audits with live
//! progress and a printable report. Without the strategist in the plan, or with the month's
//! audits used up, the pages explain the limit and link to the billing page instead.

use std::collections::BTreeMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::account::CsrfForm;
use super::plan_limit::explain;
use super::view::{Chrome, Problems};
use crate::billing::gate::{self, AuditAllowance};
use crate::clock::now_unix;
use crate::domain::ProfileId;
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::services::profiles::{self, ProfileView};
use crate::strategy::data::user_tz;
use crate::strategy::experiments::ExperimentInput;
use crate::strategy::report::{StrategyReport, WeeklyPlan};
use crate::strategy::service::{self, AuditView, ExperimentView, Preferences};
use crate::strategy::{AuditId, ExperimentId};

/// Templates of these pages, embedded in the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "strategy/index.html",
        include_str!("../../../web/templates/strategy/index.html"),
    ),
    (
        "strategy/strategist.html",
        include_str!("../../../web/templates/strategy/strategist.html"),
    ),
    (
        "strategy/audit.html",
        include_str!("../../../web/templates/strategy/audit.html"),
    ),
    (
        "strategy/report.html",
        include_str!("../../../web/templates/strategy/report.html"),
    ),
];

const JS: &str = include_str!("../../../web/static/strategy.js");

/// Routes of the strategist and the audit.
pub fn router() -> Router<WebState> {
    Router::new()
        .route(
            "/static/strategy.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    JS,
                )
            }),
        )
        .route("/app/strategist", get(strategist_index))
        .route("/app/strategist/preferences", post(save_preferences))
        .route("/app/strategist/{id}", get(strategist))
        .route("/app/strategist/{id}/experiments", post(start_experiment))
        .route(
            "/app/strategist/{id}/experiments/{eid}/cancel",
            post(cancel_experiment),
        )
        .route("/app/strategist/{id}/narrative", post(narrative))
        .route("/app/audit", get(audit_index))
        .route("/app/audit/{id}", get(audit_page))
        .route("/app/audit/{id}/run", post(run_audit))
        .route("/app/audit/reports/{audit_id}", get(printable))
}

fn see_other(location: String) -> Response {
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// "Mon 3 Mar 2026, 19:00 CET" in the user's timezone (the format of every page).
fn local(auth: &AuthUser, unix: i64) -> String {
    crate::domain::format::datetime(unix, user_tz(auth.user.timezone.as_deref()))
}

async fn index(
    state: &WebState,
    auth: &AuthUser,
    key: &str,
    title: &str,
    blurb: &str,
    href: &str,
) -> AppResult<Html<String>> {
    let profiles = profiles::list(state, auth).await?;
    state.templates.render(
        "strategy/index.html",
        &IndexView {
            chrome: Chrome::new(state, auth, key),
            title,
            blurb,
            href,
            profiles,
        },
    )
}

/// `strategy/index.html`: which profile's strategist or audit to open.
#[derive(Serialize)]
struct IndexView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    title: &'a str,
    blurb: &'a str,
    href: &'a str,
    profiles: Vec<ProfileView>,
}

async fn strategist_index(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
) -> AppResult<Response> {
    let page = async {
        gate::require_strategist(&state, auth.workspace_id()).await?;
        index(
            &state,
            &auth,
            "strategist",
            "Strategist",
            "What to post, when and why, from your own data. Choose a profile.",
            "strategist",
        )
        .await
    }
    .await;
    explain(&state, &auth, "strategist", page)
}

async fn audit_index(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
) -> AppResult<Html<String>> {
    index(
        &state,
        &auth,
        "audit",
        "Deep Audit",
        "A scored, explained audit of your account. Choose a profile.",
        "audit",
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Notice {
    done: Option<String>,
}

/// `strategy/strategist.html`: advice, the weekly plan and experiments of a profile.
#[derive(Serialize)]
struct StrategistView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    profile: ProfileView,
    report: StrategyReport,
    plan: WeeklyPlan,
    experiments: Vec<ExperimentRow>,
    prefs: Preferences,
    as_of: String,
    #[serde(flatten)]
    outcome: StrategistOutcome<'a>,
}

/// An experiment with its start and end in the reader's time zone.
#[derive(Serialize)]
struct ExperimentRow {
    #[serde(flatten)]
    experiment: ExperimentView,
    starts: String,
    ends: String,
}

/// What the last action left to show: a notice, a narrative or the refused experiment form.
#[derive(Serialize)]
struct StrategistOutcome<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    notice: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    narrative: Option<String>,
    form: ExperimentFields<'a>,
    #[serde(flatten)]
    problems: Problems,
}

impl Default for StrategistOutcome<'_> {
    fn default() -> Self {
        StrategistOutcome {
            notice: None,
            narrative: None,
            form: ExperimentFields {
                kind: "format",
                value: None,
                days: "14",
            },
            problems: Problems::default(),
        }
    }
}

/// The experiment form's values.
#[derive(Serialize)]
struct ExperimentFields<'a> {
    kind: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<&'a str>,
    days: &'a str,
}

async fn render_strategist(
    state: &WebState,
    auth: &AuthUser,
    id: &ProfileId,
    outcome: StrategistOutcome<'_>,
) -> AppResult<Html<String>> {
    gate::require_strategist(state, auth.workspace_id()).await?;
    let profile = profiles::get(state, auth, id).await?;
    let data = service::dataset(state, auth, id).await?;
    let report = crate::strategy::report::build(&data);
    let plan = crate::strategy::report::weekly_plan(
        &report,
        data.user_tz,
        state.threads.now().timestamp(),
    );
    let experiments = service::experiments(state, auth, id)
        .await?
        .into_iter()
        .map(|e| ExperimentRow {
            starts: local(auth, e.starts_at),
            ends: local(auth, e.ends_at),
            experiment: e,
        })
        .collect();
    let prefs = service::preferences(state, auth).await?;
    state.templates.render(
        "strategy/strategist.html",
        &StrategistView {
            chrome: Chrome::new(state, auth, "strategist"),
            profile,
            as_of: local(auth, report.as_of),
            report,
            plan,
            experiments,
            prefs,
            outcome,
        },
    )
}

async fn strategist(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Path(id): Path<ProfileId>,
    Query(q): Query<Notice>,
) -> AppResult<Response> {
    let notice = match q.done.as_deref() {
        Some("experiment") => {
            Some("The experiment started. ThredOps tracks your posts against it.")
        }
        Some("cancelled") => Some("The experiment was cancelled."),
        Some("preferences") => Some("Your language-model choice was saved."),
        _ => None,
    };
    let outcome = StrategistOutcome {
        notice,
        ..StrategistOutcome::default()
    };
    let page = render_strategist(&state, &auth, &id, outcome).await;
    explain(&state, &auth, "strategist", page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ExperimentForm {
    csrf: String,
    kind: String,
    value: String,
    days: String,
}

async fn start_experiment(
    State(state): State<WebState>,
    Path(id): Path<ProfileId>,
    SignedForm { auth, form }: SignedForm<ExperimentForm>,
) -> AppResult<Response> {
    let days = form.days.trim().parse::<i64>();
    let input = ExperimentInput {
        kind: form.kind.clone(),
        value: Some(json!(form.value)),
        days: days.as_ref().ok().copied(),
        starts_at: None,
    };
    let result = match days {
        Err(_) => Err(AppError::field("days", "Enter a number of days, 7 to 56.")),
        Ok(_) => service::start_experiment(&state, &auth, &id, &input)
            .await
            .map(|_| ()),
    };
    let page = match result {
        Ok(()) => Ok(see_other(format!("/app/strategist/{id}?done=experiment"))),
        Err(AppError::Validation { message, fields }) => {
            let outcome = StrategistOutcome {
                form: ExperimentFields {
                    kind: &form.kind,
                    value: Some(&form.value),
                    days: &form.days,
                },
                problems: Problems::fields(message, fields),
                ..StrategistOutcome::default()
            };
            let html = render_strategist(&state, &auth, &id, outcome).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(e) => Err(e),
    };
    explain(&state, &auth, "strategist", page)
}

async fn cancel_experiment(
    State(state): State<WebState>,
    Path((id, eid)): Path<(ProfileId, ExperimentId)>,
    SignedForm { auth, form: _ }: SignedForm<CsrfForm>,
) -> AppResult<Response> {
    let done = service::cancel_experiment(&state, &auth, &id, &eid)
        .await
        .map(|()| see_other(format!("/app/strategist/{id}?done=cancelled")));
    explain(&state, &auth, "strategist", done)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PreferencesForm {
    csrf: String,
    llm_opt_in: Option<String>,
    profile_id: String,
}

async fn save_preferences(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<PreferencesForm>,
) -> AppResult<Response> {
    service::set_preferences(&state, &auth, form.llm_opt_in.is_some()).await?;
    // Only go back to a profile page of this user; anything else lands on the picker.
    let back = match profiles::get(
        &state,
        &auth,
        &crate::domain::ProfileId::from(form.profile_id.as_str()),
    )
    .await
    {
        Ok(p) => format!("/app/strategist/{}?done=preferences", p.id),
        Err(_) => "/app/strategist".to_owned(),
    };
    Ok(see_other(back))
}

async fn narrative(
    State(state): State<WebState>,
    Path(id): Path<ProfileId>,
    SignedForm { auth, form: _ }: SignedForm<CsrfForm>,
) -> AppResult<Response> {
    let outcome = match service::narrative(&state, &auth, &id).await {
        Ok(n) => StrategistOutcome {
            narrative: Some(n.text),
            ..StrategistOutcome::default()
        },
        Err(e @ (AppError::Conflict(_) | AppError::Forbidden(_))) => StrategistOutcome {
            problems: Problems::message(e.public_message()),
            ..StrategistOutcome::default()
        },
        Err(e) => return explain(&state, &auth, "strategist", Err::<Response, _>(e)),
    };
    let page = render_strategist(&state, &auth, &id, outcome).await;
    explain(&state, &auth, "strategist", page)
}

async fn audit_page(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Path(id): Path<ProfileId>,
) -> AppResult<Html<String>> {
    let profile =
        profiles::get(&state, &auth, &crate::domain::ProfileId::from(id.as_str())).await?;
    let audits = service::audits(&state, &auth, &id).await?;
    let latest_done = audits
        .iter()
        .find(|a| a.status == crate::strategy::store::AuditStatus::Done)
        .map(|a| a.id.clone());
    let latest = match latest_done {
        Some(a) => Some(service::audit(&state, &auth, &a).await?),
        None => None,
    };
    let active = audits.iter().find(|a| a.status.is_underway());
    let history = audits
        .iter()
        .map(|a| AuditRow {
            when: local(&auth, a.created_at),
            audit: a,
        })
        .collect();
    let allowance = gate::audit_allowance(&state, auth.workspace_id(), now_unix()).await?;
    let limit_message = allowance
        .as_ref()
        .filter(|a| a.reached())
        .map(|a| a.message());
    state.templates.render(
        "strategy/audit.html",
        &AuditPageView {
            chrome: Chrome::new(&state, &auth, "audit"),
            profile,
            audits: history,
            latest_when: latest.as_ref().map(|a| local(&auth, a.created_at)),
            latest,
            active,
            allowance,
            limit_message,
        },
    )
}

/// `strategy/audit.html`: a profile's audits, the latest one and the month's allowance.
#[derive(Serialize)]
struct AuditPageView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    profile: ProfileView,
    audits: Vec<AuditRow<'a>>,
    latest: Option<AuditView>,
    active: Option<&'a AuditView>,
    latest_when: Option<String>,
    allowance: Option<AuditAllowance>,
    limit_message: Option<String>,
}

/// An audit with when it was made, in the reader's time zone.
#[derive(Serialize)]
struct AuditRow<'a> {
    #[serde(flatten)]
    audit: &'a AuditView,
    when: String,
}

async fn run_audit(
    State(state): State<WebState>,
    Path(id): Path<ProfileId>,
    SignedForm { auth, form: _ }: SignedForm<CsrfForm>,
) -> AppResult<Response> {
    let started = service::start_audit(&state, &auth, &id)
        .await
        .map(|_| see_other(format!("/app/audit/{id}")));
    explain(&state, &auth, "audit", started)
}

async fn printable(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Path(audit_id): Path<AuditId>,
) -> AppResult<Html<String>> {
    let audit = service::audit(&state, &auth, &audit_id).await?;
    let profile = profiles::get(
        &state,
        &auth,
        &crate::domain::ProfileId::from(audit.profile_id.as_str()),
    )
    .await?;
    let changes: BTreeMap<String, Value> = audit
        .report
        .as_ref()
        .and_then(|r| r.changes.as_ref())
        .and_then(|c| c["sections"].as_array())
        .map(|s| {
            s.iter()
                .filter_map(|x| Some((x["key"].as_str()?.to_owned(), x["delta"].clone())))
                .collect()
        })
        .unwrap_or_default();
    state.templates.render(
        "strategy/report.html",
        &AuditReportView {
            chrome: Chrome::new(&state, &auth, "audit"),
            profile,
            when: local(&auth, audit.created_at),
            audit,
            deltas: changes,
        },
    )
}

/// `strategy/report.html`: an audit, printable, with what changed since the one before.
#[derive(Serialize)]
struct AuditReportView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    profile: ProfileView,
    audit: AuditView,
    when: String,
    deltas: BTreeMap<String, Value>,
}
