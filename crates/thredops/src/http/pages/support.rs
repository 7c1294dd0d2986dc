//! Support pages: the creator's chat and tickets, the agent console, and the chat script.

mod console;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::untyped::{base, merge};
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::support::desk;
use crate::support::model::Category;
use crate::support::store::Customer;
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

/// Renders `template` with `status`, for forms re-shown with their errors.
fn render_with(
    state: &WebState,
    status: StatusCode,
    template: &str,
    ctx: Value,
) -> AppResult<Response> {
    Ok((status, state.templates.render(template, ctx)?).into_response())
}

fn categories() -> Value {
    Category::ALL
        .iter()
        .map(|(c, label)| json!({"value": c.as_str(), "label": label}))
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

async fn home_context(state: &WebState, auth: &AuthUser) -> AppResult<Value> {
    let list = state
        .store
        .support_conversations_of(&Customer::User(auth.user.id.clone()), "ticket")
        .await?;
    let rows: Vec<Value> = list
        .iter()
        .map(|t| {
            json!({"id": t.id, "subject": t.subject, "status": t.status, "created_at": t.created_at,
                   "category": category_label(t.category.as_deref())})
        })
        .collect();
    Ok(merge(
        base(state, auth, "support"),
        json!({
            "tickets": rows,
            "categories": categories(),
            "is_agent": desk::is_agent(&auth.user),
            "no_support_widget": true,
        }),
    ))
}

async fn home(State(state): State<WebState>, PageUser(auth): PageUser) -> AppResult<Html<String>> {
    let ctx = home_context(&state, &auth).await?;
    state.templates.render("support/home.html", ctx)
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
            let ctx = merge(
                home_context(&state, &auth).await?,
                json!({
                    "error": "Your ticket was not sent yet. Please correct the highlighted field.",
                    "fields": fields,
                    "form": {"category": form.category, "subject": form.subject, "body": form.body},
                }),
            );
            render_with(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                "support/home.html",
                ctx,
            )
        }
        Err(other) => Err(other),
    }
}

async fn ticket_context(state: &WebState, auth: &AuthUser, id: &str) -> AppResult<Value> {
    let t = tickets::own(state, auth, id).await?;
    let messages = state
        .store
        .support_messages_after(&t.id, 0, false, 1000)
        .await?;
    Ok(merge(
        base(state, auth, "support"),
        json!({
            "ticket": t,
            "category": category_label(t.category.as_deref()),
            "messages": messages,
        }),
    ))
}

async fn ticket(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Path(id): Path<String>,
    Query(q): Query<Notice>,
) -> AppResult<Html<String>> {
    let notice = match q.done.as_deref() {
        Some("opened") => Some("Your ticket is open. We reply here and by email."),
        Some("replied") => Some("Your reply was added."),
        _ => None,
    };
    let ctx = merge(
        ticket_context(&state, &auth, &id).await?,
        json!({"notice": notice}),
    );
    state.templates.render("support/ticket.html", ctx)
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReplyForm {
    csrf: String,
    body: String,
}

async fn reply_ticket(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedForm { auth, form }: SignedForm<ReplyForm>,
) -> AppResult<Response> {
    let t = tickets::own(&state, &auth, &id).await?;
    match desk::post_customer(&state, &t.id, &form.body, None).await {
        Ok(_) => Ok(see_other(&format!(
            "/app/support/tickets/{}?done=replied",
            t.id
        ))),
        Err(AppError::Validation { fields, .. }) => {
            let ctx = merge(
                ticket_context(&state, &auth, &id).await?,
                json!({"fields": fields, "form": {"body": form.body}}),
            );
            render_with(
                &state,
                StatusCode::UNPROCESSABLE_ENTITY,
                "support/ticket.html",
                ctx,
            )
        }
        Err(other) => Err(other),
    }
}
