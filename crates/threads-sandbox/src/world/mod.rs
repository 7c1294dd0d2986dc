//! The synthetic world: creators, their posts and replies, containers.

pub mod containers;
pub mod engagement;
pub mod generate;
pub mod insights;
pub mod publish;
pub mod render;
pub mod replies;
pub mod rules;
pub mod text;
pub mod traits;
pub mod variety;

use std::collections::{HashMap, HashSet};

use crate::ids::ObjectRef;
use containers::Container;
use engagement::{ACCRUAL_SECS, Metrics, Profile};
use traits::{CreatorTraits, Format};

/// A post or reply. Generated ones are compact (text is derived from `seed` on demand);
/// ones published through the API carry their content in `live`.
#[derive(Debug, Clone)]
pub struct Post {
    /// Publication time (Unix seconds).
    pub ts: i64,
    /// Format.
    pub format: Format,
    /// Seed for derived content.
    pub seed: u64,
    /// Length of the text in characters.
    pub text_len: u16,
    /// Has a link attachment.
    pub has_link: bool,
    /// Has a poll.
    pub has_poll: bool,
    /// Has a topic tag.
    pub has_topic: bool,
    /// Carousel item count.
    pub children: u8,
    /// Quoted or reposted post id.
    pub target: Option<u64>,
    /// Set on replies.
    pub reply: Option<ReplyLink>,
    /// Lifetime metrics.
    pub fin: Metrics,
    /// Replies the owner wrote under this post (counted into `replies`).
    pub extra_replies: u64,
    /// Likes and views set through the admin API (tests), replacing the drawn ones from then on.
    pub planted: Option<(u64, u64)>,
    /// Deleted through the API.
    pub deleted: bool,
    /// Content of API-published posts.
    pub live: Option<Box<LiveContent>>,
}

/// What a reply replies to.
#[derive(Debug, Clone, Copy)]
pub struct ReplyLink {
    /// Direct parent id.
    pub replied_to: u64,
    /// Root post id.
    pub root: u64,
}

/// Content given at creation for API-published posts.
#[derive(Debug, Clone, Default)]
pub struct LiveContent {
    /// Text.
    pub text: Option<String>,
    /// Image or video URL.
    pub media_url: Option<String>,
    /// Alt text.
    pub alt_text: Option<String>,
    /// Link attachment URL.
    pub link: Option<String>,
    /// Topic tag.
    pub topic_tag: Option<String>,
    /// Poll options.
    pub poll: Option<Vec<String>>,
    /// Reply audience (uppercase).
    pub reply_audience: Option<String>,
    /// Carousel items: (is_video, url).
    pub children: Vec<(bool, String)>,
    /// Countries the post is limited to (`allowlisted_country_codes`).
    pub countries: Vec<String>,
}

/// A synthetic creator.
#[derive(Debug, Clone)]
pub struct Creator {
    /// Index in the world (encoded in media ids).
    pub index: usize,
    /// Threads user id (> 2^53).
    pub user_id: u64,
    /// Handle.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Bio.
    pub biography: String,
    /// Verified badge.
    pub is_verified: bool,
    /// The traits as given (for the truth endpoint).
    pub traits: CreatorTraits,
    /// Resolved engagement profile.
    pub profile: Profile,
    /// Creation time; history ends here.
    pub created_at: i64,
    /// Followers before any post's gains.
    pub base_followers: i64,
    /// Top-level posts in time order.
    pub posts: Vec<Post>,
    /// Prefix sums of `fin.follows` over `posts` (len = posts.len() + 1).
    pub cum_follows: Vec<u64>,
    /// Replies the creator wrote, in time order.
    pub replies: Vec<Post>,
    /// Own reply indices under each root post index.
    pub replies_by_root: HashMap<usize, Vec<usize>>,
    /// Hidden reply ids.
    pub hidden: HashSet<u64>,
    /// Publish times of posts, replies and deletes (for the rolling 24 h quotas).
    pub quota_log: QuotaLog,
    /// Demographics parameters: top country and its share.
    pub top_country: (String, f64),
}

/// Timestamps of quota-counted actions.
#[derive(Debug, Clone, Default)]
pub struct QuotaLog {
    /// Top-level publishes.
    pub posts: Vec<i64>,
    /// Reply publishes.
    pub replies: Vec<i64>,
    /// Deletes.
    pub deletes: Vec<i64>,
}

