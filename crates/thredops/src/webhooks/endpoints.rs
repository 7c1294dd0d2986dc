//! A user's endpoints: added with a checked address and chosen events, listed, changed,
//! removed, and their signing secret rotated.

use serde::Serialize;

use super::*;

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
        url: key.open_string(URL_PURPOSE, r.id.as_str(), &r.url_enc)?,
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

pub(super) async fn owned(
    state: &AppState,
    user: &CurrentUser,
    id: &EndpointId,
) -> AppResult<EndpointRecord> {
    state
        .store
        .webhook_endpoint(user.workspace_id(), id)
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
    if state
        .store
        .webhook_endpoint_count(user.workspace_id())
        .await?
        >= MAX_ENDPOINTS
    {
        return Err(AppError::Conflict(format!(
            "An account can have {MAX_ENDPOINTS} webhook endpoints. Remove one you no longer use first."
        )));
    }
    let key = state.vault.data_key(user.workspace_id()).await?;
    let id = EndpointId::new(format!("we_{}", uuid::Uuid::now_v7().simple()));
    let secret = new_secret();
    let record = EndpointRecord {
        url_enc: key.seal(URL_PURPOSE, id.as_str(), url.as_str().as_bytes()),
        secret_enc: key.seal(SECRET_PURPOSE, id.as_str(), secret.as_bytes()),
        host: url.host_str().unwrap_or_default().to_owned(),
        id,
        user_id: user.workspace_id().clone(),
        events,
        enabled: input.enabled.unwrap_or(true),
        disabled_reason: None,
        created_at: now_unix(),
        secret_rotated_at: None,
    };
    state.store.insert_webhook_endpoint(&record).await?;
    tracing::info!(endpoint_id = %record.id.as_str(), "webhook endpoint added");
    Ok(WithSecret {
        endpoint: view(&key, &record)?,
        secret,
    })
}

/// The user's endpoints, oldest first.
pub async fn list(state: &AppState, user: &CurrentUser) -> AppResult<Vec<EndpointView>> {
    let records = state
        .store
        .webhook_endpoints_of(user.workspace_id())
        .await?;
    if records.is_empty() {
        return Ok(Vec::new());
    }
    let key = state.vault.data_key(user.workspace_id()).await?;
    records.iter().map(|r| view(&key, r)).collect()
}

/// One of the user's endpoints (404 for anyone else's).
pub async fn get(state: &AppState, user: &CurrentUser, id: &EndpointId) -> AppResult<EndpointView> {
    let r = owned(state, user, id).await?;
    let key = state.vault.data_key(user.workspace_id()).await?;
    view(&key, &r)
}

/// Changes an endpoint's URL, events or on/off state.
pub async fn update(
    state: &AppState,
    user: &CurrentUser,
    id: &EndpointId,
    input: &EndpointInput,
) -> AppResult<EndpointView> {
    let mut r = owned(state, user, id).await?;
    let key = state.vault.data_key(user.workspace_id()).await?;
    if let Some(raw) = &input.url {
        let url = checked_url(state, raw)?;
        r.url_enc = key.seal(URL_PURPOSE, r.id.as_str(), url.as_str().as_bytes());
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
pub async fn delete(state: &AppState, user: &CurrentUser, id: &EndpointId) -> AppResult<()> {
    match state
        .store
        .delete_webhook_endpoint(user.workspace_id(), id)
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
    id: &EndpointId,
) -> AppResult<WithSecret> {
    let mut r = owned(state, user, id).await?;
    let key = state.vault.data_key(user.workspace_id()).await?;
    let secret = new_secret();
    r.secret_enc = key.seal(SECRET_PURPOSE, r.id.as_str(), secret.as_bytes());
    r.secret_rotated_at = Some(now_unix());
    state.store.update_webhook_endpoint(&r).await?;
    Ok(WithSecret {
        endpoint: view(&key, &r)?,
        secret,
    })
}
