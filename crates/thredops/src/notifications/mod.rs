//! Notifications: a scheduled post failed, a profile needs reconnecting. Each event is recorded
//! once (a unique key per event, so every instance may try), shown in the app until read, and
//! emailed once by a job unless the user turned that kind of email off on Settings.
//!
//! The publisher and the sync engine record events as they happen; a sweep every few minutes
//! records any event a crash left unrecorded (the unique key makes that harmless). Each event
//! is also reported to the user's outgoing webhooks (`post.failed`, `profile.needs_reconnect`).

pub(crate) mod store;

use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::app::AppState;
use crate::clock::now_unix;
use crate::domain::{ProfileId, UserId, WorkspaceId};
use crate::error::{AppError, AppResult};
use crate::jobs::{JobContext, JobError, Runner, handler_fn};
use crate::mail::Email;
use crate::publishing::store::PostRecord;
use crate::store::profiles::ProfileRecord;
pub use store::{EmailChoices, NewNotification, NotificationRecord};

/// Job kind that emails one notification.
pub const EMAIL_JOB: &str = "notifications.email";
/// Job kind of the sweep that records events a crash left unrecorded.
pub const SWEEP_JOB: &str = "notifications.sweep";
/// How often the sweep runs.
const SWEEP_EVERY: Duration = Duration::from_secs(300);
/// How far back the sweep looks.
const SWEEP_LOOKBACK_SECS: i64 = 2 * 86_400;
/// Notifications listed at most.
pub const LIST_LIMIT: i64 = 100;

crate::domain::id_type!(
    /// Id of a notification.
    NotificationId
);
crate::domain::id_type!(
    /// The post or profile a notification is about (its kind says which).
    SubjectId
);

/// What a notification is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A scheduled post could not be published.
    PostFailed,
    /// A profile needs reconnecting before it syncs or publishes again.
    ProfileReconnect,
}

impl Kind {
    /// Every kind, in the order Settings lists them.
    pub const ALL: [Kind; 2] = [Kind::PostFailed, Kind::ProfileReconnect];

