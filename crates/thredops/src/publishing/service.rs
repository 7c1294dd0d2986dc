//! What the composer, the queue and the calendar do with planned posts, for the API and pages.

use chrono::DateTime;
use serde::{Deserialize, Serialize};

use super::compose::{self, Composition, MediaFacts, Preflight};
use super::plan::{enqueue_if_scheduled, ledger, resolve_time};
use super::store::PostRecord;
use super::{PURPOSE, media, publisher, when};

pub use super::plan::{next_free_slot, publish_job, timeline};
use super::{EventKind, PostKind, PostState, UploadId};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::now_unix;
use crate::domain::{MediaId, PostId, ProfileId, WorkspaceId};
use crate::error::{AppError, AppResult};

/// What the composer sends.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PostInput {
    /// Profile to publish on.
    pub profile_id: ProfileId,
    /// The post.
    pub content: Composition,
    /// `draft` (default), `schedule` (at `local_time`) or `queue` (next free posting slot).
    #[serde(default)]
    pub action: Option<String>,
    /// Wall-clock time in the user's zone, e.g. `2026-03-29T09:00`.
    #[serde(default)]
    pub local_time: Option<String>,
}

/// A planned post as the API shows it.
#[derive(Debug, Clone, Serialize)]
pub struct PostView {
    /// Id.
    pub id: PostId,
    /// Profile.
    pub profile_id: ProfileId,
    /// State machine position.
    pub state: PostState,
    /// Kind label.
    pub kind: PostKind,
    /// The composition.
    pub content: Composition,
    /// UTC seconds.
    pub scheduled_at: Option<i64>,
    /// The chosen wall-clock time and its zone.
    pub local_time: Option<String>,
    /// Zone of `local_time`.
    pub timezone: Option<String>,
    /// For people, in the user's current zone.
    pub scheduled_display: Option<String>,
    /// Threads media id (only once published).
    pub media_id: Option<MediaId>,
    /// Threads permalink (only once published).
    pub permalink: Option<String>,
    /// Why it waits.
    pub note: Option<String>,
    /// Why it failed.
    pub failure: Option<String>,
    /// Attempts.
    pub attempts: i64,
    /// Published at (UTC seconds).
    pub published_at: Option<i64>,
    /// Its first reply and auto-plug, once it is published.
    pub follow_ups: Vec<super::followups::FollowupView>,
    /// For a first reply or an auto-plug: the post it answers.
    pub follow_up_of: Option<super::followups::FollowupOf>,
}

/// The user's zone.
pub fn user_zone(auth: &CurrentUser) -> chrono_tz::Tz {
    when::zone(auth.user.timezone.as_deref())
}

async fn facts_of(
    state: &AppState,
    user_id: &WorkspaceId,
    c: &Composition,
) -> AppResult<Vec<(UploadId, MediaFacts)>> {
    let mut out = Vec::new();
    for item in c.parts.iter().flat_map(|p| &p.media) {
        if let Some(u) = media::get(state, user_id, &item.id).await? {
            out.push((item.id.clone(), MediaFacts { kind: u.kind }));
        }
    }
    Ok(out)
}

/// Runs the preflight for the user (their uploads only).
pub async fn preflight(
    state: &AppState,
    auth: &CurrentUser,
    c: &Composition,
) -> AppResult<(Preflight, PostKind)> {
    let facts = facts_of(state, auth.workspace_id(), c).await?;
    let lookup = |id: &str| facts.iter().find(|(k, _)| k == id).map(|(_, f)| f.clone());
    Ok((compose::preflight(c, &lookup), compose::kind_of(c, &lookup)))
}

/// Every attached file must be one of the user's live uploads, drafts included: a draft must
/// not hold another user's (or a made-up) upload id.
async fn own_uploads_only(state: &AppState, auth: &CurrentUser, c: &Composition) -> AppResult<()> {
    let mut fields = std::collections::BTreeMap::new();
    for (i, part) in c.parts.iter().enumerate() {
        for (m, item) in part.media.iter().enumerate() {
            if media::get(state, auth.workspace_id(), &item.id)
                .await?
                .is_none()
            {
                fields.insert(
                    format!("parts[{i}].media[{m}]"),
                    "This file is not one of your uploads (it may have been deleted). Upload it again.".to_owned(),
                );
            }
        }
    }
    if fields.is_empty() {
        return Ok(());
    }
    Err(AppError::Validation {
        message: "This post refers to files that are not among your uploads.".into(),
        fields,
    })
}

fn rejected(p: Preflight) -> AppError {
    let first = p.problems.values().next().cloned().unwrap_or_default();
    AppError::Validation {
        message: format!("This post cannot be scheduled yet: {first}"),
        fields: p.problems,
    }
}

/// Opens a stored composition.
pub async fn open(state: &AppState, p: &PostRecord) -> AppResult<Composition> {
    let key = state
        .vault
        .existing_key(&p.user_id)
        .await
        .map_err(|e| anyhow::anyhow!("vault: {e}"))?
        .ok_or(AppError::NotFound)?;
    let text = key
        .open_string(PURPOSE, &p.id, &p.content_enc)
        .map_err(|_| anyhow::anyhow!("sealed post content is unreadable"))?;
    Ok(serde_json::from_str(&text).map_err(anyhow::Error::from)?)
}

