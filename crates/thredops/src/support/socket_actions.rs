//! What a chat socket does with each client frame.

use serde_json::{Value, json};

use super::ClientMessageId;
use super::desk;
use super::hub::{Event, Side};
use super::model::parse_client_id;
use super::socket::Peer;
use crate::app::AppState;
use crate::domain::ConversationId;
use crate::error::AppError;

/// A parsed client frame.
#[derive(Debug)]
pub(crate) enum Action {
    /// Post a message (agents name the conversation; `private` makes a note).
    Send {
        body: String,
        client_id: Option<ClientMessageId>,
        conversation_id: Option<ConversationId>,
        private: bool,
    },
    /// Typing started or stopped.
    Typing {
        typing: bool,
        conversation_id: Option<ConversationId>,
    },
    /// Read up to a message id.
    Read {
        up_to: i64,
        conversation_id: Option<ConversationId>,
    },
}

type Failure = (AppError, Option<ClientMessageId>);

/// Customers always act on their own conversation; agents must say which one.
fn target(peer: &Peer, named: Option<ConversationId>) -> Result<(ConversationId, Side), AppError> {
    match peer {
        Peer::Customer { conversation_id } => Ok((conversation_id.clone(), Side::Customer)),
        Peer::Agent(_) => named
            .filter(|c| !c.is_empty())
            .map(|c| (c, Side::Agent))
            .ok_or_else(|| AppError::field("conversation_id", "Say which conversation.")),
    }
}

/// Applies one frame; the value, if any, is sent back to this client only.
pub(crate) async fn apply(
    state: &AppState,
    peer: &Peer,
    action: Action,
) -> Result<Option<Value>, Failure> {
    match action {
        Action::Send {
            body,
            client_id,
            conversation_id,
            private,
        } => {
            let client_id = parse_client_id(client_id.as_deref())
                .map_err(|m| (AppError::field("client_id", m), None))?;
            let fail = |e: AppError| (e, client_id.clone());
            let (conversation, _) = target(peer, conversation_id).map_err(fail)?;
            let posted = match peer {
                Peer::Customer { .. } => {
                    desk::post_customer(state, &conversation, &body, client_id.as_ref()).await
                }
                Peer::Agent(agent) => {
                    desk::post_agent(
                        state,
                        agent,
                        &conversation,
                        &body,
                        private,
                        client_id.as_ref(),
                    )
                    .await
                }
            }
            .map_err(fail)?;
            Ok(Some(json!({
                "type": "ack",
                "client_id": client_id,
                "id": posted.message.id,
                "conversation_id": conversation,
            })))
        }
        Action::Typing {
            typing,
            conversation_id,
        } => {
            let (conversation_id, from) = target(peer, conversation_id).map_err(|e| (e, None))?;
            state
                .support
                .publish(Event::Typing {
                    conversation_id,
                    from,
                    typing,
                })
                .await;
            Ok(None)
        }
        Action::Read {
            up_to,
            conversation_id,
        } => {
            let (conversation_id, side) = target(peer, conversation_id).map_err(|e| (e, None))?;
            desk::mark_read(state, &conversation_id, side == Side::Customer, up_to)
                .await
                .map_err(|e| (e, None))?;
            Ok(None)
        }
    }
}
