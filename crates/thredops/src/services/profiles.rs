//! Connecting Threads profiles through Meta's OAuth, reading them back, and disconnecting.

use serde::Serialize;
use sha2::{Digest, Sha256};
use threads_api::{AccessToken, AuthorizeRequest, ErrorClass, Scope};

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::now_unix;
use crate::crypto::DataKey;
use crate::domain::{ProfileId, ThreadsUserId, WorkspaceId};
use crate::error::{AppError, AppResult};
use crate::store::StoreError;
use crate::store::profiles::{Connected, ConnectedProfile, ProfileRecord, ProfileStatus};
use crate::threads::ThreadsGateway;

/// How long a connect attempt may take between leaving for Meta and coming back.
const STATE_TTL_SECS: i64 = 600;

/// Vault purposes: each kind of sealed value has its own binding.
pub mod purpose {
    /// The long-lived access token.
    pub const TOKEN: &str = "access-token";
    /// The username.
    pub const USERNAME: &str = "username";
    /// Name, biography, picture URL, verified flag.
    pub const PROFILE: &str = "profile";
}

fn hash_state(state: &str) -> String {
    hex::encode(Sha256::digest(state.as_bytes()))
}

/// Starts a connection: a single-use, 10-minute, 256-bit `state` bound to this user, and the URL
/// of Meta's (or the sandbox's) consent page.
///
/// While any of the user's profiles has its inbox on, the inbox's scopes are asked for too, so a
/// reconnection never takes them away.
pub async fn start_connect(state: &AppState, auth: &CurrentUser) -> AppResult<String> {
    crate::billing::check_can_connect(state, auth).await?;
    start_connect_with(state, auth, &[]).await
}

/// Starts a connection that also asks for an optional scope (`feature`, e.g.
/// `threads_profile_discovery`) to allow a feature on a profile already connected; without one,
/// an ordinary connection. Allowing a feature takes no new seat, so the plan's profile limit is
/// checked only for a first profile or an ordinary connection.
pub async fn start_connect_for(
    state: &AppState,
    auth: &CurrentUser,
    feature: Option<Scope>,
) -> AppResult<String> {
    let Some(feature) = feature else {
        return start_connect(state, auth).await;
    };
    if state
        .store
        .profiles_of(auth.workspace_id())
        .await?
        .is_empty()
    {
        crate::billing::check_can_connect(state, auth).await?;
    }
    start_connect_with(state, auth, &[feature]).await
}

/// The scopes beyond the default set that the user's profiles already rely on (the inbox's
/// while an inbox is on, and optional scopes any profile holds), so a reconnection, or allowing
/// another feature, never takes them away.
async fn scopes_to_keep(state: &AppState, workspace_id: &WorkspaceId) -> AppResult<Vec<Scope>> {
    let mut keep = crate::inbox::scopes_to_keep(state, workspace_id).await?;
    let held = state.store.profiles_of(workspace_id).await?;
    for (scope, _) in crate::threads::OPTIONAL_SCOPES {
        let granted = held
            .iter()
            .any(|p| p.scopes.split(',').any(|s| s == scope.as_str()));
        if granted && !keep.contains(scope) {
            keep.push(*scope);
        }
    }
    Ok(keep)
}

/// [`start_connect`] asking for `extra` scopes besides the default set (the inbox's, when the
/// user turns it on). The state remembers them, so the callback knows what was granted.
///
/// The plan's profile limit is not checked here: granting scopes to a connected profile takes
/// no new seat, and a different account chosen on Threads is paused by the limit after connecting.
pub async fn start_connect_with(
    state: &AppState,
    auth: &CurrentUser,
    extra: &[Scope],
) -> AppResult<String> {
    let token = crate::crypto::random_token(32);
    let now = now_unix();
    // Abandoned attempts (the consent window closed) would otherwise stay forever.
    if let Err(e) = state.store.prune_oauth_states(now).await {
        tracing::warn!(error = %e, "could not remove expired connection states");
    }
    let mut extra = extra.to_vec();
    for s in scopes_to_keep(state, auth.workspace_id()).await? {
        if !extra.contains(&s) {
            extra.push(s);
        }
    }
    let scopes = with_extra(&extra);
    let stored = (!extra.is_empty()).then(|| scope_list(&scopes));
    state
        .store
        .create_oauth_state(
            &hash_state(&token),
            auth.workspace_id(),
            stored.as_deref(),
            now,
            now + STATE_TTL_SECS,
        )
        .await?;
    let request = AuthorizeRequest {
        client_id: state.threads.app.client_id.clone(),
        redirect_uri: state.threads.redirect_uri.clone(),
        scopes,
        state: Some(token),
    };
    Ok(state.threads.client.authorize_url(&request).to_string())
}