async fn seal(
    state: &AppState,
    user_id: &WorkspaceId,
    id: &PostId,
    c: &Composition,
) -> AppResult<Vec<u8>> {
    let key = state
        .vault
        .data_key(user_id)
        .await
        .map_err(|e| anyhow::anyhow!("vault: {e}"))?;
    Ok(key.seal(
        PURPOSE,
        id,
        serde_json::to_string(c)
            .map_err(anyhow::Error::from)?
            .as_bytes(),
    ))
}

/// Shapes a record for the API.
pub async fn view(state: &AppState, auth: &CurrentUser, p: &PostRecord) -> AppResult<PostView> {
    let tz = user_zone(auth);
    let (follow_ups, follow_up_of) = super::followups::views(state, p, tz).await?;
    Ok(PostView {
        follow_ups,
        follow_up_of,
        id: p.id.clone(),
        profile_id: p.profile_id.clone(),
        state: p.state,
        kind: p.kind,
        content: open(state, p).await?,
        scheduled_at: p.scheduled_at,
        local_time: p.local_time.clone(),
        timezone: p.timezone.clone(),
        scheduled_display: p
            .scheduled_at
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .map(|t| when::show(t, tz)),
        media_id: p.media_id.clone(),
        permalink: p.permalink.clone(),
        note: p.note.clone(),
        failure: p.failure.clone(),
        attempts: p.attempts,
        published_at: p.published_at,
    })
}

/// One of the user's posts (404 for anyone else's).
pub async fn owned(state: &AppState, auth: &CurrentUser, id: &PostId) -> AppResult<PostRecord> {
    state
        .store
        .planned_post(id)
        .await?
        .filter(|p| p.user_id == *auth.workspace_id())
        .ok_or(AppError::NotFound)
}

/// The workspace's planned posts, optionally those scheduled in `[from, to)`, soonest first.
pub async fn planned(
    state: &AppState,
    auth: &CurrentUser,
    range: Option<(i64, i64)>,
) -> AppResult<Vec<PostRecord>> {
    Ok(state
        .store
        .planned_posts_of(auth.workspace_id(), range)
        .await?)
}

/// Deletes a draft, cancelled or failed post of the workspace; false for any other post.
pub async fn delete(state: &AppState, auth: &CurrentUser, id: &PostId) -> AppResult<bool> {
    Ok(state
        .store
        .delete_planned_post(id, auth.workspace_id())
        .await?)
}

/// Marks the workspace's failures as seen.
pub async fn acknowledge_failures(state: &AppState, auth: &CurrentUser) -> AppResult<()> {
    state
        .store
        .acknowledge_failures(auth.workspace_id())
        .await?;
    Ok(())
}

pub(super) async fn owned_profile(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: &ProfileId,
) -> AppResult<()> {
    state
        .store
        .profile_of(auth.workspace_id(), profile_id)
        .await?
        .map(|_| ())
        .ok_or_else(|| AppError::field("profile_id", "Choose one of your connected profiles."))
}

/// Creates a draft or scheduled post.
pub async fn create(state: &AppState, auth: &CurrentUser, input: PostInput) -> AppResult<PostView> {
    owned_profile(state, auth, &input.profile_id).await?;
    own_uploads_only(state, auth, &input.content).await?;
    let (check, kind) = preflight(state, auth, &input.content).await?;
    let action = input.action.as_deref();
    if !check.ok() && action.unwrap_or("draft") != "draft" {
        return Err(rejected(check));
    }
    let (post_state, local_time, timezone, scheduled_at) = resolve_time(
        state,
        auth,
        &input.profile_id,
        action,
        input.local_time.as_deref(),
    )
    .await?;
    let id = PostId::new(uuid::Uuid::new_v4().to_string());
    let now = now_unix();
    let record = PostRecord {
        content_enc: seal(state, auth.workspace_id(), &id, &input.content).await?,
        id,
        user_id: auth.workspace_id().clone(),
        profile_id: input.profile_id,
        state: post_state,
        kind,
        local_time,
        timezone,
        scheduled_at,
        progress: publisher::Progress::default().to_json(),
        media_id: None,
        permalink: None,
        note: None,
        failure: None,
        attempts: 0,
        acknowledged: true,
        version: 0,
        created_at: now,
        updated_at: now,
        published_at: None,
    };
    let mut record = record;
    record.note = super::reconnect::note_for(state, &record).await?;
    state.store.insert_planned_post(&record).await?;
    super::approvals::written(state, auth, &record.id).await?;
    ledger(state, &record, EventKind::Created).await;
    enqueue_if_scheduled(state, &record).await?;
    view(state, auth, &record).await
}

