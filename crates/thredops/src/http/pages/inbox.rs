//! Inbox pages: replies and mentions across profiles with filters, the actions on an item, the
//! page that explains the inbox's permissions before asking Threads for them, saved replies,
//! and Meta's webhook endpoint that delivers replies and mentions.

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::{Deserialize, Serialize};

use super::view::Chrome;
use crate::http::error::{AppError, AppResult};
use crate::http::guards::SignedForm;
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::inbox::reply::ReplyInput;
use crate::inbox::saved::{self, SavedInput, SavedReply};
use crate::inbox::{self, Assignable, ItemView, ListQuery, ProfileStatus, ScopeNeed, webhook};
use crate::listening::InboxMatch;
use crate::threads::WEBHOOK_PATH;

/// Templates of these pages, embedded in the binary.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "inbox/inbox.html",
        include_str!("../../../web/templates/inbox/inbox.html"),
    ),
    (
        "inbox/setup.html",
        include_str!("../../../web/templates/inbox/setup.html"),
    ),
];

const SCRIPT: &str = include_str!("../../../web/static/inbox.js");

pub fn router() -> Router<WebState> {
    Router::new()
        .route("/app/inbox", get(page))
        .route("/app/inbox/setup", get(setup))
        .route("/app/inbox/profiles/{id}/on", post(turn_on))
        .route("/app/inbox/profiles/{id}/off", post(turn_off))
        .route("/app/inbox/items/{id}/read", post(read))
        .route("/app/inbox/items/{id}/hidden", post(hidden))
        .route("/app/inbox/items/{id}/assignee", post(assignee))
        .route("/app/inbox/items/{id}/reply", post(reply))
        .route("/app/inbox/saved", post(saved_add))
        .route("/app/inbox/saved/{id}/delete", post(saved_delete))
        .route("/static/inbox.js", get(script))
        .route(WEBHOOK_PATH, get(handshake).post(delivery))
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SCRIPT,
    )
        .into_response()
}

/// The page's filters, as the filter form sends them.
#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
struct Filters {
    profile: String,
    kind: String,
    unread: String,
    unanswered: String,
    questions: String,
    assigned: String,
    after: String,
    done: String,
}

impl Filters {
    fn query(&self) -> ListQuery {
        let on = |v: &str| Some(!v.is_empty());
        ListQuery {
            profile: Some(self.profile.clone()),
            kind: Some(self.kind.clone()),
            unread: on(&self.unread),
            unanswered: on(&self.unanswered),
            questions: on(&self.questions),
            assigned_to_me: on(&self.assigned),
            after: Some(self.after.clone()),
            limit: None,
        }
    }

    /// The page address with these filters, to come back to after an action.
    fn back(&self) -> String {
        let pairs: Vec<(&str, &str)> = [
            ("profile", self.profile.as_str()),
            ("kind", self.kind.as_str()),
            ("unread", self.unread.as_str()),
            ("unanswered", self.unanswered.as_str()),
            ("questions", self.questions.as_str()),
            ("assigned", self.assigned.as_str()),
        ]
        .into_iter()
        .filter(|(_, v)| !v.is_empty())
        .collect();
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if query.is_empty() {
            "/app/inbox".into()
        } else {
            format!("/app/inbox?{query}")
        }
    }
}

/// Where to go back to: only the inbox page itself, never another address.
fn back_to(back: &str, done: &str) -> Redirect {
    let base = if back.starts_with("/app/inbox") && !back.contains("//") && !back.contains('\\') {
        back
    } else {
        "/app/inbox"
    };
    let sep = if base.contains('?') { '&' } else { '?' };
    Redirect::to(&format!("{base}{sep}done={done}"))
}

fn notice(done: &str) -> &'static str {
    match done {
        "read" => "Marked as read.",
        "unread" => "Marked as unread.",
        "hidden" => "The reply is hidden on Threads.",
        "shown" => "The reply is shown again on Threads.",
        "assigned" => "Assigned to you.",
        "handed" => "Assigned.",
        "unassigned" => "No one is assigned now.",
        "replied" => "Your reply is on its way: it publishes within a minute, once.",
        "already" => "This item already has a reply from ThredOps; nothing new was planned.",
        "saved" => "Saved reply added.",
        "deleted" => "Saved reply deleted.",
        "off" => "The inbox is off for that profile: nothing more is collected.",
        _ => "",
    }
}

