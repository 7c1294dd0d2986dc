//! The signed-in app: dashboard, product areas and settings.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::account::CsrfForm;
use super::view::{Chrome, Problems};
use crate::clock::now_unix;
use crate::home::Home;
use crate::http::api::to_time;
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::notifications::EmailChoices;
use crate::services::accounts;

/// One entry of the product navigation.
#[derive(Serialize, Clone, Copy)]
pub struct NavItem {
    key: &'static str,
    label: &'static str,
    href: &'static str,
    blurb: &'static str,
}

pub(super) const NAV: &[NavItem] = &[
    NavItem {
        key: "dashboard",
        label: "Dashboard",
        href: "/app",
        blurb: "Your profiles at a glance.",
    },
    NavItem {
        key: "profiles",
        label: "Profiles",
        href: "/app/profiles",
        blurb: "Connect Threads profiles and watch them sync.",
    },
    NavItem {
        key: "analytics",
        label: "Analytics",
        href: "/app/analytics",
        blurb: "Follower growth, views and engagement over time.",
    },
    NavItem {
        key: "posts",
        label: "Posts",
        href: "/app/posts",
        blurb: "Every post with its metrics and their history.",
    },
    NavItem {
        key: "schedule",
        label: "Schedule",
        href: "/app/schedule",
        blurb: "Compose, plan and publish on time.",
    },
    NavItem {
        key: "inbox",
        label: "Inbox",
        href: "/app/inbox",
        blurb: "Replies and mentions from every profile, in one place.",
    },
    NavItem {
        key: "competitors",
        label: "Competitors",
        href: "/app/competitors",
        blurb: "Benchmark your growth, cadence and engagement against public profiles.",
    },
    NavItem {
        key: "listening",
        label: "Listening",
        href: "/app/listening",
        blurb: "Saved keyword and topic-tag searches over public posts.",
    },
    NavItem {
        key: "strategist",
        label: "Strategist",
        href: "/app/strategist",
        blurb: "What to post, when and why, from your own data.",
    },
    NavItem {
        key: "audit",
        label: "Deep Audit",
        href: "/app/audit",
        blurb: "A scored, explained audit of your account.",
    },
    NavItem {
        key: "billing",
        label: "Billing",
        href: "/app/billing",
        blurb: "Your plan, usage and invoices.",
    },
    NavItem {
        key: "support",
        label: "Support",
        href: "/app/support",
        blurb: "Chat with us or open a ticket.",
    },
    NavItem {
        key: "settings",
        label: "Settings",
        href: "/settings",
        blurb: "Account, password and devices.",
    },
];

/// The review queue, first in a client reviewer's navigation.
const REVIEW_ITEM: NavItem = NavItem {
    key: "review",
    label: "Review queue",
    href: "/app/review",
    blurb: "Planned posts waiting for your approval.",
};

/// What a client reviewer's navigation holds: the review queue and what is theirs alone.
pub(super) fn reviewer_nav() -> Vec<&'static NavItem> {
    std::iter::once(&REVIEW_ITEM)
        .chain(
            NAV.iter()
                .filter(|n| matches!(n.key, "support" | "settings")),
        )
        .collect()
}

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/app", get(dashboard))
        .route("/app/{area}", get(area))
        .route("/settings", get(settings))
        .route("/settings/password", post(change_password))
        .route("/settings/sessions/{id}/revoke", post(revoke_session))
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct DashboardQuery {
    workspace: Option<String>,
}

async fn dashboard(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    axum::extract::Query(q): axum::extract::Query<DashboardQuery>,
) -> AppResult<Html<String>> {
    let home = crate::home::home(&state, &auth).await?;
    let switched = q.workspace.as_deref() == Some("switched");
    state.templates.render(
        "dashboard.html",
        &DashboardView {
            chrome: Chrome::new(&state, &auth, "dashboard"),
            home: &home,
            switched,
        },
    )
}

/// `dashboard.html`: the home overview.
#[derive(Serialize)]
struct DashboardView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    home: &'a Home,
    switched: bool,
}

