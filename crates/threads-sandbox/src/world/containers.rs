//! Media containers: creation rules (§5.1), processing states (§5.2).

use chrono::Duration;

use super::World;
use super::rules::{bad, is_url, poll, threads_len, topic, unique_links};
use crate::config::ProcessingConfig;
use crate::errors::{ApiError, ApiResult};
use crate::ids::ObjectRef;
use crate::params::Params;

/// Create-side media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateType {
    /// TEXT.
    Text,
    /// IMAGE.
    Image,
    /// VIDEO.
    Video,
    /// CAROUSEL.
    Carousel,
}

/// A validated container.
#[derive(Debug, Clone)]
pub struct Container {
    /// Owner creator index.
    pub owner: usize,
    /// Media type.
    pub media_type: CreateType,
    /// Text.
    pub text: Option<String>,
    /// Image or video URL.
    pub media_url: Option<String>,
    /// A carousel item.
    pub is_carousel_item: bool,
    /// Carousel item container numbers.
    pub children: Vec<u64>,
    /// Reply target id.
    pub reply_to: Option<u64>,
    /// Quoted post id.
    pub quote_of: Option<u64>,
    /// Reply audience, uppercase.
    pub reply_audience: Option<String>,
    /// Link attachment.
    pub link: Option<String>,
    /// Topic tag.
    pub topic_tag: Option<String>,
    /// Alt text.
    pub alt_text: Option<String>,
    /// Poll options.
    pub poll: Option<Vec<String>>,
    /// Countries the post is limited to.
    pub countries: Vec<String>,
    /// Creation time (Unix ms, sandbox clock).
    pub created_ms: i64,
    /// When processing finishes (Unix ms).
    pub ready_ms: i64,
    /// Processing failure, shown as `error_message` once processing ends.
    pub failure: Option<&'static str>,
    /// Media id once published.
    pub published: Option<u64>,
}

/// Container lifetime before it is EXPIRED.
pub const CONTAINER_TTL: Duration = Duration::hours(24);

impl Container {
    /// The status at `now_ms` (§5.2).
    pub fn status(&self, now_ms: i64) -> &'static str {
        if self.published.is_some() {
            "PUBLISHED"
        } else if now_ms >= self.created_ms + CONTAINER_TTL.num_milliseconds() {
            "EXPIRED"
        } else if now_ms < self.ready_ms {
            "IN_PROGRESS"
        } else if self.failure.is_some() {
            "ERROR"
        } else {
            "FINISHED"
        }
    }
}

/// Validates the creation parameters of `POST /{user-id}/threads` for creator `owner`.
pub fn validate(
    world: &World,
    owner: usize,
    params: &Params,
    can_reply_anywhere: bool,
    now_ms: i64,
    processing: &ProcessingConfig,
) -> ApiResult<Container> {
    let media_type = match params.get("media_type") {
        Some("TEXT") => CreateType::Text,
        Some("IMAGE") => CreateType::Image,
        Some("VIDEO") => CreateType::Video,
        Some("CAROUSEL") => CreateType::Carousel,
        Some(_) => {
            return Err(bad(
                "Param media_type must be one of {TEXT, IMAGE, VIDEO, CAROUSEL}",
            ));
        }
        None => return Err(bad("The parameter media_type is required")),
    };
    let is_text = media_type == CreateType::Text;
    let is_carousel_item = params.flag("is_carousel_item")?;
    if is_carousel_item && !matches!(media_type, CreateType::Image | CreateType::Video) {
        return Err(bad(
            "Param is_carousel_item is only allowed for IMAGE or VIDEO",
        ));
    }
    let text = params.get("text").map(str::to_owned);
    if is_text && text.as_deref().is_none_or(|t| t.trim().is_empty()) {
        return Err(bad("Param text is required for media_type TEXT"));
    }
    if let Some(t) = &text
        && threads_len(t) > 500
    {
        return Err(bad("Param text must be at most 500 characters long."));
    }
    let link = params.get("link_attachment").map(str::to_owned);
    if let Some(l) = &link {
        if !is_text {
            return Err(bad(
                "Param link_attachment is only allowed for media_type TEXT",
            ));
        }
        if !is_url(l) {
            return Err(bad("Param link_attachment must be a valid URL"));
        }
    }
    if unique_links(text.as_deref(), link.as_deref()).len() > 5 {
        return Err(bad(
            "THREADS_API__LINK_LIMIT_EXCEEDED: a post can contain at most 5 unique links",
        )
        .with_user_message(
            "THREADS_API__LINK_LIMIT_EXCEEDED",
            "Posts can include up to 5 links.",
        ));
    }
    let media_url = match media_type {
        CreateType::Image => Some(required_url(params, "image_url", "IMAGE")?),
        CreateType::Video => Some(required_url(params, "video_url", "VIDEO")?),
        _ => None,
    };
    let children = if media_type == CreateType::Carousel {
        carousel_children(world, owner, params, now_ms)?
    } else {
        Vec::new()
    };
    let topic_tag = topic(params)?;
    let alt_text = params.get("alt_text").map(str::to_owned);
    if let Some(a) = &alt_text {
        if !matches!(media_type, CreateType::Image | CreateType::Video) {
            return Err(bad("Param alt_text is only allowed for IMAGE or VIDEO"));
        }
        if a.chars().count() > 1_000 {
            return Err(bad("Param alt_text must be at most 1000 characters long."));
        }
    }
    let poll = params
        .get("poll_attachment")
        .map(|p| poll(p, is_text))
        .transpose()?;
    let reply_audience = params
        .get("reply_control")
        .map(|rc| match rc {
            "everyone" | "accounts_you_follow" | "mentioned_only" | "parent_post_author_only"
            | "followers_only" => Ok(rc.to_ascii_uppercase()),
            _ => Err(bad("Param reply_control must be one of {everyone, accounts_you_follow, mentioned_only, parent_post_author_only, followers_only}")),
        })
        .transpose()?;
    let reply_to = params
        .get("reply_to_id")
        .map(|id| reply_target(world, owner, id, can_reply_anywhere, now_ms / 1_000))
        .transpose()?;
    let quote_of = params
        .get("quote_post_id")
        .map(|id| match ObjectRef::parse(id) {
            Some(r @ ObjectRef::Post { .. }) if world.post(r).is_some() => Ok(r.id()),
            _ => Err(bad("Param quote_post_id must be a valid post id")),
        })
        .transpose()?;
    let countries: Vec<String> = params
        .get("allowlisted_country_codes")
        .map(|codes| codes.split(',').map(str::to_owned).collect())
        .unwrap_or_default();
    if !countries
        .iter()
        .all(|c| c.len() == 2 && c.chars().all(|ch| ch.is_ascii_uppercase()))
    {
        return Err(bad(
            "THREADS_API__GEO_GATING_INVALID_COUNTRY_CODES: invalid country codes",
        ));
    }
    if params.flag("auto_publish_text")? && !is_text {
        return Err(bad(
            "Param auto_publish_text is only allowed for media_type TEXT",
        ));
    }
    let delay = match media_type {
        CreateType::Text => processing.text_ms,
        CreateType::Image => processing.image_ms,
        CreateType::Video => processing.video_ms,
        CreateType::Carousel => processing.text_ms,
    } as i64;
    let children_ready = children
        .iter()
        .map(|n| world.containers[*n as usize].ready_ms)
        .max()
        .unwrap_or(now_ms);
    let failure = media_url
        .as_deref()
        .filter(|u| u.contains("fail"))
        .map(|_| "FAILED_DOWNLOADING_VIDEO")
        .or_else(|| {
            children
                .iter()
                .find_map(|n| world.containers[*n as usize].failure)
        });
    Ok(Container {
        owner,
        media_type,
        text,
        media_url,
        is_carousel_item,
        children,
        reply_to,
        quote_of,
        reply_audience,
        link,
        topic_tag,
        alt_text,
        poll,
        countries,
        created_ms: now_ms,
        ready_ms: children_ready.max(now_ms) + delay,
        failure,
        published: None,
    })
}