/// Newest posts of the saved Listening searches the inbox lists for answering.
const LISTENING_SHOWN: usize = 10;

/// `inbox/inbox.html`: replies and mentions, saved replies and listening matches.
#[derive(Serialize)]
struct InboxView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    profiles: Vec<ProfileStatus>,
    items: Vec<ItemView>,
    saved: Vec<SavedReply>,
    people: Vec<Assignable>,
    me: &'a str,
    filters: &'a Filters,
    back: String,
    any_on: bool,
    next_after: Option<String>,
    notice: &'static str,
    error: &'static str,
    reply_error: ReplyError<'a>,
    saved_error: SavedError,
    saved_form: SavedFields,
    webhooks: bool,
    listening: Vec<InboxMatch>,
}

/// A refused action on one item: which, the field, why, and the text as typed (all empty
/// when nothing was refused).
#[derive(Serialize, Default)]
struct ReplyError<'a> {
    item: &'a str,
    field: &'a str,
    message: &'a str,
    text: &'a str,
}

/// A refused saved reply: why, and per field (all empty when nothing was refused).
#[derive(Serialize, Default)]
struct SavedError {
    message: String,
    fields: SavedFields,
}

/// The saved-reply form's two fields.
#[derive(Serialize, Default)]
struct SavedFields {
    title: String,
    text: String,
}

/// What a refused form leaves to show again.
#[derive(Default)]
struct Refused<'a> {
    reply_error: ReplyError<'a>,
    saved_error: SavedError,
    saved_form: SavedFields,
}

async fn render(
    state: &WebState,
    auth: &AuthUser,
    status: StatusCode,
    filters: &Filters,
    refused: Refused<'_>,
) -> AppResult<Response> {
    let profiles = inbox::status(state, auth).await?;
    let items = match inbox::list(state, auth, &filters.query()).await {
        Ok(items) => items,
        Err(AppError::Validation { .. }) => Vec::new(),
        Err(e) => return Err(e),
    };
    let saved = saved::list(state, auth).await?;
    let people = inbox::assignable(state, auth).await?;
    let listening = crate::listening::newest_matches(state, auth, LISTENING_SHOWN).await?;
    let any_on = profiles.iter().any(|p| p.state == inbox::ProfileState::On);
    let next_after = (items.len() as i64 == inbox::DEFAULT_LIST)
        .then(|| items.last().map(|i| i.cursor.clone()))
        .flatten();
    let html = state.templates.render(
        "inbox/inbox.html",
        &InboxView {
            chrome: Chrome::new(state, auth, "inbox"),
            profiles,
            items,
            saved,
            people,
            me: &auth.user.id,
            filters,
            back: filters.back(),
            any_on,
            next_after,
            notice: notice(&filters.done),
            error: "",
            reply_error: refused.reply_error,
            saved_error: refused.saved_error,
            saved_form: refused.saved_form,
            webhooks: inbox::webhooks_configured(state),
            listening,
        },
    )?;
    Ok((status, Html(html)).into_response())
}

