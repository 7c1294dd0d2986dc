//! The publisher's careful paths: picking up after an interrupted publish, permalinks, and API
//! errors in plain words.

use std::time::Duration;

use futures_util::TryStreamExt;
use threads_api::{ContainerId, ContainerState, ErrorClass, ListQuery, MediaId};

use super::publisher::{PartProgress, Run};
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

/// A publishing call for part `i` started but its result was never stored: find out what
/// happened instead of publishing again.
pub async fn after_interruption(run: &mut Run<'_>, i: usize) -> Result<Outcome, JobError> {
    let part = run.progress.parts[i].clone();
    if let Some(container) = &part.container_id {
        match run
            .session
            .container_status(&ContainerId::new(container.clone()))
            .await
        {
            Ok(s) if s.status == ContainerState::Finished => return Ok(Outcome::Retry),
            Ok(s) if s.status == ContainerState::InProgress => {
                return Ok(Outcome::Wait(Duration::from_secs(3)));
            }
            Ok(s) if s.status == ContainerState::Error => {
                return Ok(Outcome::Failed(processing_error(
                    s.error_message.as_deref(),
                )));
            }
            Ok(s) if s.status == ContainerState::Expired => {
                run.progress.parts[i] = PartProgress::default();
                run.save("scheduled", None).await?;
                return Ok(Outcome::Retry);
            }
            // PUBLISHED, or Meta's "nonexisting field (status)" for an id that became media.
            Ok(_) => {}
            Err(e) if e.to_string().contains("nonexisting field") => {}
            Err(e) => return api_error(run, e).await,
        }
    }
    match find_published(run, i, part.publish_started.unwrap_or(0)).await? {
        Some(media) => {
            run.event("recovered", &format!("Found post {} already on Threads after an interruption; it was not published again.", i + 1)).await;
            run.adopt(i, &media).await
        }
        None if part.container_id.is_some() => Ok(Outcome::Wait(Duration::from_secs(10))),
        None => {
            // The auto-published text never arrived: clear the mark and publish it.
            run.progress.parts[i].publish_started = None;
            let state = run.post.state.clone();
            if !run.save(&state, None).await? {
                return Ok(Outcome::Lost);
            }
            Ok(Outcome::Retry)
        }
    }
}

/// The newest of the profile's posts (or replies, for later parts of a chain) published since
/// `since` with this part's text.
async fn find_published(run: &Run<'_>, i: usize, since: i64) -> Result<Option<String>, JobError> {
    let since = chrono::DateTime::from_timestamp(since - 60, 0).unwrap_or_default();
    let query = ListQuery::new().since(since).limit(50);
    let mut pages = if i == 0 {
        run.session.posts_pages(&query)
    } else {
        run.session.user_replies_pages(&query)
    };
    let text = run.content.parts[i].text.trim().to_owned();
    let page = pages
        .try_next()
        .await
        .map_err(|e| JobError::retry(format!("listing posts: {e}")))?;
    Ok(page.and_then(|p| {
        p.data
            .into_iter()
            .find(|m| m.text.as_deref().unwrap_or("").trim() == text)
            .map(|m| m.id.as_str().to_owned())
    }))
}

/// Reads the permalink of a published part; a post counts as published only with it.
pub async fn fetch_permalink(run: &mut Run<'_>, i: usize) -> Result<Outcome, JobError> {
    let media = MediaId::new(run.progress.parts[i].media_id.clone().unwrap_or_default());
    match run.session.media(&media).await {
        Ok(m) => match m.permalink {
            Some(link) => {
                run.progress.parts[i].permalink = Some(link);
                // The last part's permalink is stored with the post's publication.
                let last = i + 1 == run.progress.parts.len();
                let state = run.post.state.clone();
                if !last && !run.save(&state, None).await? {
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
                run.event("retry", &reason).await;
                return Err(JobError::retry_after(reason, after.max(Duration::from_secs(1))));
            }
        }
        ErrorClass::NotReady => Outcome::Wait(Duration::from_secs(3)),
        ErrorClass::QuotaExhausted => {
            // Threads knows better than the stored reading: the next post reads again.
            run.state.store.quota_used_up(&run.post.profile_id).await?;
            Outcome::Defer(
                "Threads' daily limit for this profile is reached. ThredOps will try again in an hour.".into(),
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