fn required_url(params: &Params, name: &str, kind: &str) -> ApiResult<String> {
    match params.get(name) {
        Some(u) if is_url(u) => Ok(u.to_owned()),
        Some(_) => Err(bad(&format!("Param {name} must be a valid URL"))),
        None => Err(bad(&format!(
            "Param {name} is required for media_type {kind}"
        ))),
    }
}

fn carousel_children(
    world: &World,
    owner: usize,
    params: &Params,
    now_ms: i64,
) -> ApiResult<Vec<u64>> {
    let raw = params
        .get("children")
        .ok_or_else(|| bad("Param children is required for media_type CAROUSEL"))?;
    let ids: Vec<&str> = raw
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    if !(2..=20).contains(&ids.len()) {
        return Err(bad(
            "Param children must contain between 2 and 20 carousel items",
        ));
    }
    ids.iter()
        .map(|id| match ObjectRef::parse(id) {
            Some(ObjectRef::Container(n)) => match world.containers.get(n as usize) {
                Some(c)
                    if c.owner == owner && c.is_carousel_item && c.status(now_ms) != "EXPIRED" =>
                {
                    Ok(n)
                }
                _ => Err(bad(&format!(
                    "Param children contains an invalid carousel item: {id}"
                ))),
            },
            _ => Err(bad(&format!(
                "Param children contains an invalid carousel item: {id}"
            ))),
        })
        .collect()
}

fn reply_target(world: &World, owner: usize, id: &str, anywhere: bool, now: i64) -> ApiResult<u64> {
    let invalid = || bad("Param reply_to_id must be a valid post or reply id");
    let r = ObjectRef::parse(id).ok_or_else(invalid)?;
    let root_owner = match r {
        ObjectRef::Post { creator, .. } | ObjectRef::OwnReply { creator, .. } => {
            let (_, p) = world.post(r).ok_or_else(invalid)?;
            if p.format == super::traits::Format::Repost {
                return Err(invalid());
            }
            match p.reply {
                Some(link) => ObjectRef::parse(&link.root.to_string()).map_or(creator, owner_of),
                None => creator,
            }
        }
        ObjectRef::Incoming {
            creator,
            post,
            reply,
        } => {
            if !super::replies::incoming_exists(world, creator, post, reply, now) {
                return Err(invalid());
            }
            creator
        }
        _ => return Err(invalid()),
    };
    if root_owner != owner && !anywhere {
        return Err(ApiError::missing_scope(
            "threads_keyword_search or threads_manage_mentions",
        ));
    }
    Ok(r.id())
}

fn owner_of(r: ObjectRef) -> usize {
    match r {
        ObjectRef::Post { creator, .. }
        | ObjectRef::OwnReply { creator, .. }
        | ObjectRef::Incoming { creator, .. }
        | ObjectRef::Child { creator, .. } => creator,
        ObjectRef::Container(_) => usize::MAX,
    }
}
