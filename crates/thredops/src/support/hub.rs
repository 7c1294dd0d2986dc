//! Live fan-out of chat events. Every connection subscribes to one in-process broadcast channel,
//! so a slow reader never blocks a sender: it falls behind, is told it lagged, and reloads what
//! it missed from the database. On PostgreSQL each event is also sent through LISTEN/NOTIFY so
//! connections on other instances see it; on SQLite one instance serves everyone.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::postgres::PgListener;
use tokio::sync::broadcast;

use super::model::Status;
use super::store::Message;
use crate::domain::{ConversationId, UserId};
use crate::store::{Pool, Store};

/// The NOTIFY channel shared by every instance.
const CHANNEL: &str = "thredops_support";
/// Events kept for slow readers before they are told they lagged.
const CAPACITY: usize = 4096;

/// Which side of a conversation did something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Side {
    /// The visitor or creator.
    Customer,
    /// A support agent.
    Agent,
}

/// Something that happened in the desk, as sent to browsers.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    /// A stored message.
    Message {
        /// The message.
        message: Message,
    },
    /// Someone started or stopped typing.
    Typing {
        /// Conversation.
        conversation_id: ConversationId,
        /// Who types.
        from: Side,
        /// Whether they are typing now.
        typing: bool,
    },
    /// Someone read up to a message.
    Read {
        /// Conversation.
        conversation_id: ConversationId,
        /// Who read.
        by: Side,
        /// Last message id read.
        up_to: i64,
    },
    /// A conversation's status or assignee changed (agents only).
    Conversation {
        /// Conversation.
        conversation_id: ConversationId,
        /// New status.
        status: Status,
        /// New assignee.
        assignee_id: Option<UserId>,
    },
    /// Whether any agent is online now.
    Presence {
        /// True when at least one agent is online.
        agents_online: bool,
    },
    /// Live delivery may have missed events: reload from the database.
    Resync,
}

impl Event {
    /// The conversation the event is about, if any.
    pub fn conversation_id(&self) -> Option<&ConversationId> {
        match self {
            Event::Message { message } => Some(&message.conversation_id),
            Event::Typing {
                conversation_id, ..
            }
            | Event::Read {
                conversation_id, ..
            }
            | Event::Conversation {
                conversation_id, ..
            } => Some(conversation_id),
            Event::Presence { .. } | Event::Resync => None,
        }
    }
}

/// What crosses instances: messages by id (NOTIFY payloads are limited to 8000 bytes), the rest
/// as is.
#[derive(Serialize, Deserialize)]
struct Wire {
    origin: String,
    #[serde(default)]
    message_id: Option<i64>,
    #[serde(default)]
    event: Option<Event>,
}

/// The process-wide event bus of the support desk.
#[derive(Debug, Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    tx: broadcast::Sender<Arc<Event>>,
    instance: String,
    store: Store,
    /// Open agent consoles on this instance, per agent, for presence.
    agents: Mutex<HashMap<UserId, usize>>,
}

impl Hub {
    /// A hub over `store`; on PostgreSQL it starts listening for other instances' events.
    pub fn start(store: &Store) -> Self {
        let (tx, _) = broadcast::channel(CAPACITY);
        let hub = Self {
            inner: Arc::new(Inner {
                tx,
                instance: uuid::Uuid::new_v4().to_string(),
                store: store.clone(),
                agents: Mutex::new(HashMap::new()),
            }),
        };
        if let Pool::Postgres(pool) = store.pool() {
            tokio::spawn(listen(Arc::downgrade(&hub.inner), pool.clone()));
        }
        hub
    }

