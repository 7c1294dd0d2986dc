//! Reading other people's public Threads data through one of the user's own profiles: its
//! token, the optional scope the feature needs, and the profile's daily call budget (shared
//! with sync and publishing, so benchmarks and listening never starve them).

use chrono::{DateTime, Utc};
use serde::Serialize;
use threads_api::{ErrorClass, Scope, Session, ThreadsClient};

use crate::app::AppState;
use crate::crypto::DataKey;
use crate::domain::ProfileId;
use crate::error::{AppError, AppResult};
use crate::services::profiles::access_token;
use crate::store::profiles::ProfileRecord;

/// How a scheduled run (a daily snapshot, an hourly search) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Done.
    Ok,
    /// Not done for now (budget spent, quota used up, Threads busy); the next run tries again.
    Waiting,
    /// Not done, and it will not work until the user acts (access withdrawn, profile gone).
    Error,
}

impl RunStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Ok => "ok",
            RunStatus::Waiting => "waiting",
            RunStatus::Error => "error",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<RunStatus> {
        match s {
            "ok" => Some(RunStatus::Ok),
            "waiting" => Some(RunStatus::Waiting),
            "error" => Some(RunStatus::Error),
            _ => None,
        }
    }
}

crate::store::decode_by_name!(RunStatus, "run status");

/// Why ThredOps asks for an optional scope, as shown before the user leaves for Meta.
pub fn scope_reason(scope: Scope) -> String {
    crate::threads::OPTIONAL_SCOPES
        .iter()
        .find(|(s, _)| *s == scope)
        .map(|(_, why)| (*why).to_owned())
        .unwrap_or_default()
}

/// Whether the profile's token was granted `scope`.
pub fn has_scope(p: &ProfileRecord, scope: Scope) -> bool {
    p.scopes.split(',').any(|s| s.trim() == scope.as_str())
}

/// Why a feature cannot reach Threads through a profile, in words.
pub fn blocked_reason(p: &ProfileRecord, scope: Scope) -> Option<String> {
    if p.status != crate::store::profiles::ProfileStatus::Active {
        return Some(
            "This profile is not connected right now; reconnect it on the Profiles page to resume."
                .into(),
        );
    }
    if !has_scope(p, scope) {
        return Some(format!(
            "This profile has not allowed ThredOps the Threads permission {} yet.",
            scope.as_str()
        ));
    }
    None
}

/// A client and session on one profile for one run, counting its own calls.
pub struct PublicAccess {
    state: AppState,
    /// The profile whose token and budget are used.
    pub profile: ProfileRecord,
    /// The owner's data key, to seal what is stored.
    pub key: DataKey,
    client: ThreadsClient,
    /// The session calls go through.
    pub session: Session,
}

impl PublicAccess {
    /// Opens a run on `profile_id`; `Err(words)` when the profile cannot be used for `scope`.
    pub async fn open(
        state: &AppState,
        profile_id: &ProfileId,
        scope: Scope,
    ) -> AppResult<Result<Self, String>> {
        let Some(profile) = state.store.profile(profile_id).await? else {
            return Ok(Err("The profile is no longer connected.".into()));
        };
        if let Some(why) = blocked_reason(&profile, scope) {
            return Ok(Err(why));
        }
        let Some(token) = access_token(state, &profile).await? else {
            return Ok(Err("The profile is no longer connected.".into()));
        };
        let key = state
            .vault
            .existing_key(&profile.user_id)
            .await?
            .ok_or(AppError::NotFound)?;
        let client = state.threads.fresh_client();
        let session = client.session(token);
        Ok(Ok(Self {
            state: state.clone(),
            profile,
            key,
            client,
            session,
        }))
    }

    /// The time the Threads side lives in (the sandbox clock in sandbox mode).
    pub fn now(&self) -> DateTime<Utc> {
        self.state.threads.now()
    }

    /// Calls made by this run so far.
    pub fn calls(&self) -> i64 {
        self.client.calls_made() as i64
    }

    /// Calls the profile may still make in the rolling 24 h.
    pub async fn budget_left(&self) -> AppResult<i64> {
        let since = self.now().timestamp() - 24 * 3600;
        let used = self
            .state
            .store
            .api_calls_since(&self.profile.id, since)
            .await?;
        Ok(crate::sync::DAILY_CALL_BUDGET - used)
    }

    /// Records this run's calls against the profile's budget.
    pub async fn record_usage(&self) {
        if let Err(e) = self
            .state
            .store
            .add_api_calls(&self.profile.id, self.now().timestamp(), self.calls())
            .await
        {
            tracing::warn!(error = %e, "could not record API usage");
        }
    }
}

/// The words shown for a budget that is spent.
pub const BUDGET_SPENT: &str = "This profile's daily Threads call budget is spent (sync and publishing come first); the next run tries again.";

/// A failed call as a run status and words for the page.
pub fn api_failure(e: &threads_api::Error, action: &str) -> (RunStatus, String) {
    match e.class() {
        ErrorClass::RetryLater { .. } => (
            RunStatus::Waiting,
            format!("Threads was busy or unreachable while {action}; the next run tries again."),
        ),
        ErrorClass::QuotaExhausted => (
            RunStatus::Waiting,
            format!("Threads' daily limit for {action} is used up; the next run tries again."),
        ),
        ErrorClass::Reauth => (
            RunStatus::Error,
            "Threads no longer accepts this profile's access; reconnect it on the Profiles page."
                .into(),
        ),
        ErrorClass::Permission => (
            RunStatus::Error,
            format!("Threads refused the permission needed for {action}; allow it again."),
        ),
        ErrorClass::NotReady | ErrorClass::Invalid { .. } => (
            RunStatus::Error,
            format!("Threads refused the request while {action}: {e}"),
        ),
    }
}

/// Whether Meta answered "no such object" (code 100, subcode 33): an unknown, too small or
/// hidden profile.
pub fn is_unknown_object(e: &threads_api::Error) -> bool {
    e.api_error()
        .is_some_and(|a| a.code == Some(100) && a.subcode == Some(33))
}

/// The `since` of a list or search call for "after `t`": never later than this server's own
/// clock, which the client checks it against (Meta refuses a `since` in the future; a clock
/// that runs ahead, like a test sandbox's, would otherwise make every call fail). Asking a
/// little early only repeats posts, which are stored once.
pub fn since_param(t: i64) -> Option<DateTime<Utc>> {
    let t = t.min(crate::clock::now().timestamp() - 1);
    DateTime::from_timestamp(t, 0)
}
