//! Attributes that vary generated posts beyond their format, so clients meet every value
//! they must parse: each `reply_audience`, AUDIO posts, and GIF posts (which read back as
//! TEXT_POST with a `gif_url`, §3.1).
//!
//! Everything here is derived from a post's own seed on demand, never drawn from the
//! generator's RNG: the worlds generated before these attributes existed keep the same
//! posts, times and metrics, and nothing extra is stored per post.

use super::Post;
use super::traits::Format;

/// What a generated text post carries besides its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attachment {
    /// Nothing beyond the format's own content.
    Plain,
    /// A GIF: still a TEXT_POST, with `gif_url`.
    Gif,
    /// A voice or audio post: `media_type` AUDIO with an audio `media_url`.
    Audio,
}

/// A well-mixed number from a seed and a salt (SplitMix64's finaliser), so that attributes
/// drawn from the same seed do not move together.
fn mix(seed: u64, salt: u64) -> u64 {
    let mut z = seed ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Only generated top-level posts vary: published ones keep what their creator sent, and
/// replies keep the defaults.
fn generated(p: &Post) -> bool {
    p.live.is_none() && p.reply.is_none()
}

/// The attachment of a post. About 4 % of plain text posts (no link, no poll) carry a GIF
/// and 3 % are audio posts.
pub fn attachment(p: &Post) -> Attachment {
    if !generated(p) || p.format != Format::Text || p.has_link || p.has_poll {
        return Attachment::Plain;
    }
    match mix(p.seed, 2) % 100 {
        0..4 => Attachment::Gif,
        4..7 => Attachment::Audio,
        _ => Attachment::Plain,
    }
}

/// Read-side `media_type`, AUDIO included.
pub fn media_type(p: &Post) -> &'static str {
    match attachment(p) {
        Attachment::Audio => "AUDIO",
        _ => p.format.media_type(),
    }
}

/// `reply_audience` of a generated post: mostly EVERYONE, the rest spread over the other
/// values. Reposts and non-generated posts answer `None` (their own or the default).
pub fn reply_audience(p: &Post) -> Option<&'static str> {
    if !generated(p) || p.format == Format::Repost {
        return None;
    }
    Some(match mix(p.seed, 1) % 100 {
        0..70 => "EVERYONE",
        70..80 => "ACCOUNTS_YOU_FOLLOW",
        80..88 => "FOLLOWERS_ONLY",
        88..95 => "MENTIONED_ONLY",
        _ => "PARENT_POST_AUTHOR_ONLY",
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::world::generate::{creator, default_traits};

    #[test]
    fn a_long_history_has_every_audience_and_attachment() {
        let c = creator(2, 42, default_traits(2), 1_768_478_400);
        let audiences: std::collections::BTreeSet<_> =
            c.posts.iter().filter_map(reply_audience).collect();
        assert_eq!(audiences.len(), 5, "{audiences:?}");
        for kind in [Attachment::Gif, Attachment::Audio, Attachment::Plain] {
            assert!(c.posts.iter().any(|p| attachment(p) == kind), "{kind:?}");
        }
        assert!(c.posts.iter().any(|p| p.has_poll));
    }
}
