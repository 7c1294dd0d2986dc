//! The desk's operations: who is chatting, posting messages, and the agents' workflow. Every
//! change is committed before its event is published.

use axum::http::HeaderMap;
use sha2::{Digest, Sha256};

use super::hub::Event;
use super::model::{Author, MessageText, Status};
use super::store::{Conversation, Customer};
use super::store_post::{NewMessage, Posted};
use crate::domain::Role;
use crate::http::cookies;
use crate::http::error::{AppError, AppResult};
use crate::http::session::AuthUser;
use crate::http::state::AppState;
use crate::store::now_unix;
use crate::store::users::UserRecord;

/// How long the continuity cookie lives after the last visit.
pub const VISITOR_TTL_SECS: i64 = 365 * 24 * 3600;
/// How long an agent reply may stay unread in the app before it is emailed.
pub const EMAIL_DELAY_MS: i64 = 2 * 60 * 1000;
/// Agent consoles refresh their presence this often; presence lapses after three misses.
pub const PRESENCE_HEARTBEAT_SECS: i64 = 30;

/// The person on the customer side of a request, and the cookie to set if one was minted.
#[derive(Debug, Clone)]
pub struct Who {
    /// The customer.
    pub customer: Customer,
    /// `Set-Cookie` value for a new or refreshed continuity cookie.
    pub set_cookie: Option<String>,
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Works out who is chatting: the signed-in account, else the visitor of the continuity cookie.
/// With `mint`, a visitor without a valid cookie gets a fresh identity (and never someone
/// else's: an unknown token is simply not found).
pub async fn identify(
    state: &AppState,
    headers: &HeaderMap,
    auth: Option<&AuthUser>,
    mint: bool,
) -> AppResult<Option<Who>> {
    if let Some(auth) = auth {
        return Ok(Some(Who {
            customer: Customer::User(auth.user.id.clone()),
            set_cookie: None,
        }));
    }
    let now = now_unix();
    let max_age = Some(std::time::Duration::from_secs(VISITOR_TTL_SECS as u64));
    if let Some(token) = state.cookies.read(headers, &cookies::SUPPORT_CHAT)
        && let Some(id) = state
            .store
            .support_visitor(&hash_token(&token), now)
            .await?
    {
        return Ok(Some(Who {
            customer: Customer::Visitor(id),
            set_cookie: mint.then(|| state.cookies.set(&cookies::SUPPORT_CHAT, &token, max_age)),
        }));
    }
    if !mint {
        return Ok(None);
    }
    let token = crate::crypto::random_token(32);
    let id = uuid::Uuid::new_v4().to_string();
    state
        .store
        .support_create_visitor(&id, &hash_token(&token), now)
        .await?;
    Ok(Some(Who {
        customer: Customer::Visitor(id),
        set_cookie: Some(state.cookies.set(&cookies::SUPPORT_CHAT, &token, max_age)),
    }))
}

/// The customer's live chat, created on first use (it stays out of the inbox until a message).
pub async fn ensure_chat(state: &AppState, customer: &Customer) -> AppResult<Conversation> {
    if let Some(c) = state
        .store
        .support_conversations_of(customer, "chat")
        .await?
        .into_iter()
        .next()
    {
        return Ok(c);
    }
    let id = uuid::Uuid::new_v4().to_string();
    Ok(state
        .store
        .create_support_conversation(customer, "chat", None, "", None, now_unix(), &id)
        .await?)
}

/// Whether any agent is online anywhere.
pub async fn agents_online(state: &AppState) -> AppResult<bool> {
    Ok(!state
        .store
        .support_online_agents(now_unix())
        .await?
        .is_empty())
}

/// Whether the account may use the agent console.
pub fn is_agent(user: &UserRecord) -> bool {
    matches!(user.role, Role::Support | Role::Admin)
}

/// The signed-in agent, or 403.
pub fn require_agent(auth: &AuthUser) -> AppResult<&UserRecord> {
    if is_agent(&auth.user) {
        Ok(&auth.user)
    } else {
        Err(AppError::Forbidden(
            "The support console is for support agents.",
        ))
    }
}

/// Stores a customer's message and tells everyone concerned.
pub async fn post_customer(
    state: &AppState,
    conversation_id: &str,
    body: &str,
    client_id: Option<&str>,
) -> AppResult<Posted> {
    let text = MessageText::parse(body).map_err(|m| AppError::field("body", m))?;
    let new = NewMessage {
        conversation_id,
        author: Author::Customer,
        agent_id: None,
        client_id,
        body: text.as_str(),
    };
    let posted = state
        .store
        .support_post(&new, now_unix(), EMAIL_DELAY_MS)
        .await?;
    announce(state, &posted).await;
    Ok(posted)
}

/// Stores an agent's reply or private note; a body that is exactly `/shortcut` expands to its
/// canned response.
pub async fn post_agent(
    state: &AppState,
    agent: &UserRecord,
    conversation_id: &str,
    body: &str,
    private: bool,
    client_id: Option<&str>,
) -> AppResult<Posted> {
    if state
        .store
        .support_conversation(conversation_id)
        .await?
        .is_none()
    {
        return Err(AppError::NotFound);
    }
    let expanded = expand_canned(state, body).await?;
    let text = MessageText::parse(&expanded).map_err(|m| AppError::field("body", m))?;
    let new = NewMessage {
        conversation_id,
        author: if private { Author::Note } else { Author::Agent },
        agent_id: Some(&agent.id),
        client_id,
        body: text.as_str(),
    };
    let posted = state
        .store
        .support_post(&new, now_unix(), EMAIL_DELAY_MS)
        .await?;
    announce(state, &posted).await;
    Ok(posted)
}

async fn expand_canned(state: &AppState, body: &str) -> AppResult<String> {
    let trimmed = body.trim();
    let Some(shortcut) = trimmed.strip_prefix('/') else {
        return Ok(body.to_owned());
    };
    let canned = state.store.support_canned().await?;
    match canned.into_iter().find(|c| c.shortcut == shortcut) {
        Some(c) => Ok(c.body),
        None if shortcut
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
        {
            Err(AppError::field(
                "body",
                format!("There is no canned response /{shortcut}."),
            ))
        }
        None => Ok(body.to_owned()),
    }
}

async fn announce(state: &AppState, posted: &Posted) {
    if !posted.inserted {
        return;
    }
    state
        .support
        .publish(Event::Message {
            message: posted.message.clone(),
        })
        .await;
    if posted.reopened || posted.assigned_to.is_some() {
        publish_conversation(state, &posted.conversation).await;
    }
}

/// Tells agents a conversation's status or assignee changed.
pub async fn publish_conversation(state: &AppState, c: &Conversation) {
    state
        .support
        .publish(Event::Conversation {
            conversation_id: c.id.clone(),
            status: c.status,
            assignee_id: c.assignee_id.clone(),
        })
        .await;
}

/// Changes a conversation's status. Snoozing takes an end time, or none for "until the
/// customer writes".
pub async fn set_status(
    state: &AppState,
    conversation_id: &str,
    status: &str,
    snooze_until: Option<i64>,
) -> AppResult<Conversation> {
    let status = Status::parse(status).ok_or_else(|| {
        AppError::field("status", "Choose one of: open, pending, snoozed, resolved.")
    })?;
    let now = now_unix();
    let until = match (status, snooze_until) {
        (Status::Snoozed, Some(t)) if t <= now => {
            return Err(AppError::field(
                "snooze_until",
                "The snooze must end in the future.",
            ));
        }
        (Status::Snoozed, Some(t)) if t > now + VISITOR_TTL_SECS => {
            return Err(AppError::field(
                "snooze_until",
                "Snooze for at most a year.",
            ));
        }
        (Status::Snoozed, t) => t,
        (_, Some(_)) => {
            return Err(AppError::field(
                "snooze_until",
                "Only a snoozed conversation has a snooze end.",
            ));
        }
        (_, None) => None,
    };
    if !state
        .store
        .support_set_status(conversation_id, status, until, now)
        .await?
    {
        return Err(AppError::NotFound);
    }
    let c = state
        .store
        .support_conversation(conversation_id)
        .await?
        .ok_or(AppError::NotFound)?;
    publish_conversation(state, &c).await;
    Ok(c)
}

/// Assigns a conversation to an agent, or unassigns it with `None`.
pub async fn assign(
    state: &AppState,
    conversation_id: &str,
    agent_id: Option<&str>,
) -> AppResult<Conversation> {
    if let Some(agent) = agent_id {
        let ok = state
            .store
            .user_by_id(agent)
            .await?
            .is_some_and(|u| is_agent(&u));
        if !ok {
            return Err(AppError::field("agent_id", "That is not a support agent."));
        }
    }
    if !state
        .store
        .support_set_assignee(conversation_id, agent_id, now_unix())
        .await?
    {
        return Err(AppError::NotFound);
    }
    let c = state
        .store
        .support_conversation(conversation_id)
        .await?
        .ok_or(AppError::NotFound)?;
    publish_conversation(state, &c).await;
    Ok(c)
}

/// Reopens snoozed conversations whose time has come and tells the agents.
pub async fn wake_snoozed(state: &AppState) -> AppResult<usize> {
    let woken = state.store.support_wake_snoozed(now_unix()).await?;
    for id in &woken {
        if let Some(c) = state.store.support_conversation(id).await? {
            publish_conversation(state, &c).await;
        }
    }
    Ok(woken.len())
}

/// Records a read marker and tells the other side.
pub async fn mark_read(
    state: &AppState,
    conversation_id: &str,
    customer_side: bool,
    up_to: i64,
) -> AppResult<()> {
    if state
        .store
        .support_mark_read(conversation_id, customer_side, up_to)
        .await?
    {
        let by = if customer_side {
            super::hub::Side::Customer
        } else {
            super::hub::Side::Agent
        };
        state
            .support
            .publish(Event::Read {
                conversation_id: conversation_id.to_owned(),
                by,
                up_to,
            })
            .await;
    }
    Ok(())
}

/// Adds a canned response; the shortcut is a short word of letters, digits, `-` or `_`.
pub async fn add_canned(
    state: &AppState,
    agent: &UserRecord,
    shortcut: &str,
    body: &str,
) -> AppResult<super::store_desk::Canned> {
    let shortcut = shortcut.trim().trim_start_matches('/');
    let valid = !shortcut.is_empty()
        && shortcut.len() <= 32
        && shortcut
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(AppError::field(
            "shortcut",
            "Use up to 32 letters, digits, - or _ (typed after a /).",
        ));
    }
    let text = MessageText::parse(body).map_err(|m| AppError::field("body", m))?;
    let id = uuid::Uuid::new_v4().to_string();
    match state
        .store
        .support_add_canned(&id, shortcut, text.as_str(), &agent.id, now_unix())
        .await
    {
        Err(crate::store::StoreError::Conflict) => {
            return Err(AppError::field(
                "shortcut",
                format!("/{shortcut} already exists."),
            ));
        }
        other => other?,
    }
    Ok(super::store_desk::Canned {
        id,
        shortcut: shortcut.to_owned(),
        body: text.as_str().to_owned(),
    })
}

