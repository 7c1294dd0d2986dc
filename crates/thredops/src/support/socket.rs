//! One chat WebSocket: a writer task (history, live events, replies) and a reader task (the
//! client's frames), joined so that either ending closes both. Messages are stored before they
//! are broadcast; a client that falls behind reloads from the database instead of losing lines.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use std::pin::Pin;

use futures_util::{SinkExt, StreamExt};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use super::ClientMessageId;
use super::desk;
use super::hub::{Event, Side};
use super::socket_guard::{AgentGuard, Bucket};
use crate::app::AppState;
use crate::clock::now_unix;
use crate::domain::ConversationId;
use crate::error::AppError;
use crate::store::users::UserRecord;

/// A frame may take this long to reach the client before the connection is given up (the
/// client then reconnects and resumes).
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
/// Replies queued for one connection's writer.
const DIRECT_QUEUE: usize = 64;
/// History sent per database read.
const PAGE: i64 = 500;

/// Who is on the other end.
#[derive(Debug, Clone)]
pub enum Peer {
    /// A customer, bound to their own conversation only.
    Customer {
        /// The one conversation this socket may read and write.
        conversation_id: ConversationId,
    },
    /// An agent, who sees every conversation.
    Agent(UserRecord),
}

/// A frame from the client, as the web layer hands it over (pings and pongs are its business).
#[derive(Debug)]
pub enum ClientFrame {
    /// A text frame: a JSON chat action.
    Text(String),
    /// A binary frame, which the chat does not speak.
    Binary,
}

/// Why a frame could not be sent: the connection is gone.
pub type SendError = Box<dyn std::error::Error + Send + Sync>;

/// Text frames to the client; the web layer adapts its socket to this.
pub type Outgoing = Pin<Box<dyn futures_util::Sink<String, Error = SendError> + Send>>;

/// Frames from the client until it closes the connection.
pub type IncomingFrames = Pin<Box<dyn futures_util::Stream<Item = ClientFrame> + Send>>;

/// Serves a connection until either side closes it. `after` is the last message id the client
/// has.
pub async fn run(
    state: AppState,
    (sink, stream): (Outgoing, IncomingFrames),
    peer: Peer,
    after: i64,
) {
    // Subscribe before reading history, so nothing committed in between is missed.
    let events = state.support.subscribe();
    let _guard = match &peer {
        Peer::Agent(agent) => Some(AgentGuard::register(&state, &agent.id).await),
        Peer::Customer { .. } => None,
    };
    let (direct_tx, direct_rx) = mpsc::channel(DIRECT_QUEUE);
    let mut writer = tokio::spawn(write(
        state.clone(),
        peer.clone(),
        sink,
        direct_rx,
        events,
        after,
    ));
    let mut reader = tokio::spawn(read(state, peer, stream, direct_tx));
    tokio::select! {
        _ = &mut writer => reader.abort(),
        _ = &mut reader => writer.abort(),
    }
}

/// Message ids already sent on this connection, so history and live events never duplicate.
struct Delivered {
    floor: i64,
    ids: BTreeSet<i64>,
}

impl Delivered {
    fn fresh(&mut self, id: i64) -> bool {
        if id <= self.floor || !self.ids.insert(id) {
            return false;
        }
        if self.ids.len() > 2048
            && let Some(oldest) = self.ids.pop_first()
        {
            self.floor = self.floor.max(oldest);
        }
        true
    }
}

type Sink = Outgoing;

async fn send(sink: &mut Sink, value: &Value) -> bool {
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, sink.send(value.to_string())).await,
        Ok(Ok(()))
    )
}

async fn write(
    state: AppState,
    peer: Peer,
    mut sink: Sink,
    mut direct: mpsc::Receiver<Value>,
    mut events: broadcast::Receiver<Arc<Event>>,
    after: i64,
) {
    let mut delivered = Delivered {
        floor: after,
        ids: BTreeSet::new(),
    };
    let hello = match hello(&state, &peer).await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "support socket: hello failed");
            return;
        }
    };
    if !send(&mut sink, &hello).await {
        return;
    }
    // Customers get what they missed; a console has just loaded its page, so it needs nothing.
    let customer = matches!(peer, Peer::Customer { .. });
    if customer && !catch_up(&state, &peer, &mut sink, &mut delivered).await {
        return;
    }
    let mut heartbeat =
        tokio::time::interval(Duration::from_secs(desk::PRESENCE_HEARTBEAT_SECS as u64));
    loop {
        tokio::select! {
            reply = direct.recv() => match reply {
                Some(v) => if !send(&mut sink, &v).await { return },
                None => return,
            },
            event = events.recv() => match event {
                Ok(event) => {
                    if let Event::Resync = *event {
                        if !catch_up(&state, &peer, &mut sink, &mut delivered).await { return }
                        continue;
                    }
                    if let Some(v) = visible(&peer, &event, &mut delivered)
                        && !send(&mut sink, &v).await { return }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "support socket lagged; reloading from the database");
                    if !catch_up(&state, &peer, &mut sink, &mut delivered).await { return }
                }
                Err(broadcast::error::RecvError::Closed) => return,
            },
            _ = heartbeat.tick() => {
                if let Peer::Agent(agent) = &peer {
                    let until = now_unix() + 3 * desk::PRESENCE_HEARTBEAT_SECS;
                    if let Err(e) = state.store.support_set_presence(&agent.id, until).await {
                        tracing::warn!(error = %e, "support presence not refreshed");
                    }
                }
            }
        }
    }
}

