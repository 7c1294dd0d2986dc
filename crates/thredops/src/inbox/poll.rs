//! The inbox poll: one job per profile (dedup key `inbox.poll:<profile>`), enqueued after each
//! hourly sync and when the inbox is turned on.
//!
//! It reads, newest first, the conversations of the profile's posts of the last
//! [`RECENT_HOURS`] hours and of older posts whose replies count (refreshed by the sync) grew
//! since they were last read, stopping at the newest reply already read; then the mentions,
//! stopping at the newest mention already read. The first poll reads the last [`BACKLOG_DAYS`]
//! days; older posts start with a watermark, so only their later replies arrive. A second run therefore reads one page per
//! watched post and one page of mentions, and stores only what is new. Calls count towards the
//! profile's daily budget, shared with the sync; with webhooks configured the poll runs at most
//! once a day, as a safety net for missed deliveries.

use futures_util::TryStreamExt;
use serde::Deserialize;
use threads_api::{ListQuery, Media, MediaId, PageStream};

use super::InboxItemId;
use super::store::WatchedPost;
use super::{Content, ITEM_PURPOSE, ItemKind, NewItem, ProfileState, Source, has_question};
use crate::app::AppState;
use crate::crypto::DataKey;
use crate::domain::{self, ProfileId, WorkspaceId};
use crate::jobs::{JobContext, JobError, NewJob, Runner, handler_fn};
use crate::store::StoreResult;
use crate::store::profiles::ProfileRecord;
use crate::sync::engine::SyncRun;

/// Job kind.
pub const KIND: &str = "inbox.poll";
/// Posts this recent have their conversation read at every poll (the sync refreshes their
/// replies count only hourly, then twice a day).
pub const RECENT_HOURS: i64 = 48;
/// How far back the first poll after turning the inbox on reads replies and mentions.
pub const BACKLOG_DAYS: i64 = 14;
/// Most conversations read per poll (the rest wait for the next one), newest posts first.
pub const MAX_POSTS: i64 = 100;
/// Most pages of one conversation, or of mentions, read per poll.
pub const MAX_PAGES: usize = 10;
/// With webhooks, the poll runs at most this often.
pub const SAFETY_NET_SECS: i64 = 24 * 3600;

/// Fields read for a reply.
const REPLY_FIELDS: &[&str] = &[
    "id",
    "username",
    "text",
    "media_type",
    "permalink",
    "timestamp",
    "replied_to",
    "root_post",
    "is_reply_owned_by_me",
    "hide_status",
];
/// Fields read for a mention.
const MENTION_FIELDS: &[&str] = &[
    "id",
    "username",
    "text",
    "media_type",
    "permalink",
    "timestamp",
];

#[derive(Deserialize)]
struct Payload {
    profile_id: ProfileId,
}

/// Registers the poll handler.
pub fn register(runner: Runner, state: &AppState) -> Runner {
    let state = state.clone();
    runner.register(
        KIND,
        handler_fn(move |ctx| Box::pin(run(state.clone(), ctx))),
    )
}

fn dedup_key(profile_id: &ProfileId) -> String {
    format!("{KIND}:{profile_id}")
}

/// Enqueues a poll of a profile in `delay_ms` (a pending one is reused and pulled forward).
pub async fn schedule(
    state: &AppState,
    user_id: &WorkspaceId,
    profile_id: &ProfileId,
    delay_ms: i64,
) -> StoreResult<()> {
    let at = crate::clock::now_ms() + delay_ms;
    let job = NewJob::new(KIND, serde_json::json!({"profile_id": profile_id}))
        .run_at(at)
        .dedup_key(dedup_key(profile_id))
        .max_attempts(10)
        .user(user_id)
        .subject(profile_id);
    let id = state.jobs.enqueue(job).await?;
    state.store.pull_job_forward(&id, at).await?;
    state.jobs.notify();
    Ok(())
}

/// Called when a profile's sync finished: polls its inbox if it is on.
pub async fn after_sync(state: &AppState, profile: &ProfileRecord) -> StoreResult<()> {
    let profile_id = profile.id.clone();
    match state.store.inbox_profile(&profile_id).await? {
        Some(row) if row.state == ProfileState::On => {
            let workspace = profile.user_id.clone();
            schedule(state, &workspace, &profile_id, 0).await
        }
        _ => Ok(()),
    }
}

