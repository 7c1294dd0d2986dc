//! The delivery log: each delivery with its attempts, replays, and the export of it all.

use serde::Serialize;
use serde_json::{Value, json};

use super::endpoints::owned;
use super::*;
use crate::domain::WorkspaceId;

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
    user_id: &WorkspaceId,
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
                    k.open_string(EVENT_PURPOSE, d.event_id.as_str(), &d.payload_enc)
                        .ok()
                })
                .and_then(|s| serde_json::from_str(&s).ok())
                .unwrap_or(Value::Null),
            attempt_log: attempts
                .remove(&d.id)
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

pub(super) async fn delivery_view(
    state: &AppState,
    user_id: &WorkspaceId,
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
    endpoint_id: Option<&EndpointId>,
) -> AppResult<Vec<DeliveryView>> {
    if let Some(id) = endpoint_id {
        owned(state, user, id).await?;
    }
    let endpoints = state
        .store
        .webhook_endpoints_of(user.workspace_id())
        .await?;
    let records = state
        .store
        .webhook_deliveries(user.workspace_id(), endpoint_id, LOG_LIMIT)
        .await?;
    delivery_views(state, user.workspace_id(), records, &endpoints).await
}

/// Sends a delivered or failed delivery again: the same event (same id and body), freshly
/// signed, with a new round of attempts. A delivery still being retried cannot be replayed.
pub async fn replay(
    state: &AppState,
    user: &CurrentUser,
    id: &DeliveryId,
) -> AppResult<DeliveryView> {
    let d = state
        .store
        .webhook_delivery(user.workspace_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    let endpoint = owned(state, user, &d.endpoint_id).await?;
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
        .webhook_delivery(user.workspace_id(), id)
        .await?
        .ok_or(AppError::NotFound)?;
    delivery_view(state, user.workspace_id(), d, &[endpoint]).await
}

/// The user's endpoints (without secrets) and delivery log, for the privacy export.
pub async fn export(
    state: &AppState,
    user_id: &WorkspaceId,
    key: Option<&DataKey>,
) -> AppResult<Value> {
    let records = state.store.webhook_endpoints_of(user_id).await?;
    let endpoints: Vec<Value> = records
        .iter()
        .map(|r| {
            let url = key.and_then(|k| k.open_string(URL_PURPOSE, r.id.as_str(), &r.url_enc).ok());
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
