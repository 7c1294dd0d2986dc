//! The publisher: a durable job per due post that walks the state machine
//! `scheduled -> container_created -> ready -> published` (or `failed`, with the reason).
//!
//! Exactly once: every part, text included, is published from a container; every id Threads
//! gives us (child containers, the container, each part's media id) is stored before the next
//! call, and the moment a publishing call starts is stored before it is made. A run that finds
//! such a mark without a media id (a crash, a timeout, a second instance) never calls publish
//! blindly: it asks Threads for the container's status. `FINISHED` means nothing was published
//! (and Threads publishes a container at most once, so even a call still in flight cannot make
//! a second copy); `PUBLISHED` means the post is on Threads, and the run adopts it from the
//! profile's posts, never publishing again. Every write is a compare-and-set on the post's
//! version, so of two workers on one post only one proceeds.

use std::time::Duration;

use serde::Deserialize;
use threads_api::{MediaId, Session};

use super::{EventKind, PostState};
use crate::domain::PostId;

use super::compose::Composition;
pub use super::progress::{PartProgress, Progress};
use super::quota::{self, Gate};
use super::recover::{self, Outcome};
use super::store::quota::QuotaRow;
use super::store::{PostRecord, PublisherWrite, QuotaOp, Written};
use super::{media, when};
use crate::app::AppState;
use crate::clock::now_ms;
use crate::clock::now_unix;
use crate::jobs::{JobContext, JobError};

/// Job kind of the publisher.
pub const KIND: &str = "publish_post";
/// How soon a container still processing is checked again.
pub(super) const POLL_EVERY: Duration = Duration::from_secs(3);
/// How long a publish waits when the profile's daily quota is used up.
const QUOTA_WAIT: Duration = Duration::from_secs(3600);
/// How long before its time a post's run starts: it reads what it needs (post, profile, quota)
/// and then waits for the exact second, so the first call goes out on time.
pub const LEAD: Duration = Duration::from_secs(5);

#[derive(Deserialize)]
struct Payload {
    post_id: PostId,
}

/// One attempt at publishing one post.
pub(super) struct Run<'a> {
    pub(super) state: &'a AppState,
    pub(super) ctx: &'a JobContext,
    pub(super) post: PostRecord,
    pub(super) content: Composition,
    pub(super) progress: Progress,
    pub(super) session: Session,
    pub(super) quota: &'a Gate,
    /// The profile's quota reading as the run found it.
    pub(super) first_reading: Option<QuotaRow>,
    /// A quota reservation is held for a publishing call that has not returned yet.
    pub(super) quota_held: bool,
    /// The owner's zone (a first reply is planned in it).
    pub(super) owner_timezone: Option<String>,
}

/// The job handler; `quota` is shared by the runs of this process.
pub async fn handle(state: AppState, quota: &Gate, ctx: JobContext) -> Result<(), JobError> {
    let payload: Payload = ctx.payload_as()?;
    let Some(start) = state.store.publisher_start(&payload.post_id).await? else {
        return Ok(());
    };
    let post = start.post.clone();
    if !post.state.is_underway() {
        return Ok(());
    }
    // A run for a time the post no longer has: the run for its new time does the work.
    let key_time = ctx
        .dedup_key()
        .and_then(|k| k.rsplit(':').next()?.parse::<i64>().ok());
    if key_time.is_some() && key_time != post.scheduled_at {
        return Ok(());
    }
    if post.state == PostState::Scheduled
        && retimed(&state, &post, start.owner_timezone.as_deref()).await?
    {
        return Ok(());
    }
    // A post that has not started publishing waits for its approval; one already underway was
    // approved when it started.
    if post.state == PostState::Scheduled
        && super::approvals::held(start.approvals_required, start.approval)
    {
        return hold(&state, &ctx, &post).await;
    }
    // Approved since it was held: the note that said it waited goes with the next write.
    let mut post = post;
    if post.note.as_deref() == Some(super::approvals::HELD_NOTE) {
        post.note = None;
    }
    let (session, content) = super::start::open(&state, &start).await?;
    let Some(session) = session else {
        return fail(
            &state,
            &post,
            "The profile is disconnected or needs reconnecting. Reconnect it, then press Retry.",
        )
        .await;
    };
    let mut progress = Progress::parse(&post.progress);
    progress
        .parts
        .resize(content.parts.len(), PartProgress::default());
    let mut run = Run {
        state: &state,
        ctx: &ctx,
        post,
        content,
        progress,
        session,
        quota,
        first_reading: start.quota,
        quota_held: false,
        owner_timezone: start.owner_timezone.clone(),
    };
    match run.publish_all().await {
        Ok(outcome) => run.settle(outcome).await,
        Err(e) => {
            run.call_returned().await;
            Err(e)
        }
    }
}

