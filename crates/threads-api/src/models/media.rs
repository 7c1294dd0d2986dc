//! Media objects: posts, replies, reposts and carousels (§3 of the reference).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Deserializer, Serialize};

use super::enums::{HideStatus, MediaType, ReplyAudience};
use crate::ids::{LocationId, MediaId, UserId};
use crate::time::meta_time;

/// Every field of §3.1, requested by default when listing or fetching posts.
pub const MEDIA_FIELDS: &[&str] = &[
    "id",
    "media_product_type",
    "media_type",
    "media_url",
    "permalink",
    "owner",
    "username",
    "text",
    "timestamp",
    "shortcode",
    "thumbnail_url",
    "children",
    "is_quote_post",
    "quoted_post",
    "reposted_post",
    "alt_text",
    "link_attachment_url",
    "has_replies",
    "reply_audience",
    "gif_url",
    "poll_attachment",
    "topic_tag",
    "is_reply",
    "is_reply_owned_by_me",
    "root_post",
    "replied_to",
    "hide_status",
    "is_verified",
    "profile_picture_url",
    "is_spoiler_media",
    "text_entities",
    "text_attachment",
    "location_id",
    "location",
    "allowlisted_country_codes",
    "ghost_post_status",
    "ghost_post_expiration_timestamp",
    "reply_approval_status",
];

/// A Threads media object. Fields not requested or not applicable are `None` (Meta omits them).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Media {
    /// Always present.
    pub id: MediaId,
    /// Always `THREADS`.
    pub media_product_type: Option<String>,
    /// What kind of post this is.
    pub media_type: Option<MediaType>,
    /// The image or video URL.
    pub media_url: Option<String>,
    /// Public link; missing if the post was flagged for copyright.
    pub permalink: Option<String>,
    /// The author; present on the user's own top-level posts.
    pub owner: Option<UserRef>,
    /// The author's username.
    pub username: Option<String>,
    /// The post text.
    pub text: Option<String>,
    /// When the post was published.
    #[serde(default, with = "meta_time::option")]
    pub timestamp: Option<DateTime<Utc>>,
    /// The short code in the permalink.
    pub shortcode: Option<String>,
    /// Video thumbnail.
    pub thumbnail_url: Option<String>,
    /// Carousel items.
    pub children: Option<Children>,
    /// Whether this post quotes another.
    pub is_quote_post: Option<bool>,
    /// The quoted post.
    pub quoted_post: Option<MediaRef>,
    /// The reposted post (on `REPOST_FACADE`).
    pub reposted_post: Option<MediaRef>,
    /// Image or video description.
    pub alt_text: Option<String>,
    /// The link preview's URL.
    pub link_attachment_url: Option<String>,
    /// Whether the post has replies.
    pub has_replies: Option<bool>,
    /// Who may reply.
    pub reply_audience: Option<ReplyAudience>,
    /// GIF URL on GIF posts.
    pub gif_url: Option<String>,
    /// Poll options and results.
    pub poll_attachment: Option<PollResults>,
    /// The post's topic tag.
    pub topic_tag: Option<String>,
    /// Whether this is a reply.
    pub is_reply: Option<bool>,
    /// Whether the reply is on the user's own post.
    pub is_reply_owned_by_me: Option<bool>,
    /// The conversation's root post.
    pub root_post: Option<MediaRef>,
    /// The post this replies to.
    pub replied_to: Option<MediaRef>,
    /// Moderation state of a reply.
    pub hide_status: Option<HideStatus>,
    /// Whether the author is verified (replies, mentions).
    pub is_verified: Option<bool>,
    /// The author's picture (replies, mentions).
    pub profile_picture_url: Option<String>,
    /// Whether the media is marked as a spoiler.
    pub is_spoiler_media: Option<bool>,
    /// Spoiler ranges and other entities, as sent.
    pub text_entities: Option<serde_json::Value>,
    /// Long-text attachment, as sent.
    pub text_attachment: Option<serde_json::Value>,
    /// Tagged place.
    pub location_id: Option<LocationId>,
    /// Tagged place details, as sent.
    pub location: Option<serde_json::Value>,
    /// Countries the post is limited to.
    #[serde(default, deserialize_with = "country_codes")]
    pub allowlisted_country_codes: Option<Vec<String>>,
    /// Ghost-post state.
    pub ghost_post_status: Option<String>,
    /// When a ghost post expires, as sent.
    pub ghost_post_expiration_timestamp: Option<serde_json::Value>,
    /// Reply-approval state.
    pub reply_approval_status: Option<String>,
}

impl Media {
    /// Ids of carousel items, empty for other posts.
    pub fn child_ids(&self) -> Vec<&MediaId> {
        self.children
            .iter()
            .flat_map(|c| c.data.iter().map(|r| &r.id))
            .collect()
    }
}

/// A reference to another media object: `{"id":".."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaRef {
    /// The referenced object's id.
    pub id: MediaId,
}

/// A reference to a user: `{"id":".."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserRef {
    /// The user's id.
    pub id: UserId,
}

/// Carousel items: `{"data":[{"id":".."}]}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Children {
    /// The item references.
    #[serde(default)]
    pub data: Vec<MediaRef>,
}

/// A poll as read back, with vote shares from 0 to 1.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PollResults {
    /// First option.
    pub option_a: Option<String>,
    /// Second option.
    pub option_b: Option<String>,
    /// Third option, if any.
    pub option_c: Option<String>,
    /// Fourth option, if any.
    pub option_d: Option<String>,
    /// Share of votes for option A.
    pub option_a_votes_percentage: Option<f64>,
    /// Share of votes for option B.
    pub option_b_votes_percentage: Option<f64>,
    /// Share of votes for option C.
    pub option_c_votes_percentage: Option<f64>,
    /// Share of votes for option D.
    pub option_d_votes_percentage: Option<f64>,
    /// Votes cast.
    pub total_votes: Option<u64>,
    /// When voting closes.
    #[serde(default, with = "meta_time::option")]
    pub expiration_timestamp: Option<DateTime<Utc>>,
}

/// Accepts `["US","CA"]` or `"US,CA"`.
fn country_codes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrCsv {
        List(Vec<String>),
        Csv(String),
    }
    Ok(Option::<ListOrCsv>::deserialize(d)?.map(|v| match v {
        ListOrCsv::List(list) => list,
        ListOrCsv::Csv(csv) => csv
            .split(',')
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect(),
    }))
}
