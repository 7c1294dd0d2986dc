//! Budgets for the chat paths anyone can reach without an account: new anonymous chats per
//! client address, and customer messages per conversation (REST and socket share it).
//!
//! Kept in memory per instance, like the sign-in throttle: behind a load balancer each instance
//! enforces them on the traffic it sees.

use std::net::IpAddr;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, RateLimiter};

use crate::auth::throttle::{check, quota};
use crate::domain::ConversationId;

/// The chat budgets.
#[derive(Debug)]
pub struct ChatThrottle {
    new_visitors_by_ip: DefaultKeyedRateLimiter<IpAddr>,
    sends_by_conversation: DefaultKeyedRateLimiter<ConversationId>,
}

impl Default for ChatThrottle {
    fn default() -> Self {
        Self {
            // A household or office behind one address opens a few chats; a script opens
            // hundreds. Five at once, then one a minute.
            new_visitors_by_ip: RateLimiter::keyed(quota(5, Duration::from_secs(60))),
            // The live socket's own pace: ten at once, then one a second.
            sends_by_conversation: RateLimiter::keyed(quota(10, Duration::from_secs(1))),
        }
    }
}

impl ChatThrottle {
    /// Counts a new anonymous chat identity for this address; `Err` is how long to wait.
    pub fn new_visitor(&self, ip: IpAddr) -> Result<(), Duration> {
        check(&self.new_visitors_by_ip, &ip).map_err(|w| w.0)
    }

    /// Counts a customer message in this conversation; `Err` is how long to wait.
    pub fn send(&self, conversation_id: &ConversationId) -> Result<(), Duration> {
        check(&self.sends_by_conversation, conversation_id).map_err(|w| w.0)
    }

    /// Forgets keys whose budgets are full again, bounding memory.
    pub fn shrink(&self) {
        self.new_visitors_by_ip.retain_recent();
        self.sends_by_conversation.retain_recent();
    }
}
