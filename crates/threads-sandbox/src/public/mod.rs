//! Other people's public profiles and posts, for the discovery endpoints (keyword search,
//! mentions, profile lookup).
//!
//! They live apart from the creators on purpose: creators are the accounts a token can act
//! for, and their histories, counts and `Sandbox::creators()` must not move when this
//! collection is added. Everything here is derived from the world seed, so the same seed
//! gives the same profiles, posts and search answers.

pub mod generate;
pub mod locations;
pub mod quota;
pub mod render;

/// A public profile of someone who is not a sandbox creator.
#[derive(Debug, Clone)]
pub struct PublicProfile {
    /// Threads user id, in a range apart from the creators'.
    pub user_id: u64,
    /// Handle.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Bio.
    pub biography: String,
    /// Verified badge.
    pub is_verified: bool,
    /// Followers (fixed: these accounts do not grow with the clock).
    pub followers: u64,
    /// Aged 18 or over (profile discovery finds only adults).
    pub adult: bool,
    /// Posts in time order.
    pub posts: Vec<PublicPost>,
}

/// Profile discovery finds only profiles aged 18+ with at least this many followers.
pub const DISCOVERY_MIN_FOLLOWERS: u64 = 1_000;

impl PublicProfile {
    /// Whether `/profile_lookup` and `/profile_posts` find this profile.
    pub fn is_discoverable(&self) -> bool {
        self.adult && self.followers >= DISCOVERY_MIN_FOLLOWERS
    }
}

/// A public post by a [`PublicProfile`].
#[derive(Debug, Clone)]
pub struct PublicPost {
    /// Media id.
    pub id: u64,
    /// Publication time (Unix seconds).
    pub ts: i64,
    /// Read-side media type: `TEXT_POST`, `IMAGE` or `VIDEO`.
    pub media_type: &'static str,
    /// Text.
    pub text: String,
    /// Topic tag, without `#`.
    pub topic_tag: Option<String>,
    /// Creator usernames the text mentions.
    pub mentions: Vec<String>,
    /// Likes (fixed).
    pub likes: u64,
}

/// The whole collection.
#[derive(Debug, Clone, Default)]
pub struct PublicWorld {
    /// Profiles in id order.
    pub profiles: Vec<PublicProfile>,
}

impl PublicWorld {
    /// The post with media id `id`, if it is one of these and published by `now`.
    pub fn post_at(&self, id: u64, now: i64) -> Option<(&PublicProfile, &PublicPost)> {
        let offset = id.checked_sub(generate::MEDIA_ID_BASE)?;
        let profile = self
            .profiles
            .get(usize::try_from(offset / generate::MEDIA_STRIDE).ok()?)?;
        let post = profile
            .posts
            .get(usize::try_from(offset % generate::MEDIA_STRIDE).ok()?)?;
        (post.id == id && post.ts <= now).then_some((profile, post))
    }

    /// Every post visible at `now` with its author.
    pub fn posts_at(&self, now: i64) -> impl Iterator<Item = (&PublicProfile, &PublicPost)> {
        self.profiles
            .iter()
            .flat_map(|p| p.posts.iter().map(move |post| (p, post)))
            .filter(move |(_, post)| post.ts <= now)
    }
}
