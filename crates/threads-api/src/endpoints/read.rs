//! Reads: profile, posts, one media object, replies, conversation and the publishing quota.

use chrono::Utc;
use reqwest::Method;

use crate::error::{Error, Result};
use crate::ids::MediaId;
use crate::models::{MEDIA_FIELDS, Media, PROFILE_FIELDS, Profile, PublishingLimit, QUOTA_FIELDS};
use crate::paging::{self, ItemStream, ListQuery, Page, PageStream};
use crate::session::Session;

impl Session {
    /// `GET /me?fields=..`: the token owner's profile.
    pub async fn profile(&self) -> Result<Profile> {
        let call = self
            .call(Method::GET, &[self.user_id().as_str()])
            .query("fields", PROFILE_FIELDS.join(","));
        self.client().call(&call).await
    }

    /// `GET /{user-id}/threads`: the user's posts (reposts included), page by page.
    pub fn posts_pages(&self, query: &ListQuery) -> PageStream<Media> {
        self.list(&[self.user_id().as_str(), "threads"], query)
    }

    /// The user's posts as one stream of items across pages.
    pub fn posts(&self, query: &ListQuery) -> ItemStream<Media> {
        paging::items(self.posts_pages(query))
    }

    /// `GET /{user-id}/replies`: replies the user wrote, page by page.
    pub fn user_replies_pages(&self, query: &ListQuery) -> PageStream<Media> {
        self.list(&[self.user_id().as_str(), "replies"], query)
    }

    /// `GET /{user-id}/mentions`: public posts by others that mention the user, newest first,
    /// page by page. Needs `threads_manage_mentions`.
    pub fn mentions_pages(&self, query: &ListQuery) -> PageStream<Media> {
        self.list(&[self.user_id().as_str(), "mentions"], query)
    }

    /// The user's mentions as one stream of items across pages.
    pub fn mentions(&self, query: &ListQuery) -> ItemStream<Media> {
        paging::items(self.mentions_pages(query))
    }

    /// `GET /{media-id}/replies`: top-level replies to a post, page by page.
    pub fn replies_pages(&self, media: &MediaId, query: &ListQuery) -> PageStream<Media> {
        self.list(&[media.as_str(), "replies"], query)
    }

    /// Top-level replies to a post as one stream of items.
    pub fn replies(&self, media: &MediaId, query: &ListQuery) -> ItemStream<Media> {
        paging::items(self.replies_pages(media, query))
    }

    /// `GET /{media-id}/conversation`: every reply at any depth, flattened, page by page.
    pub fn conversation_pages(&self, media: &MediaId, query: &ListQuery) -> PageStream<Media> {
        self.list(&[media.as_str(), "conversation"], query)
    }

    /// The whole conversation under a root post as one stream of items.
    pub fn conversation(&self, media: &MediaId, query: &ListQuery) -> ItemStream<Media> {
        paging::items(self.conversation_pages(media, query))
    }

    /// `GET /{media-id}?fields=..`: one media object with every §3.1 field.
    pub async fn media(&self, media: &MediaId) -> Result<Media> {
        let call = self
            .call(Method::GET, &[media.as_str()])
            .query("fields", MEDIA_FIELDS.join(","));
        self.client().call(&call).await
    }

    /// `GET /{user-id}/threads_publishing_limit`: usage of the post, reply, delete and
    /// location-search quotas.
    ///
    /// Reading the reply and delete usage needs `threads_manage_replies` and `threads_delete`
    /// besides `threads_content_publish`; with fewer scopes use
    /// [`Self::publishing_limit_fields`].
    pub async fn publishing_limit(&self) -> Result<PublishingLimit> {
        self.publishing_limit_fields(QUOTA_FIELDS).await
    }

    /// [`Self::publishing_limit`] with only the given fields, e.g. `["quota_usage", "config"]`,
    /// which `threads_content_publish` alone may read.
    pub async fn publishing_limit_fields(&self, fields: &[&str]) -> Result<PublishingLimit> {
        let call = self
            .call(
                Method::GET,
                &[self.user_id().as_str(), "threads_publishing_limit"],
            )
            .query("fields", fields.join(","));
        let page: Page<PublishingLimit> = self.client().call(&call).await?;
        page.data.into_iter().next().ok_or_else(|| Error::Decode {
            status: 200,
            detail: "threads_publishing_limit returned no data".into(),
            retry_after: None,
            truncated: false,
        })
    }

    fn list(&self, segments: &[&str], query: &ListQuery) -> PageStream<Media> {
        paging::pages(
            self.client().clone(),
            self.token().clone(),
            self.client().graph_url(true, segments),
            query.to_pairs(MEDIA_FIELDS, Utc::now()),
        )
    }
}