    /// A new subscription; subscribe before reading history so nothing falls in between.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.inner.tx.subscribe()
    }

    /// Live connections on this instance.
    pub fn connections(&self) -> usize {
        self.inner.tx.receiver_count()
    }

    /// Delivers an event here and, on PostgreSQL, to every other instance. Call only after the
    /// event's data is committed.
    pub async fn publish(&self, event: Event) {
        let event = Arc::new(event);
        // Local sockets first, so they do not wait for the database round trip.
        let _ = self.inner.tx.send(event.clone());
        if self.inner.store.is_postgres() {
            let wire = match &*event {
                Event::Message { message } => Wire {
                    origin: self.inner.instance.clone(),
                    message_id: Some(message.id),
                    event: None,
                },
                other => Wire {
                    origin: self.inner.instance.clone(),
                    message_id: None,
                    event: Some(other.clone()),
                },
            };
            let payload = serde_json::to_string(&wire).unwrap_or_default();
            if let Err(e) = self.inner.store.notify_instances(CHANNEL, &payload).await {
                // Other instances' clients recover on their next reconnect or resync.
                tracing::warn!(error = %e, "support event not sent to other instances");
            }
        }
    }

    /// Registers an open agent console; returns true when it is the agent's first here.
    pub(crate) fn agent_joined(&self, agent_id: &UserId) -> bool {
        let mut agents = self.inner.agents.lock().unwrap_or_else(|e| e.into_inner());
        let n = agents.entry(agent_id.clone()).or_default();
        *n += 1;
        *n == 1
    }

    /// Unregisters an agent console; returns true when it was the agent's last here.
    pub(crate) fn agent_left(&self, agent_id: &UserId) -> bool {
        let mut agents = self.inner.agents.lock().unwrap_or_else(|e| e.into_inner());
        match agents.get_mut(agent_id) {
            Some(n) if *n > 1 => {
                *n -= 1;
                false
            }
            Some(_) => {
                agents.remove(agent_id);
                true
            }
            None => false,
        }
    }
}

/// Relays other instances' events into this one until the hub is dropped.
async fn listen(hub: Weak<Inner>, pool: sqlx::PgPool) {
    let mut backoff = Duration::from_millis(200);
    loop {
        let mut listener = match PgListener::connect_with(&pool).await {
            Ok(mut l) => match l.listen(CHANNEL).await {
                Ok(()) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "support: cannot LISTEN");
                    if !pause(&hub, &mut backoff).await {
                        return;
                    }
                    continue;
                }
            },
            Err(e) => {
                tracing::warn!(error = %e, "support: cannot connect the listener");
                if !pause(&hub, &mut backoff).await {
                    return;
                }
                continue;
            }
        };
        backoff = Duration::from_millis(200);
        loop {
            match listener.try_recv().await {
                Ok(Some(note)) => {
                    let Some(inner) = hub.upgrade() else { return };
                    relay(&inner, note.payload()).await;
                }
                Ok(None) => {
                    // The connection dropped and was re-established: events may have been missed.
                    let Some(inner) = hub.upgrade() else { return };
                    let _ = inner.tx.send(Arc::new(Event::Resync));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "support: listener failed");
                    break;
                }
            }
        }
        if !pause(&hub, &mut backoff).await {
            return;
        }
    }
}

async fn pause(hub: &Weak<Inner>, backoff: &mut Duration) -> bool {
    tokio::time::sleep(*backoff).await;
    *backoff = (*backoff * 2).min(Duration::from_secs(10));
    match hub.upgrade() {
        Some(inner) => {
            let _ = inner.tx.send(Arc::new(Event::Resync));
            true
        }
        None => false,
    }
}

async fn relay(inner: &Inner, payload: &str) {
    let Ok(wire) = serde_json::from_str::<Wire>(payload) else {
        tracing::warn!("support: unreadable notification ignored");
        return;
    };
    if wire.origin == inner.instance {
        return;
    }
    let event = match (wire.message_id, wire.event) {
        (Some(id), _) => match inner.store.support_message(id).await {
            Ok(Some(message)) => Event::Message { message },
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "support: relayed message not loaded");
                Event::Resync
            }
        },
        (None, Some(event)) => event,
        (None, None) => return,
    };
    let _ = inner.tx.send(Arc::new(event));
}
