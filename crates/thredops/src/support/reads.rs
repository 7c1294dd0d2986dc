//! What the chat widget, the tickets page and the agents' console read, and the small edits they
//! make, so the web layer goes through the support area rather than the store.

use super::model::Kind;
use super::store::desk::{Canned, InboxFilter, InboxRow};
use super::store::{Conversation, Customer, Message};
use crate::app::AppState;
use crate::clock::now_unix;
use crate::domain::{ConversationId, UserId};
use crate::error::AppResult;
use crate::support::CannedId;

/// A conversation by id, whoever it belongs to (agents only).
pub async fn conversation(
    state: &AppState,
    id: &ConversationId,
) -> AppResult<Option<Conversation>> {
    Ok(state.store.support_conversation(id).await?)
}

/// A customer's conversations of one kind, newest first.
pub async fn conversations_of(
    state: &AppState,
    customer: &Customer,
    kind: Kind,
) -> AppResult<Vec<Conversation>> {
    Ok(state.store.support_conversations_of(customer, kind).await?)
}

/// Messages after id `after`, oldest first; staff notes only when `with_notes`.
pub async fn messages_after(
    state: &AppState,
    conversation_id: &ConversationId,
    after: i64,
    with_notes: bool,
    limit: i64,
) -> AppResult<Vec<Message>> {
    Ok(state
        .store
        .support_messages_after(conversation_id, after, with_notes, limit)
        .await?)
}

/// Agent replies the customer has not read yet.
pub async fn unread_for_customer(
    state: &AppState,
    conversation_id: &ConversationId,
) -> AppResult<i64> {
    Ok(state
        .store
        .support_unread_for_customer(conversation_id)
        .await?)
}

/// Whether the customer has written in the conversation (before staff may open their data).
pub async fn customer_wrote(state: &AppState, conversation_id: &ConversationId) -> AppResult<bool> {
    Ok(state.store.support_customer_wrote(conversation_id).await?)
}

/// Where replies go when the customer is away; a visitor's address is also kept for next time.
pub async fn set_contact_email(
    state: &AppState,
    conversation_id: &ConversationId,
    customer: &Customer,
    email: &str,
) -> AppResult<()> {
    state
        .store
        .support_set_contact_email(conversation_id, email, now_unix())
        .await?;
    if let Customer::Visitor(id) = customer {
        state.store.support_set_visitor_email(id, email).await?;
    }
    Ok(())
}

/// One page of the agents' inbox.
pub async fn inbox(
    state: &AppState,
    filter: &InboxFilter,
    limit: i64,
    offset: i64,
) -> AppResult<Vec<InboxRow>> {
    Ok(state.store.support_inbox(filter, limit, offset).await?)
}

/// Every agent, with whether they are online now: (id, email, online).
pub async fn agents_with_presence(state: &AppState) -> AppResult<Vec<(UserId, String, bool)>> {
    let online = state.store.support_online_agents(now_unix()).await?;
    Ok(state
        .store
        .support_agents()
        .await?
        .into_iter()
        .map(|(id, email)| {
            let on = online.iter().any(|(o, _)| *o == id);
            (id, email, on)
        })
        .collect())
}

/// The canned responses, by shortcut.
pub async fn canned(state: &AppState) -> AppResult<Vec<Canned>> {
    Ok(state.store.support_canned().await?)
}

/// Deletes a canned response; false when there was none.
pub async fn delete_canned(state: &AppState, id: &CannedId) -> AppResult<bool> {
    Ok(state.store.support_delete_canned(id).await?)
}

/// The name an agent shows customers, if they set one.
pub async fn display_name(state: &AppState, agent_id: &UserId) -> AppResult<Option<String>> {
    Ok(state.store.support_display_name(agent_id).await?)
}