async fn run(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    let payload: Payload = ctx.payload_as()?;
    let Some(row) = state.store.inbox_profile(&payload.profile_id).await? else {
        return Ok(());
    };
    if row.state != ProfileState::On {
        return Ok(());
    }
    let Some(run) = SyncRun::open(
        &state,
        &crate::domain::ProfileId::from(payload.profile_id.as_str()),
    )
    .await?
    else {
        return Ok(());
    };
    let now = run.now().timestamp();
    if !super::scopes_granted(&run.profile().scopes) {
        state
            .store
            .record_inbox_poll(&row.profile_id, now, 0, 0, Some("This profile has not granted the inbox's permissions. Turn the inbox on again to grant them."), None)
            .await?;
        return Ok(());
    }
    if super::webhooks_configured(&state)
        && row.last_poll_at.is_some_and(|t| now - t < SAFETY_NET_SECS)
    {
        return Ok(());
    }
    let used = state
        .store
        .api_calls_since(
            &crate::domain::ProfileId::from(row.profile_id.as_str()),
            now - 24 * 3600,
        )
        .await?;
    if used >= crate::sync::DAILY_CALL_BUDGET {
        return Err(JobError::retry_after(
            format!(
                "this profile used {used} API calls in 24 hours; waiting for the budget to recover"
            ),
            std::time::Duration::from_secs(3600),
        ));
    }
    let recent_since = now - RECENT_HOURS * 3600;
    let backlog_since = now - BACKLOG_DAYS * 86_400;
    if row.last_poll_at.is_none() {
        state
            .store
            .baseline_inbox_posts(&row.profile_id, backlog_since, now)
            .await?;
    }
    let poll = Poll {
        state: &state,
        run: &run,
        now,
    };
    let result = async {
        let replies = poll.replies(recent_since).await?;
        let since = row.mentions_since.unwrap_or(backlog_since);
        let (mentions, newest) = poll.mentions(since).await?;
        Ok::<_, PollError>((replies + mentions, newest))
    }
    .await;
    run.record_usage().await;
    let calls = run.calls() as i64;
    match result {
        Ok((new_items, newest)) => {
            state
                .store
                .record_inbox_poll(&row.profile_id, now, new_items, calls, None, newest)
                .await?;
            tracing::info!(profile_id = %row.profile_id, new_items, calls, "inbox polled");
            Ok(())
        }
        Err(PollError::Store(e)) => Err(e.into()),
        Err(PollError::Api(e)) => {
            let message = e.to_string();
            state
                .store
                .record_inbox_poll(&row.profile_id, now, 0, calls, Some(&message), None)
                .await?;
            Err(run.api_error(e).await)
        }
    }
}

struct Poll<'a> {
    state: &'a AppState,
    run: &'a SyncRun,
    now: i64,
}

