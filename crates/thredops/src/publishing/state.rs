//! Where a planned post is in its life, as stored in `scheduled_posts.state`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The state of a planned post.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PostState {
    /// Saved without a time; never published. Where every post starts.
    #[default]
    Draft,
    /// Waiting for its time.
    Scheduled,
    /// The publisher has created (some of) its containers at Threads.
    ContainerCreated,
    /// Threads has finished processing its media; publishing is next.
    Ready,
    /// Live on Threads.
    Published,
    /// Could not be published; the reason is on the post.
    Failed,
    /// Cancelled by the user; stays listed.
    Cancelled,
}

impl PostState {
    /// Every state, in life order.
    pub const ALL: [PostState; 7] = [
        PostState::Draft,
        PostState::Scheduled,
        PostState::ContainerCreated,
        PostState::Ready,
        PostState::Published,
        PostState::Failed,
        PostState::Cancelled,
    ];

    /// The stored and serialised name.
    pub const fn as_str(self) -> &'static str {
        match self {
            PostState::Draft => "draft",
            PostState::Scheduled => "scheduled",
            PostState::ContainerCreated => "container_created",
            PostState::Ready => "ready",
            PostState::Published => "published",
            PostState::Failed => "failed",
            PostState::Cancelled => "cancelled",
        }
    }

    /// On its way to Threads: the publisher owns it.
    pub const fn is_underway(self) -> bool {
        matches!(
            self,
            PostState::Scheduled | PostState::ContainerCreated | PostState::Ready
        )
    }
}

impl fmt::Display for PostState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a post's first part carries, as listings label it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PostMedia {
    /// Text only.
    #[default]
    Text,
    /// One image.
    Image,
    /// One video.
    Video,
    /// Several images or videos.
    Carousel,
}

impl PostMedia {
    const ALL: [PostMedia; 4] = [
        PostMedia::Text,
        PostMedia::Image,
        PostMedia::Video,
        PostMedia::Carousel,
    ];

    /// The label.
    pub const fn as_str(self) -> &'static str {
        match self {
            PostMedia::Text => "text",
            PostMedia::Image => "image",
            PostMedia::Video => "video",
            PostMedia::Carousel => "carousel",
        }
    }
}

/// A post's kind label: its first part's media, and ` chain` when it has several parts
/// (`text`, `image chain`, ...), stored and shown as that text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PostKind {
    /// What the first part carries.
    pub media: PostMedia,
    /// Several parts, published as a chain of replies.
    pub chain: bool,
}

/// What follows the media of a chain's label.
const CHAIN: &str = " chain";

impl fmt::Display for PostKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.media.as_str())?;
        if self.chain {
            f.write_str(CHAIN)?;
        }
        Ok(())
    }
}

impl FromStr for PostKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (media, chain) = match s.strip_suffix(CHAIN) {
            Some(media) => (media, true),
            None => (s, false),
        };
        PostMedia::ALL
            .into_iter()
            .find(|m| m.as_str() == media)
            .map(|media| PostKind { media, chain })
            .ok_or_else(|| format!("unknown post kind {s:?}"))
    }
}

impl TryFrom<String> for PostKind {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

impl Serialize for PostKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Where a date of a series or a re-share stands: a word of its own before and beside its post,
/// or its post's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// A future date of a series, not planned yet.
    Upcoming,
    /// Planned, as its series wrote it.
    Planned,
    /// Planned, then changed on its own.
    Edited,
    /// Skipped by the user.
    Skipped,
    /// Its post was deleted.
    Removed,
    /// Its post's state.
    Post(PostState),
}

impl Standing {
    /// The shown name (a post's state keeps its own).
    pub const fn as_str(self) -> &'static str {
        match self {
            Standing::Upcoming => "upcoming",
            Standing::Planned => "planned",
            Standing::Edited => "edited",
            Standing::Skipped => "skipped",
            Standing::Removed => "removed",
            Standing::Post(state) => state.as_str(),
        }
    }
}

impl Serialize for Standing {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A stored state this version does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown post state {0:?}")]
pub struct UnknownState(String);

impl FromStr for PostState {
    type Err = UnknownState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PostState::ALL
            .into_iter()
            .find(|state| state.as_str() == s)
            .ok_or_else(|| UnknownState(s.to_owned()))
    }
}

impl TryFrom<String> for PostState {
    type Error = UnknownState;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        s.parse()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for state in PostState::ALL {
            assert_eq!(state.as_str().parse::<PostState>().unwrap(), state);
            assert_eq!(
                serde_json::to_value(state).unwrap(),
                serde_json::json!(state.as_str())
            );
        }
        assert!("canceled".parse::<PostState>().is_err());
    }
}