/// Counts entries in the rolling 24 h before `now`.
pub fn in_last_day(log: &[i64], now: i64) -> u64 {
    log.iter()
        .filter(|t| **t > now - 86_400 && **t <= now)
        .count() as u64
}

impl Creator {
    /// Number of posts published at or before `now`.
    pub fn visible_end(&self, now: i64) -> usize {
        self.posts.partition_point(|p| p.ts <= now)
    }

    /// Follower count at `now`: the base plus what each post has brought in so far.
    pub fn followers_at(&self, now: i64) -> u64 {
        let end = self.visible_end(now);
        let settled = self.posts[..end].partition_point(|p| p.ts <= now - ACCRUAL_SECS);
        let mut total = self.base_followers + self.cum_follows[settled] as i64;
        for p in &self.posts[settled..end] {
            total += engagement::accrued(p.fin.follows, now - p.ts) as i64;
        }
        total.max(0) as u64
    }

    /// Views the creator's posts gained in `(from, to]` (impressions).
    pub fn views_between(&self, from: i64, to: i64) -> u64 {
        let end = self.visible_end(to);
        let start = self.posts[..end].partition_point(|p| p.ts <= from - ACCRUAL_SECS);
        self.posts[start..end]
            .iter()
            .map(|p| {
                engagement::accrued(p.fin.views, to - p.ts)
                    - engagement::accrued(p.fin.views, from - p.ts)
            })
            .sum()
    }

    /// Current metrics of a post at `now`, including the owner's replies under it.
    pub fn metrics_of(&self, post: &Post, now: i64) -> Metrics {
        let mut m = post.fin.at_age(now - post.ts);
        m.replies += post.extra_replies;
        if let Some((likes, views)) = post.planted {
            (m.likes, m.views) = (likes, views);
        }
        m
    }

    /// Appends a post, keeping the follower prefix sums in step.
    pub fn push_post(&mut self, post: Post) -> usize {
        let last = *self.cum_follows.last().unwrap_or(&0);
        self.cum_follows.push(last + post.fin.follows);
        self.posts.push(post);
        self.posts.len() - 1
    }
}

/// The whole simulated world.
#[derive(Debug, Default)]
pub struct World {
    /// World seed.
    pub seed: u64,
    /// Creators by index.
    pub creators: Vec<Creator>,
    /// User id -> index.
    pub by_user: HashMap<u64, usize>,
    /// Containers by counter.
    pub containers: Vec<Container>,
}

impl World {
    /// The creator with `user_id`.
    pub fn creator_by_user(&self, user_id: u64) -> Option<&Creator> {
        self.by_user.get(&user_id).map(|i| &self.creators[*i])
    }

    /// Resolves an id to a post (top-level or own reply) and its owner.
    pub fn post(&self, r: ObjectRef) -> Option<(&Creator, &Post)> {
        let (creator, post) = match r {
            ObjectRef::Post { creator, post } => {
                let c = self.creators.get(creator)?;
                (c, c.posts.get(post)?)
            }
            ObjectRef::OwnReply { creator, reply } => {
                let c = self.creators.get(creator)?;
                (c, c.replies.get(reply)?)
            }
            _ => return None,
        };
        (!post.deleted).then_some((creator, post))
    }

    /// Sets a post's (or reply's) likes and views from now on; false when there is no such post.
    pub fn plant_metrics(&mut self, r: ObjectRef, likes: u64, views: u64) -> bool {
        let post = match r {
            ObjectRef::Post { creator, post } => self
                .creators
                .get_mut(creator)
                .and_then(|c| c.posts.get_mut(post)),
            ObjectRef::OwnReply { creator, reply } => self
                .creators
                .get_mut(creator)
                .and_then(|c| c.replies.get_mut(reply)),
            _ => None,
        };
        match post {
            Some(p) if !p.deleted => {
                p.planted = Some((likes, views));
                true
            }
            _ => false,
        }
    }

    /// Adds a creator generated from `traits` at `now`.
    pub fn add_creator(&mut self, traits: CreatorTraits, now: i64) -> Result<usize, String> {
        if self.creators.len() >= crate::ids::MAX_CREATORS {
            return Err("too many creators".to_owned());
        }
        if let Some(name) = &traits.username
            && self.creators.iter().any(|c| &c.username == name)
        {
            return Err(format!("username {name} is taken"));
        }
        let index = self.creators.len();
        let creator = generate::creator(index, self.seed, traits, now);
        self.by_user.insert(creator.user_id, index);
        self.creators.push(creator);
        Ok(index)
    }
}
