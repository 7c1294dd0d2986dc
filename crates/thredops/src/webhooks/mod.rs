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

pub mod delivery;
pub mod signing;
mod store;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::crypto::DataKey;
use crate::error::{AppError, AppResult};
use crate::jobs::Runner;
use crate::store::now_unix;
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

/// Id of an endpoint.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EndpointId(pub String);

/// Id of an event (`evt_...`), the same in every delivery and replay of it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct EventId(pub String);

/// Id of a delivery (one event to one endpoint).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeliveryId(pub String);

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
    ctx.schedule_next(crate::jobs::now_ms() + SWEEP_EVERY.as_millis() as i64);
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
        let Some(post) = state.store.planned_post(&id).await? else {
            continue;
        };
        let event = post_published(&post);
        if emit_to(state, &post.user_id, event, post.published_at).await? {
            recorded += 1;
        }
    }
    Ok(recorded)
}

// ---------------------------------------------------------------------------------------------
// Endpoints

/// An endpoint as its owner sees it (never its secret).
#[derive(Debug, Clone, Serialize)]
pub struct EndpointView {
    /// Id.
    pub id: EndpointId,
    /// Where events are POSTed.
    pub url: String,
    /// The event types it is sent.
    pub events: Vec<EventType>,
    /// Whether events are sent to it.
    pub enabled: bool,
    /// Why ThredOps turned it off, if it did.
    pub disabled_reason: Option<String>,
    /// When it was added (Unix seconds).
    pub created_at: i64,
    /// When its secret was last replaced.
    pub secret_rotated_at: Option<i64>,
}

/// An endpoint just added or whose secret was just rotated, with the secret shown this once.
#[derive(Debug, Clone, Serialize)]
pub struct WithSecret {
    /// The endpoint.
    #[serde(flatten)]
    pub endpoint: EndpointView,
    /// The signing secret (`whsec_...`): shown once.
    pub secret: String,
}

/// What a new or changed endpoint is asked to be (`None`: unchanged, for an update).
#[derive(Debug, Clone, Default)]
pub struct EndpointInput {
    /// The URL.
    pub url: Option<String>,
    /// Event type names.
    pub events: Option<Vec<String>>,
    /// On or off.
    pub enabled: Option<bool>,
}

fn view(key: &DataKey, r: &EndpointRecord) -> AppResult<EndpointView> {
    Ok(EndpointView {
        id: r.id.clone(),
        url: key.open_string(URL_PURPOSE, &r.id.0, &r.url_enc)?,
        events: r.events.clone(),
        enabled: r.enabled,
        disabled_reason: r.disabled_reason.clone(),
        created_at: r.created_at,
        secret_rotated_at: r.secret_rotated_at,
    })
}

fn new_secret() -> String {
    format!("{SECRET_PREFIX}{}", crate::crypto::random_token(32))
}