impl Poll<'_> {
    /// Reads the conversations that may hold new replies; returns how many were stored.
    async fn replies(&self, recent_since: i64) -> Result<i64, PollError> {
        let posts = self
            .state
            .store
            .inbox_posts_to_read(&self.profile_id(), recent_since, MAX_POSTS)
            .await?;
        let mut stored = 0;
        for post in &posts {
            stored += self.conversation(post).await?;
        }
        Ok(stored)
    }

    /// The profile polled.
    fn profile_id(&self) -> ProfileId {
        ProfileId::new(self.run.profile().id.as_str())
    }

    async fn conversation(&self, post: &WatchedPost) -> Result<i64, PollError> {
        let query = ListQuery::new()
            .reverse(true)
            .limit(100)
            .fields(REPLY_FIELDS);
        let root = MediaId::new(post.media_id.clone());
        let pages = self.run.session().conversation_pages(&root, &query);
        let (found, newest) = self.newer_than(pages, post.newest_reply_at).await?;
        let mut stored = 0;
        let mut answered = Vec::new();
        for m in &found {
            if m.is_reply_owned_by_me == Some(true) {
                answered.extend(
                    m.replied_to
                        .as_ref()
                        .map(|r| domain::MediaId::from(r.id.as_str())),
                );
            } else if self.store(m, ItemKind::Reply, Some(&post.media_id)).await? {
                stored += 1;
            }
        }
        // Answers are newer than what they answer: marked once everything new is stored.
        for id in answered {
            self.state
                .store
                .mark_inbox_answered(&self.profile_id(), &id, self.now)
                .await?;
        }
        self.state
            .store
            .mark_inbox_post_read(&self.profile_id(), post, newest, self.now)
            .await?;
        Ok(stored)
    }

    /// Reads mentions newer than `since`; returns how many were stored and the newest seen.
    async fn mentions(&self, since: i64) -> Result<(i64, Option<i64>), PollError> {
        let query = ListQuery::new().limit(100).fields(MENTION_FIELDS);
        let pages = self.run.session().mentions_pages(&query);
        let (found, newest) = self.newer_than(pages, Some(since)).await?;
        let mut stored = 0;
        for m in &found {
            if self.store(m, ItemKind::Mention, None).await? {
                stored += 1;
            }
        }
        Ok((stored, newest))
    }

    /// The items of a newest-first list published at or after `since` (at most [`MAX_PAGES`]
    /// pages), and the newest time among them.
    async fn newer_than(
        &self,
        mut pages: PageStream<Media>,
        since: Option<i64>,
    ) -> Result<(Vec<Media>, Option<i64>), PollError> {
        let mut found = Vec::new();
        let mut newest: Option<i64> = None;
        'pages: for _ in 0..MAX_PAGES {
            let Some(page) = pages.try_next().await? else {
                break;
            };
            for m in page.data {
                let ts = m.timestamp.map_or(self.now, |t| t.timestamp());
                if since.is_some_and(|w| ts < w) {
                    break 'pages;
                }
                newest = Some(newest.map_or(ts, |n| n.max(ts)));
                found.push(m);
            }
        }
        Ok((found, newest))
    }

    async fn store(
        &self,
        m: &Media,
        kind: ItemKind,
        root: Option<&domain::MediaId>,
    ) -> Result<bool, PollError> {
        Ok(ingest(
            self.state,
            self.run.key(),
            self.run.profile(),
            m,
            kind,
            root,
            Source::Poll,
            self.now,
        )
        .await?)
    }
}

/// Why a poll stopped.
enum PollError {
    /// Threads refused or failed: handled like the sync's API errors.
    Api(threads_api::Error),
    /// Storing failed: the job retries.
    Store(crate::store::StoreError),
}

impl From<threads_api::Error> for PollError {
    fn from(e: threads_api::Error) -> Self {
        PollError::Api(e)
    }
}

impl From<crate::store::StoreError> for PollError {
    fn from(e: crate::store::StoreError) -> Self {
        PollError::Store(e)
    }
}

/// Seals and stores one reply or mention for a profile; true when it was new.
#[expect(
    clippy::too_many_arguments,
    reason = "one item's facts, from two callers"
)]
pub(super) async fn ingest(
    state: &AppState,
    key: &DataKey,
    profile: &ProfileRecord,
    m: &Media,
    kind: ItemKind,
    root_id: Option<&domain::MediaId>,
    source: Source,
    now: i64,
) -> StoreResult<bool> {
    let id = InboxItemId::new(uuid::Uuid::new_v4().to_string());
    let text = m.text.clone().unwrap_or_default();
    let content = Content {
        username: m.username.clone(),
        text: text.clone(),
        permalink: m.permalink.clone(),
        media_type: m.media_type.as_ref().map(|t| t.as_str().to_owned()),
    };
    let sealed = key.seal(
        ITEM_PURPOSE,
        &id,
        serde_json::to_string(&content)
            .unwrap_or_default()
            .as_bytes(),
    );
    let root_id = root_id.cloned().or_else(|| {
        m.root_post
            .as_ref()
            .map(|r| domain::MediaId::from(r.id.as_str()))
    });
    let replied_to = m
        .replied_to
        .as_ref()
        .map(|r| domain::MediaId::from(r.id.as_str()));
    let top_level = kind == ItemKind::Reply && replied_to.is_some() && replied_to == root_id;
    let item = NewItem {
        id,
        user_id: profile.user_id.clone(),
        profile_id: profile.id.clone(),
        threads_id: domain::MediaId::from(m.id.as_str()),
        kind,
        root_id,
        replied_to_id: replied_to,
        top_level,
        content_enc: sealed,
        has_question: has_question(&text),
        posted_at: m.timestamp.map_or(now, |t| t.timestamp()),
        received_at: now,
        source,
        hidden: m.hide_status == Some(threads_api::HideStatus::Hidden),
    };
    state.store.insert_inbox_item(&item).await
}
