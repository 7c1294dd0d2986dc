//! Renders objects as Graph JSON with only the requested `fields`.

use chrono::{TimeZone, Utc};
use serde_json::{Map, Value, json};

use super::replies::incoming_ts;
use super::text;
use super::traits::Format;
use super::variety::{self, Attachment};
use super::{Creator, Post, World};
use crate::errors::{ApiError, ApiResult};
use crate::ids::{ObjectRef, shortcode};

/// Media fields the sandbox knows; anything else is "nonexisting".
pub(crate) const MEDIA_FIELDS: &[&str] = &[
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

/// Splits a `fields` parameter; nested selections like `children{id}` keep only the name.
pub fn parse_fields(param: Option<&str>) -> Vec<String> {
    let Some(param) = param else {
        return vec!["id".to_owned()];
    };
    let mut out = Vec::new();
    let mut depth = 0usize;
    let mut current = String::new();
    for ch in param.chars() {
        match ch {
            '{' => depth += 1,
            '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => out.push(std::mem::take(&mut current)),
            c if depth == 0 && !c.is_whitespace() => current.push(c),
            _ => {}
        }
    }
    out.push(current);
    out.retain(|f| !f.is_empty());
    if out.is_empty() {
        out.push("id".to_owned());
    }
    out
}

/// Fails with code 100 when a field is unknown.
pub fn nonexisting(field: &str) -> ApiError {
    ApiError::nonexisting_field(field)
}

/// Graph timestamp format, e.g. `2023-10-17T05:42:03+0000`.
pub fn timestamp(ts: i64) -> String {
    Utc.timestamp_opt(ts, 0)
        .single()
        .unwrap_or_default()
        .format("%Y-%m-%dT%H:%M:%S%z")
        .to_string()
}

fn permalink(username: &str, id: u64) -> String {
    format!("https://www.threads.net/@{username}/post/{}", shortcode(id))
}

/// Renders a post or own reply.
pub fn post(
    world: &World,
    r: ObjectRef,
    fields: &[String],
    now: i64,
    viewer: u64,
) -> ApiResult<Map<String, Value>> {
    let (c, p) = world
        .post(r)
        .ok_or_else(|| ApiError::unknown_object(&r.id().to_string()))?;
    let id = r.id();
    let m = c.metrics_of(p, now);
    let live = p.live.as_deref();
    let mut out = Map::new();
    for f in fields {
        let v = match f.as_str() {
            "id" => json!(id.to_string()),
            "media_product_type" => json!("THREADS"),
            "media_type" => json!(variety::media_type(p)),
            "media_url" => match (p.format, live) {
                (Format::Image | Format::Video, Some(l)) => json!(l.media_url),
                (Format::Image, None) => {
                    json!(format!("https://cdn.sandbox.threads.local/{id}.jpg"))
                }
                (Format::Video, None) => {
                    json!(format!("https://cdn.sandbox.threads.local/{id}.mp4"))
                }
                _ if variety::attachment(p) == Attachment::Audio => {
                    json!(format!("https://cdn.sandbox.threads.local/{id}.m4a"))
                }
                _ => continue,
            },
            "gif_url" if variety::attachment(p) == Attachment::Gif => {
                json!(format!("https://cdn.sandbox.threads.local/gif/{id}.gif"))
            }
            "thumbnail_url" if p.format == Format::Video => {
                json!(format!("https://cdn.sandbox.threads.local/{id}_thumb.jpg"))
            }
            "permalink" => json!(permalink(&c.username, id)),
            "shortcode" => json!(shortcode(id)),
            "owner" if p.reply.is_none() => json!({"id": c.user_id.to_string()}),
            "username" => json!(c.username),
            "text" if p.format != Format::Repost => match live {
                Some(l) => match &l.text {
                    Some(t) => json!(t),
                    None => continue,
                },
                None => json!(generated_text(p)),
            },
            "timestamp" => json!(timestamp(p.ts)),
            "children" if p.format == Format::Carousel => {
                let data: Vec<Value> = (0..p.children as usize)
                    .map(|i| json!({"id": child_id(r, i).to_string()}))
                    .collect();
                json!({ "data": data })
            }
            "is_quote_post" => json!(p.format == Format::Quote),
            "quoted_post" if p.format == Format::Quote => json!({"id": target(p)}),
            "reposted_post" if p.format == Format::Repost => json!({"id": target(p)}),
            "alt_text" => match live.and_then(|l| l.alt_text.as_ref()) {
                Some(a) => json!(a),
                None => continue,
            },
            "link_attachment_url" if p.has_link => match live.and_then(|l| l.link.clone()) {
                Some(l) => json!(l),
                None => json!(text::link(p.seed)),
            },
            "has_replies" => json!(m.replies > 0),
            "reply_audience" => match live.and_then(|l| l.reply_audience.as_deref()) {
                Some(audience) => json!(audience),
                None => json!(variety::reply_audience(p).unwrap_or("EVERYONE")),
            },
            "poll_attachment" if p.has_poll => poll(p, m.likes, now),
            "topic_tag" if p.has_topic => match live.and_then(|l| l.topic_tag.clone()) {
                Some(t) => json!(t),
                None => json!(text::topic(p.seed)),
            },
            "is_reply" => json!(p.reply.is_some()),
            "is_reply_owned_by_me" if p.reply.is_some() => json!(viewer == c.user_id),
            "root_post" => match p.reply {
                Some(l) => json!({"id": l.root.to_string()}),
                None => continue,
            },
            "replied_to" => match p.reply {
                Some(l) => json!({"id": l.replied_to.to_string()}),
                None => continue,
            },
            "hide_status" if p.reply.is_some() => {
                json!(if c.hidden.contains(&id) {
                    "HIDDEN"
                } else {
                    "NOT_HUSHED"
                })
            }
            "is_verified" => json!(c.is_verified),
            "profile_picture_url" => json!(picture(c)),
            "is_spoiler_media" => json!(false),
            "allowlisted_country_codes" => match live.map(|l| &l.countries) {
                Some(codes) if !codes.is_empty() => json!(codes),
                _ => continue,
            },
            known if MEDIA_FIELDS.contains(&known) => continue,
            other => return Err(nonexisting(other)),
        };
        out.insert(f.clone(), v);
    }
    Ok(out)
}

/// The text of a generated post.
pub fn generated_text(p: &Post) -> String {
    let link = p.has_link.then(|| text::link(p.seed));
    text::body(p.seed, p.text_len as usize, link.as_deref())
}

fn target(p: &Post) -> String {
    p.target.map(|t| t.to_string()).unwrap_or_default()
}

fn picture(c: &Creator) -> String {
    format!(
        "https://cdn.sandbox.threads.local/profile/{}.jpg",
        c.user_id
    )
}

fn child_id(r: ObjectRef, child: usize) -> u64 {
    match r {
        ObjectRef::Post { creator, post } => ObjectRef::Child {
            creator,
            post,
            child,
        }
        .id(),
        _ => 0,
    }
}

fn poll(p: &Post, likes: u64, _now: i64) -> Value {
    let options = match p.live.as_deref().and_then(|l| l.poll.clone()) {
        Some(o) => o,
        None => text::poll_options(p.seed),
    };
    let total = likes * 3 + 1;
    let mut weights: Vec<f64> = (0..options.len())
        .map(|i| 1.0 + ((p.seed >> (i * 7)) % 100) as f64)
        .collect();
    let sum: f64 = weights.iter().sum();
    weights.iter_mut().for_each(|w| *w /= sum);
    let mut v = json!({"total_votes": total, "expiration_timestamp": timestamp(p.ts + 86_400)});
    for (i, (o, w)) in options.iter().zip(weights).enumerate() {
        let letter = (b'a' + i as u8) as char;
        v[format!("option_{letter}")] = json!(o);
        v[format!("option_{letter}_votes_percentage")] = json!((w * 1000.0).round() / 1000.0);
    }
    v
}

/// Renders a synthetic reply from another user.
pub fn incoming(
    world: &World,
    r: ObjectRef,
    fields: &[String],
    now: i64,
) -> ApiResult<Map<String, Value>> {
    let ObjectRef::Incoming {
        creator,
        post,
        reply,
    } = r
    else {
        return Err(ApiError::unknown_object(&r.id().to_string()));
    };
    if !super::replies::incoming_exists(world, creator, post, reply, now) {
        return Err(ApiError::unknown_object(&r.id().to_string()));
    }
    let c = &world.creators[creator];
    let p = &c.posts[post];
    let id = r.id();
    let seed = p.seed ^ (reply as u64 + 1).wrapping_mul(0x2545_F491_4F6C_DD1D);
    let author = text::replier(seed);
    let root = ObjectRef::Post { creator, post }.id().to_string();
    let mut out = Map::new();
    for f in fields {
        let v = match f.as_str() {
            "id" => json!(id.to_string()),
            "media_product_type" => json!("THREADS"),
            "media_type" => json!("TEXT_POST"),
            "text" => json!(text::body(seed, 20 + (seed % 120) as usize, None)),
            "username" => json!(author),
            "permalink" => json!(permalink(&author, id)),
            "shortcode" => json!(shortcode(id)),
            "timestamp" => json!(timestamp(incoming_ts(c, post, reply).unwrap_or(p.ts))),
            "is_quote_post" => json!(false),
            "is_reply" => json!(true),
            "is_reply_owned_by_me" => json!(false),
            "root_post" | "replied_to" => json!({ "id": root }),
            "hide_status" => json!(if c.hidden.contains(&id) {
                "HIDDEN"
            } else {
                "NOT_HUSHED"
            }),
            "has_replies" => json!(
                c.replies
                    .iter()
                    .any(|o| o.reply.is_some_and(|l| l.replied_to == id))
            ),
            "reply_audience" => json!("EVERYONE"),
            "is_verified" => json!(false),
            known if MEDIA_FIELDS.contains(&known) => continue,
            other => return Err(nonexisting(other)),
        };
        out.insert(f.clone(), v);
    }
    Ok(out)
}

/// Renders a carousel item.
pub fn child(world: &World, r: ObjectRef, fields: &[String]) -> ApiResult<Map<String, Value>> {
    let missing = || ApiError::unknown_object(&r.id().to_string());
    let ObjectRef::Child {
        creator,
        post,
        child,
    } = r
    else {
        return Err(missing());
    };
    let (c, p) = world
        .post(ObjectRef::Post { creator, post })
        .ok_or_else(missing)?;
    if child >= p.children as usize {
        return Err(missing());
    }
    let item = p
        .live
        .as_deref()
        .and_then(|l| l.children.get(child).cloned());
    let is_video = item.as_ref().is_some_and(|(v, _)| *v);
    let url = item.map_or_else(
        || format!("https://cdn.sandbox.threads.local/{}.jpg", r.id()),
        |(_, u)| u,
    );
    let mut out = Map::new();
    for f in fields {
        let v = match f.as_str() {
            "id" => json!(r.id().to_string()),
            "media_product_type" => json!("THREADS"),
            "media_type" => json!(if is_video { "VIDEO" } else { "IMAGE" }),
            "media_url" => json!(url),
            "username" => json!(c.username),
            "timestamp" => json!(timestamp(p.ts)),
            "is_quote_post" => json!(false),
            known if MEDIA_FIELDS.contains(&known) => continue,
            other => return Err(nonexisting(other)),
        };
        out.insert(f.clone(), v);
    }
    Ok(out)
}

/// Renders any media-like object (post, reply, incoming reply, carousel item).
pub fn any(
    world: &World,
    r: ObjectRef,
    fields: &[String],
    now: i64,
    viewer: u64,
) -> ApiResult<Map<String, Value>> {
    match r {
        ObjectRef::Post { .. } | ObjectRef::OwnReply { .. } => post(world, r, fields, now, viewer),
        ObjectRef::Incoming { .. } => incoming(world, r, fields, now),
        ObjectRef::Child { .. } => child(world, r, fields),
        ObjectRef::Container(_) => Err(ApiError::unknown_object(&r.id().to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_media_field_is_known() {
        // §3.1 of the reference, including the fields added later.
        for field in [
            "text_attachment",
            "location",
            "allowlisted_country_codes",
            "ghost_post_status",
            "ghost_post_expiration_timestamp",
            "reply_approval_status",
            "is_spoiler_media",
            "text_entities",
            "location_id",
        ] {
            assert!(MEDIA_FIELDS.contains(&field), "{field}");
        }
    }
}
