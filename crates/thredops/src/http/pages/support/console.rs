//! The agent console: inbox with filters, one conversation with the customer's account facts,
//! and forms for replies, notes, status, assignment and canned responses.

use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{categories, category_label, see_other};
use crate::http::error::{AppError, AppResult};
use crate::http::guards::{SignedForm, require_session_csrf};
use crate::http::pages::privacy::when;
use crate::http::pages::untyped::{base, merge};
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::store::now_unix;
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

/// Non-agents get a plain 403 page rather than a JSON error.
fn forbidden(state: &WebState) -> AppResult<Response> {
    let html = state.templates.render(
        "error.html",
        json!({"title": "For support agents", "message": "The support console is for the ThredOps support team. To reach us, use the chat or open a ticket under Support."}),
    )?;
    Ok((StatusCode::FORBIDDEN, html).into_response())
}

async fn context(state: &WebState, auth: &AuthUser, view: &View) -> AppResult<Value> {
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
    let mut rows = state
        .store
        .support_inbox(&filter, INBOX_PAGE + 1, page * INBOX_PAGE)
        .await?;
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
    let paging = json!({
        "older": more.then(|| paging_query(page + 1)),
        "newer": (page > 0).then(|| paging_query(page - 1)),
        "page": page + 1,
    });
    let inbox: Vec<Value> = rows
        .into_iter()
        .map(|row| {
            let mut v = json!(row);
            v["category_label"] = json!(category_label(row.conversation.category.as_deref()));
            v
        })
        .collect();
    let online = state.store.support_online_agents(now_unix()).await?;
    let agents: Vec<Value> = state
        .store
        .support_agents()
        .await?
        .into_iter()
        .map(|(id, email)| {
            let on = online.iter().any(|(o, _)| *o == id);
            json!({"id": id, "email": email, "online": on})
        })
        .collect();
    let mut selected = Value::Null;
    if let Some(id) = view.c.as_deref().filter(|c| !c.is_empty()) {
        let c = state
            .store
            .support_conversation(id)
            .await?
            .ok_or(AppError::NotFound)?;
        let messages = state
            .store
            .support_messages_after(id, 0, true, 2000)
            .await?;
        let customer = crate::support::tickets::customer_summary(state, &c).await?;
        let may_open_threads_data =
            c.user_id.is_some() && state.store.support_customer_wrote(&c.id).await?;
        let deletion = crate::privacy::ticket_requests::of_ticket(state, &c.id)
            .await?
            .map(|r| {
                let days_left = (r.deadline_at - now_unix()).div_euclid(86_400);
                json!({"confirmed_at": r.confirmed_at.map(when), "requested_at": when(r.requested_at),
                    "deadline": when(r.deadline_at), "days_left": days_left, "overdue": days_left < 0})
            });
        selected = json!({
            "deletion": deletion,
            "may_open_threads_data": may_open_threads_data,
            "conversation": c,
            "category_label": category_label(c.category.as_deref()),
            "messages": messages,
            "customer": customer,
            "last_id": messages.last().map_or(0, |m| m.id),
        });
    }
    Ok(merge(
        base(state, auth, "support"),
        json!({
            "inbox": inbox,
            "agents": agents,
            "canned": state.store.support_canned().await?,
            "categories": categories(),
            "statuses": ["open", "pending", "snoozed", "resolved"],
            "filter": {"status": view.status, "kind": view.kind, "category": view.category, "assignee": view.assignee, "q": view.q},
            "paging": paging,
            "selected": selected,
            "me": auth.user.id,
            "my_name": state.store.support_display_name(&auth.user.id).await?,
            "no_support_widget": true,
        }),
    ))
}

async fn render(
    state: &WebState,
    auth: &AuthUser,
    view: &View,
    status: StatusCode,
    extra: Value,
) -> AppResult<Response> {
    let ctx = merge(context(state, auth, view).await?, extra);
    Ok((status, state.templates.render("support/console.html", ctx)?).into_response())
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
    render(&state, &auth, &view, StatusCode::OK, json!({})).await
}