/// `area.html`: an area's blurb.
#[derive(Serialize)]
struct AreaView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    area: &'static NavItem,
}

async fn area(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Path(key): Path<String>,
) -> AppResult<Html<String>> {
    let item = NAV
        .iter()
        .find(|n| n.key == key && n.href.starts_with("/app/"))
        .ok_or(AppError::NotFound)?;
    state.templates.render(
        "area.html",
        &AreaView {
            chrome: Chrome::new(&state, &auth, item.key),
            area: item,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Notice {
    done: Option<String>,
}

async fn settings(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(q): Query<Notice>,
) -> AppResult<Html<String>> {
    let notice = match q.done.as_deref() {
        Some("password") => Some("Your password was changed. Other devices were signed out."),
        Some("revoked") => Some("That device was signed out."),
        Some("notifications") => Some("Your email choices were saved."),
        _ => None,
    };
    render_settings(&state, &auth, Some(notice), Problems::default()).await
}

/// `settings.html`: the account, its devices and email choices.
#[derive(Serialize)]
struct SettingsView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    sessions: Vec<SessionRow>,
    email_choices: EmailChoices,
    member_since: String,
    /// Present (maybe empty) on the page as asked for, absent when a form is re-shown.
    #[serde(skip_serializing_if = "Option::is_none")]
    notice: Option<Option<&'static str>>,
    #[serde(flatten)]
    problems: Problems,
}

/// A signed-in device.
#[derive(Serialize)]
struct SessionRow {
    id: String,
    current: bool,
    user_agent: String,
    ip: String,
    created: String,
    created_iso: String,
    last_seen: String,
    last_seen_iso: String,
}

async fn render_settings(
    state: &WebState,
    auth: &AuthUser,
    notice: Option<Option<&'static str>>,
    problems: Problems,
) -> AppResult<Html<String>> {
    let now = now_unix();
    let idle = state.settings.session_idle.as_secs() as i64;
    let sessions = crate::services::accounts::sessions_of(state, &auth.user.id, now, idle)
        .await?
        .into_iter()
        .map(|s| SessionRow {
            current: s.id == auth.session_id,
            user_agent: s.user_agent,
            ip: s.ip,
            created: to_time(s.created_at)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string(),
            created_iso: to_time(s.created_at).to_rfc3339(),
            last_seen: to_time(s.last_seen_at)
                .format("%Y-%m-%d %H:%M UTC")
                .to_string(),
            last_seen_iso: to_time(s.last_seen_at).to_rfc3339(),
            id: s.id.into(),
        })
        .collect();
    let email_choices = crate::notifications::email_choices(state, &auth.user.id).await?;
    state.templates.render(
        "settings.html",
        &SettingsView {
            chrome: Chrome::new(state, auth, "settings"),
            sessions,
            email_choices,
            member_since: to_time(auth.user.created_at)
                .format("%-d %B %Y")
                .to_string(),
            notice,
            problems,
        },
    )
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    csrf: String,
    current_password: String,
    new_password: String,
}

fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_owned())],
    )
        .into_response()
}

async fn change_password(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<PasswordForm>,
) -> AppResult<Response> {
    match accounts::change_password(&state, &auth, &form.current_password, &form.new_password).await
    {
        Ok(()) => Ok(see_other("/settings?done=password")),
        Err(AppError::Validation { fields, .. }) => {
            let problems = Problems::fields("Your password was not changed.", fields);
            let html = render_settings(&state, &auth, None, problems).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(other) => Err(other),
    }
}

async fn revoke_session(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedForm { auth, form: _ }: SignedForm<CsrfForm>,
) -> AppResult<Response> {
    if !crate::services::accounts::revoke_session(
        &state,
        &auth.user.id,
        &crate::domain::SessionId::from(id.as_str()),
    )
    .await?
    {
        return Err(AppError::NotFound);
    }
    Ok(see_other("/settings?done=revoked"))
}