/// The default scopes and `extra`, each once.
fn with_extra(extra: &[Scope]) -> Vec<Scope> {
    let mut scopes = ThreadsGateway::scopes();
    for s in extra {
        if !scopes.contains(s) {
            scopes.push(*s);
        }
    }
    scopes
}

fn scope_list(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Why a connection did not complete; each has its own page.
#[derive(Debug, thiserror::Error)]
pub enum ConnectFailure {
    /// The person declined on Meta's consent page.
    #[error("You declined the connection on Threads, so nothing was connected.")]
    Denied,
    /// Missing, unknown, expired, reused, or someone else's state.
    #[error("This connection link has expired or was already used. Start again from ThredOps.")]
    BadState,
    /// The Threads account is connected to another ThredOps account.
    #[error(
        "This Threads profile is already connected to another ThredOps account. Disconnect it there first."
    )]
    TakenByAnotherAccount,
    /// Meta refused the code or was unreachable.
    #[error("Threads did not complete the connection: {0}")]
    Exchange(String),
    /// Our own storage failed.
    #[error(transparent)]
    App(#[from] AppError),
}

/// The query Meta sends back to the redirect URI.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct CallbackQuery {
    /// Authorization code.
    pub code: Option<String>,
    /// Our state, returned unchanged.
    pub state: Option<String>,
    /// `access_denied` when the person declined.
    pub error: Option<String>,
    /// Meta's reason.
    pub error_reason: Option<String>,
}

fn exchange_error(e: threads_api::Error) -> ConnectFailure {
    let detail = match e.class() {
        ErrorClass::RetryLater { .. } => "Threads is busy or unreachable right now. Please try again in a minute.".to_owned(),
        ErrorClass::Reauth => "the authorization code was not accepted (it may have been used already). Please start again.".to_owned(),
        _ => e.to_string(),
    };
    ConnectFailure::Exchange(detail)
}

/// Completes a connection: checks `state` before anything else, then exchanges the code for a
/// long-lived token, reads the profile, and stores it all in one transaction.
pub async fn finish_connect(
    state: &AppState,
    auth: &CurrentUser,
    query: CallbackQuery,
) -> Result<Connected, ConnectFailure> {
    let Some(returned_state) = query.state.as_deref().filter(|s| !s.is_empty()) else {
        return Err(ConnectFailure::BadState);
    };
    let Some(requested) = state
        .store
        .consume_oauth_state(&hash_state(returned_state), auth.workspace_id(), now_unix())
        .await
        .map_err(AppError::from)?
    else {
        return Err(ConnectFailure::BadState);
    };
    if query.error.is_some() {
        return Err(ConnectFailure::Denied);
    }
    let code = query.code.ok_or(ConnectFailure::BadState)?;
    let code = code.trim_end_matches("#_");

    let threads = &state.threads;
    let now = threads.now();
    let short = threads
        .client
        .exchange_code(&threads.app, &threads.redirect_uri, code, now)
        .await
        .map_err(exchange_error)?;
    let long = threads
        .client
        .exchange_for_long_lived(&threads.app.client_secret, &short.access_token, now)
        .await
        .map_err(exchange_error)?;
    let scopes = requested.unwrap_or_else(|| scope_list(&ThreadsGateway::scopes()));
    let connected = attach_profile_with(
        state,
        auth.workspace_id(),
        &long.access_token,
        long.expires_at,
        &scopes,
    )
    .await?;
    let (Connected::New(id) | Connected::Reconnected(id)) = &connected;
    crate::inbox::after_connect(state, &crate::domain::ProfileId::new(id.as_str()), &scopes)
        .await?;
    Ok(connected)
}

