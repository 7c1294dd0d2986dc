//! Public profile discovery (§2): `GET /profile_lookup` and `GET /profile_posts`.
//!
//! Needs `threads_profile_discovery`. Meta allows 1,000 of these requests per 24 h and finds
//! only profiles aged 18+ with 1,000+ followers; others answer as an unknown object (100/33).

use chrono::Utc;
use reqwest::Method;

use crate::error::Result;
use crate::models::{MEDIA_FIELDS, Media, PublicProfile};
use crate::paging::{self, ItemStream, ListQuery, PageStream};
use crate::session::Session;
use crate::validation::ValidationError;

/// The username as sent: without a leading `@`, and refused when blank.
fn handle(username: &str) -> std::result::Result<String, ValidationError> {
    let name = username.trim().trim_start_matches('@');
    if name.is_empty() {
        return Err(ValidationError::MissingParam("username"));
    }
    Ok(name.to_owned())
}

impl Session {
    /// `GET /profile_lookup?username=`: a public profile with its 7-day counts.
    pub async fn profile_lookup(&self, username: &str) -> Result<PublicProfile> {
        let call = self
            .call(Method::GET, &["profile_lookup"])
            .query("username", handle(username)?);
        self.client().call(&call).await
    }

    /// `GET /profile_posts?username=`: a public profile's posts, newest first, page by page.
    pub fn profile_posts_pages(&self, username: &str, query: &ListQuery) -> PageStream<Media> {
        let pairs = handle(username).and_then(|name| {
            let mut pairs = query.to_pairs(MEDIA_FIELDS, Utc::now())?;
            pairs.push(("username".to_owned(), name));
            Ok(pairs)
        });
        paging::pages(
            self.client().clone(),
            self.token().clone(),
            self.client().graph_url(true, &["profile_posts"]),
            pairs,
        )
    }

    /// A public profile's posts as one stream of items across pages.
    pub fn profile_posts(&self, username: &str, query: &ListQuery) -> ItemStream<Media> {
        paging::items(self.profile_posts_pages(username, query))
    }
}
