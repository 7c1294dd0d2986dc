//! The notifications list (read and unread) and the email choices on Settings.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::{Html, Redirect};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::account::CsrfForm;
use super::view::Chrome;
use crate::http::error::AppResult;
use crate::http::guards::SignedForm;
use crate::http::session::PageUser;
use crate::http::state::WebState;
use crate::notifications::{self, EmailChoices, NotificationView};

/// Templates of this page.
pub const TEMPLATES: &[(&str, &str)] = &[(
    "notifications/list.html",
    include_str!("../../../web/templates/notifications/list.html"),
)];

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/app/notifications", get(list))
        .route("/app/notifications/read-all", post(read_all))
        .route("/app/notifications/{id}/read", post(read_one))
        .route("/settings/notifications", post(save_choices))
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Done {
    done: Option<String>,
}

async fn list(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(q): Query<Done>,
) -> AppResult<Html<String>> {
    let items = notifications::list(&state, auth.workspace_id()).await?;
    let notice = match q.done.as_deref() {
        Some("read") => Some("Marked as read."),
        Some("all") => Some("Every notification is marked as read."),
        _ => None,
    };
    state.templates.render(
        "notifications/list.html",
        &NotificationsView {
            chrome: Chrome::new(&state, &auth, "notifications"),
            notifications: items,
            notice,
        },
    )
}

/// `notifications/list.html`: the user's notifications.
#[derive(Serialize)]
struct NotificationsView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    notifications: Vec<NotificationView>,
    notice: Option<&'static str>,
}

async fn read_one(
    State(state): State<WebState>,
    Path(id): Path<crate::notifications::NotificationId>,
    SignedForm { auth, form: _ }: SignedForm<CsrfForm>,
) -> AppResult<Redirect> {
    notifications::mark_read(&state, auth.workspace_id(), &id).await?;
    Ok(Redirect::to("/app/notifications?done=read"))
}

async fn read_all(
    State(state): State<WebState>,
    SignedForm { auth, form: _ }: SignedForm<CsrfForm>,
) -> AppResult<Redirect> {
    notifications::mark_all_read(&state, auth.workspace_id()).await?;
    Ok(Redirect::to("/app/notifications?done=all"))
}

/// The Settings form: a checkbox per kind (an unticked box is absent from the form).
#[derive(Deserialize, Default)]
#[serde(default)]
struct ChoicesForm {
    email_post_failed: Option<String>,
    email_profile_reconnect: Option<String>,
}

async fn save_choices(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<ChoicesForm>,
) -> AppResult<Redirect> {
    let choices = EmailChoices {
        post_failed: form.email_post_failed.is_some(),
        profile_reconnect: form.email_profile_reconnect.is_some(),
    };
    notifications::set_email_choices(&state, &auth.user.id, choices).await?;
    Ok(Redirect::to("/settings?done=notifications#notifications"))
}
