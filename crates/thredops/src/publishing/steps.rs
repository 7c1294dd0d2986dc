//! The publisher's calls for one part: the `auto_publish_text` fast path, media containers
//! (carousel items one by one), waiting for `FINISHED`, and publishing.

use std::time::Duration;

use threads_api::{ContainerBuilder, ContainerId, ContainerState, Created, MediaId};

use super::compose::builder_for;
use super::media;
use super::progress::PartProgress;
use super::publisher::{POLL_EVERY, Run};
use super::recover::{self, Outcome};
use crate::jobs::JobError;

impl Run<'_> {
    /// The `auto_publish_text` fast path: one call creates and publishes.
    pub(super) async fn publish_text(
        &mut self,
        i: usize,
        reply_to: Option<MediaId>,
    ) -> Result<Outcome, JobError> {
        let container = builder_for(
            &self.content,
            i,
            &|_| (String::new(), false),
            Vec::new(),
            reply_to,
        )
        .auto_publish_text()
        .build()
        .map_err(|e| JobError::permanent(e.to_string()))?;
        if let Some(stop) = self.mark_started(i, &self.post.state.clone()).await? {
            return Ok(stop);
        }
        let created = self.session.create_container(&container).await;
        if !matches!(created, Ok(Created::Published(_))) {
            self.call_returned().await;
        }
        match created {
            Ok(Created::Published(media)) => self.adopt(i, media.as_str()).await,
            Ok(Created::Container(_)) => Err(JobError::permanent(
                "Threads did not publish the text post at once",
            )),
            Err(e) => recover::api_error(self, e).await,
        }
    }

    pub(super) async fn publish_media(
        &mut self,
        i: usize,
        reply_to: Option<MediaId>,
    ) -> Result<Outcome, JobError> {
        let items = self.content.parts[i].media.clone();
        let mut urls = Vec::new();
        for item in &items {
            let upload = media::get(self.state, &self.post.user_id, &item.id)
                .await
                .map_err(|e| JobError::retry(e.to_string()))?;
            let Some(upload) = upload else {
                return Ok(Outcome::Failed("An image or video of this post was deleted before publishing. Upload it again, then press Retry.".into()));
            };
            let url = media::publish_url(self.state, &upload)
                .await
                .map_err(|e| JobError::retry(e.to_string()))?;
            urls.push((item.clone(), url, upload.kind == "video"));
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
                        self.progress.parts[i].children.push(id.as_str().to_owned());
                        if !self.save(&self.post.state.clone(), None).await? {
                            return Ok(Outcome::Lost);
                        }
                    }
                    Ok(Created::Published(_)) => {
                        return Err(JobError::permanent(
                            "a carousel item was published on its own",
                        ));
                    }
                    Err(e) => return recover::api_error(self, e).await,
                }
            }
        }
        if self.progress.parts[i].container_id.is_none() {
            let children = self.progress.parts[i]
                .children
                .iter()
                .map(|c| ContainerId::new(c.clone()))
                .collect();
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
                    self.progress.parts[i].container_id = Some(id.as_str().to_owned());
                    if !self.save("container_created", None).await? {
                        return Ok(Outcome::Lost);
                    }
                    self.event(
                        "container_created",
                        &format!(
                            "Threads accepted post {} of {} and is processing its media.",
                            i + 1,
                            self.content.parts.len()
                        ),
                    )
                    .await;
                }
                Ok(Created::Published(_)) => {
                    return Err(JobError::permanent(
                        "a media container was published at once",
                    ));
                }
                Err(e) => return recover::api_error(self, e).await,
            }
        }
        self.publish_container(i).await
    }

    /// Publishes a part's container once Threads reports it `FINISHED`.
    pub(super) async fn publish_container(&mut self, i: usize) -> Result<Outcome, JobError> {
        let id = ContainerId::new(
            self.progress.parts[i]
                .container_id
                .clone()
                .unwrap_or_default(),
        );
        let status = match self.session.container_status(&id).await {
            Ok(s) => s,
            Err(e) => return recover::api_error(self, e).await,
        };
        match status.status {
            ContainerState::Finished => {}
            ContainerState::InProgress => return Ok(Outcome::Wait(POLL_EVERY)),
            ContainerState::Error => {
                return Ok(Outcome::Failed(recover::processing_error(
                    status.error_message.as_deref(),
                )));
            }
            ContainerState::Expired => {
                self.progress.parts[i] = PartProgress::default();
                self.save("scheduled", None).await?;
                self.event(
                    "expired",
                    "Threads discarded the prepared media after 24 hours; preparing it again.",
                )
                .await;
                return Ok(Outcome::Wait(Duration::ZERO));
            }
            _ => return recover::after_interruption(self, i).await,
        }
        let was_ready = self.post.state == "ready";
        if let Some(stop) = self.mark_started(i, "ready").await? {
            return Ok(stop);
        }
        if !was_ready {
            self.event("ready", "Threads finished processing the media.")
                .await;
        }
        match self.session.publish(&id).await {
            Ok(media) => self.adopt(i, media.as_str()).await,
            Err(e) => {
                self.call_returned().await;
                recover::api_error(self, e).await
            }
        }
    }

    /// Records a media id Threads gave (or that recovery found). The last part's id is written
    /// with the post's publication, right after its permalink read, saving a write per post; a
    /// crash in between is recovered like one before the id came back (see `recover`), and a
    /// permalink read that does not succeed stores the id first ([`Run::keep_media_id`]).
    pub(super) async fn adopt(&mut self, i: usize, media_id: &str) -> Result<Outcome, JobError> {
        self.progress.parts[i].media_id = Some(media_id.to_owned());
        if i + 1 == self.progress.parts.len() {
            self.media_id_unsaved = true;
            return Ok(Outcome::Published);
        }
        let current = self.post.state.clone();
        if !self.save(&current, None).await? {
            return Ok(Outcome::Lost);
        }
        Ok(Outcome::Published)
    }

    /// Stores a media id [`Run::adopt`] left for the publication write, when that write is not
    /// coming now. False when another worker wrote meanwhile.
    pub(super) async fn keep_media_id(&mut self) -> Result<bool, JobError> {
        if !std::mem::take(&mut self.media_id_unsaved) {
            return Ok(true);
        }
        let current = self.post.state.clone();
        self.save(&current, None).await
    }
}
