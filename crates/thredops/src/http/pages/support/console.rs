//! The agent console: inbox with filters, one conversation with the customer's account facts,
//! and forms for replies, notes, status, assignment and canned responses.

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{categories, category_label, see_other};
use crate::clock::now_unix;
use crate::http::error::{AppError, AppResult};
use crate::http::guards::{SignedForm, require_session_csrf};
use crate::http::pages::privacy::{When, when};
use crate::http::pages::view::Chrome;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::support::store::desk::{Canned, InboxRow};
use crate::support::store::{Conversation, Message};
use crate::support::threads_data::ThreadsData;
use crate::support::tickets::CustomerSummary;
use crate::support::{attachments, desk, threads_data as meta_data, workflow};

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/app/support/console", get(console))
        .route("/app/support/console/{id}/reply", post(reply))
        // Images stream in and are checked as they arrive (8 MB at most).
        .route(
            "/app/support/console/{id}/attach",
            post(attach).layer(DefaultBodyLimit::disable()),
        )
        .route("/app/support/console/{id}/status", post(status))
        .route("/app/support/console/{id}/assign", post(assign))
        .route("/app/support/console/{id}/threads-data", post(threads_data))
        .route("/app/support/console/{id}/erase", post(erase_account))
        .route("/app/support/console/{id}/to-ticket", post(to_ticket))
        .route("/app/support/console/canned", post(add_canned))
        .route("/app/support/console/name", post(set_name))
        .route(
            "/app/support/console/canned/{id}/delete",
            post(delete_canned),
        )
}

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
struct View {
    status: Option<String>,
    kind: Option<String>,
    category: Option<String>,
    assignee: Option<String>,
    q: Option<String>,
    page: Option<i64>,
    c: Option<String>,
}

/// Conversations per inbox page.
const INBOX_PAGE: i64 = 50;

/// `error.html`: a page that says why it cannot be shown.
#[derive(Serialize)]
struct ErrorView {
    title: &'static str,
    message: &'static str,
}

/// Non-agents get a plain 403 page rather than a JSON error.
fn forbidden(state: &WebState) -> AppResult<Response> {
    let html = state.templates.render(
        "error.html",
        &ErrorView {
            title: "For support agents",
            message: "The support console is for the ThredOps support team. To reach us, use the chat or open a ticket under Support.",
        },
    )?;
    Ok((StatusCode::FORBIDDEN, html).into_response())
}

/// `support/console.html`: the agents' inbox, one conversation and the forms around it.
#[derive(Serialize)]
struct ConsoleView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    inbox: Vec<InboxEntry>,
    agents: Vec<AgentRow>,
    canned: Vec<Canned>,
    categories: Vec<super::CategoryOption>,
    statuses: [&'static str; 4],
    filter: FilterValues<'a>,
    paging: Paging,
    selected: Option<Selected>,
    me: &'a str,
    my_name: Option<String>,
    no_support_widget: bool,
    #[serde(flatten)]
    outcome: ConsoleOutcome,
}

/// An inbox row with its category in words.
#[derive(Serialize)]
struct InboxEntry {
    #[serde(flatten)]
    row: InboxRow,
    category_label: &'static str,
}

/// A support agent, and whether they are online.
#[derive(Serialize)]
struct AgentRow {
    id: String,
    email: String,
    online: bool,
}

/// The inbox filters as asked for.
#[derive(Serialize)]
struct FilterValues<'a> {
    status: &'a Option<String>,
    kind: &'a Option<String>,
    category: &'a Option<String>,
    assignee: &'a Option<String>,
    q: &'a Option<String>,
}

/// Links to the inbox pages before and after this one.
#[derive(Serialize)]
struct Paging {
    older: Option<String>,
    newer: Option<String>,
    page: i64,
}

/// The open conversation with the customer's account facts.
#[derive(Serialize)]
struct Selected {
    deletion: Option<DeletionRequest>,
    may_open_threads_data: bool,
    conversation: Conversation,
    category_label: &'static str,
    messages: Vec<Message>,
    customer: CustomerSummary,
    last_id: i64,
}

/// A data deletion request made in the conversation, and its deadline.
#[derive(Serialize)]
struct DeletionRequest {
    confirmed_at: Option<When>,
    requested_at: When,
    deadline: When,
    days_left: i64,
    overdue: bool,
}

/// What the last action left to show.
#[derive(Serialize, Default)]
struct ConsoleOutcome {
    #[serde(skip_serializing_if = "Option::is_none")]
    notice: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    erased: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    threads_data: Option<ThreadsData>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    fields: Option<BTreeMap<String, String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    form: Option<Typed>,
}

impl ConsoleOutcome {
    fn error(message: String) -> Self {
        ConsoleOutcome {
            error: Some(message),
            ..ConsoleOutcome::default()
        }
    }
}

