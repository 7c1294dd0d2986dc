//! The token owner's profile (§2 of the reference).

use serde::{Deserialize, Serialize};

use crate::ids::UserId;

/// Fields requested by [`crate::Session::profile`].
pub const PROFILE_FIELDS: &[&str] = &[
    "id",
    "username",
    "name",
    "threads_profile_picture_url",
    "threads_biography",
    "is_verified",
    "recently_searched_keywords",
    "is_eligible_for_geo_gating",
];

/// A Threads profile from `GET /me`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    /// The user id.
    pub id: UserId,
    /// Handle without `@`.
    pub username: Option<String>,
    /// Display name.
    pub name: Option<String>,
    /// Profile picture URL.
    pub threads_profile_picture_url: Option<String>,
    /// Biography text.
    pub threads_biography: Option<String>,
    /// Whether the account is verified.
    pub is_verified: Option<bool>,
    /// Recent keyword searches.
    pub recently_searched_keywords: Option<Vec<SearchedKeyword>>,
    /// Whether posts may be limited to countries.
    pub is_eligible_for_geo_gating: Option<bool>,
}

/// One recent keyword search.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchedKeyword {
    /// The query text.
    pub query: String,
    /// When it was searched, as sent (the format is not documented).
    pub timestamp: Option<serde_json::Value>,
}