/// Parses the inbox filters shared by the API and the console page.
pub fn parse_filter(
    agent_id: &str,
    status: Option<&str>,
    kind: Option<&str>,
    category: Option<&str>,
    assignee: Option<&str>,
) -> AppResult<super::store_desk::InboxFilter> {
    fn some(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|v| !v.is_empty() && *v != "any")
    }
    let status = some(status);
    if let Some(s) = status
        && crate::support::model::Status::parse(s).is_none()
    {
        return Err(AppError::field(
            "status",
            "Use open, pending, snoozed or resolved.",
        ));
    }
    let kind = some(kind);
    if kind.is_some_and(|k| k != "chat" && k != "ticket") {
        return Err(AppError::field("kind", "Use chat or ticket."));
    }
    let category = some(category);
    if category.is_some_and(|c| crate::support::model::Category::parse(c).is_none()) {
        return Err(AppError::field("category", "Unknown category."));
    }
    let assignee = some(assignee).map(|a| match a {
        "me" => agent_id.to_owned(),
        "none" => String::new(),
        other => other.to_owned(),
    });
    Ok(super::store_desk::InboxFilter {
        status: status.map(str::to_owned),
        kind: kind.map(str::to_owned),
        category: category.map(str::to_owned),
        assignee,
    })
}
