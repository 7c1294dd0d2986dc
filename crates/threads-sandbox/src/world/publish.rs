//! Publishing containers, reposting, deleting and hiding replies (§5.3, §7).

use super::containers::CreateType;
use super::text::rng_for;
use super::traits::Format;
use super::{LiveContent, Post, ReplyLink, World, in_last_day};
use crate::errors::{ApiError, ApiResult};
use crate::ids::ObjectRef;

/// Posts per rolling 24 h.
pub const POST_QUOTA: u64 = 250;
/// Replies per rolling 24 h.
pub const REPLY_QUOTA: u64 = 1_000;
/// Deletes per rolling 24 h.
pub const DELETE_QUOTA: u64 = 100;

/// The exact quota error is unconfirmed; Graph's generic custom-limit code 613 is used.
pub(crate) fn quota_error(what: &str, total: u64) -> ApiError {
    let mut e = ApiError::throttled(613, axum::http::StatusCode::BAD_REQUEST)
        .with_generic_message(&format!("{what} limit of {total} per 24 hours reached"));
    e.is_transient = Some(false);
    e.with_user_message(
        "Limit Reached",
        &format!("You can only do this {total} times per day."),
    )
}

fn blank_post(ts: i64, format: Format, seed: u64) -> Post {
    Post {
        ts,
        format,
        seed,
        text_len: 0,
        has_link: false,
        has_poll: false,
        has_topic: false,
        children: 0,
        target: None,
        reply: None,
        fin: Default::default(),
        extra_replies: 0,
        planted: None,
        deleted: false,
        live: None,
    }
}

impl World {
    /// Publishes container `number` for creator `owner` at `now_ms`; returns the media id.
    pub fn publish(&mut self, owner: usize, number: u64, now_ms: i64) -> ApiResult<u64> {
        let id_text = ObjectRef::Container(number).id().to_string();
        let container = match self.containers.get(number as usize) {
            Some(c) if c.owner == owner => c.clone(),
            _ => return Err(ApiError::media_not_found(&id_text)),
        };
        match container.status(now_ms) {
            "FINISHED" => {}
            "PUBLISHED" => {
                return Err(
                    ApiError::invalid_param("The media has already been published")
                        .with_user_message(
                            "Media Already Published",
                            "This media was already published.",
                        ),
                );
            }
            _ => return Err(ApiError::media_not_found(&id_text)),
        }
        if container.is_carousel_item {
            return Err(ApiError::invalid_param(
                "Carousel items cannot be published on their own; publish the CAROUSEL container",
            ));
        }
        let now = now_ms / 1_000;
        let creator = &self.creators[owner];
        let log = &creator.quota_log;
        if container.reply_to.is_some() {
            if in_last_day(&log.replies, now) >= REPLY_QUOTA {
                return Err(quota_error("Reply", REPLY_QUOTA));
            }
        } else if in_last_day(&log.posts, now) >= POST_QUOTA {
            return Err(quota_error("Publishing", POST_QUOTA));
        }

        let format = match container.media_type {
            CreateType::Text if container.quote_of.is_some() => Format::Quote,
            CreateType::Text => Format::Text,
            CreateType::Image => Format::Image,
            CreateType::Video => Format::Video,
            CreateType::Carousel => Format::Carousel,
        };
        let seed = self.seed ^ (number + 1).wrapping_mul(0xD6E8_FEB8_6659_FD93);
        let text_len = container.text.as_deref().map_or(0, |t| t.chars().count());
        let followers = creator.followers_at(now) as f64;
        let link = container
            .link
            .clone()
            .or_else(|| container.text.as_deref().and_then(first_url));
        let mut post = blank_post(now, format, seed);
        post.text_len = text_len.min(u16::MAX as usize) as u16;
        post.has_link = link.is_some();
        post.has_poll = container.poll.is_some();
        post.has_topic = container.topic_tag.is_some();
        post.children = container.children.len() as u8;
        post.target = container.quote_of;
        post.fin = creator.profile.draw(
            &mut rng_for(seed, 3),
            format,
            now,
            text_len,
            followers,
            link.is_some(),
        );
        let children = container
            .children
            .iter()
            .map(|n| {
                let c = &self.containers[*n as usize];
                (
                    c.media_type == CreateType::Video,
                    c.media_url.clone().unwrap_or_default(),
                )
            })
            .collect();
        post.live = Some(Box::new(LiveContent {
            text: container.text.clone(),
            media_url: container.media_url.clone(),
            alt_text: container.alt_text.clone(),
            link,
            topic_tag: container.topic_tag.clone(),
            poll: container.poll.clone(),
            reply_audience: container.reply_audience.clone(),
            children,
            countries: container.countries.clone(),
        }));

        let media_id = match container.reply_to {
            Some(parent) => self.add_reply(owner, post, parent, now),
            None => {
                let c = &mut self.creators[owner];
                c.quota_log.posts.push(now);
                let index = c.push_post(post);
                ObjectRef::Post {
                    creator: owner,
                    post: index,
                }
                .id()
            }
        };
        self.containers[number as usize].published = Some(media_id);
        Ok(media_id)
    }