/// What was typed in a refused form (only the fields it has).
#[derive(Serialize, Default)]
struct Typed {
    #[serde(skip_serializing_if = "Option::is_none")]
    body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    shortcut: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    canned_body: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ticket_subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    display_name: Option<String>,
}

async fn console_view<'a>(
    state: &WebState,
    auth: &'a AuthUser,
    view: &'a View,
    outcome: ConsoleOutcome,
) -> AppResult<ConsoleView<'a>> {
    let filter = workflow::parse_filter(
        &auth.user.id,
        view.status.as_deref(),
        view.kind.as_deref(),
        view.category.as_deref(),
        view.assignee.as_deref(),
        view.q.as_deref(),
    )
    .unwrap_or_default();
    workflow::wake_snoozed(state).await?;
    let page = view.page.unwrap_or(0).clamp(0, 10_000);
    // One more than a page tells whether older conversations follow.
    let mut rows =
        crate::support::reads::inbox(state, &filter, INBOX_PAGE + 1, page * INBOX_PAGE).await?;
    let more = rows.len() as i64 > INBOX_PAGE;
    rows.truncate(INBOX_PAGE as usize);
    let paging_query = |p: i64| {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("status", &view.status),
            ("kind", &view.kind),
            ("category", &view.category),
            ("assignee", &view.assignee),
            ("q", &view.q),
        ] {
            if let Some(v) = v.as_deref().filter(|v| !v.is_empty()) {
                query.append_pair(k, v);
            }
        }
        query.append_pair("page", &p.to_string());
        format!("/app/support/console?{}", query.finish())
    };
    let paging = Paging {
        older: more.then(|| paging_query(page + 1)),
        newer: (page > 0).then(|| paging_query(page - 1)),
        page: page + 1,
    };
    let inbox = rows
        .into_iter()
        .map(|row| InboxEntry {
            category_label: category_label(row.conversation.category.as_deref()),
            row,
        })
        .collect();
    let agents = crate::support::reads::agents_with_presence(state)
        .await?
        .into_iter()
        .map(|(id, email, online)| AgentRow {
            id: id.to_string(),
            email,
            online,
        })
        .collect();
    let mut selected = None;
    if let Some(id) = view
        .c
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(crate::domain::ConversationId::from)
    {
        let c = crate::support::reads::conversation(state, &id)
            .await?
            .ok_or(AppError::NotFound)?;
        let messages = crate::support::reads::messages_after(state, &id, 0, true, 2000).await?;
        let customer = crate::support::tickets::customer_summary(state, &c).await?;
        let may_open_threads_data =
            c.user_id.is_some() && crate::support::reads::customer_wrote(state, &c.id).await?;
        let deletion = crate::privacy::ticket_requests::of_ticket(state, &c.id)
            .await?
            .map(|r| {
                let days_left = (r.deadline_at - now_unix()).div_euclid(86_400);
                DeletionRequest {
                    confirmed_at: r.confirmed_at.map(when),
                    requested_at: when(r.requested_at),
                    deadline: when(r.deadline_at),
                    days_left,
                    overdue: days_left < 0,
                }
            });
        selected = Some(Selected {
            deletion,
            may_open_threads_data,
            category_label: category_label(c.category.as_deref()),
            conversation: c,
            last_id: messages.last().map_or(0, |m| m.id),
            messages,
            customer,
        });
    }
    Ok(ConsoleView {
        chrome: Chrome::new(state, auth, "support"),
        inbox,
        agents,
        canned: crate::support::reads::canned(state).await?,
        categories: categories(),
        statuses: ["open", "pending", "snoozed", "resolved"],
        filter: FilterValues {
            status: &view.status,
            kind: &view.kind,
            category: &view.category,
            assignee: &view.assignee,
            q: &view.q,
        },
        paging,
        selected,
        me: &auth.user.id,
        my_name: crate::support::reads::display_name(state, &auth.user.id).await?,
        no_support_widget: true,
        outcome,
    })
}

async fn render(
    state: &WebState,
    auth: &AuthUser,
    view: &View,
    status: StatusCode,
    outcome: ConsoleOutcome,
) -> AppResult<Response> {
    let page = console_view(state, auth, view, outcome).await?;
    Ok((
        status,
        state.templates.render("support/console.html", &page)?,
    )
        .into_response())
}

async fn console(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(view): Query<View>,
) -> AppResult<Response> {
    if !desk::is_agent(&auth.user) {
        // An agent without two-step sign-in is sent to set it up first.
        if crate::services::mfa::staff_needs_enrolment(&state, &auth.user.id).await? {
            return Ok(see_other("/settings/security"));
        }
        return forbidden(&state);
    }
    render(
        &state,
        &auth,
        &view,
        StatusCode::OK,
        ConsoleOutcome::default(),
    )
    .await
}

