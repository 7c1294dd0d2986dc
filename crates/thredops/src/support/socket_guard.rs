//! Per-connection limits and the agent presence guard.

use std::time::Instant;

use super::desk;
use super::hub::Event;
use crate::app::AppState;
use crate::clock::now_unix;
use crate::domain::UserId;

/// A token bucket: `capacity` actions at once, refilled at `per_sec`.
pub(crate) struct Bucket {
    tokens: f64,
    capacity: f64,
    per_sec: f64,
    at: Instant,
}

impl Bucket {
    pub(crate) fn new(capacity: f64, per_sec: f64) -> Self {
        Self {
            tokens: capacity,
            capacity,
            per_sec,
            at: Instant::now(),
        }
    }

    pub(crate) fn take(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.at).as_secs_f64() * self.per_sec;
        self.tokens = (self.tokens + refill).min(self.capacity);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// Keeps an agent's presence while any of their consoles is open on this instance.
pub(crate) struct AgentGuard {
    state: AppState,
    agent_id: UserId,
}

impl AgentGuard {
    pub(crate) async fn register(state: &AppState, agent_id: &UserId) -> Self {
        state.support.agent_joined(agent_id);
        let until = now_unix() + 3 * desk::PRESENCE_HEARTBEAT_SECS;
        if let Err(e) = state.store.support_set_presence(agent_id, until).await {
            tracing::warn!(error = %e, "support presence not recorded");
        }
        state
            .support
            .publish(Event::Presence {
                agents_online: true,
            })
            .await;
        Self {
            state: state.clone(),
            agent_id: agent_id.clone(),
        }
    }
}

impl Drop for AgentGuard {
    fn drop(&mut self) {
        if !self.state.support.agent_left(&self.agent_id) {
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let state = self.state.clone();
        let agent_id = std::mem::replace(&mut self.agent_id, UserId::new(String::new()));
        runtime.spawn(async move {
            if let Err(e) = state.store.support_set_presence(&agent_id, 0).await {
                tracing::warn!(error = %e, "support presence not cleared");
            }
            if let Ok(online) = desk::agents_online(&state).await {
                state
                    .support
                    .publish(Event::Presence {
                        agents_online: online,
                    })
                    .await;
            }
        });
    }
}