/// Stores a profile reached with a long-lived token for the workspace `workspace_id` (after
/// OAuth, or for the demo account), and schedules its sync, in one transaction.
pub async fn attach_profile(
    state: &AppState,
    workspace_id: &WorkspaceId,
    token: &AccessToken,
    expires_at: chrono::DateTime<chrono::Utc>,
) -> Result<Connected, ConnectFailure> {
    let scopes = scope_list(&ThreadsGateway::scopes());
    attach_profile_with(state, workspace_id, token, expires_at, &scopes).await
}

/// [`attach_profile`] recording `scopes` (comma-separated) as granted.
pub async fn attach_profile_with(
    state: &AppState,
    workspace_id: &WorkspaceId,
    token: &AccessToken,
    expires_at: chrono::DateTime<chrono::Utc>,
    scopes: &str,
) -> Result<Connected, ConnectFailure> {
    let threads = &state.threads;
    let now = threads.now();
    let profile = threads
        .client
        .session(token.clone())
        .profile()
        .await
        .map_err(exchange_error)?;

    let key = state
        .vault
        .data_key(workspace_id)
        .await
        .map_err(AppError::from)?;
    let threads_user_id = ThreadsUserId::new(profile.id.as_str());
    let username = profile.username.clone().unwrap_or_default();
    let details = serde_json::json!({
        "name": profile.name,
        "biography": profile.threads_biography,
        "picture_url": profile.threads_profile_picture_url,
        "is_verified": profile.is_verified,
    });
    let token_enc = key.seal(purpose::TOKEN, &threads_user_id, token.expose().as_bytes());
    let username_enc = key.seal(purpose::USERNAME, &threads_user_id, username.as_bytes());
    let profile_enc = key.seal(
        purpose::PROFILE,
        &threads_user_id,
        details.to_string().as_bytes(),
    );
    let new_id = ProfileId::new(uuid::Uuid::new_v4().to_string());

    let mut tx = state.store.begin().await.map_err(AppError::from)?;
    let saved = state
        .store
        .save_connection(
            &mut tx,
            &ConnectedProfile {
                new_id: &new_id,
                user_id: workspace_id,
                threads_user_id: &threads_user_id,
                username_enc: &username_enc,
                profile_enc: &profile_enc,
                scopes,
                token_enc: &token_enc,
                token_issued_at: now.timestamp(),
                token_expires_at: expires_at.timestamp(),
                now: now.timestamp(),
            },
        )
        .await;
    let connected = match saved {
        Ok(c) => c,
        Err(StoreError::Conflict) => return Err(ConnectFailure::TakenByAnotherAccount),
        Err(e) => return Err(AppError::from(e).into()),
    };
    let profile_id = match &connected {
        Connected::New(id) | Connected::Reconnected(id) => id.clone(),
    };
    crate::sync::schedule_after_connect(&mut tx, workspace_id, &profile_id, now.timestamp())
        .await
        .map_err(AppError::from)?;
    tx.commit().await.map_err(AppError::from)?;
    // A reconnection is always allowed (to repair a token); this pauses anything over the plan.
    crate::billing::enforce_limits(state, workspace_id).await?;
    // Disconnecting cancelled the profile's benchmark and listening runs; start them again.
    let profile = crate::domain::ProfileId::new(profile_id.as_str());
    crate::competitors::resume_jobs(state, &profile).await?;
    crate::listening::resume_jobs(state, &profile).await?;
    state.jobs_wake();
    tracing::info!(user_id = %workspace_id, %profile_id, "Threads profile connected");
    Ok(connected)
}

