//! Someone else's public profile from `GET /profile_lookup` (§2 of the reference).

use serde::{Deserialize, Serialize};

/// A public profile. Meta finds only profiles aged 18+ with 1,000+ followers. Every field is
/// optional so an answer with fewer fields (or a `fields` selection) still reads.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicProfile {
    /// Handle without `@`.
    pub username: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Profile picture URL.
    pub profile_picture_url: Option<String>,
    /// Biography text.
    pub biography: Option<String>,
    /// Whether the account is verified.
    pub is_verified: Option<bool>,
    /// Followers now.
    pub follower_count: Option<u64>,
    /// Likes over the last 7 days.
    pub likes_count: Option<u64>,
    /// Quotes over the last 7 days.
    pub quotes_count: Option<u64>,
    /// Replies over the last 7 days.
    pub replies_count: Option<u64>,
    /// Reposts over the last 7 days.
    pub reposts_count: Option<u64>,
    /// Views over the last 7 days.
    pub views_count: Option<u64>,
}
