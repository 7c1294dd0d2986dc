//! Outgoing webhooks: ThredOps tells a user's own servers when something happens to their
//! account (a post published or failed, a profile needing reconnection, a sync or an audit
//! finished).
//!
//! A user adds endpoints (an https URL and the event types it wants); each gets a signing secret
//! (`whsec_...`) shown once, at creation or rotation. When an event happens, it is recorded once
//! (a unique key per event, so every instance, retry or sweep may report it) together with one
//! delivery per subscribed endpoint and that delivery's job, in one transaction. The job POSTs
//! the event as JSON, signed like Stripe's webhooks ([`signing`]), and retries with back-off
//! for about a day ([`delivery`]); every attempt is kept for the delivery log, and any delivery
//! can be replayed.
//!
//! What an event carries: ids and facts the user already sees in ThredOps (which post, which
//! profile, when, the public permalink, an audit's score), never post text, tokens or anything
//! about another user. URLs, secrets and payloads are sealed with the owner's data key.

pub(crate) mod delivery;
mod endpoints;
mod events;
mod log;
pub mod signing;
mod store;

pub use endpoints::*;
use events::emit_to;
pub use events::*;
pub use log::*;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::now_unix;
use crate::crypto::DataKey;
use crate::error::{AppError, AppResult};
use crate::jobs::Runner;
pub use store::{AttemptRecord, DeliveryRecord, EndpointRecord};

/// Every secret starts with this, so one pasted somewhere it should not be is recognisable.
pub const SECRET_PREFIX: &str = "whsec_";
/// Most endpoints one account may have.
pub const MAX_ENDPOINTS: i64 = 10;
/// Deliveries the log lists at most.
pub const LOG_LIMIT: i64 = 100;
/// Sealing purposes.
const URL_PURPOSE: &str = "webhook-url";
const SECRET_PURPOSE: &str = "webhook-secret";
const EVENT_PURPOSE: &str = "webhook-event";

crate::domain::id_type!(
    /// Id of an endpoint.
    EndpointId
);
crate::domain::id_type!(
    /// Id of an event (`evt_...`), the same in every delivery and replay of it.
    EventId
);
crate::domain::id_type!(
    /// Id of a delivery (one event to one endpoint).
    DeliveryId
);

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EventType {
    /// A planned post was published on Threads.
    #[serde(rename = "post.published")]
    PostPublished,
    /// A planned post could not be published.
    #[serde(rename = "post.failed")]
    PostFailed,
    /// Threads no longer accepts ThredOps' access for a profile.
    #[serde(rename = "profile.needs_reconnect")]
    ProfileNeedsReconnect,
    /// A profile's history or hourly sync finished.
    #[serde(rename = "sync.completed")]
    SyncCompleted,
    /// A Strategist audit finished.
    #[serde(rename = "audit.completed")]
    AuditCompleted,
    /// A test event sent from the settings page or the API; never subscribed to.
    #[serde(rename = "ping")]
    Ping,
}

impl EventType {
    /// The types an endpoint can subscribe to, in the order forms list them.
    pub const SUBSCRIBABLE: [EventType; 5] = [
        EventType::PostPublished,
        EventType::PostFailed,
        EventType::ProfileNeedsReconnect,
        EventType::SyncCompleted,
        EventType::AuditCompleted,
    ];

    /// The type's name in payloads, headers and the database.
    pub const fn as_str(self) -> &'static str {
        match self {
            EventType::PostPublished => "post.published",
            EventType::PostFailed => "post.failed",
            EventType::ProfileNeedsReconnect => "profile.needs_reconnect",
            EventType::SyncCompleted => "sync.completed",
            EventType::AuditCompleted => "audit.completed",
            EventType::Ping => "ping",
        }
    }

    /// Parses a type name (`ping` included).
    pub fn parse(s: &str) -> Option<Self> {
        Self::SUBSCRIBABLE
            .into_iter()
            .chain([EventType::Ping])
            .find(|t| t.as_str() == s.trim())
    }

    /// When it is sent, in words.
    pub const fn describe(self) -> &'static str {
        match self {
            EventType::PostPublished => "A planned post was published on Threads",
            EventType::PostFailed => "A planned post could not be published",
            EventType::ProfileNeedsReconnect => "A Threads profile needs reconnecting",
            EventType::SyncCompleted => "A profile's history import or hourly sync finished",
            EventType::AuditCompleted => "A Strategist audit finished",
            EventType::Ping => "A test event you asked for",
        }
    }
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not yet answered with a 2xx; attempts remain.
    Pending,
    /// The endpoint answered 2xx.
    Delivered,
    /// Every attempt failed (or the endpoint was turned off or removed meanwhile).
    Failed,
}

impl DeliveryState {
    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            DeliveryState::Pending,
            DeliveryState::Delivered,
            DeliveryState::Failed,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

impl TryFrom<String> for DeliveryState {
    type Error = String;
    fn try_from(name: String) -> Result<Self, Self::Error> {
        Self::parse(&name).ok_or_else(|| format!("unknown webhook delivery state {name}"))
    }
}

impl TryFrom<String> for EventType {
    type Error = String;
    fn try_from(name: String) -> Result<Self, Self::Error> {
        Self::parse(&name).ok_or_else(|| format!("unknown webhook event type {name}"))
    }
}

/// Job kind of the sweep that records `post.published` events a crash left unrecorded.
pub const SWEEP_JOB: &str = "webhooks.sweep";
/// How often the sweep runs.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(300);
/// How far back the sweep looks.
const SWEEP_LOOKBACK_SECS: i64 = 2 * 86_400;
/// How long events stay in the delivery log (and can be replayed).
pub const KEEP_DAYS: i64 = 30;

/// Registers the delivery job and the sweep.
pub fn register_jobs(runner: Runner, state: &AppState) -> Runner {
    let sweep_state = state.clone();
    delivery::register(runner, state)
        .recurring(SWEEP_JOB, std::time::Duration::from_secs(45))
        .register(
            SWEEP_JOB,
            crate::jobs::handler_fn(move |ctx| sweep_job(sweep_state.clone(), ctx)),
        )
}

async fn sweep_job(
    state: AppState,
    ctx: crate::jobs::JobContext,
) -> Result<(), crate::jobs::JobError> {
    sweep(&state)
        .await
        .map_err(|e| crate::jobs::JobError::retry(format!("{e:#}")))?;
    ctx.schedule_next(crate::clock::now_ms() + SWEEP_EVERY.as_millis() as i64);
    Ok(())
}

/// Records the `post.published` events a crash between publishing and recording lost (the
/// publisher records them as it publishes; `post.failed` and `profile.needs_reconnect` are
/// swept with their notifications, and the other events with the job that reports them).
/// Only endpoints added before the publication receive them. Events older than [`KEEP_DAYS`]
/// leave the log. Returns how many events it recorded.
pub async fn sweep(state: &AppState) -> AppResult<usize> {
    let now = now_unix();
    let pruned = state
        .store
        .prune_webhook_events(now - KEEP_DAYS * 86_400)
        .await?;
    if pruned > 0 {
        tracing::info!(pruned, "old webhook events removed from the delivery log");
    }
    let since = now - SWEEP_LOOKBACK_SECS;
    let mut recorded = 0;
    for id in state.store.unreported_published_posts(since).await? {
        let Some(post) = state.store.planned_post(&id.clone()).await? else {
            continue;
        };
        let event = post_published(&post);
        let workspace = post.user_id.clone();
        if emit_to(state, &workspace, event, post.published_at).await? {
            recorded += 1;
        }
    }
    Ok(recorded)
}
