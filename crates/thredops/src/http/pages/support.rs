//! Support pages: the creator's chat and tickets, the agent console, and the chat script.

mod console;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::view::{Chrome, Problems};
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::support::desk;
use crate::support::model::Category;
use crate::support::model::Status;
use crate::support::store::{Conversation, Customer, Message};
use crate::support::tickets;

/// Templates of these pages, embedded in the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "support/widget.html",
        include_str!("../../../web/templates/support/widget.html"),
    ),
    (
        "support/home.html",
        include_str!("../../../web/templates/support/home.html"),
    ),
    (
        "support/ticket.html",
        include_str!("../../../web/templates/support/ticket.html"),
    ),
    (
        "support/console.html",
        include_str!("../../../web/templates/support/console.html"),
    ),
];

const SCRIPT: &str = include_str!("../../../web/static/support.js");

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/static/support.js", get(script))
        .route("/app/support", get(home))
        .route("/app/support/tickets", post(open_ticket))
        .route("/app/support/tickets/{id}", get(ticket))
        .route("/app/support/tickets/{id}/reply", post(reply_ticket))
        .merge(console::router())
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SCRIPT,
    )
}

/// A 303 to `location`.
fn see_other(location: &str) -> Response {
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_owned())],
    )
        .into_response()
}

/// A choice of the ticket form's category.
#[derive(Serialize)]
struct CategoryOption {
    value: &'static str,
    label: &'static str,
}

fn categories() -> Vec<CategoryOption> {
    Category::ALL
        .iter()
        .map(|(c, label)| CategoryOption {
            value: c.as_str(),
            label,
        })
        .collect()
}

fn category_label(c: Option<&str>) -> &'static str {
    c.and_then(Category::parse).map_or("", Category::label)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Notice {
    done: Option<String>,
}

/// `support/home.html`: the user's tickets and the form to open one.
#[derive(Serialize)]
struct SupportHomeView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    tickets: Vec<TicketRow>,
    categories: Vec<CategoryOption>,
    is_agent: bool,
    no_support_widget: bool,
    /// The refused ticket form, as typed.
    #[serde(skip_serializing_if = "Option::is_none")]
    form: Option<TicketFields>,
    #[serde(flatten)]
    problems: Problems,
}

/// A ticket in the user's list.
#[derive(Serialize)]
struct TicketRow {
    id: String,
    subject: String,
    status: Status,
    created_at: i64,
    category: &'static str,
}

/// The ticket form's values.
#[derive(Serialize)]
struct TicketFields {
    category: String,
    subject: String,
    body: String,
}

async fn home_view<'a>(state: &WebState, auth: &'a AuthUser) -> AppResult<SupportHomeView<'a>> {
    let list = crate::support::reads::conversations_of(
        state,
        &Customer::User(auth.user.id.clone()),
        crate::support::model::Kind::Ticket,
    )
    .await?;
    let tickets = list
        .into_iter()
        .map(|t| TicketRow {
            category: category_label(t.category.as_deref()),
            id: t.id.to_string(),
            subject: t.subject,
            status: t.status,
            created_at: t.created_at,
        })
        .collect();
    Ok(SupportHomeView {
        chrome: Chrome::new(state, auth, "support"),
        tickets,
        categories: categories(),
        is_agent: desk::is_agent(&auth.user),
        no_support_widget: true,
        form: None,
        problems: Problems::default(),
    })
}

async fn home(State(state): State<WebState>, PageUser(auth): PageUser) -> AppResult<Html<String>> {
    let view = home_view(&state, &auth).await?;
    state.templates.render("support/home.html", &view)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct TicketForm {
    csrf: String,
    category: String,
    subject: String,
    body: String,
}

async fn open_ticket(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<TicketForm>,
) -> AppResult<Response> {
    match tickets::open(&state, &auth, &form.category, &form.subject, &form.body).await {
        Ok(t) => Ok(see_other(&format!(
            "/app/support/tickets/{}?done=opened",
            t.id
        ))),
        Err(AppError::Validation { fields, .. }) => {
            let view = SupportHomeView {
                form: Some(TicketFields {
                    category: form.category,
                    subject: form.subject,
                    body: form.body,
                }),
                problems: Problems::fields(
                    "Your ticket was not sent yet. Please correct the highlighted field.",
                    fields,
                ),
                ..home_view(&state, &auth).await?
            };
            let html = state.templates.render("support/home.html", &view)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(other) => Err(other),
    }
}

/// `support/ticket.html`: a ticket and its messages.
#[derive(Serialize)]
struct TicketView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    ticket: Conversation,
    category: &'static str,
    messages: Vec<Message>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notice: Option<&'static str>,
    /// The refused reply, as typed.
    #[serde(skip_serializing_if = "Option::is_none")]
    form: Option<ReplyFields>,
    fields: BTreeMap<String, String>,
}

/// The reply form's values.
#[derive(Serialize)]
struct ReplyFields {
    body: String,
}

async fn ticket_view<'a>(
    state: &WebState,
    auth: &'a AuthUser,
    id: &crate::domain::ConversationId,
) -> AppResult<TicketView<'a>> {
    let t = tickets::own(state, auth, id).await?;
    let messages = crate::support::reads::messages_after(state, &t.id, 0, false, 1000).await?;
    Ok(TicketView {
        chrome: Chrome::new(state, auth, "support"),
        category: category_label(t.category.as_deref()),
        ticket: t,
        messages,
        notice: None,
        form: None,
        fields: BTreeMap::new(),
    })
}

async fn ticket(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Path(id): Path<crate::domain::ConversationId>,
    Query(q): Query<Notice>,
) -> AppResult<Html<String>> {
    let notice = match q.done.as_deref() {
        Some("opened") => Some("Your ticket is open. We reply here and by email."),
        Some("replied") => Some("Your reply was added."),
        _ => None,
    };
    let view = TicketView {
        notice,
        ..ticket_view(&state, &auth, &id).await?
    };
    state.templates.render("support/ticket.html", &view)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReplyForm {
    csrf: String,
    body: String,
}

async fn reply_ticket(
    State(state): State<WebState>,
    Path(id): Path<crate::domain::ConversationId>,
    SignedForm { auth, form }: SignedForm<ReplyForm>,
) -> AppResult<Response> {
    let t = tickets::own(&state, &auth, &id).await?;
    match desk::post_customer(&state, &t.id, &form.body, None).await {
        Ok(_) => Ok(see_other(&format!(
            "/app/support/tickets/{}?done=replied",
            t.id
        ))),
        Err(AppError::Validation { fields, .. }) => {
            let view = TicketView {
                form: Some(ReplyFields { body: form.body }),
                fields,
                ..ticket_view(&state, &auth, &id).await?
            };
            let html = state.templates.render("support/ticket.html", &view)?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, html).into_response())
        }
        Err(other) => Err(other),
    }
}