/// After a form: back to the conversation, or the form again with what went wrong.
async fn settle(
    state: &WebState,
    auth: &AuthUser,
    id: &str,
    result: AppResult<()>,
    form: Typed,
) -> AppResult<Response> {
    match result {
        Ok(()) => Ok(see_other(&format!("/app/support/console?c={id}"))),
        Err(AppError::Validation { fields, message }) => {
            let view = View {
                c: Some(id.to_owned()).filter(|c| !c.is_empty()),
                ..View::default()
            };
            let outcome = ConsoleOutcome {
                error: Some(message),
                fields: Some(fields),
                form: Some(form),
                ..ConsoleOutcome::default()
            };
            render(
                state,
                auth,
                &view,
                StatusCode::UNPROCESSABLE_ENTITY,
                outcome,
            )
            .await
        }
        Err(other) => Err(other),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReplyForm {
    csrf: String,
    body: String,
    private: Option<String>,
}

async fn reply(
    State(state): State<WebState>,
    Path(id): Path<crate::domain::ConversationId>,
    SignedForm { auth, form }: SignedForm<ReplyForm>,
) -> AppResult<Response> {
    let Ok(agent) = desk::require_agent(&auth) else {
        return forbidden(&state);
    };
    let private = form.private.is_some();
    let result = desk::post_agent(&state, agent, &id, &form.body, private, None)
        .await
        .map(|_| ());
    let typed = Typed {
        body: Some(form.body),
        ..Typed::default()
    };
    settle(&state, &auth, &id, result, typed).await
}

/// Longest text field of the image form (the CSRF token and the note checkbox).
const MAX_ATTACH_FIELD_BYTES: usize = 256;

/// The image form without scripts: `csrf`, then `private`, then `file`, as multipart. The token
/// is checked before the image is read.
async fn attach(
    State(state): State<WebState>,
    Path(id): Path<crate::domain::ConversationId>,
    PageUser(auth): PageUser,
    request: Request,
) -> AppResult<Response> {
    let Ok(agent) = desk::require_agent(&auth) else {
        return forbidden(&state);
    };
    let mut multipart = Multipart::from_request(request, &state)
        .await
        .map_err(|e| AppError::BadRequest(e.body_text()))?;
    let (mut csrf, mut private) = (String::new(), false);
    let mut result = Err(AppError::field("file", "Choose an image first."));
    while let Some(mut field) = multipart.next_field().await? {
        match field.name().unwrap_or_default() {
            "file" if field.file_name().is_some_and(|n| !n.is_empty()) => {
                require_session_csrf(&state, &auth, &csrf)?;
                let name = field.file_name().unwrap_or_default().to_owned();
                result = attachments::post_agent(&state, agent, &id, &name, field, private)
                    .await
                    .map(|_| ());
                break;
            }
            "csrf" => {
                while let Some(chunk) = field.chunk().await? {
                    if csrf.len() + chunk.len() > MAX_ATTACH_FIELD_BYTES {
                        return Err(AppError::PayloadTooLarge);
                    }
                    csrf.push_str(&String::from_utf8_lossy(&chunk));
                }
            }
            "private" => private = true,
            _ => {}
        }
    }
    if result.is_err() {
        require_session_csrf(&state, &auth, &csrf)?;
    }
    settle(&state, &auth, &id, result, Typed::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct StatusForm {
    csrf: String,
    status: String,
    snooze: String,
}

async fn status(
    State(state): State<WebState>,
    Path(id): Path<crate::domain::ConversationId>,
    SignedForm { auth, form }: SignedForm<StatusForm>,
) -> AppResult<Response> {
    if !desk::is_agent(&auth.user) {
        return forbidden(&state);
    }
    let hours = match form.snooze.as_str() {
        "1h" => Some(1),
        "4h" => Some(4),
        "24h" => Some(24),
        "7d" => Some(24 * 7),
        _ => None,
    };
    let until = (form.status == "snoozed")
        .then(|| hours.map(|h| now_unix() + h * 3600))
        .flatten();
    let result = workflow::set_status(&state, &id, &form.status, until)
        .await
        .map(|_| ());
    settle(&state, &auth, &id, result, Typed::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AssignForm {
    csrf: String,
    agent_id: String,
}

async fn assign(
    State(state): State<WebState>,
    Path(id): Path<crate::domain::ConversationId>,
    SignedForm { auth, form }: SignedForm<AssignForm>,
) -> AppResult<Response> {
    if !desk::is_agent(&auth.user) {
        return forbidden(&state);
    }
    let agent = Some(form.agent_id.as_str())
        .filter(|a| !a.is_empty())
        .map(crate::domain::UserId::from);
    let result = workflow::assign(&state, &id, agent.as_ref())
        .await
        .map(|_| ());
    settle(&state, &auth, &id, result, Typed::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CannedForm {
    csrf: String,
    shortcut: String,
    body: String,
}

async fn add_canned(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<CannedForm>,
) -> AppResult<Response> {
    let Ok(agent) = desk::require_agent(&auth) else {
        return forbidden(&state);
    };
    let result = workflow::add_canned(&state, agent, &form.shortcut, &form.body)
        .await
        .map(|_| ());
    let values = Typed {
        shortcut: Some(form.shortcut),
        canned_body: Some(form.body),
        ..Typed::default()
    };
    settle(&state, &auth, "", result, values).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CsrfOnly {
    csrf: String,
}

async fn delete_canned(
    State(state): State<WebState>,
    Path(id): Path<crate::support::CannedId>,
    SignedForm { auth, form: _ }: SignedForm<CsrfOnly>,
) -> AppResult<Response> {
    if !desk::is_agent(&auth.user) {
        return forbidden(&state);
    }
    if !crate::support::reads::delete_canned(&state, &id).await? {
        return Err(AppError::NotFound);
    }
    Ok(see_other("/app/support/console"))
}

/// "Show Threads data": the console again, with the customer's profiles beside the
/// conversation. Recorded in the customer's access log; never kept on the page afterwards.
async fn threads_data(
    State(state): State<WebState>,
    Path(id): Path<crate::domain::ConversationId>,
    SignedForm { auth, form: _ }: SignedForm<CsrfOnly>,
) -> AppResult<Response> {
    let Ok(agent) = desk::require_agent(&auth) else {
        return forbidden(&state);
    };
    let view = View {
        c: Some(id.to_string()),
        ..View::default()
    };
    let (status, extra) = match meta_data::open(&state, agent, &id).await {
        Ok(data) => (
            StatusCode::OK,
            ConsoleOutcome {
                threads_data: Some(data),
                ..ConsoleOutcome::default()
            },
        ),
        Err(AppError::Forbidden(message)) => (
            StatusCode::FORBIDDEN,
            ConsoleOutcome::error(message.to_owned()),
        ),
        Err(other) => return Err(other),
    };
    render(&state, &auth, &view, status, extra).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct EraseForm {
    csrf: String,
}

/// Carries out a confirmed data deletion request: the account-deletion purge with a receipt.
async fn erase_account(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedForm { auth, form: _ }: SignedForm<EraseForm>,
) -> AppResult<Response> {
    if !desk::is_agent(&auth.user) {
        return forbidden(&state);
    }
    match crate::privacy::ticket_requests::carry_out(
        &state,
        &crate::domain::ConversationId::from(id.as_str()),
    )
    .await
    {
        Ok(receipt) => {
            let notice = format!(
                "The account was deleted with everything it held, and the receipt was emailed to its address. Receipt: {} ({} Threads profiles removed).",
                receipt.url, receipt.profiles_purged
            );
            let extra = ConsoleOutcome {
                notice: Some(notice),
                erased: Some(receipt.url),
                ..ConsoleOutcome::default()
            };
            render(&state, &auth, &View::default(), StatusCode::OK, extra).await
        }
        Err(AppError::Conflict(message)) => {
            let view = View {
                c: Some(id),
                ..View::default()
            };
            let extra = ConsoleOutcome::error(message);
            render(&state, &auth, &view, StatusCode::CONFLICT, extra).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ToTicketForm {
    csrf: String,
    category: String,
    subject: String,
}

/// Turns the chat into a ticket.
async fn to_ticket(
    State(state): State<WebState>,
    Path(id): Path<crate::domain::ConversationId>,
    SignedForm { auth, form }: SignedForm<ToTicketForm>,
) -> AppResult<Response> {
    if !desk::is_agent(&auth.user) {
        return forbidden(&state);
    }
    let result = workflow::chat_to_ticket(&state, &id, &form.category, &form.subject)
        .await
        .map(|_| ());
    let kept = Typed {
        ticket_subject: Some(form.subject),
        ..Typed::default()
    };
    settle(&state, &auth, &id, result, kept).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct NameForm {
    csrf: String,
    display_name: String,
}

/// Sets the name this agent shows customers.
async fn set_name(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<NameForm>,
) -> AppResult<Response> {
    let Ok(agent) = desk::require_agent(&auth) else {
        return forbidden(&state);
    };
    let result = workflow::set_display_name(&state, agent, &form.display_name).await;
    settle(
        &state,
        &auth,
        "",
        result,
        Typed {
            display_name: Some(form.display_name),
            ..Typed::default()
        },
    )
    .await
}
