//! Public posts as Graph JSON with only the requested `fields`.

use serde_json::{Map, Value, json};

use super::{PublicPost, PublicProfile};
use crate::errors::{ApiError, ApiResult};
use crate::ids::shortcode;
use crate::world::render::{MEDIA_FIELDS, timestamp};

/// Renders `post` by `author`. `owner` is left out: the reference gives it on the caller's
/// own top-level posts only, and these are other people's.
pub fn post(
    author: &PublicProfile,
    post: &PublicPost,
    fields: &[String],
) -> ApiResult<Map<String, Value>> {
    let id = post.id;
    let mut out = Map::new();
    for f in fields {
        let v = match f.as_str() {
            "id" => json!(id.to_string()),
            "media_product_type" => json!("THREADS"),
            "media_type" => json!(post.media_type),
            "media_url" if post.media_type == "IMAGE" => {
                json!(format!("https://cdn.sandbox.threads.local/{id}.jpg"))
            }
            "media_url" if post.media_type == "VIDEO" => {
                json!(format!("https://cdn.sandbox.threads.local/{id}.mp4"))
            }
            "thumbnail_url" if post.media_type == "VIDEO" => {
                json!(format!("https://cdn.sandbox.threads.local/{id}-thumb.jpg"))
            }
            "permalink" => json!(format!(
                "https://www.threads.net/@{}/post/{}",
                author.username,
                shortcode(id)
            )),
            "username" => json!(author.username),
            "text" => json!(post.text),
            "timestamp" => json!(timestamp(post.ts)),
            "shortcode" => json!(shortcode(id)),
            "topic_tag" => match &post.topic_tag {
                Some(t) => json!(t),
                None => continue,
            },
            "is_quote_post" | "has_replies" | "is_reply" => json!(false),
            "is_verified" => json!(author.is_verified),
            "profile_picture_url" => json!(picture(author)),
            known if MEDIA_FIELDS.contains(&known) => continue,
            other => return Err(ApiError::nonexisting_field(other)),
        };
        out.insert(f.clone(), v);
    }
    Ok(out)
}

/// The profile picture URL of a public profile.
pub fn picture(p: &PublicProfile) -> String {
    format!(
        "https://cdn.sandbox.threads.local/profile/{}.jpg",
        p.user_id
    )
}

/// Fields of a looked-up profile (§2), all given when `fields` is absent.
pub const PROFILE_FIELDS: &[&str] = &[
    "username",
    "name",
    "profile_picture_url",
    "biography",
    "is_verified",
    "follower_count",
    "likes_count",
    "quotes_count",
    "replies_count",
    "reposts_count",
    "views_count",
];

/// Seconds in the 7-day window of the profile counts.
const WEEK: i64 = 7 * 86_400;

/// Renders a looked-up profile. The 7-day counts sum the posts of the last 7 days; the posts
/// carry only likes, so the other counts are fixed fractions and multiples of them.
pub fn profile(p: &PublicProfile, fields: Option<&str>, now: i64) -> ApiResult<Map<String, Value>> {
    let wanted: Vec<&str> = match fields {
        Some(f) => f
            .split(',')
            .map(str::trim)
            .filter(|f| !f.is_empty())
            .collect(),
        None => PROFILE_FIELDS.to_vec(),
    };
    let likes: u64 = p
        .posts
        .iter()
        .filter(|x| x.ts <= now && x.ts > now - WEEK)
        .map(|x| x.likes)
        .sum();
    let mut out = Map::new();
    for f in wanted {
        let v = match f {
            "username" => json!(p.username),
            "name" => json!(p.name),
            "profile_picture_url" => json!(picture(p)),
            "biography" => json!(p.biography),
            "is_verified" => json!(p.is_verified),
            "follower_count" => json!(p.followers),
            "likes_count" => json!(likes),
            "quotes_count" => json!(likes / 40),
            "replies_count" => json!(likes / 10),
            "reposts_count" => json!(likes / 20),
            "views_count" => json!(likes * 12),
            other => return Err(ApiError::nonexisting_field(other)),
        };
        out.insert(f.to_owned(), v);
    }
    Ok(out)
}