/// When the user's zone changed since scheduling (and the change did not re-time it, e.g. it
/// was made by an older version), keeps the wall-clock time and moves the instant; true when
/// the post was moved to a new run.
async fn retimed(
    state: &AppState,
    post: &PostRecord,
    owner_timezone: Option<&str>,
) -> Result<bool, JobError> {
    let zone = when::zone(owner_timezone);
    super::plan::retime(state, post, zone)
        .await
        .map(|moved| moved.is_some())
        .map_err(|e| JobError::retry(e.to_string()))
}

/// Keeps a post that waits for approval: the same job looks again in a minute (its key passes
/// to the next run in the transaction that ends this one, so an approval given at any moment is
/// seen), and a week after its time the post fails with the reason.
async fn hold(state: &AppState, ctx: &JobContext, post: &PostRecord) -> Result<(), JobError> {
    use super::approvals::{GIVE_UP_AFTER_SECS, HOLD_RECHECK_SECS};
    let now = crate::clock::now_unix();
    let due = post.scheduled_at.unwrap_or(now);
    if now - due > GIVE_UP_AFTER_SECS {
        return fail(
            state,
            post,
            "It was still waiting for approval a week after its time, so it was not published. Approve it and press Retry, or plan it again.",
        )
        .await;
    }
    if post.note.as_deref() != Some(super::approvals::HELD_NOTE) {
        state
            .store
            .hold_note(&post.id, super::approvals::HELD_NOTE)
            .await
            .map_err(|e| JobError::retry(e.to_string()))?;
    }
    ctx.schedule_next((now + HOLD_RECHECK_SECS).max(due) * 1000 - LEAD.as_millis() as i64);
    Ok(())
}

fn lost_unless(written: Written) -> Option<Outcome> {
    (written != Written::Done).then_some(Outcome::Lost)
}

pub(super) async fn fail(
    state: &AppState,
    post: &PostRecord,
    reason: &str,
) -> Result<(), JobError> {
    let w = PublisherWrite {
        state: PostState::Failed,
        progress: post.progress.clone(),
        failure: Some(reason.to_owned()),
        attempts: post.attempts,
        event: Some((EventKind::Failed, reason.to_owned())),
        ..PublisherWrite::default()
    };
    let written = state
        .store
        .publisher_write(&post.id, post.version, &w, now_unix())
        .await?;
    if written == Written::Done {
        let failed = PostRecord {
            state: PostState::Failed,
            failure: w.failure,
            version: post.version + 1,
            ..post.clone()
        };
        if let Err(e) = crate::notifications::post_failed(state, &failed).await {
            // The notifications sweep records it later.
            tracing::warn!(error = %e, post_id = %post.id, "could not record the failure notification");
        }
    }
    Ok(())
}

