//! Events: recorded once with one delivery (and its job) per subscribed endpoint, built from
//! what happened, and test events.

use serde_json::{Value, json};

use super::endpoints::owned;
use super::log::delivery_view;
use super::*;
use crate::domain::{ProfileId, WorkspaceId};

/// An event to record and send.
#[derive(Debug, Clone)]
pub struct Event {
    /// What happened.
    pub kind: EventType,
    /// Names this occurrence: the same key is recorded once per user.
    pub key: String,
    /// The profile it is about, if any (its events go when the profile goes).
    pub profile_id: Option<ProfileId>,
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
pub async fn emit(state: &AppState, user_id: &WorkspaceId, event: Event) -> AppResult<bool> {
    emit_to(state, user_id, event, None).await
}

/// [`emit`], to the endpoints added by `occurred_at` when given (a late report of an event).
pub(super) async fn emit_to(
    state: &AppState,
    user_id: &WorkspaceId,
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
    user_id: &WorkspaceId,
    event: &Event,
    endpoints: &[EndpointId],
) -> AppResult<Option<EventId>> {
    let key = state.vault.data_key(user_id).await?;
    let id = EventId::new(format!("evt_{}", uuid::Uuid::now_v7().simple()));
    let now = now_unix();
    let body = payload(&id, event.kind, now, &event.data).to_string();
    let sealed = key.seal(EVENT_PURPOSE, id.as_str(), body.as_bytes());
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
        tracing::info!(event_id = %id, kind = event.kind.as_str(), endpoints = endpoints.len(), "webhook event recorded");
    }
    Ok(recorded.then_some(id))
}

/// Emits and logs instead of failing: for callers whose own work must not fail because an
/// event could not be recorded (the change it reports is already stored).
pub async fn emit_or_log(state: &AppState, user_id: &WorkspaceId, event: Event) {
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
pub fn profile_needs_reconnect(profile_id: &ProfileId, at: i64) -> Event {
    Event {
        kind: EventType::ProfileNeedsReconnect,
        key: format!("profile.needs_reconnect:{profile_id}:{at}"),
        profile_id: Some(profile_id.clone()),
        data: json!({"profile_id": profile_id, "since": at}),
    }
}

/// A profile's sync finished: `kind` is `backfill` (the history import) or `incremental`;
/// `run` names the run (its job), so a run retried after a crash reports once.
pub fn sync_completed(
    run: &str,
    profile_id: &ProfileId,
    kind: &str,
    synced_at: i64,
    new_posts: usize,
) -> Event {
    Event {
        kind: EventType::SyncCompleted,
        key: format!("sync.completed:{run}"),
        profile_id: Some(profile_id.clone()),
        data: json!({"profile_id": profile_id, "sync": kind, "synced_at": synced_at, "new_posts": new_posts}),
    }
}

/// An audit finished.
pub fn audit_completed(
    audit_id: &crate::strategy::AuditId,
    profile_id: &ProfileId,
    score: Option<i64>,
    finished_at: i64,
) -> Event {
    Event {
        kind: EventType::AuditCompleted,
        key: format!("audit.completed:{audit_id}"),
        profile_id: Some(profile_id.clone()),
        data: json!({"audit_id": audit_id, "profile_id": profile_id, "score": score, "finished_at": finished_at}),
    }
}

/// Sends a `ping` event to one of the user's endpoints, whatever it subscribes to (but not when
/// it is turned off). Returns the new delivery.
pub async fn send_test(
    state: &AppState,
    user: &CurrentUser,
    endpoint_id: &EndpointId,
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
        user.workspace_id(),
        &event,
        std::slice::from_ref(&endpoint.id),
    )
    .await?
    .ok_or(AppError::NotFound)?;
    // The newest few deliveries of the endpoint hold it (others may be recorded meanwhile).
    let d = state
        .store
        .webhook_deliveries(user.workspace_id(), Some(&endpoint.id), 10)
        .await?
        .into_iter()
        .find(|d| d.event_id == event_id)
        .ok_or(AppError::NotFound)?;
    delivery_view(state, user.workspace_id(), d, &[endpoint]).await
}
