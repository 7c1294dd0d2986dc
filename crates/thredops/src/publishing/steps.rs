//! The publisher's calls for one part: its container (carousel items one by one), waiting for
//! `FINISHED`, and publishing.
//!
//! Every part, text included, is published from a container whose id is stored before the
//! publishing call: Threads publishes a container at most once, and keeps answering its status
//! (`PUBLISHED`) afterwards, so a run that lost the answer of a publishing call can always tell
//! whether the post is on Threads. (`auto_publish_text` would save a call but leaves nothing to
//! ask about when its answer is lost.)

use std::time::Duration;

use threads_api::{ContainerBuilder, ContainerId, ContainerState, Created, ErrorClass, MediaId};

use super::compose::builder_for;
use super::media;
use super::progress::PartProgress;
use super::publisher::{POLL_EVERY, Run};
use super::recover::{self, Outcome};
use super::store::{PublisherWrite, QuotaOp, Written};
use super::{EventKind, PostState};
use crate::jobs::JobError;

/// How often a text container is asked about while Threads prepares it (about a second).
const TEXT_POLL_EVERY: Duration = Duration::from_secs(1);
/// How long a run waits in place for a text container before handing back to the queue.
const TEXT_POLL_FOR: Duration = Duration::from_secs(30);

impl Run<'_> {
    /// Creates part `i`'s container (after its carousel items) unless one is stored, and stores
    /// its id before anything else is asked. Creating a container publishes nothing, so the
    /// first part's runs do this before the post's time. `Some` when the run stops here.
    pub(super) async fn prepare(
        &mut self,
        i: usize,
        reply_to: Option<MediaId>,
    ) -> Result<Option<Outcome>, JobError> {
        if self.progress.parts[i].container_id.is_some() {
            return Ok(None);
        }
        let items = self.content.parts[i].media.clone();
        let mut urls = Vec::new();
        for item in &items {
            let upload = media::get(self.state, &self.post.user_id, &item.id)
                .await
                .map_err(|e| JobError::retry(e.to_string()))?;
            let Some(upload) = upload else {
                return Ok(Some(Outcome::Failed("An image or video of this post was deleted before publishing. Upload it again, then press Retry.".into())));
            };
            let url = media::publish_url(self.state, &upload)
                .await
                .map_err(|e| JobError::retry(e.to_string()))?;
            urls.push((item.clone(), url, upload.kind == media::MediaKind::Video));
        }
        if items.len() > 1 {
            while self.progress.parts[i].children.len() < items.len() {
                let (item, url, video) = &urls[self.progress.parts[i].children.len()];
                let b = if *video {
                    ContainerBuilder::video(url.clone())
                } else {
                    ContainerBuilder::image(url.clone())
                };
                let b = match item.alt_text.as_ref().filter(|a| !a.trim().is_empty()) {
                    Some(alt) => b.alt_text(alt.clone()),
                    None => b,
                };
                let container = b
                    .carousel_item()
                    .build()
                    .map_err(|e| JobError::permanent(e.to_string()))?;
                match self.session.create_container(&container).await {
                    Ok(Created::Container(id)) => {
                        self.progress.parts[i].children.push(id);
                        if !self.save(self.post.state, None).await? {
                            return Ok(Some(Outcome::Lost));
                        }
                    }
                    Ok(Created::Published(_)) => {
                        return Err(JobError::permanent(
                            "a carousel item was published on its own",
                        ));
                    }
                    Err(e) => return recover::api_error(self, e).await.map(Some),
                }
            }
        }
        let children = self.progress.parts[i].children.clone();
        let url_of = |item: &super::compose::MediaItem| {
            urls.iter()
                .find(|(m, _, _)| m.id == item.id)
                .map(|(_, u, v)| (u.clone(), *v))
                .unwrap_or_default()
        };
        let container = builder_for(&self.content, i, &url_of, children, reply_to)
            .build()
            .map_err(|e| JobError::permanent(e.to_string()))?;
        match self.session.create_container(&container).await {
            Ok(Created::Container(id)) => {
                self.progress.parts[i].container_id = Some(id);
                if !self.save(PostState::ContainerCreated, None).await? {
                    return Ok(Some(Outcome::Lost));
                }
                if !items.is_empty() {
                    self.event(
                        EventKind::ContainerCreated,
                        &format!(
                            "Threads accepted post {} of {} and is processing its media.",
                            i + 1,
                            self.content.parts.len()
                        ),
                    )
                    .await;
                }
                Ok(None)
            }
            Ok(Created::Published(_)) => Err(JobError::permanent(
                "a container was published at once without being asked to",
            )),
            Err(e) => recover::api_error(self, e).await.map(Some),
        }
    }

    /// Whether part `i` is text only (its container is ready within about a second).
    fn is_text(&self, i: usize) -> bool {
        self.content.parts[i].media.is_empty()
    }

    /// Publishes a part's container once Threads reports it `FINISHED`. Media take seconds to
    /// minutes, so their status is asked first; a text container is ready about a second after
    /// its creation (usually before the post's time), so it is published at once and asked
    /// about only when Threads says it is not ready yet.
    pub(super) async fn publish_container(&mut self, i: usize) -> Result<Outcome, JobError> {
        let id = self.progress.parts[i]
            .container_id
            .clone()
            .unwrap_or_else(|| ContainerId::new(""));
        if !self.is_text(i) {
            let status = match self.session.container_status(&id).await {
                Ok(s) => s,
                Err(e) => return recover::api_error(self, e).await,
            };
            if let Some(outcome) = self.unless_finished(i, status).await? {
                return Ok(outcome);
            }
        }
        let mut polled = false;
        loop {
            let was_ready = self.post.state == PostState::Ready;
            if let Some(stop) = self.mark_started(i, PostState::Ready).await? {
                return Ok(stop);
            }
            if !was_ready && !self.is_text(i) {
                self.event(EventKind::Ready, "Threads finished processing the media.")
                    .await;
            }
            let refused = match self.session.publish(&id).await {
                Ok(media) => return self.adopt(i, media.into_inner().into()).await,
                Err(e) => {
                    self.call_returned().await;
                    e
                }
            };
            if matches!(refused.class(), ErrorClass::RetryLater { .. }) {
                // Nothing is proven either way; the stored mark makes the next run ask first.
                return recover::api_error(self, refused).await;
            }
            // Whatever Threads refused (not ready, already published by a call whose answer
            // was lost, ...), the container's status says where the post stands.
            let wait_in_place =
                self.is_text(i) && !polled && matches!(refused.class(), ErrorClass::NotReady);
            let status = if wait_in_place {
                polled = true;
                self.session
                    .wait_for_container(&id, TEXT_POLL_EVERY, TEXT_POLL_FOR)
                    .await
            } else {
                self.session.container_status(&id).await
            };
            let status = match status {
                Ok(s) => s,
                Err(e) => return recover::api_error(self, e).await,
            };
            match self.unless_finished(i, status).await? {
                Some(outcome) => return Ok(outcome),
                None if wait_in_place => continue,
                None => return recover::api_error(self, refused).await,
            }
        }
    }

    /// What a container status other than `FINISHED` means for part `i`; `None` for
    /// `FINISHED` (publish it).
    async fn unless_finished(
        &mut self,
        i: usize,
        status: threads_api::ContainerStatus,
    ) -> Result<Option<Outcome>, JobError> {
        Ok(Some(match status.status {
            ContainerState::Finished => return Ok(None),
            ContainerState::InProgress => Outcome::Wait(POLL_EVERY),
            ContainerState::Error => {
                Outcome::Failed(recover::processing_error(status.error_message.as_deref()))
            }
            ContainerState::Expired => {
                self.progress.parts[i] = PartProgress::default();
                self.save(PostState::Scheduled, None).await?;
                self.event(
                    EventKind::Expired,
                    "Threads discarded the prepared post after 24 hours; preparing it again.",
                )
                .await;
                Outcome::Wait(Duration::ZERO)
            }
            _ => recover::on_threads(self, i).await?,
        }))
    }

    /// Records a media id Threads gave (or that recovery found), before any other call: a run
    /// that dies after this write finds the id, never a post it has to look for. The quota
    /// call held for a first part is recorded as returned in the same write.
    pub(super) async fn adopt(
        &mut self,
        i: usize,
        media_id: crate::domain::MediaId,
    ) -> Result<Outcome, JobError> {
        self.progress.parts[i].media_id = Some(media_id);
        let settle = std::mem::take(&mut self.quota_held).then(|| QuotaOp::Settle {
            profile_id: self.post.profile_id.clone(),
        });
        let w = PublisherWrite {
            quota: settle.clone(),
            ..self.write()
        };
        if self.apply(w).await? != Written::Done {
            self.quota_held = settle.is_some();
            self.call_returned().await;
            return Ok(Outcome::Lost);
        }
        Ok(Outcome::Published)
    }
}