async fn page(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(filters): Query<Filters>,
) -> AppResult<Response> {
    render(&state, &auth, StatusCode::OK, &filters, Refused::default()).await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SetupQuery {
    profile: String,
}

async fn setup(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(q): Query<SetupQuery>,
) -> AppResult<Html<String>> {
    let profiles = inbox::status(&state, &auth).await?;
    let chosen = profiles
        .iter()
        .find(|p| p.profile_id == q.profile)
        .or(profiles.first())
        .cloned();
    state.templates.render(
        "inbox/setup.html",
        &SetupView {
            chrome: Chrome::new(&state, &auth, "inbox"),
            profiles: &profiles,
            chosen,
            scopes: inbox::scope_needs(),
        },
    )
}

/// `inbox/setup.html`: what turning the inbox on for a profile asks of Threads.
#[derive(Serialize)]
struct SetupView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    profiles: &'a [ProfileStatus],
    chosen: Option<ProfileStatus>,
    scopes: Vec<ScopeNeed>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct CsrfOnly {
    csrf: String,
}

async fn turn_on(
    State(state): State<WebState>,
    Path(id): Path<crate::domain::ProfileId>,
    SignedForm { auth, form }: SignedForm<CsrfOnly>,
) -> AppResult<Response> {
    let _ = &form.csrf;
    let url = inbox::request(&state, &auth, &id).await?;
    Ok((StatusCode::SEE_OTHER, [(header::LOCATION, url)]).into_response())
}

async fn turn_off(
    State(state): State<WebState>,
    Path(id): Path<crate::domain::ProfileId>,
    SignedForm { auth, form }: SignedForm<CsrfOnly>,
) -> AppResult<Response> {
    let _ = &form.csrf;
    inbox::turn_off(&state, &auth, &id).await?;
    Ok(Redirect::to("/app/inbox?done=off").into_response())
}

/// An action's form: the value and the page to come back to.
#[derive(Deserialize, Default)]
#[serde(default)]
struct ActionForm {
    csrf: String,
    value: String,
    back: String,
}

async fn read(
    State(state): State<WebState>,
    Path(id): Path<crate::inbox::InboxItemId>,
    SignedForm { auth, form }: SignedForm<ActionForm>,
) -> AppResult<Response> {
    let _ = &form.csrf;
    let read = form.value != "unread";
    inbox::set_read(&state, &auth, &id, read).await?;
    let done = if read { "read" } else { "unread" };
    Ok(back_to(&form.back, done).into_response())
}

async fn hidden(
    State(state): State<WebState>,
    Path(id): Path<crate::inbox::InboxItemId>,
    SignedForm { auth, form }: SignedForm<ActionForm>,
) -> AppResult<Response> {
    let hide = form.value != "show";
    match inbox::actions::set_hidden(&state, &auth, &id, hide).await {
        Ok(_) => Ok(back_to(&form.back, if hide { "hidden" } else { "shown" }).into_response()),
        Err(AppError::Conflict(message)) | Err(AppError::Validation { message, .. }) => {
            item_error(&state, &auth, &form.back, &id, "hidden", &message, "").await
        }
        Err(e) => Err(e),
    }
}

async fn assignee(
    State(state): State<WebState>,
    Path(id): Path<crate::inbox::InboxItemId>,
    SignedForm { auth, form }: SignedForm<ActionForm>,
) -> AppResult<Response> {
    let _ = &form.csrf;
    let who = Some(form.value.as_str()).filter(|v| !v.is_empty() && *v != "none");
    match inbox::assign(&state, &auth, &id, who).await {
        Ok(item) => {
            let done = match (item.assigned_to_me, item.assignee.is_some()) {
                (true, _) => "assigned",
                (false, true) => "handed",
                (false, false) => "unassigned",
            };
            Ok(back_to(&form.back, done).into_response())
        }
        Err(AppError::Validation { message, fields }) => {
            let message = fields.values().next().cloned().unwrap_or(message);
            item_error(&state, &auth, &form.back, &id, "assignee", &message, "").await
        }
        Err(e) => Err(e),
    }
}

/// The filters of a `back` address, to show the page again as it was.
fn filters_of(back: &str) -> Filters {
    let query = back.split_once('?').map_or("", |(_, q)| q);
    serde_urlencoded::from_str(query).unwrap_or_default()
}

/// Shows the page again with a message beside one item's field, keeping what was typed.
async fn item_error(
    state: &WebState,
    auth: &AuthUser,
    back: &str,
    id: &str,
    field: &str,
    message: &str,
    typed: &str,
) -> AppResult<Response> {
    let filters = filters_of(back);
    let refused = Refused {
        reply_error: ReplyError {
            item: id,
            field,
            message,
            text: typed,
        },
        ..Refused::default()
    };
    render(
        state,
        auth,
        StatusCode::UNPROCESSABLE_ENTITY,
        &filters,
        refused,
    )
    .await
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ReplyForm {
    csrf: String,
    text: String,
    saved_reply_id: String,
    back: String,
}

async fn reply(
    State(state): State<WebState>,
    Path(id): Path<crate::inbox::InboxItemId>,
    SignedForm { auth, form }: SignedForm<ReplyForm>,
) -> AppResult<Response> {
    let _ = &form.csrf;
    let input = ReplyInput {
        text: form.text.clone(),
        saved_reply_id: Some(form.saved_reply_id.as_str())
            .filter(|s| !s.is_empty())
            .map(crate::inbox::SavedReplyId::from),
    };
    match inbox::reply::reply(&state, &auth, &id, input).await {
        Ok((true, _)) => Ok(back_to(&form.back, "replied").into_response()),
        Ok((false, _)) => Ok(back_to(&form.back, "already").into_response()),
        Err(AppError::Validation { message, fields }) => {
            let message = fields.values().next().cloned().unwrap_or(message);
            item_error(&state, &auth, &form.back, &id, "text", &message, &form.text).await
        }
        Err(AppError::Conflict(message)) => {
            item_error(&state, &auth, &form.back, &id, "text", &message, &form.text).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Deserialize, Serialize, Default)]
#[serde(default)]
struct SavedForm {
    csrf: String,
    title: String,
    text: String,
}

async fn saved_add(
    State(state): State<WebState>,
    SignedForm { auth, form }: SignedForm<SavedForm>,
) -> AppResult<Response> {
    let input = SavedInput {
        title: form.title.clone(),
        text: form.text.clone(),
    };
    match saved::add(&state, &auth, input).await {
        Ok(_) => Ok(Redirect::to("/app/inbox?done=saved#saved-replies").into_response()),
        Err(AppError::Validation { message, fields }) => {
            let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
            let refused = Refused {
                saved_error: SavedError {
                    message,
                    fields: SavedFields {
                        title: field("title"),
                        text: field("text"),
                    },
                },
                saved_form: SavedFields {
                    title: form.title,
                    text: form.text,
                },
                ..Refused::default()
            };
            render(
                &state,
                &auth,
                StatusCode::UNPROCESSABLE_ENTITY,
                &Filters::default(),
                refused,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

async fn saved_delete(
    State(state): State<WebState>,
    Path(id): Path<crate::inbox::SavedReplyId>,
    SignedForm { auth, form }: SignedForm<CsrfOnly>,
) -> AppResult<Response> {
    let _ = &form.csrf;
    saved::delete(&state, &auth, &id).await?;
    Ok(Redirect::to("/app/inbox?done=deleted#saved-replies").into_response())
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct Handshake {
    #[serde(rename = "hub.mode")]
    mode: Option<String>,
    #[serde(rename = "hub.verify_token")]
    verify_token: Option<String>,
    #[serde(rename = "hub.challenge")]
    challenge: Option<String>,
}

/// Meta's subscription handshake: the challenge back when the token matches, else 400.
async fn handshake(State(state): State<WebState>, Query(q): Query<Handshake>) -> Response {
    match webhook::handshake(
        &state,
        q.mode.as_deref(),
        q.verify_token.as_deref(),
        q.challenge.as_deref(),
    ) {
        Some(challenge) => (StatusCode::OK, challenge.to_owned()).into_response(),
        None => StatusCode::BAD_REQUEST.into_response(),
    }
}

/// A delivery: verified on the raw body before parsing, answered at once.
async fn delivery(State(state): State<WebState>, headers: HeaderMap, body: Bytes) -> Response {
    let signature = headers
        .get("x-hub-signature-256")
        .and_then(|v| v.to_str().ok());
    match webhook::receive(&state, signature, &body).await {
        Ok(_) => StatusCode::OK.into_response(),
        Err(webhook::Refusal::NotConfigured) => StatusCode::NOT_FOUND.into_response(),
        Err(webhook::Refusal::BadSignature) => StatusCode::FORBIDDEN.into_response(),
        Err(webhook::Refusal::Malformed) => StatusCode::BAD_REQUEST.into_response(),
    }
}