async fn hello(state: &AppState, peer: &Peer) -> Result<Value, AppError> {
    Ok(match peer {
        Peer::Customer { conversation_id } => json!({
            "type": "hello",
            "conversation_id": conversation_id,
            "agents_online": desk::agents_online(state).await?,
            "unread": state.store.support_unread_for_customer(conversation_id).await?,
        }),
        Peer::Agent(agent) => json!({"type": "hello", "agent_id": agent.id}),
    })
}

/// Sends what the client has not seen yet: the customer's missing messages, or for an agent a
/// signal to refetch the inbox.
async fn catch_up(state: &AppState, peer: &Peer, sink: &mut Sink, d: &mut Delivered) -> bool {
    let Peer::Customer { conversation_id } = peer else {
        return send(sink, &json!({"type": "resync"})).await;
    };
    let mut after = d.floor;
    loop {
        let page = match state
            .store
            .support_messages_after(conversation_id, after, false, PAGE)
            .await
        {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(error = %e, "support history not loaded");
                return false;
            }
        };
        let full = page.len() as i64 == PAGE;
        for message in page {
            after = message.id;
            if d.fresh(message.id)
                && !send(sink, &json!({"type": "message", "message": message})).await
            {
                return false;
            }
        }
        if !full {
            return true;
        }
    }
}

/// The frame this peer should get for an event, if any.
fn visible(peer: &Peer, event: &Event, d: &mut Delivered) -> Option<Value> {
    let mine = match peer {
        Peer::Customer { conversation_id } => match event.conversation_id() {
            Some(c) => c == conversation_id,
            None => true,
        },
        Peer::Agent(_) => true,
    };
    if !mine {
        return None;
    }
    let customer = matches!(peer, Peer::Customer { .. });
    let show = match event {
        Event::Message { message } => {
            (!customer || message.author.customer_visible()) && d.fresh(message.id)
        }
        Event::Typing { from, .. } => (*from == Side::Agent) == customer,
        Event::Read { by, .. } => (*by == Side::Agent) == customer,
        Event::Conversation { .. } => !customer,
        Event::Presence { .. } => true,
        Event::Resync => false,
    };
    show.then(|| serde_json::to_value(event).unwrap_or(Value::Null))
}

/// What a client may send.
#[derive(Debug, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Incoming {
    Send {
        body: String,
        #[serde(default)]
        client_id: Option<ClientMessageId>,
        #[serde(default)]
        conversation_id: Option<ConversationId>,
        #[serde(default)]
        private: bool,
    },
    Typing {
        typing: bool,
        #[serde(default)]
        conversation_id: Option<ConversationId>,
    },
    Read {
        up_to: i64,
        #[serde(default)]
        conversation_id: Option<ConversationId>,
    },
}

async fn read(
    state: AppState,
    peer: Peer,
    mut stream: IncomingFrames,
    direct: mpsc::Sender<Value>,
) {
    let mut sends = Bucket::new(10.0, 1.0);
    let mut frames = Bucket::new(40.0, 10.0);
    let mut strikes = 0u32;
    while let Some(frame) = stream.next().await {
        let text = match frame {
            ClientFrame::Text(t) => t,
            ClientFrame::Binary => {
                let _ = direct
                    .send(error_frame("bad_request", "Send JSON text frames.", None))
                    .await;
                continue;
            }
        };
        let parsed = serde_json::from_str::<Incoming>(text.as_str());
        let is_send = matches!(parsed, Ok(Incoming::Send { .. }));
        let limited = !frames.take() || (is_send && !sends.take());
        if limited {
            strikes += 1;
            if strikes > 50 {
                // A client that ignores every warning is cut off; it may reconnect later.
                return;
            }
            let client_id = match &parsed {
                Ok(Incoming::Send { client_id, .. }) => client_id.clone(),
                _ => None,
            };
            let _ = direct
                .send(error_frame(
                    "rate_limited",
                    "You are sending too fast. Wait a moment and try again.",
                    client_id,
                ))
                .await;
            continue;
        }
        let reply = match parsed {
            Ok(incoming) => handle(&state, &peer, incoming).await,
            Err(_) => Some(error_frame(
                "bad_request",
                "That frame is not a chat action.",
                None,
            )),
        };
        if let Some(v) = reply
            && direct.send(v).await.is_err()
        {
            return;
        }
    }
}

fn error_frame(code: &str, message: &str, client_id: Option<ClientMessageId>) -> Value {
    json!({"type": "error", "code": code, "message": message, "client_id": client_id})
}

async fn handle(state: &AppState, peer: &Peer, incoming: Incoming) -> Option<Value> {
    let result = super::socket_actions::apply(state, peer, incoming_parts(incoming)).await;
    match result {
        Ok(v) => v,
        Err((e, client_id)) => Some(error_frame(e.code(), &e.public_message(), client_id)),
    }
}

fn incoming_parts(i: Incoming) -> super::socket_actions::Action {
    use super::socket_actions::Action;
    match i {
        Incoming::Send {
            body,
            client_id,
            conversation_id,
            private,
        } => Action::Send {
            body,
            client_id,
            conversation_id,
            private,
        },
        Incoming::Typing {
            typing,
            conversation_id,
        } => Action::Typing {
            typing,
            conversation_id,
        },
        Incoming::Read {
            up_to,
            conversation_id,
        } => Action::Read {
            up_to,
            conversation_id,
        },
    }
}
