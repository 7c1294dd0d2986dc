//! The publisher's careful paths: picking up after an interrupted publish, permalinks, and API
//! errors in plain words.

use std::time::Duration;

use futures_util::TryStreamExt;
use threads_api::{ContainerState, ErrorClass, ListQuery, MediaId};

use super::publisher::{PartProgress, Run};
use super::{EventKind, PostState};
use crate::jobs::JobError;

/// Where one step of the publisher left the post.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The part (or the whole post) is published.
    Published,
    /// Not yet (e.g. media still processing): run again after this long.
    Wait(Duration),
    /// The quota is used up: wait an hour, telling the user why.
    Defer(String),
    /// Cannot succeed without the user: the reason.
    Failed(String),
    /// Start the part over (nothing was published).
    Retry,
    /// Another worker wrote meanwhile; it carries on.
    Lost,
}

/// How long after its publishing call a part that Threads reports published may go unfound
/// among the profile's posts before the user is told (it is never published again).
const FIND_FOR: Duration = Duration::from_secs(3600);
/// How far before the publishing call's start a post it made may be dated (clock skew).
const SKEW: i64 = 300;

/// A publishing call for part `i` started but its result was never stored: find out what
/// happened instead of publishing again.
pub async fn after_interruption(run: &mut Run<'_>, i: usize) -> Result<Outcome, JobError> {
    let part = run.progress.parts[i].clone();
    let Some(container) = &part.container_id else {
        return after_auto_publish(run, i).await;
    };
    let status = match run.session.container_status(container).await {
        Ok(s) => s,
        // Older Graph versions answer a published container like the media it became.
        Err(e) if e.to_string().contains("nonexisting field") => return on_threads(run, i).await,
        Err(e) => return api_error(run, e).await,
    };
    match status.status {
        // Not published: publishing it is safe, as Threads publishes a container at most once.
        ContainerState::Finished => Ok(Outcome::Retry),
        ContainerState::InProgress => Ok(Outcome::Wait(Duration::from_secs(3))),
        ContainerState::Error => Ok(Outcome::Failed(processing_error(
            status.error_message.as_deref(),
        ))),
        ContainerState::Expired => {
            run.progress.parts[i] = PartProgress::default();
            run.save(PostState::Scheduled, None).await?;
            Ok(Outcome::Retry)
        }
        _ => on_threads(run, i).await,
    }
}

/// Part `i`'s container is published: adopts the post Threads made of it, never publishing again.
pub async fn on_threads(run: &mut Run<'_>, i: usize) -> Result<Outcome, JobError> {
    let started = run.progress.parts[i]
        .publish_started
        .unwrap_or_else(|| run.state.threads.now().timestamp());
    match find_published(run, i, started).await? {
        Ok(Some(media)) => {
            run.event(EventKind::Recovered, &format!("Found post {} already on Threads after an interruption; it was not published again.", i + 1)).await;
            run.adopt(i, media).await
        }
        Ok(None) if run.state.threads.now().timestamp() - started > FIND_FOR.as_secs() as i64 => {
            Ok(Outcome::Failed(format!(
                "Threads reports post {} as published, but ThredOps could not find it among the profile's posts for an hour. It will not be published again; check the profile on Threads, then press Retry to look again.",
                i + 1
            )))
        }
        Ok(None) => Ok(Outcome::Wait(Duration::from_secs(10))),
        Err(e) if i > 0 && matches!(e.class(), ErrorClass::Permission) => {
            Ok(Outcome::Failed(format!(
                "Post {} of this chain reached Threads, but finding it needs permission to read your replies, which this profile has not granted. Reconnect the profile, then press Retry; nothing will be published twice.",
                i + 1
            )))
        }
        Err(e) if run.content.reply_target().is_some() && matches!(e.class(), ErrorClass::Permission) => {
            Ok(Outcome::Failed(
                "This reply reached Threads, but finding it needs permission to read your replies, which this profile has not granted. Reconnect the profile, then press Retry; nothing will be published twice.".to_owned(),
            ))
        }
        Err(e) => api_error(run, e).await,
    }
}

/// A text part published with `auto_publish_text` (before every part had a container): its
/// answer was lost, so only the profile's posts can tell whether it went out.
async fn after_auto_publish(run: &mut Run<'_>, i: usize) -> Result<Outcome, JobError> {
    let started = run.progress.parts[i].publish_started.unwrap_or(0);
    match find_published(run, i, started).await? {
        Ok(Some(media)) => {
            run.event(EventKind::Recovered, &format!("Found post {} already on Threads after an interruption; it was not published again.", i + 1)).await;
            run.adopt(i, media).await
        }
        Ok(None) => {
            // The call never arrived: clear the mark and publish (from a container this time).
            run.progress.parts[i].publish_started = None;
            if !run.save(run.post.state, None).await? {
                return Ok(Outcome::Lost);
            }
            Ok(Outcome::Retry)
        }
        Err(e) => api_error(run, e).await,
    }
}