/// A profile as the owner sees it (sealed fields opened).
#[derive(Debug, Serialize)]
pub struct ProfileView {
    /// ThredOps id.
    pub id: ProfileId,
    /// Meta's user id.
    pub threads_user_id: ThreadsUserId,
    /// Handle.
    pub username: String,
    /// Display name.
    pub name: Option<String>,
    /// Where the connection stands (serialised active | needs_reconnect | disconnected | paused).
    pub status: ProfileStatus,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// First connection.
    pub connected_at: i64,
    /// Follower count at the last sync.
    pub followers_count: Option<i64>,
    /// Token health.
    pub token: TokenHealth,
    /// Sync state.
    pub sync: SyncView,
    /// Last error, in plain words.
    pub last_error: Option<ErrorView>,
}

/// Where a profile's access stands, as the user must read it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    /// A token is held and renewed automatically.
    Valid,
    /// The token ran out before it could be renewed: reconnect.
    Expired,
    /// Threads withdrew the access (app removed, password changed, access revoked): reconnect.
    Revoked,
    /// The user disconnected the profile: no token is held.
    Disconnected,
    /// Paused by the plan's profile limit.
    Paused,
}

/// Token expiry and refresh, never the token itself.
#[derive(Debug, Serialize)]
pub struct TokenHealth {
    /// Where the access stands.
    pub state: TokenState,
    /// One sentence saying what that means and what to do.
    pub summary: String,
    /// Whether a usable token is held.
    pub present: bool,
    /// Expiry (Unix seconds).
    pub expires_at: Option<i64>,
    /// Last refresh (Unix seconds).
    pub last_refresh_at: Option<i64>,
    /// Reconnection needed before anything syncs again.
    pub needs_reconnect: bool,
}

/// Where a profile's sync stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SyncState {
    /// Connected and the history is in: syncs keep it current.
    Idle,
    /// Connected, the first full history still coming in.
    Backfilling,
    /// Threads refused the token: nothing syncs until it is reconnected.
    NeedsReconnect,
    /// Disconnected by the user: nothing syncs.
    Disconnected,
    /// Paused by the plan's profile limit: nothing syncs.
    Paused,
}

impl SyncState {
    /// Where the sync of a profile with `status` stands, `backfilled` once its history is in.
    pub fn of(status: ProfileStatus, backfilled: bool) -> Self {
        match status {
            ProfileStatus::Active if backfilled => SyncState::Idle,
            ProfileStatus::Active => SyncState::Backfilling,
            ProfileStatus::NeedsReconnect => SyncState::NeedsReconnect,
            ProfileStatus::Disconnected => SyncState::Disconnected,
            ProfileStatus::Paused => SyncState::Paused,
        }
    }
}

/// Sync progress and history.
#[derive(Debug, Serialize)]
pub struct SyncView {
    /// Where it stands (serialised idle | backfilling | needs_reconnect | disconnected | paused).
    pub state: SyncState,
    /// Last successful sync (Unix seconds).
    pub last_sync_at: Option<i64>,
    /// When the full history was first in.
    pub backfill_done_at: Option<i64>,
    /// Progress of a running backfill, as reported by the job.
    pub progress: Option<serde_json::Value>,
    /// Threads API calls made for this profile in the last 24 hours (Meta allows at least 48,000).
    pub api_calls_24h: i64,
}

/// An error shown to the user.
#[derive(Debug, Serialize)]
pub struct ErrorView {
    /// What went wrong.
    pub message: String,
    /// When (Unix seconds).
    pub at: Option<i64>,
}

fn day(unix: i64) -> String {
    chrono::DateTime::from_timestamp(unix, 0)
        .map(|t| t.format("%-d %B %Y").to_string())
        .unwrap_or_default()
}

