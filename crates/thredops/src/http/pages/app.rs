//! The signed-in app: dashboard, product areas and settings.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::account::CsrfForm;
use crate::http::api::to_time;
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::services::accounts;
use crate::clock::now_unix;

/// One entry of the product navigation.
#[derive(Serialize, Clone, Copy)]
pub struct NavItem {
    key: &'static str,
    label: &'static str,
    href: &'static str,
    blurb: &'static str,
}

const NAV: &[NavItem] = &[
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
fn reviewer_nav() -> Vec<&'static NavItem> {
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

/// The context every app page shares (the layout shows the past-due banner from it).
pub fn base(state: &WebState, auth: &AuthUser, active: &str) -> Value {
    json!({
        "user": auth.user.email,
        "csrf": state.csrf.for_session(&auth.session_id),
        // A client reviewer sees only what their role opens.
        "nav": if auth.workspace.role == crate::domain::WorkspaceRole::Reviewer {
            reviewer_nav()
        } else {
            NAV.iter().collect()
        },
        "active": active,
        "sandbox": state.threads.sandbox.is_some(),
        "past_due": auth.past_due,
        "unread_notifications": auth.unread_notifications,
        "unread_inbox": auth.unread_inbox,
        "user_tz": auth.user.timezone,
        "workspace": {
            "name": auth.workspace_name,
            "role": auth.workspace.role.label(),
            "own": auth.workspace.is_own(&auth.user),
        },
    })
}

pub fn merge(mut a: Value, b: Value) -> Value {
    if let (Some(a), Value::Object(b)) = (a.as_object_mut(), b) {
        a.extend(b);
    }
    a
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
        merge(
            base(&state, &auth, "dashboard"),
            json!({"home": home, "switched": switched}),
        ),
    )
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
        merge(base(&state, &auth, item.key), json!({"area": item})),
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
    render_settings(&state, &auth, json!({"notice": notice})).await
}

async fn render_settings(
    state: &WebState,
    auth: &AuthUser,
    extra: Value,
) -> AppResult<Html<String>> {
    let now = now_unix();
    let idle = state.settings.session_idle.as_secs() as i64;
    let sessions: Vec<Value> = state
        .store
        .sessions_of(auth.workspace_id(), now, idle)
        .await?
        .into_iter()
        .map(|s| {
            json!({
                "id": s.id,
                "current": s.id == auth.session_id,
                "user_agent": s.user_agent,
                "ip": s.ip,
                "created": to_time(s.created_at).format("%Y-%m-%d %H:%M UTC").to_string(),
                "created_iso": to_time(s.created_at).to_rfc3339(),
                "last_seen": to_time(s.last_seen_at).format("%Y-%m-%d %H:%M UTC").to_string(),
                "last_seen_iso": to_time(s.last_seen_at).to_rfc3339(),
            })
        })
        .collect();
    let email_choices = crate::notifications::email_choices(state, auth.workspace_id()).await?;
    let ctx = json!({
        "sessions": sessions,
        "email_choices": email_choices,
        "member_since": to_time(auth.user.created_at).format("%-d %B %Y").to_string(),
    });
    state.templates.render(
        "settings.html",
        merge(merge(base(state, auth, "settings"), ctx), extra),
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
            let html = render_settings(
                &state,
                &auth,
                json!({"error": "Your password was not changed.", "fields": fields}),
            )
            .await?;
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
    if !state
        .store
        .revoke_session(&id, auth.workspace_id(), now_unix())
        .await?
    {
        return Err(AppError::NotFound);
    }
    Ok(see_other("/settings?done=revoked"))
}
