//! The desk's operations: who is chatting, posting messages, and the agents' workflow. Every
//! change is committed before its event is published.

use sha2::{Digest, Sha256};

use super::attachments::NewAttachment;
use super::hub::Event;
use super::model::{Author, Kind, MessageText};
use super::store::post::{NewMessage, Posted};
use super::store::{Conversation, Customer};
use super::{ClientMessageId, VisitorId};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::now_unix;
use crate::domain::ConversationId;
use crate::domain::Role;
use crate::error::{AppError, AppResult};
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
    /// A new or refreshed continuity token for the visitor to keep (the chat cookie), valid for
    /// [`VISITOR_TTL_SECS`].
    pub keep_token: Option<String>,
}

pub(crate) fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Works out who is chatting: the signed-in account, else the visitor of the continuity cookie.
/// With `mint` (the client's address), a visitor without a valid cookie gets a fresh identity
/// (and never someone else's: an unknown token is simply not found), within the address's
/// budget of new chats.
pub async fn identify(
    state: &AppState,
    chat_token: Option<&str>,
    auth: Option<&CurrentUser>,
    mint: Option<std::net::IpAddr>,
) -> AppResult<Option<Who>> {
    if let Some(auth) = auth {
        // Signed in with a visitor's continuity cookie still set: what they wrote before
        // signing in joins the account.
        if let Some(token) = chat_token
            && let Some(visitor) = state
                .store
                .support_visitor(&hash_token(token), now_unix())
                .await?
            && state
                .store
                .support_adopt_visitor(&visitor, &auth.user.id, now_unix())
                .await?
        {
            tracing::info!("a visitor's chat joined the account they signed in to");
        }
        return Ok(Some(Who {
            customer: Customer::User(auth.user.id.clone()),
            keep_token: None,
        }));
    }
    let now = now_unix();
    if let Some(token) = chat_token
        && let Some(id) = state.store.support_visitor(&hash_token(token), now).await?
    {
        return Ok(Some(Who {
            customer: Customer::Visitor(id),
            keep_token: mint.map(|_| token.to_owned()),
        }));
    }
    let Some(ip) = mint else {
        return Ok(None);
    };
    state
        .chat_throttle
        .new_visitor(ip)
        .map_err(AppError::RateLimited)?;
    let token = crate::crypto::random_token(32);
    let id = VisitorId::new(uuid::Uuid::new_v4().to_string());
    state
        .store
        .support_create_visitor(&id, &hash_token(&token), now)
        .await?;
    Ok(Some(Who {
        customer: Customer::Visitor(id),
        keep_token: Some(token),
    }))
}

/// The customer's live chat, created on first use (it stays out of the inbox until a message).
pub async fn ensure_chat(state: &AppState, customer: &Customer) -> AppResult<Conversation> {
    if let Some(c) = state
        .store
        .support_conversations_of(customer, Kind::Chat)
        .await?
        .into_iter()
        .next()
    {
        return Ok(c);
    }
    let id = ConversationId::new(uuid::Uuid::new_v4().to_string());
    match state
        .store
        .create_support_conversation(customer, Kind::Chat, None, "", None, now_unix(), &id)
        .await
    {
        // Another tab created it first: use that one.
        Err(crate::store::StoreError::Conflict) => state
            .store
            .support_conversations_of(customer, Kind::Chat)
            .await?
            .into_iter()
            .next()
            .ok_or(AppError::NotFound),
        other => Ok(other?),
    }
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
pub fn require_agent(auth: &CurrentUser) -> AppResult<&UserRecord> {
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
    conversation_id: &ConversationId,
    body: &str,
    client_id: Option<&ClientMessageId>,
) -> AppResult<Posted> {
    post_customer_with(state, conversation_id, body, client_id, None).await
}

/// [`post_customer`] with an image stored in the same transaction.
pub(crate) async fn post_customer_with(
    state: &AppState,
    conversation_id: &ConversationId,
    body: &str,
    client_id: Option<&ClientMessageId>,
    attachment: Option<&NewAttachment>,
) -> AppResult<Posted> {
    state
        .chat_throttle
        .send(conversation_id)
        .map_err(AppError::RateLimited)?;
    let text = MessageText::parse(body).map_err(|m| AppError::field("body", m))?;
    let new = NewMessage {
        conversation_id,
        author: Author::Customer,
        agent_id: None,
        client_id,
        body: text.as_str(),
        attachment,
    };
    let posted = state
        .store
        .support_post(&new, now_unix(), EMAIL_DELAY_MS)
        .await?;
    announce(state, &posted).await;
    if posted.inserted && !agents_online(state).await? {
        super::mail::notify_team_later(state, conversation_id).await?;
    }
    Ok(posted)
}

/// Stores an agent's reply or private note; a body that is exactly `/shortcut` expands to its
/// canned response.
pub async fn post_agent(
    state: &AppState,
    agent: &UserRecord,
    conversation_id: &ConversationId,
    body: &str,
    private: bool,
    client_id: Option<&ClientMessageId>,
) -> AppResult<Posted> {
    post_agent_with(
        state,
        agent,
        conversation_id,
        body,
        private,
        client_id,
        None,
    )
    .await
}

/// [`post_agent`] with an image stored in the same transaction.
pub(crate) async fn post_agent_with(
    state: &AppState,
    agent: &UserRecord,
    conversation_id: &ConversationId,
    body: &str,
    private: bool,
    client_id: Option<&ClientMessageId>,
    attachment: Option<&NewAttachment>,
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
        attachment,
    };
    let posted = state
        .store
        .support_post(&new, now_unix(), EMAIL_DELAY_MS)
        .await?;
    announce(state, &posted).await;
    Ok(posted)
}

/// Stores a system message (e.g. where a deletion request stands), seen by customer and agents.
pub async fn post_system(
    state: &AppState,
    conversation_id: &ConversationId,
    body: &str,
) -> AppResult<()> {
    let new = NewMessage {
        conversation_id,
        author: Author::System,
        agent_id: None,
        client_id: None,
        body,
        attachment: None,
    };
    let posted = state
        .store
        .support_post(&new, now_unix(), EMAIL_DELAY_MS)
        .await?;
    announce(state, &posted).await;
    Ok(())
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

/// Records a read marker and tells the other side.
pub async fn mark_read(
    state: &AppState,
    conversation_id: &ConversationId,
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
                conversation_id: conversation_id.clone(),
                by,
                up_to,
            })
            .await;
    }
    Ok(())
}
