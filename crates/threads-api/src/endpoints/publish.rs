//! Writes: containers, publish, delete, hide reply, repost (§5 and §7 of the reference).

use std::time::Duration;

use reqwest::Method;
use serde::Deserialize;

use crate::container::Container;
use crate::error::Result;
use crate::ids::{ContainerId, MediaId};
use crate::models::{ContainerState, ContainerStatus, Created, Deleted, Success};
use crate::session::Session;

#[derive(Deserialize)]
struct IdOnly {
    id: String,
}

impl Session {
    /// `POST /{user-id}/threads`: creates a container (or, with `auto_publish_text`, the post).
    ///
    /// Retried only on errors that prove nothing was created (see [`crate::retry`]).
    pub async fn create_container(&self, container: &Container) -> Result<Created> {
        let form = container
            .params()
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()));
        let call = self
            .call(Method::POST, &[self.user_id().as_str(), "threads"])
            .form(form)
            .unsafe_to_repeat();
        let IdOnly { id } = self.client().call(&call).await?;
        Ok(if container.auto_publishes() {
            Created::Published(MediaId::new(id))
        } else {
            Created::Container(ContainerId::new(id))
        })
    }

    /// `GET /{container-id}?fields=id,status,error_message`.
    pub async fn container_status(&self, container: &ContainerId) -> Result<ContainerStatus> {
        let call = self
            .call(Method::GET, &[container.as_str()])
            .query("fields", "id,status,error_message");
        self.client().call(&call).await
    }

    /// Polls [`Self::container_status`] every `every` until the container leaves `IN_PROGRESS`
    /// or `give_up_after` has passed, and returns the last status seen. The caller decides what
    /// `ERROR`, `EXPIRED` or a still-`IN_PROGRESS` container means for its job.
    pub async fn wait_for_container(
        &self,
        container: &ContainerId,
        every: Duration,
        give_up_after: Duration,
    ) -> Result<ContainerStatus> {
        let deadline = tokio::time::Instant::now() + give_up_after;
        loop {
            let status = self.container_status(container).await?;
            let settled = status.status != ContainerState::InProgress;
            if settled || tokio::time::Instant::now() + every > deadline {
                return Ok(status);
            }
            tokio::time::sleep(every).await;
        }
    }

    /// `POST /{user-id}/threads_publish` with `creation_id`: publishes a `FINISHED` container.
    ///
    /// A container that is still processing fails with [`crate::ErrorClass::NotReady`]. Retried
    /// only on errors that prove nothing was published.
    pub async fn publish(&self, container: &ContainerId) -> Result<MediaId> {
        let call = self
            .call(Method::POST, &[self.user_id().as_str(), "threads_publish"])
            .form([("creation_id".to_owned(), container.as_str().to_owned())])
            .unsafe_to_repeat();
        let IdOnly { id } = self.client().call(&call).await?;
        Ok(MediaId::new(id))
    }

    /// `DELETE /{media-id}`: deletes one of the user's posts.
    pub async fn delete(&self, media: &MediaId) -> Result<Deleted> {
        let call = self.call(Method::DELETE, &[media.as_str()]);
        self.client().call(&call).await
    }

    /// `POST /{reply-id}/manage_reply` with `hide=true|false` (top-level replies only).
    pub async fn hide_reply(&self, reply: &MediaId, hide: bool) -> Result<Success> {
        let call = self
            .call(Method::POST, &[reply.as_str(), "manage_reply"])
            .form([("hide".to_owned(), hide.to_string())]);
        self.client().call(&call).await
    }

    /// `POST /{media-id}/repost`: reposts a post; returns the repost's id.
    pub async fn repost(&self, media: &MediaId) -> Result<MediaId> {
        let call = self
            .call(Method::POST, &[media.as_str(), "repost"])
            .unsafe_to_repeat();
        let IdOnly { id } = self.client().call(&call).await?;
        Ok(MediaId::new(id))
    }
}