    /// The stored name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Kind::PostFailed => "post_failed",
            Kind::ProfileReconnect => "profile_reconnect",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl TryFrom<String> for Kind {
    type Error = String;
    fn try_from(name: String) -> Result<Self, Self::Error> {
        Self::parse(&name).ok_or_else(|| format!("unknown notification kind {name}"))
    }
}

/// Registers the email job and the sweep.
pub fn register_jobs(runner: Runner, state: &AppState) -> Runner {
    let (mail_state, sweep_state) = (state.clone(), state.clone());
    runner
        .recurring(SWEEP_JOB, Duration::from_secs(30))
        .register(
            EMAIL_JOB,
            handler_fn(move |ctx| email_job(mail_state.clone(), ctx)),
        )
        .register(
            SWEEP_JOB,
            handler_fn(move |ctx| sweep_job(sweep_state.clone(), ctx)),
        )
}

async fn record(
    state: &AppState,
    n: NewNotification,
    hook: crate::webhooks::Event,
) -> AppResult<bool> {
    // The webhook event is recorded first (once per key, so it may be reported again): when
    // the notification exists, so does the event; a crash between the two leaves the
    // notification to the sweep, which reports both. An event already notified is not sent
    // again, so an endpoint added later never receives old events.
    if state
        .store
        .notification_recorded(&n.user_id, &n.event_key)
        .await?
    {
        return Ok(false);
    }
    crate::webhooks::emit(state, &n.user_id, hook).await?;
    let recorded = state.store.insert_notification(&n, now_unix()).await?;
    if recorded.is_some() {
        state.jobs_wake();
        tracing::info!(user_id = %n.user_id, kind = n.kind.as_str(), "notification recorded");
    }
    Ok(recorded.is_some())
}

/// Records that `post` failed (`post` as it is after the failing write: state failed, its new
/// version). Once per failure: a post retried and failing again is a new event.
pub async fn post_failed(state: &AppState, post: &PostRecord) -> AppResult<bool> {
    let reason = post
        .failure
        .clone()
        .unwrap_or_else(|| "Threads did not accept it.".into());
    record(
        state,
        NewNotification {
            user_id: post.user_id.clone(),
            kind: Kind::PostFailed,
            event_key: format!("post_failed:{}:{}", post.id, post.version),
            subject_id: Some(SubjectId::new(post.id.as_str())),
            title: "A scheduled post could not be published".into(),
            body: format!(
                "{} Open the post to retry or reschedule it.",
                sentence(&reason)
            ),
            link: format!("/app/schedule/posts/{}", post.id),
        },
        crate::webhooks::post_failed(post),
    )
    .await
}

/// Records that `profile` came to need reconnecting at `at` (its `last_error_at`).
pub async fn profile_needs_reconnect(
    state: &AppState,
    profile: &ProfileRecord,
    at: i64,
) -> AppResult<bool> {
    record(
        state,
        NewNotification {
            user_id: profile.user_id.clone(),
            kind: Kind::ProfileReconnect,
            event_key: format!("profile_reconnect:{}:{at}", profile.id),
            subject_id: Some(SubjectId::new(profile.id.as_str())),
            title: "A Threads profile needs reconnecting".into(),
            body: "Threads no longer accepts ThredOps' access for one of your profiles, so it does not sync and its scheduled posts cannot be published. Open the profile and press Reconnect; your history is kept.".into(),
            link: format!("/app/profiles/{}", profile.id),
        },
        crate::webhooks::profile_needs_reconnect(&ProfileId::new(profile.id.as_str()), at),
    )
    .await
}

fn sentence(s: &str) -> String {
    let s = s.trim();
    if s.ends_with(['.', '!', '?']) {
        s.to_owned()
    } else {
        format!("{s}.")
    }
}

#[derive(Deserialize)]
struct EmailPayload {
    notification_id: NotificationId,
}

/// Emails one notification, at most once whichever instance runs it: the row is claimed first.
async fn email_job(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    let payload: EmailPayload = ctx.payload_as()?;
    let Some(pending) = state.store.pending_email(&payload.notification_id).await? else {
        return Ok(());
    };
    let n = &pending.notification;
    // A workspace's notifications are emailed to its owner, whose account id it is
    // (docs/workspaces.md), with the owner's own choices.
    let choices = state.store.email_choices(&n.user_id.owner()).await?;
    let wanted = choices.wants(n.kind);
    // Everything that can fail is read before the claim: after it, only the sending may.
    let about = match (n.kind, &n.subject_id) {
        (Kind::ProfileReconnect, Some(profile)) => handles(&state, &n.user_id)
            .await
            .map_err(|e| JobError::retry(e.to_string()))?
            .remove(&ProfileId::new(profile.as_str()))
            .map(|h| format!("Profile: {h}\n\n"))
            .unwrap_or_default(),
        _ => String::new(),
    };
    if !state
        .store
        .claim_notification_email(&n.id, !wanted, now_unix())
        .await?
    {
        return Ok(());
    }
    if !wanted {
        return Ok(());
    }
    let mail = Email {
        to: pending.email.clone(),
        subject: n.title.clone(),
        body: format!(
            "{about}{}\n\n{}{}\n\nYou can turn these emails off in ThredOps under Settings, Notifications.\n\n{}",
            n.body,
            state.public_origin(),
            n.link,
            state.settings.privacy.operator_name
        ),
    };
    if let Err(e) = state.mailer.send(&mail).await {
        // Refused by the mail server: nothing went out, so a retry may send it.
        state.store.unclaim_notification_email(&n.id).await?;
        return Err(JobError::retry(format!(
            "notification email not sent: {e:#}"
        )));
    }
    Ok(())
}

/// Records every recent event that has no notification yet, then runs again later.
async fn sweep_job(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    sweep(&state)
        .await
        .map_err(|e| JobError::retry(format!("{e:#}")))?;
    ctx.schedule_next(crate::clock::now_ms() + SWEEP_EVERY.as_millis() as i64);
    Ok(())
}

/// One sweep: returns how many events it recorded (zero unless a crash lost some).
pub async fn sweep(state: &AppState) -> AppResult<usize> {
    let since = now_unix() - SWEEP_LOOKBACK_SECS;
    let mut recorded = 0;
    for (post_id, _, _) in state.store.recent_failed_posts(since).await? {
        if let Some(post) = state.store.planned_post(&post_id.clone()).await?
            && post_failed(state, &post).await?
        {
            recorded += 1;
        }
    }
    let threads_since = state.threads.now().timestamp() - SWEEP_LOOKBACK_SECS;
    for profile_id in state.store.recent_reconnect_profiles(threads_since).await? {
        if let Some(p) = state
            .store
            .profile(&crate::domain::ProfileId::from(profile_id.as_str()))
            .await?
            && let Some(at) = p.last_error_at
            && profile_needs_reconnect(state, &p, at).await?
        {
            recorded += 1;
        }
    }
    Ok(recorded)
}

/// A notification as the app shows it.
#[derive(Debug, Clone, Serialize)]
pub struct NotificationView {
    /// Id.
    pub id: NotificationId,
    /// What it is about.
    pub kind: Kind,
    /// One line.
    pub title: String,
    /// What happened and what to do.
    pub body: String,
    /// Where to act.
    pub link: String,
    /// When (Unix seconds).
    pub created_at: i64,
    /// Whether the user read it.
    pub read: bool,
    /// The handle of the profile it is about (profile notifications).
    pub profile: Option<String>,
}

/// The handles of the user's profiles by profile id (opened with the user's key; sealed
/// usernames are never copied into notifications).
async fn handles(state: &AppState, user_id: &WorkspaceId) -> AppResult<HashMap<ProfileId, String>> {
    let profiles = state.store.profiles_of(user_id).await?;
    if profiles.is_empty() {
        return Ok(HashMap::new());
    }
    let key = state.vault.existing_key(user_id).await?;
    let now = state.threads.now().timestamp();
    Ok(profiles
        .iter()
        .map(|p| {
            let view = crate::services::profiles::view(key.as_ref(), p, None, 0, now);
            (ProfileId::new(p.id.as_str()), format!("@{}", view.username))
        })
        .collect())
}

/// The user's notifications, newest first.
pub async fn list(state: &AppState, user_id: &WorkspaceId) -> AppResult<Vec<NotificationView>> {
    let records = state.store.notifications_of(user_id, LIST_LIMIT).await?;
    let handles = if records.iter().any(|n| n.kind == Kind::ProfileReconnect) {
        handles(state, user_id).await?
    } else {
        HashMap::new()
    };
    Ok(records
        .into_iter()
        .map(|n| NotificationView {
            profile: (n.kind == Kind::ProfileReconnect)
                .then(|| {
                    n.subject_id
                        .as_ref()
                        .and_then(|id| handles.get(&ProfileId::new(id.as_str())).cloned())
                })
                .flatten(),
            id: n.id,
            kind: n.kind,
            title: n.title,
            body: n.body,
            link: n.link,
            created_at: n.created_at,
            read: n.read_at.is_some(),
        })
        .collect())
}

/// How many of the user's notifications are unread.
pub async fn unread(state: &AppState, user_id: &WorkspaceId) -> AppResult<i64> {
    Ok(state.store.unread_notifications(user_id).await?)
}

/// Marks one of the user's notifications read (404 when it is not theirs).
pub async fn mark_read(
    state: &AppState,
    user_id: &WorkspaceId,
    id: &NotificationId,
) -> AppResult<()> {
    let changed = state
        .store
        .mark_notifications_read(user_id, Some(id), now_unix())
        .await?;
    if changed == 0 && !state.store.has_notification(user_id, id).await? {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// Marks every notification of the user read.
pub async fn mark_all_read(state: &AppState, user_id: &WorkspaceId) -> AppResult<u64> {
    Ok(state
        .store
        .mark_notifications_read(user_id, None, now_unix())
        .await?)
}

/// The user's email choices.
pub async fn email_choices(state: &AppState, user_id: &UserId) -> AppResult<EmailChoices> {
    Ok(state.store.email_choices(user_id).await?)
}

/// Saves the user's email choices.
pub async fn set_email_choices(
    state: &AppState,
    user_id: &UserId,
    choices: EmailChoices,
) -> AppResult<()> {
    Ok(state
        .store
        .set_email_choices(user_id, choices, now_unix())
        .await?)
}