/// Where the access of `p` stands at `now` (Threads' clock), and the sentence saying so.
pub fn token_state(p: &ProfileRecord, now: i64) -> (TokenState, String) {
    let refused_at = p.last_error_at.unwrap_or(now);
    // Threads refused the token once it had run out (or said it had): expired. Refused while
    // it still had time left: withdrawn.
    let expired_by = |at: i64| p.token_expires_at.is_some_and(|e| e <= at);
    match p.status {
        ProfileStatus::NeedsReconnect if expired_by(refused_at) => (
            TokenState::Expired,
            format!(
                "ThredOps' access to this profile expired on {} before it could be renewed: reconnect the profile to resume syncing and publishing (your history is kept).",
                day(p.token_expires_at.unwrap_or(refused_at))
            ),
        ),
        ProfileStatus::NeedsReconnect => (
            TokenState::Revoked,
            format!(
                "Threads withdrew ThredOps' access to this profile on {} (the app was removed in Meta's settings, the password changed, or access was revoked): reconnect the profile and allow access to resume syncing and publishing (your history is kept).",
                day(refused_at)
            ),
        ),
        ProfileStatus::Disconnected => (
            TokenState::Disconnected,
            "You disconnected this profile, so ThredOps holds no access to it: connect it again to resume syncing.".to_owned(),
        ),
        ProfileStatus::Paused => (
            TokenState::Paused,
            "This profile is paused because your plan allows fewer profiles: upgrade your plan or disconnect another profile to resume it.".to_owned(),
        ),
        _ if p.token_enc.is_some() && expired_by(now) => (
            TokenState::Expired,
            format!(
                "ThredOps' access to this profile expired on {} before it could be renewed: reconnect the profile to resume syncing and publishing (your history is kept).",
                day(p.token_expires_at.unwrap_or(now))
            ),
        ),
        _ => (
            TokenState::Valid,
            match p.token_expires_at {
                Some(e) => format!(
                    "Access is valid until {} and ThredOps renews it automatically: nothing to do.",
                    day(e)
                ),
                None => "Access is valid and ThredOps renews it automatically: nothing to do.".to_owned(),
            },
        ),
    }
}

/// The profile's username, opened with its owner's key.
fn username(key: Option<&DataKey>, p: &ProfileRecord) -> String {
    key.and_then(|k| {
        k.open_string(purpose::USERNAME, &p.threads_user_id, &p.username_enc)
            .ok()
    })
    .unwrap_or_else(|| "(unreadable)".into())
}

/// Opens a profile record for its owner; `now` is Threads' clock (token expiry is judged by it).
pub fn view(
    key: Option<&DataKey>,
    p: &ProfileRecord,
    progress: Option<serde_json::Value>,
    api_calls_24h: i64,
    now: i64,
) -> ProfileView {
    let (token_state, token_summary) = token_state(p, now);
    let open = |purpose: &str, sealed: &[u8]| {
        key.and_then(|k| k.open_string(purpose, &p.threads_user_id, sealed).ok())
    };
    let username = username(key, p);
    let details: Option<serde_json::Value> = p
        .profile_enc
        .as_deref()
        .and_then(|sealed| open(purpose::PROFILE, sealed))
        .and_then(|s| serde_json::from_str(&s).ok());
    ProfileView {
        id: p.id.clone(),
        threads_user_id: p.threads_user_id.clone(),
        username,
        name: details.and_then(|d| d["name"].as_str().map(str::to_owned)),
        status: p.status,
        scopes: p
            .scopes
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        connected_at: p.connected_at,
        followers_count: p.followers_count,
        token: TokenHealth {
            state: token_state,
            summary: token_summary,
            present: p.token_enc.is_some(),
            expires_at: p.token_expires_at,
            last_refresh_at: p.last_refresh_at,
            needs_reconnect: p.status == ProfileStatus::NeedsReconnect,
        },
        sync: SyncView {
            state: SyncState::of(p.status, p.backfill_done_at.is_some()),
            last_sync_at: p.last_sync_at,
            backfill_done_at: p.backfill_done_at,
            progress,
            api_calls_24h,
        },
        last_error: p.last_error.clone().map(|message| ErrorView {
            message,
            at: p.last_error_at,
        }),
    }
}