/// After a form: back to the conversation, or the form again with what went wrong.
async fn settle(
    state: &WebState,
    auth: &AuthUser,
    id: &str,
    result: AppResult<()>,
    form: Value,
) -> AppResult<Response> {
    match result {
        Ok(()) => Ok(see_other(&format!("/app/support/console?c={id}"))),
        Err(AppError::Validation { fields, message }) => {
            let view = View {
                c: Some(id.to_owned()).filter(|c| !c.is_empty()),
                ..View::default()
            };
            let extra = json!({"error": message, "fields": fields, "form": form});
            render(state, auth, &view, StatusCode::UNPROCESSABLE_ENTITY, extra).await
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
    Path(id): Path<String>,
    SignedForm { auth, form }: SignedForm<ReplyForm>,
) -> AppResult<Response> {
    let Ok(agent) = desk::require_agent(&auth) else {
        return forbidden(&state);
    };
    let private = form.private.is_some();
    let result = desk::post_agent(&state, agent, &id, &form.body, private, None)
        .await
        .map(|_| ());
    settle(&state, &auth, &id, result, json!({"body": form.body})).await
}

/// Longest text field of the image form (the CSRF token and the note checkbox).
const MAX_ATTACH_FIELD_BYTES: usize = 256;

/// The image form without scripts: `csrf`, then `private`, then `file`, as multipart. The token
/// is checked before the image is read.
async fn attach(
    State(state): State<WebState>,
    Path(id): Path<String>,
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
    settle(&state, &auth, &id, result, json!({})).await
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
    Path(id): Path<String>,
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
    settle(&state, &auth, &id, result, json!({})).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct AssignForm {
    csrf: String,
    agent_id: String,
}

async fn assign(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedForm { auth, form }: SignedForm<AssignForm>,
) -> AppResult<Response> {
    if !desk::is_agent(&auth.user) {
        return forbidden(&state);
    }
    let agent = Some(form.agent_id.as_str()).filter(|a| !a.is_empty());
    let result = workflow::assign(&state, &id, agent).await.map(|_| ());
    settle(&state, &auth, &id, result, json!({})).await
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
    let values = json!({"shortcut": form.shortcut, "canned_body": form.body});
    settle(&state, &auth, "", result, values).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CsrfOnly {
    csrf: String,
}

async fn delete_canned(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedForm { auth, form: _ }: SignedForm<CsrfOnly>,
) -> AppResult<Response> {
    if !desk::is_agent(&auth.user) {
        return forbidden(&state);
    }
    if !state.store.support_delete_canned(&id).await? {
        return Err(AppError::NotFound);
    }
    Ok(see_other("/app/support/console"))
}

/// "Show Threads data": the console again, with the customer's profiles beside the
/// conversation. Recorded in the customer's access log; never kept on the page afterwards.
async fn threads_data(
    State(state): State<WebState>,
    Path(id): Path<String>,
    SignedForm { auth, form: _ }: SignedForm<CsrfOnly>,
) -> AppResult<Response> {
    let Ok(agent) = desk::require_agent(&auth) else {
        return forbidden(&state);
    };
    let view = View {
        c: Some(id.clone()),
        ..View::default()
    };
    let (status, extra) = match meta_data::open(&state, agent, &id).await {
        Ok(data) => (StatusCode::OK, json!({"threads_data": data})),
        Err(AppError::Forbidden(message)) => (StatusCode::FORBIDDEN, json!({"error": message})),
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
    match crate::privacy::ticket_requests::carry_out(&state, &id).await {
        Ok(receipt) => {
            let notice = format!(
                "The account was deleted with everything it held, and the receipt was emailed to its address. Receipt: {} ({} Threads profiles removed).",
                receipt.url, receipt.profiles_purged
            );
            let extra = json!({"notice": notice, "erased": receipt.url});
            render(&state, &auth, &View::default(), StatusCode::OK, extra).await
        }
        Err(AppError::Conflict(message)) => {
            let view = View {
                c: Some(id),
                ..View::default()
            };
            let extra = json!({"error": message});
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
    Path(id): Path<String>,
    SignedForm { auth, form }: SignedForm<ToTicketForm>,
) -> AppResult<Response> {
    if !desk::is_agent(&auth.user) {
        return forbidden(&state);
    }
    let result = workflow::chat_to_ticket(&state, &id, &form.category, &form.subject)
        .await
        .map(|_| ());
    let kept = json!({"ticket_subject": form.subject});
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
        json!({"display_name": form.display_name}),
    )
    .await
}