/// The post (or, for later parts of a chain, the reply) with this part's text that the
/// profile published around `started`, among every page since then, leaving out posts that
/// other planned posts of the profile already hold: with identical texts, each post adopts a
/// different copy. The copy dated nearest `started` wins.
async fn find_published(
    run: &Run<'_>,
    i: usize,
    started: i64,
) -> Result<Result<Option<crate::domain::MediaId>, threads_api::Error>, JobError> {
    // Read first: adopting a copy another post holds would leave one of the two unpublished.
    let held = run
        .state
        .store
        .media_held_by_other_posts(&run.post.profile_id, &run.post.id)
        .await?;
    let since = started - SKEW;
    let query = ListQuery::new()
        .since(chrono::DateTime::from_timestamp(since, 0).unwrap_or_default())
        .limit(100)
        .fields(&["id", "text", "timestamp", "replied_to"]);
    let parent = match i.checked_sub(1) {
        Some(p) => run.progress.parts[p].media_id.clone(),
        None => run.content.reply_target().map(|m| m.into_inner().into()),
    };
    // A reply (a later part of a chain, or a post answering another) is among the replies.
    let mut pages = if i == 0 && run.content.reply_target().is_none() {
        run.session.posts_pages(&query)
    } else {
        run.session.user_replies_pages(&query)
    };
    let text = run.content.parts[i].text.trim().to_owned();
    let mut candidates = Vec::new();
    loop {
        let page = match pages.try_next().await {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(e) => return Ok(Err(e)),
        };
        for m in page.data {
            let same_text = m.text.as_deref().unwrap_or("").trim() == text;
            let same_parent = match (&parent, &m.replied_to) {
                (Some(p), Some(r)) => r.id.as_str() == p.as_str(),
                _ => true,
            };
            let at = m.timestamp.map_or(started, |t| t.timestamp());
            if same_text && same_parent && at >= since {
                candidates.push((crate::domain::MediaId::new(m.id.as_str()), at));
            }
        }
    }
    Ok(Ok(candidates
        .into_iter()
        .filter(|(id, _)| !held.contains(id))
        .min_by_key(|(_, at)| (at - started).abs())
        .map(|(id, _)| id)))
}

/// Reads the permalink of a published part; a post counts as published only with it.
pub async fn fetch_permalink(run: &mut Run<'_>, i: usize) -> Result<Outcome, JobError> {
    let media = MediaId::new(
        run.progress.parts[i]
            .media_id
            .as_deref()
            .unwrap_or_default(),
    );
    match run.session.media(&media).await {
        Ok(m) => match m.permalink {
            Some(link) => {
                run.progress.parts[i].permalink = Some(link);
                // The last part's permalink is stored with the post's publication.
                let last = i + 1 == run.progress.parts.len();
                if !last && !run.save(run.post.state, None).await? {
                    return Ok(Outcome::Lost);
                }
                Ok(Outcome::Published)
            }
            None => Ok(Outcome::Wait(Duration::from_secs(5))),
        },
        Err(e) => api_error(run, e).await,
    }
}

/// What an API failure means for the post, recorded in the ledger in plain words.
pub async fn api_error(run: &mut Run<'_>, e: threads_api::Error) -> Result<Outcome, JobError> {
    let outcome = match e.class() {
        ErrorClass::RetryLater { after } => {
            let reason = format!("Threads did not answer properly ({e}); trying again shortly.");
            if run.ctx.is_last_attempt() {
                Outcome::Failed(format!("Threads kept failing after several tries: {e}. Press Retry to try again."))
            } else {
                run.event(EventKind::Retry, &reason).await;
                return Err(JobError::retry_after(reason, after.max(Duration::from_secs(1))));
            }
        }
        ErrorClass::NotReady => Outcome::Wait(Duration::from_secs(3)),
        ErrorClass::QuotaExhausted => {
            // Threads knows better than the stored reading: the next post reads again.
            run.state.store.quota_used_up(&run.post.profile_id).await?;
            Outcome::Defer(
                "Threads' daily limit for this profile is reached (250 posts, and 1,000 replies, per 24 hours). ThredOps will try again in an hour, as posts and replies from a day ago drop out of the count.".into(),
            )
        }
        ErrorClass::Reauth => Outcome::Failed(
            "Threads no longer accepts ThredOps' access to this profile. Reconnect the profile, then press Retry.".into(),
        ),
        ErrorClass::Permission => Outcome::Failed(format!(
            "Threads refused a permission ThredOps needs to publish ({e}). Reconnect the profile and allow publishing, then press Retry."
        )),
        ErrorClass::Invalid { message } => {
            Outcome::Failed(format!("Threads refused the post: {message}"))
        }
    };
    Ok(outcome)
}

/// Threads' processing error codes in words.
pub fn processing_error(code: Option<&str>) -> String {
    let code = code.unwrap_or("UNKNOWN");
    let words = match code {
        "FAILED_DOWNLOADING_VIDEO" => "Threads could not download the media from ThredOps",
        "FAILED_PROCESSING_AUDIO" => "Threads could not process the video's sound",
        "FAILED_PROCESSING_VIDEO" => "Threads could not process the video",
        "INVALID_ASPEC_RATIO" | "INVALID_ASPECT_RATIO" => {
            "The image or video is too narrow or too wide for Threads"
        }
        "INVALID_BIT_RATE" => "The video's bit rate is too high for Threads (at most 100 Mbps)",
        "INVALID_DURATION" => "The video is too long or too short for Threads (at most 5 minutes)",
        "INVALID_FRAME_RATE" => {
            "The video's frame rate is not accepted (23 to 60 frames per second)"
        }
        "INVALID_AUDIO_CHANNELS" | "INVALID_AUDIO_CHANNEL_LAYOUT" => {
            "The video's sound must be mono or stereo"
        }
        _ => "Threads could not process the media",
    };
    format!("{words} ({code}). Fix the file, upload it again, then press Retry.")
}