/// The account's profiles as (id, username) pairs, in connection order: one read and one key,
/// for pages that only name the profiles.
pub async fn usernames(
    state: &AppState,
    workspace_id: &WorkspaceId,
) -> AppResult<Vec<(ProfileId, String)>> {
    let key = state.vault.existing_key(workspace_id).await?;
    Ok(state
        .store
        .profiles_of(workspace_id)
        .await?
        .iter()
        .map(|p| (p.id.clone(), username(key.as_ref(), p)))
        .collect())
}

/// The user's profiles, opened.
pub async fn list(state: &AppState, auth: &CurrentUser) -> AppResult<Vec<ProfileView>> {
    list_of(state, auth.workspace_id()).await
}

/// Every profile of the workspace `workspace_id`, opened with its key. Callers other than
/// its members must record the access first (see `privacy::staff::record_access`).
pub async fn list_of(state: &AppState, workspace_id: &WorkspaceId) -> AppResult<Vec<ProfileView>> {
    let key = state.vault.existing_key(workspace_id).await?;
    let mut out = Vec::new();
    for p in state.store.profiles_of(workspace_id).await? {
        let progress = crate::sync::progress(state, &p.id).await?;
        let calls = api_calls_24h(state, &p.id).await?;
        out.push(view(
            key.as_ref(),
            &p,
            progress,
            calls,
            state.threads.now().timestamp(),
        ));
    }
    Ok(out)
}

/// A profile of the workspace, as stored; `None` for any other workspace's.
pub async fn of_workspace(
    state: &AppState,
    workspace_id: &WorkspaceId,
    profile_id: &ProfileId,
) -> AppResult<Option<ProfileRecord>> {
    Ok(state.store.profile_of(workspace_id, profile_id).await?)
}

/// One of the user's profiles (404 for anyone else's).
pub async fn get(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: &ProfileId,
) -> AppResult<ProfileView> {
    let p = state
        .store
        .profile_of(auth.workspace_id(), profile_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let key = state.vault.existing_key(auth.workspace_id()).await?;
    let progress = crate::sync::progress(state, &p.id).await?;
    let calls = api_calls_24h(state, &p.id).await?;
    Ok(view(
        key.as_ref(),
        &p,
        progress,
        calls,
        state.threads.now().timestamp(),
    ))
}

async fn api_calls_24h(state: &AppState, profile_id: &ProfileId) -> AppResult<i64> {
    let since = state.threads.now().timestamp() - 24 * 3600;
    Ok(state.store.api_calls_since(profile_id, since).await?)
}

/// Disconnects a profile: the token is destroyed and its jobs cancelled at once; the history is
/// kept or deleted as the user chose.
pub async fn disconnect(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: &ProfileId,
    keep_history: bool,
) -> AppResult<()> {
    let p = state
        .store
        .profile_of(auth.workspace_id(), profile_id)
        .await?
        .ok_or(AppError::NotFound)?;
    crate::sync::cancel_for_profile(state, &p.id).await?;
    // Other people's replies and mentions are not the creator's history: they go either way.
    crate::inbox::forget_profile(state, &crate::domain::ProfileId::new(p.id.as_str())).await?;
    state
        .store
        .disconnect_profile(&p.id, keep_history, now_unix())
        .await?;
    tracing::info!(user_id = %auth.user.id, %profile_id, keep_history, "Threads profile disconnected");
    Ok(())
}

/// What "delete everything synced from this profile" would remove, for the user to confirm.
pub async fn deletion_footprint(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: &ProfileId,
) -> AppResult<crate::store::profiles::ProfileFootprint> {
    let p = state
        .store
        .profile_of(auth.workspace_id(), profile_id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(state.store.profile_footprint(&p.id).await?)
}

/// The access token of an active profile, opened for a job.
pub async fn access_token(state: &AppState, p: &ProfileRecord) -> AppResult<Option<AccessToken>> {
    let Some(sealed) = p.token_enc.as_deref() else {
        return Ok(None);
    };
    let key = state.vault.existing_key(&p.user_id).await?;
    let Some(key) = key else { return Ok(None) };
    let token = key.open_string(purpose::TOKEN, &p.threads_user_id, sealed)?;
    Ok(Some(AccessToken::new(token)))
}