/// Checks a URL: http(s) with a host, not too long, and on the public internet unless the
/// deployment allows private addresses. Names are checked again, resolved, at every delivery.
fn checked_url(state: &AppState, raw: &str) -> AppResult<url::Url> {
    let raw = raw.trim();
    let url = url::Url::parse(raw).map_err(|_| {
        AppError::field(
            "url",
            "Enter the endpoint's full address, starting with https://.",
        )
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(AppError::field(
            "url",
            "Webhooks are sent over https (or http) only.",
        ));
    }
    if raw.len() > 2000 {
        return Err(AppError::field("url", "That address is too long."));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(AppError::field(
            "url",
            "Leave user names and passwords out of the address; verify the signature instead.",
        ));
    }
    if !state.settings.webhooks_private_hosts && delivery::literal_private(&url) {
        return Err(AppError::field("url", delivery::PRIVATE_WORDS));
    }
    Ok(url)
}

fn checked_events(names: &[String]) -> AppResult<Vec<EventType>> {
    let mut events = Vec::new();
    for name in names {
        match EventType::parse(name).filter(|t| *t != EventType::Ping) {
            Some(t) if !events.contains(&t) => events.push(t),
            Some(_) => {}
            None => {
                return Err(AppError::field(
                    "events",
                    format!(
                        "Unknown event type \"{name}\". Choose from: {}.",
                        EventType::SUBSCRIBABLE.map(EventType::as_str).join(", ")
                    ),
                ));
            }
        }
    }
    if events.is_empty() {
        return Err(AppError::field(
            "events",
            "Choose at least one event to send to this endpoint.",
        ));
    }
    events.sort_by_key(|e| EventType::SUBSCRIBABLE.iter().position(|x| x == e));
    Ok(events)
}

async fn owned(state: &AppState, user: &CurrentUser, id: &str) -> AppResult<EndpointRecord> {
    state
        .store
        .webhook_endpoint(&user.user.id, id)
        .await?
        .ok_or(AppError::NotFound)
}

/// Adds an endpoint; its secret is in the answer and shown nowhere else.
pub async fn create(
    state: &AppState,
    user: &CurrentUser,
    input: &EndpointInput,
) -> AppResult<WithSecret> {
    let mut fields = BTreeMap::new();
    let url = checked_url(state, input.url.as_deref().unwrap_or_default());
    let events = checked_events(input.events.as_deref().unwrap_or_default());
    for e in [url.as_ref().err(), events.as_ref().err()]
        .into_iter()
        .flatten()
    {
        if let AppError::Validation { fields: f, .. } = e {
            fields.extend(f.clone());
        }
    }
    let (Ok(url), Ok(events)) = (url, events) else {
        return Err(AppError::Validation {
            message: "The endpoint was not added; see the fields below.".to_owned(),
            fields,
        });
    };
    if state.store.webhook_endpoint_count(&user.user.id).await? >= MAX_ENDPOINTS {
        return Err(AppError::Conflict(format!(
            "An account can have {MAX_ENDPOINTS} webhook endpoints. Remove one you no longer use first."
        )));
    }
    let key = state.vault.data_key(&user.user.id).await?;
    let id = EndpointId(format!("we_{}", uuid::Uuid::now_v7().simple()));
    let secret = new_secret();
    let record = EndpointRecord {
        url_enc: key.seal(URL_PURPOSE, &id.0, url.as_str().as_bytes()),
        secret_enc: key.seal(SECRET_PURPOSE, &id.0, secret.as_bytes()),
        host: url.host_str().unwrap_or_default().to_owned(),
        id,
        user_id: user.user.id.clone(),
        events,
        enabled: input.enabled.unwrap_or(true),
        disabled_reason: None,
        created_at: now_unix(),
        secret_rotated_at: None,
    };
    state.store.insert_webhook_endpoint(&record).await?;
    tracing::info!(endpoint_id = %record.id.0, "webhook endpoint added");
    Ok(WithSecret {
        endpoint: view(&key, &record)?,
        secret,
    })
}

/// The user's endpoints, oldest first.
pub async fn list(state: &AppState, user: &CurrentUser) -> AppResult<Vec<EndpointView>> {
    let records = state.store.webhook_endpoints_of(&user.user.id).await?;
    if records.is_empty() {
        return Ok(Vec::new());
    }
    let key = state.vault.data_key(&user.user.id).await?;
    records.iter().map(|r| view(&key, r)).collect()
}

/// One of the user's endpoints (404 for anyone else's).
pub async fn get(state: &AppState, user: &CurrentUser, id: &str) -> AppResult<EndpointView> {
    let r = owned(state, user, id).await?;
    let key = state.vault.data_key(&user.user.id).await?;
    view(&key, &r)
}

/// Changes an endpoint's URL, events or on/off state.
pub async fn update(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
    input: &EndpointInput,
) -> AppResult<EndpointView> {
    let mut r = owned(state, user, id).await?;
    let key = state.vault.data_key(&user.user.id).await?;
    if let Some(raw) = &input.url {
        let url = checked_url(state, raw)?;
        r.url_enc = key.seal(URL_PURPOSE, &r.id.0, url.as_str().as_bytes());
        r.host = url.host_str().unwrap_or_default().to_owned();
    }
    if let Some(names) = &input.events {
        r.events = checked_events(names)?;
    }
    if let Some(enabled) = input.enabled {
        r.enabled = enabled;
        r.disabled_reason = None;
    }
    state.store.update_webhook_endpoint(&r).await?;
    view(&key, &r)
}

/// Removes an endpoint with its delivery log; pending deliveries to it stop.
pub async fn delete(state: &AppState, user: &CurrentUser, id: &str) -> AppResult<()> {
    match state
        .store
        .delete_webhook_endpoint(&user.user.id, id)
        .await?
    {
        true => Ok(()),
        false => Err(AppError::NotFound),
    }
}

/// Replaces an endpoint's secret at once; the new one is in the answer, shown this once.
/// Deliveries still being retried are signed with the new secret from their next attempt.
pub async fn rotate_secret(
    state: &AppState,
    user: &CurrentUser,
    id: &str,
) -> AppResult<WithSecret> {
    let mut r = owned(state, user, id).await?;
    let key = state.vault.data_key(&user.user.id).await?;
    let secret = new_secret();
    r.secret_enc = key.seal(SECRET_PURPOSE, &r.id.0, secret.as_bytes());
    r.secret_rotated_at = Some(now_unix());
    state.store.update_webhook_endpoint(&r).await?;
    Ok(WithSecret {
        endpoint: view(&key, &r)?,
        secret,
    })
}

// ---------------------------------------------------------------------------------------------
// Events

/// An event to record and send.
#[derive(Debug, Clone)]
pub struct Event {
    /// What happened.
    pub kind: EventType,
    /// Names this occurrence: the same key is recorded once per user.
    pub key: String,
    /// The profile it is about, if any (its events go when the profile goes).
    pub profile_id: Option<String>,
    /// The facts (`data` in the payload).
    pub data: Value,
}

/// The body POSTed for an event.
pub fn payload(id: &EventId, kind: EventType, created_at: i64, data: &Value) -> Value {
    json!({"id": id, "type": kind.as_str(), "created_at": created_at, "data": data})
}

/// Records `event` for `user_id` and enqueues its delivery to every enabled endpoint subscribed
/// to its type, all in one transaction. Once per event key: reporting it again does nothing.
/// Returns whether it was recorded now (false: no endpoint wants it, or it was already).
pub async fn emit(state: &AppState, user_id: &str, event: Event) -> AppResult<bool> {
    emit_to(state, user_id, event, None).await
}

/// [`emit`], to the endpoints added by `occurred_at` when given (a late report of an event).
async fn emit_to(
    state: &AppState,
    user_id: &str,
    event: Event,
    occurred_at: Option<i64>,
) -> AppResult<bool> {
    let endpoints: Vec<EndpointId> = state
        .store
        .webhook_endpoints_of(user_id)
        .await?
        .into_iter()
        .filter(|e| e.enabled && e.events.contains(&event.kind))
        .filter(|e| occurred_at.is_none_or(|at| e.created_at <= at))
        .map(|e| e.id)
        .collect();
    if endpoints.is_empty() {
        return Ok(false);
    }
    Ok(record(state, user_id, &event, &endpoints).await?.is_some())
}

async fn record(
    state: &AppState,
    user_id: &str,
    event: &Event,
    endpoints: &[EndpointId],
) -> AppResult<Option<EventId>> {
    let key = state.vault.data_key(user_id).await?;
    let id = EventId(format!("evt_{}", uuid::Uuid::now_v7().simple()));
    let now = now_unix();
    let body = payload(&id, event.kind, now, &event.data).to_string();
    let sealed = key.seal(EVENT_PURPOSE, &id.0, body.as_bytes());
    let recorded = state
        .store
        .insert_webhook_event(
            store::NewEvent {
                id: &id,
                user_id,
                event,
                payload_enc: &sealed,
                created_at: now,
            },
            endpoints,
        )
        .await?;
    if recorded {
        state.jobs_wake();
        tracing::info!(event_id = %id.0, kind = event.kind.as_str(), endpoints = endpoints.len(), "webhook event recorded");
    }
    Ok(recorded.then_some(id))
}

/// Emits and logs instead of failing: for callers whose own work must not fail because an
/// event could not be recorded (the change it reports is already stored).
pub async fn emit_or_log(state: &AppState, user_id: &str, event: Event) {
    let kind = event.kind.as_str();
    if let Err(e) = emit(state, user_id, event).await {
        tracing::warn!(error = %e, kind, "could not record a webhook event");
    }
}

/// A post was published.
pub fn post_published(post: &crate::publishing::store::PostRecord) -> Event {
    Event {
        kind: EventType::PostPublished,
        key: format!("post.published:{}", post.id),
        profile_id: Some(post.profile_id.clone()),
        data: json!({
            "post_id": post.id,
            "profile_id": post.profile_id,
            "threads_media_id": post.media_id,
            "permalink": post.permalink,
            "published_at": post.published_at,
        }),
    }
}

/// A post failed (`post` as it is after the failing write: its version names this failure).
pub fn post_failed(post: &crate::publishing::store::PostRecord) -> Event {
    Event {
        kind: EventType::PostFailed,
        key: format!("post.failed:{}:{}", post.id, post.version),
        profile_id: Some(post.profile_id.clone()),
        data: json!({
            "post_id": post.id,
            "profile_id": post.profile_id,
            "reason": post.failure,
            "scheduled_at": post.scheduled_at,
        }),
    }
}

/// A profile came to need reconnecting at `at`.
pub fn profile_needs_reconnect(profile_id: &str, at: i64) -> Event {
    Event {
        kind: EventType::ProfileNeedsReconnect,
        key: format!("profile.needs_reconnect:{profile_id}:{at}"),
        profile_id: Some(profile_id.to_owned()),
        data: json!({"profile_id": profile_id, "since": at}),
    }
}

/// A profile's sync finished: `kind` is `backfill` (the history import) or `incremental`;
/// `run` names the run (its job), so a run retried after a crash reports once.
pub fn sync_completed(
    run: &str,
    profile_id: &str,
    kind: &str,
    synced_at: i64,
    new_posts: usize,
) -> Event {
    Event {
        kind: EventType::SyncCompleted,
        key: format!("sync.completed:{run}"),
        profile_id: Some(profile_id.to_owned()),
        data: json!({"profile_id": profile_id, "sync": kind, "synced_at": synced_at, "new_posts": new_posts}),
    }
}

/// An audit finished.
pub fn audit_completed(
    audit_id: &str,
    profile_id: &str,
    score: Option<i64>,
    finished_at: i64,
) -> Event {
    Event {
        kind: EventType::AuditCompleted,
        key: format!("audit.completed:{audit_id}"),
        profile_id: Some(profile_id.to_owned()),
        data: json!({"audit_id": audit_id, "profile_id": profile_id, "score": score, "finished_at": finished_at}),
    }
}

/// Sends a `ping` event to one of the user's endpoints, whatever it subscribes to (but not when
/// it is turned off). Returns the new delivery.
pub async fn send_test(
    state: &AppState,
    user: &CurrentUser,
    endpoint_id: &str,
) -> AppResult<DeliveryView> {
    let endpoint = owned(state, user, endpoint_id).await?;
    if !endpoint.enabled {
        return Err(AppError::Conflict(
            "This endpoint is turned off; turn it on to send it a test event.".into(),
        ));
    }
    let event = Event {
        kind: EventType::Ping,
        key: format!("ping:{}", uuid::Uuid::new_v4().simple()),
        profile_id: None,
        data: json!({"endpoint_id": endpoint.id, "message": "A test event from ThredOps: your endpoint is reachable if this arrived."}),
    };
    let event_id = record(
        state,
        &user.user.id,
        &event,
        std::slice::from_ref(&endpoint.id),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    // The newest few deliveries of the endpoint hold it (others may be recorded meanwhile).
    let d = state
        .store
        .webhook_deliveries(&user.user.id, Some(&endpoint.id.0), 10)
        .await?
        .into_iter()
        .find(|d| d.event_id == event_id)
        .ok_or(AppError::NotFound)?;
    delivery_view(state, &user.user.id, d, &[endpoint]).await
}

// ---------------------------------------------------------------------------------------------
// Delivery log

/// One attempt as the log shows it.
#[derive(Debug, Clone, Serialize)]
pub struct AttemptView {
    /// When (Unix seconds).
    pub attempted_at: i64,
    /// The HTTP status the endpoint answered, if it answered.
    pub status_code: Option<i64>,
    /// What went wrong, in words (none for a 2xx).
    pub error: Option<String>,
    /// How long the attempt took.
    pub duration_ms: i64,
}

/// A delivery as the log shows it.
#[derive(Debug, Clone, Serialize)]
pub struct DeliveryView {
    /// Id.
    pub id: DeliveryId,
    /// The endpoint it goes to.
    pub endpoint_id: EndpointId,
    /// The endpoint's host.
    pub endpoint_host: String,
    /// The event's id (the same in every attempt and replay).
    pub event_id: EventId,
    /// The event's type.
    pub event_type: EventType,
    /// Where it is.
    pub state: DeliveryState,
    /// Attempts made so far (replays included).
    pub attempts: i64,
    /// The status the last attempt got, if any.
    pub last_status: Option<i64>,
    /// The last attempt's failure, in words.
    pub last_error: Option<String>,
    /// When the next attempt is due, while pending.
    pub next_attempt_at: Option<i64>,
    /// When it was delivered.
    pub delivered_at: Option<i64>,
    /// When the event was recorded.
    pub created_at: i64,
    /// The body sent (the event), as the endpoint receives it.
    pub payload: Value,
    /// Every attempt, oldest first.
    pub attempt_log: Vec<AttemptView>,
}

/// The log's view of `records` (one key unwrap and one read of their attempts for them all).
async fn delivery_views(
    state: &AppState,
    user_id: &str,
    records: Vec<DeliveryRecord>,
    endpoints: &[EndpointRecord],
) -> AppResult<Vec<DeliveryView>> {
    let Some(oldest) = records.iter().map(|d| d.created_at).min() else {
        return Ok(Vec::new());
    };
    let key = state.vault.existing_key(user_id).await?;
    let mut attempts = state.store.webhook_attempts_since(user_id, oldest).await?;
    Ok(records
        .into_iter()
        .map(|d| DeliveryView {
            payload: key
                .as_ref()
                .and_then(|k| {
                    k.open_string(EVENT_PURPOSE, &d.event_id.0, &d.payload_enc)
                        .ok()
                })
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or(Value::Null),
            attempt_log: attempts
                .remove(&d.id.0)
                .unwrap_or_default()
                .into_iter()
                .map(|a| AttemptView {
                    attempted_at: a.attempted_at,
                    status_code: a.status_code,
                    error: a.error,
                    duration_ms: a.duration_ms,
                })
                .collect(),
            endpoint_host: endpoints
                .iter()
                .find(|e| e.id == d.endpoint_id)
                .map(|e| e.host.clone())
                .unwrap_or_default(),
            id: d.id,
            endpoint_id: d.endpoint_id,
            event_id: d.event_id,
            event_type: d.event_type,
            state: d.state,
            attempts: d.attempts,
            last_status: d.last_status,
            last_error: d.last_error,
            next_attempt_at: d.next_attempt_at,
            delivered_at: d.delivered_at,
            created_at: d.created_at,
        })
        .collect())
}

async fn delivery_view(
    state: &AppState,
    user_id: &str,
    d: DeliveryRecord,
    endpoints: &[EndpointRecord],
) -> AppResult<DeliveryView> {
    delivery_views(state, user_id, vec![d], endpoints)
        .await?
        .pop()
        .ok_or(AppError::NotFound)
}

/// The user's deliveries, newest first, of one endpoint or all (404 for another's endpoint).
pub async fn deliveries(
    state: &AppState,
    user: &CurrentUser,
    endpoint_id: Option<&str>,
) -> AppResult<Vec<DeliveryView>> {
    if let Some(id) = endpoint_id {
        owned(state, user, id).await?;
    }
    let endpoints = state.store.webhook_endpoints_of(&user.user.id).await?;
    let records = state
        .store
        .webhook_deliveries(&user.user.id, endpoint_id, LOG_LIMIT)
        .await?;
    delivery_views(state, &user.user.id, records, &endpoints).await
}

/// Sends a delivered or failed delivery again: the same event (same id and body), freshly
/// signed, with a new round of attempts. A delivery still being retried cannot be replayed.
pub async fn replay(state: &AppState, user: &CurrentUser, id: &str) -> AppResult<DeliveryView> {
    let d = state
        .store
        .webhook_delivery(&user.user.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let endpoint = owned(state, user, &d.endpoint_id.0).await?;
    if !endpoint.enabled {
        return Err(AppError::Conflict(
            "This endpoint is turned off; turn it on to replay its deliveries.".into(),
        ));
    }
    if !state
        .store
        .replay_webhook_delivery(&d.id, now_unix())
        .await?
    {
        return Err(AppError::Conflict(
            "This delivery is still being sent; wait for its attempts to finish, then replay it."
                .into(),
        ));
    }
    state.jobs_wake();
    let d = state
        .store
        .webhook_delivery(&user.user.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    delivery_view(state, &user.user.id, d, &[endpoint]).await
}

/// The user's endpoints (without secrets) and delivery log, for the privacy export.
pub async fn export(state: &AppState, user_id: &str, key: Option<&DataKey>) -> AppResult<Value> {
    let records = state.store.webhook_endpoints_of(user_id).await?;
    let endpoints: Vec<Value> = records
        .iter()
        .map(|r| {
            let url = key.and_then(|k| k.open_string(URL_PURPOSE, &r.id.0, &r.url_enc).ok());
            json!({"id": r.id, "url": url, "events": r.events, "enabled": r.enabled,
                "disabled_reason": r.disabled_reason, "created_at": r.created_at,
                "secret_rotated_at": r.secret_rotated_at})
        })
        .collect();
    let all = state
        .store
        .webhook_deliveries(user_id, None, i64::MAX)
        .await?;
    let deliveries = delivery_views(state, user_id, all, &records).await?;
    Ok(json!({"endpoints": endpoints, "deliveries": deliveries}))
}