    fn add_reply(&mut self, owner: usize, mut post: Post, parent: u64, now: i64) -> u64 {
        let parent_ref = ObjectRef::parse(&parent.to_string());
        let root = match parent_ref {
            Some(ObjectRef::Post { .. }) => parent,
            Some(ObjectRef::Incoming { creator, post, .. }) => {
                ObjectRef::Post { creator, post }.id()
            }
            Some(r @ ObjectRef::OwnReply { .. }) => self
                .post(r)
                .and_then(|(_, p)| p.reply)
                .map_or(parent, |l| l.root),
            _ => parent,
        };
        post.reply = Some(ReplyLink {
            replied_to: parent,
            root,
        });
        post.fin.follows = 0;
        let c = &mut self.creators[owner];
        c.quota_log.replies.push(now);
        c.replies.push(post);
        let index = c.replies.len() - 1;
        if let Some(ObjectRef::Post {
            creator,
            post: root_post,
        }) = ObjectRef::parse(&root.to_string())
            && creator == owner
        {
            c.replies_by_root.entry(root_post).or_default().push(index);
            if let Some(p) = c.posts.get_mut(root_post) {
                p.extra_replies += 1;
            }
        }
        ObjectRef::OwnReply {
            creator: owner,
            reply: index,
        }
        .id()
    }

    /// Reposts `target` for creator `owner`; returns the REPOST_FACADE id.
    pub fn repost(&mut self, owner: usize, target: ObjectRef, now: i64) -> ApiResult<u64> {
        match target {
            ObjectRef::Post { .. } if self.post(target).is_some() => {}
            _ => return Err(ApiError::unknown_object(&target.id().to_string())),
        }
        let seed = self.seed ^ target.id().rotate_left(17) ^ now as u64;
        let mut post = blank_post(now, Format::Repost, seed);
        post.target = Some(target.id());
        let index = self.creators[owner].push_post(post);
        Ok(ObjectRef::Post {
            creator: owner,
            post: index,
        }
        .id())
    }

    /// Deletes one of `owner`'s posts or replies.
    pub fn delete(&mut self, owner: usize, target: ObjectRef, now: i64) -> ApiResult<u64> {
        let id = target.id();
        let not_allowed = || ApiError::unsupported_method("delete", &id.to_string());
        let owned = match target {
            ObjectRef::Post { creator, .. } | ObjectRef::OwnReply { creator, .. } => {
                creator == owner
            }
            _ => false,
        };
        if !owned || self.post(target).is_none() {
            return Err(not_allowed());
        }
        let c = &mut self.creators[owner];
        if in_last_day(&c.quota_log.deletes, now) >= DELETE_QUOTA {
            return Err(quota_error("Delete", DELETE_QUOTA));
        }
        c.quota_log.deletes.push(now);
        match target {
            ObjectRef::Post { post, .. } => c.posts[post].deleted = true,
            ObjectRef::OwnReply { reply, .. } => c.replies[reply].deleted = true,
            _ => {}
        }
        Ok(id)
    }

    /// Hides or unhides a top-level reply under one of `owner`'s posts.
    pub fn hide_reply(
        &mut self,
        owner: usize,
        reply: ObjectRef,
        hide: bool,
        now: i64,
    ) -> ApiResult<()> {
        let id = reply.id();
        let invalid = || ApiError::unsupported_method("post", &id.to_string());
        let top_level = match reply {
            ObjectRef::Incoming {
                creator,
                post,
                reply: r,
            } => creator == owner && super::replies::incoming_exists(self, creator, post, r, now),
            ObjectRef::OwnReply { creator, .. } => {
                creator == owner
                    && self
                        .post(reply)
                        .and_then(|(_, p)| p.reply)
                        .is_some_and(|l| l.root == l.replied_to)
            }
            _ => false,
        };
        if !top_level {
            return Err(invalid());
        }
        let c = &mut self.creators[owner];
        if hide {
            c.hidden.insert(id);
        } else {
            c.hidden.remove(&id);
        }
        Ok(())
    }
}

fn first_url(text: &str) -> Option<String> {
    text.split_whitespace()
        .find(|w| w.starts_with("http://") || w.starts_with("https://"))
        .map(str::to_owned)
}