impl Run<'_> {
    /// Stores the progress (and state) if nobody else wrote meanwhile.
    pub(super) async fn save(
        &mut self,
        new_state: PostState,
        note: Option<String>,
    ) -> Result<bool, JobError> {
        let w = PublisherWrite {
            state: new_state,
            note,
            ..self.write()
        };
        Ok(self.apply(w).await? == Written::Done)
    }

    /// The write of the current progress, state and attempts.
    pub(super) fn write(&self) -> PublisherWrite {
        PublisherWrite {
            state: self.post.state,
            progress: self.progress.to_json(),
            attempts: self.post.attempts,
            ..PublisherWrite::default()
        }
    }

    /// Applies a write; on success the run's copy of the post follows it.
    pub(super) async fn apply(&mut self, w: PublisherWrite) -> Result<Written, JobError> {
        let written = self
            .state
            .store
            .publisher_write(&self.post.id, self.post.version, &w, now_unix())
            .await?;
        if written == Written::Done {
            self.post.version += 1;
            self.post.state = w.state;
        }
        Ok(written)
    }

    /// Stores that the publishing call of part `i` is about to be made; for the top-level part
    /// also reserves one post of the profile's quota in the same write (see `quota`). `Some`
    /// when the call must not be made.
    pub(super) async fn mark_started(
        &mut self,
        i: usize,
        new_state: PostState,
    ) -> Result<Option<Outcome>, JobError> {
        let before = (self.progress.parts[i].publish_started, self.post.attempts);
        self.progress.parts[i].publish_started = Some(self.state.threads.now().timestamp());
        self.post.attempts += 1;
        let w = PublisherWrite {
            state: new_state,
            ..self.write()
        };
        let stop = if i == 0 {
            self.mark_reserving(w).await?
        } else {
            lost_unless(self.apply(w).await?)
        };
        if matches!(stop, Some(Outcome::Defer(_))) {
            (self.progress.parts[i].publish_started, self.post.attempts) = before;
        }
        Ok(stop)
    }

    async fn mark_reserving(&mut self, w: PublisherWrite) -> Result<Option<Outcome>, JobError> {
        let asked = now_ms();
        let profile_id = self.post.profile_id.clone();
        let reserve = move |ask| {
            Some(QuotaOp::Reserve {
                profile_id: profile_id.clone(),
                ask,
            })
        };
        let mut written = self
            .apply(PublisherWrite {
                quota: reserve(quota::cached(asked)),
                ..w.clone()
            })
            .await?;
        let mut asked = asked;
        let mut tries = 0;
        while written == Written::NoQuota {
            // The reading is old or nearly used up: read again (or use a reading another worker
            // took meanwhile) and reserve against that reading only.
            let Some(row) = quota::read(self, asked).await? else {
                // Threads does not say; the publish itself will tell if the quota is used up.
                return Ok(lost_unless(self.apply(w).await?));
            };
            written = self
                .apply(PublisherWrite {
                    quota: reserve(quota::fresh(asked)),
                    ..w.clone()
                })
                .await?;
            if written == Written::NoQuota {
                if tries == quota::SETTLE_TRIES {
                    return Ok(Some(quota::used_up(&row)));
                }
                // A call that returned (Meta counted it) but whose return is not recorded yet
                // is subtracted twice from a reading: let it settle, then read once more before
                // making the post wait an hour.
                tries += 1;
                tokio::time::sleep(quota::SETTLE_WAIT).await;
                asked = now_ms();
            }
        }
        self.quota_held = written == Written::Done;
        Ok(lost_unless(written))
    }

    /// Records that the reserved publishing call returned (whatever it answered).
    pub(super) async fn call_returned(&mut self) {
        if std::mem::take(&mut self.quota_held)
            && let Err(e) = self
                .state
                .store
                .settle_post_quota(&self.post.profile_id)
                .await
        {
            tracing::warn!(error = %e, "could not record a returned publishing call");
        }
    }

    /// Appends to the ledger.
    pub(super) async fn event(&self, kind: EventKind, message: &str) {
        let _ = self
            .state
            .store
            .add_publish_event(&self.post.id, crate::clock::now_ms(), kind, message)
            .await;
    }

    async fn publish_all(&mut self) -> Result<Outcome, JobError> {
        let untouched = self.progress.parts[0].media_id.is_none()
            && self.progress.parts[0].publish_started.is_none();
        if untouched && let Some(outcome) = quota::check(self).await? {
            return Ok(outcome);
        }
        let early = self.early();
        if early > LEAD * 2 {
            return Ok(Outcome::Wait(early - LEAD));
        }
        // The first part's container publishes nothing: prepare it in the seconds before the
        // post's time, so that at the time only the publishing call remains.
        if untouched && let Some(outcome) = self.prepare(0, self.parent_of(0)).await? {
            return Ok(outcome);
        }
        tokio::time::sleep(self.early()).await;
        for i in 0..self.content.parts.len() {
            if self.progress.parts[i].permalink.is_some() {
                continue;
            }
            let outcome = self.publish_part(i).await?;
            if !matches!(outcome, Outcome::Published) {
                return Ok(outcome);
            }
        }
        Ok(Outcome::Published)
    }

    /// The post part `i` replies to: the one before it in a chain, or for the first part the
    /// post the whole composition answers (none for an ordinary top-level post).
    fn parent_of(&self, i: usize) -> Option<MediaId> {
        match i {
            0 => self.content.reply_target(),
            _ => self.progress.parts[i - 1]
                .media_id
                .as_deref()
                .map(MediaId::new),
        }
    }

    async fn publish_part(&mut self, i: usize) -> Result<Outcome, JobError> {
        let reply_to = self.parent_of(i);
        let interrupted = self.progress.parts[i].media_id.is_none()
            && self.progress.parts[i].publish_started.is_some();
        if interrupted {
            match recover::after_interruption(self, i).await? {
                Outcome::Published | Outcome::Retry => {}
                other => return Ok(other),
            }
        }
        if self.progress.parts[i].media_id.is_none() {
            if let Some(outcome) = self.prepare(i, reply_to).await? {
                return Ok(outcome);
            }
            let outcome = self.publish_container(i).await?;
            if !matches!(outcome, Outcome::Published) {
                return Ok(outcome);
            }
        }
        recover::fetch_permalink(self, i).await
    }

    /// How long until the post's time. Runs start up to [`LEAD`] early and send nothing that
    /// publishes before it; a run that started earlier than that (e.g. an operator ran it by
    /// hand) comes back later.
    fn early(&self) -> Duration {
        let due_ms = self.post.scheduled_at.unwrap_or(0).saturating_mul(1000);
        Duration::from_millis(u64::try_from(due_ms - now_ms()).unwrap_or(0))
    }

    async fn settle(&mut self, outcome: Outcome) -> Result<(), JobError> {
        if outcome != Outcome::Published {
            self.call_returned().await;
        }
        match outcome {
            Outcome::Published => self.finish().await,
            Outcome::Wait(d) => {
                self.ctx
                    .schedule_next(crate::clock::now_ms() + d.as_millis() as i64);
                Ok(())
            }
            Outcome::Defer(note) => {
                // Back to plain "scheduled" (editable while it waits): a prepared container
                // whose publishing never started is dropped, and made again when the post goes.
                let unstarted =
                    |p: &PartProgress| p.media_id.is_none() && p.publish_started.is_none();
                if self.progress.parts.first().is_some_and(unstarted) {
                    self.progress.parts[0] = PartProgress::default();
                    self.post.state = PostState::Scheduled;
                }
                self.save(self.post.state, Some(note.clone())).await?;
                self.event(EventKind::Deferred, &note).await;
                self.ctx
                    .schedule_next(crate::clock::now_ms() + QUOTA_WAIT.as_millis() as i64);
                Ok(())
            }
            Outcome::Failed(reason) => {
                self.post.progress = self.progress.to_json();
                fail(self.state, &self.post, &reason).await
            }
            Outcome::Retry => {
                self.ctx.schedule_next(crate::clock::now_ms());
                Ok(())
            }
            Outcome::Lost => Ok(()),
        }
    }

    async fn finish(&mut self) -> Result<(), JobError> {
        let root = self.progress.parts[0].clone();
        let message = format!(
            "Published on Threads: {}",
            root.permalink.clone().unwrap_or_default()
        );
        // The reserved call returned long ago; recording it here saves a write per post.
        // Its first reply and auto-plug are written with the publication, so a crash between
        // the two cannot lose them or (on a second recording) make them twice.
        let followups = super::followups::plan(
            self.state,
            &self.post,
            &self.content,
            root.media_id
                .as_ref()
                .unwrap_or(&crate::domain::MediaId::new("")),
            self.state.threads.now().timestamp(),
            self.owner_timezone.as_deref(),
        )
        .await
        .map_err(|e| JobError::retry(format!("planning the post's follow-ups: {e:#}")))?;
        let first_reply = followups.first_reply.clone();
        let settle = std::mem::take(&mut self.quota_held).then(|| QuotaOp::Settle {
            profile_id: self.post.profile_id.clone(),
        });
        let mut published = self.post.clone();
        published.media_id = root.media_id.clone();
        published.permalink = root.permalink.clone();
        published.published_at = Some(now_unix());
        let w = PublisherWrite {
            state: PostState::Published,
            media_id: root.media_id,
            permalink: root.permalink,
            published_at: published.published_at,
            event: Some((EventKind::Published, message)),
            quota: settle.clone(),
            followups: Some(Box::new(followups)),
            ..self.write()
        };
        if self.apply(w).await? != Written::Done {
            self.quota_held = settle.is_some();
            self.call_returned().await;
            return Ok(());
        }
        crate::webhooks::emit_or_log(
            self.state,
            &published.user_id,
            crate::webhooks::post_published(&published),
        )
        .await;
        if let Some(child) = &first_reply {
            super::followups::note_created(
                self.state,
                child,
                "First reply, planned when its post was published.",
            )
            .await;
            if let Err(e) = super::plan::enqueue_if_scheduled(self.state, child).await {
                // The sweep gives a due post without a run its run.
                tracing::warn!(error = %e, post_id = %child.id, "could not enqueue a first reply");
            }
        }
        for item in self.content.parts.iter().flat_map(|p| &p.media) {
            if let Ok(Some(u)) = media::get(self.state, &self.post.user_id, &item.id).await
                && let Err(e) = media::delete(self.state, &u).await
            {
                // The media sweep removes it later; the post itself is published.
                tracing::warn!(error = %e, upload_id = %u.id, "could not delete a published upload");
            }
        }
        Ok(())
    }
}