/// Replaces the content and time of a post that is not being published.
pub async fn update(
    state: &AppState,
    auth: &CurrentUser,
    id: &PostId,
    input: PostInput,
) -> AppResult<PostView> {
    let mut record = owned(state, auth, id).await?;
    editable(&record)?;
    if let Some(part) = publisher::Progress::parse(&record.progress).unresolved() {
        // Its container holds the old content; publishing the new one could post it twice.
        return Err(AppError::Conflict(format!(
            "Post {} of this thread may already be on Threads: its publishing was interrupted. Press Retry so ThredOps can check with Threads first; edit it afterwards.",
            part + 1
        )));
    }
    owned_profile(state, auth, &input.profile_id).await?;
    own_uploads_only(state, auth, &input.content).await?;
    let (check, kind) = preflight(state, auth, &input.content).await?;
    let action = input.action.as_deref();
    if !check.ok() && action.unwrap_or("draft") != "draft" {
        return Err(rejected(check));
    }
    let (s, l, t, at) = resolve_time(
        state,
        auth,
        &input.profile_id,
        action,
        input.local_time.as_deref(),
    )
    .await?;
    record.content_enc = seal(state, auth.workspace_id(), id, &input.content).await?;
    record.profile_id = input.profile_id;
    record.kind = kind;
    (
        record.state,
        record.local_time,
        record.timezone,
        record.scheduled_at,
    ) = (s, l, t, at);
    super::approvals::written(state, auth, &record.id).await?;
    save(state, &record, EventKind::Edited).await?;
    view(state, auth, &record).await
}

fn editable(p: &PostRecord) -> AppResult<()> {
    match p.state {
        PostState::Draft | PostState::Scheduled | PostState::Failed | PostState::Cancelled => {
            Ok(())
        }
        PostState::Published => Err(AppError::Conflict(
            "This post is already published on Threads.".into(),
        )),
        _ => Err(AppError::Conflict(
            "This post is being published right now. Wait a moment, then try again.".into(),
        )),
    }
}

async fn save(state: &AppState, record: &PostRecord, event: EventKind) -> AppResult<()> {
    let mut record = record.clone();
    record.progress = publisher::Progress::parse(&record.progress)
        .keep_published()
        .to_json();
    record.note = super::reconnect::note_for(state, &record).await?;
    record.failure = None;
    if !state.store.update_planned_post(&record, now_unix()).await? {
        return Err(AppError::Conflict(
            "This post changed meanwhile (it may be publishing). Reload and try again.".into(),
        ));
    }
    record.version += 1;
    ledger(state, &record, event).await;
    enqueue_if_scheduled(state, &record).await
}

/// Moves a post to a new time (or the next free slot).
pub async fn reschedule(
    state: &AppState,
    auth: &CurrentUser,
    id: &PostId,
    action: &str,
    local_time: Option<&str>,
) -> AppResult<PostView> {
    let mut record = owned(state, auth, id).await?;
    editable(&record)?;
    if action != "draft" {
        let content = open(state, &record).await?;
        let (check, _) = preflight(state, auth, &content).await?;
        if !check.ok() {
            return Err(rejected(check));
        }
    }
    let (s, l, t, at) =
        resolve_time(state, auth, &record.profile_id, Some(action), local_time).await?;
    (
        record.state,
        record.local_time,
        record.timezone,
        record.scheduled_at,
    ) = (s, l, t, at);
    let event = if action == "draft" {
        EventKind::Unscheduled
    } else {
        EventKind::Scheduled
    };
    super::approvals::written(state, auth, &record.id).await?;
    save(state, &record, event).await?;
    view(state, auth, &record).await
}

/// Cancels a planned post (it stays listed as cancelled).
pub async fn cancel(state: &AppState, auth: &CurrentUser, id: &PostId) -> AppResult<PostView> {
    let mut record = owned(state, auth, id).await?;
    editable(&record)?;
    record.state = PostState::Cancelled;
    save(state, &record, EventKind::Cancelled).await?;
    view(state, auth, &record).await
}

/// Copies a post as a new draft, with the files that are still among the user's uploads (a
/// published post's files are removed once Threads has them).
pub async fn duplicate(state: &AppState, auth: &CurrentUser, id: &PostId) -> AppResult<PostView> {
    let record = owned(state, auth, id).await?;
    let mut content = open(state, &record).await?;
    for part in &mut content.parts {
        let mut kept = Vec::with_capacity(part.media.len());
        for item in part.media.drain(..) {
            if media::get(state, auth.workspace_id(), &item.id)
                .await?
                .is_some()
            {
                kept.push(item);
            }
        }
        part.media = kept;
    }
    create(
        state,
        auth,
        PostInput {
            profile_id: record.profile_id,
            content,
            action: None,
            local_time: None,
        },
    )
    .await
}

/// Tries a failed post again now.
pub async fn retry(state: &AppState, auth: &CurrentUser, id: &PostId) -> AppResult<PostView> {
    let record = owned(state, auth, id).await?;
    if record.state != PostState::Failed {
        return Err(AppError::Conflict(
            "Only failed posts can be retried.".into(),
        ));
    }
    let now = crate::clock::now();
    let local = now
        .with_timezone(&user_zone(auth))
        .format("%Y-%m-%dT%H:%M")
        .to_string();
    reschedule(state, auth, id, "schedule", Some(&local)).await
}
