//! What a creator composes, and the preflight that checks it against every documented Threads
//! rule before anything is scheduled.
//!
//! The limits themselves are not restated here: each part is run through the Threads client's
//! own [`ContainerBuilder`], so the preflight and the API agree by construction. This module only
//! adds the rules that span parts (chains, carousels, one topic tag) and turns each breach into a
//! sentence a creator understands, keyed by the field it is about.

use std::collections::BTreeMap;

use super::{PostKind, PostMedia};
use serde::{Deserialize, Serialize};
use threads_api::validation::{self, ValidationError};
use threads_api::{ContainerBuilder, ContainerId, MediaId, ReplyControl};

/// Most parts in one chain (a post and its follow-up replies).
pub const MAX_PARTS: usize = 20;

/// A post as composed: one part, or a chain whose later parts reply to the one before.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Composition {
    /// The parts, in publishing order; the first is the top-level post.
    pub parts: Vec<Part>,
    /// Who may reply (`everyone`, `accounts_you_follow`, `mentioned_only`,
    /// `parent_post_author_only`, `followers_only`).
    pub reply_control: Option<String>,
    /// One topic tag for the top-level post.
    pub topic_tag: Option<String>,
    /// Id of a Threads post the top-level post quotes.
    pub quote_post_id: Option<crate::domain::MediaId>,
    /// Id of a Threads post (or reply) the top-level post answers: the post is then published
    /// as a reply to it (a first reply, an auto-plug, an answer from the inbox).
    pub reply_to_id: Option<crate::domain::MediaId>,
    /// A reply published under the post a while after it is published.
    pub first_reply: Option<super::followups::FirstReply>,
    /// A reply published under the post once, when it passes a threshold within a window.
    pub auto_plug: Option<super::followups::AutoPlug>,
    /// Leaves out the profile's default auto-plug for this post.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_auto_plug: bool,
}

impl Composition {
    /// The Threads post the top-level post replies to, if it is a reply.
    pub fn reply_target(&self) -> Option<MediaId> {
        self.reply_to_id
            .as_deref()
            .map(str::trim)
            .filter(|id| !id.is_empty())
            .map(|id| MediaId::new(id.to_owned()))
    }
}

/// One post of a chain.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Part {
    /// Text (the caption when the part has media).
    pub text: String,
    /// Uploaded media: none for text, one for an image or video, 2-20 for a carousel.
    pub media: Vec<MediaItem>,
    /// A link shown as the preview card (text posts only).
    pub link_attachment: Option<String>,
    /// 2-4 poll options (text posts only).
    pub poll_options: Option<Vec<String>>,
}

/// One uploaded image or video in a part.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaItem {
    /// The upload's id (from `POST /api/v1/publishing/media`).
    pub id: super::UploadId,
    /// Description for people using screen readers.
    pub alt_text: Option<String>,
}

/// What the preflight knows about an uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaFacts {
    /// Image or video.
    pub kind: super::media::MediaKind,
}

/// Counts shown live under each part.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PartCount {
    /// Characters as Threads counts them.
    pub length: usize,
    /// The limit.
    pub max_length: usize,
    /// Unique links across text and link attachment.
    pub links: usize,
    /// The limit.
    pub max_links: usize,
}

/// The preflight's verdict: problems by field (empty when the post can be scheduled).
#[derive(Debug, Clone, Serialize, Default)]
pub struct Preflight {
    /// Field -> what is wrong, in plain words.
    pub problems: BTreeMap<String, String>,
    /// Counts per part.
    pub counts: Vec<PartCount>,
}

impl Preflight {
    /// Whether nothing is wrong.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

/// A short label for listings: `text`, `image`, `video`, `carousel`, with `chain` for chains.
pub fn kind_of(c: &Composition, facts: &dyn Fn(&str) -> Option<MediaFacts>) -> PostKind {
    let media = c
        .parts
        .first()
        .map_or(PostMedia::Text, |p| match p.media.len() {
            0 => PostMedia::Text,
            1 => match facts(&p.media[0].id).map(|f| f.kind) {
                Some(super::media::MediaKind::Video) => PostMedia::Video,
                _ => PostMedia::Image,
            },
            _ => PostMedia::Carousel,
        });
    PostKind {
        media,
        chain: c.parts.len() > 1,
    }
}

/// Parses a reply-control value.
pub fn reply_control(value: &str) -> Option<ReplyControl> {
    [
        ReplyControl::Everyone,
        ReplyControl::AccountsYouFollow,
        ReplyControl::MentionedOnly,
        ReplyControl::ParentPostAuthorOnly,
        ReplyControl::FollowersOnly,
    ]
    .into_iter()
    .find(|c| c.as_str() == value)
}

/// The container request for `part` number `index`, with media URLs and child ids filled in by
/// the caller (the preflight passes placeholders). `children` is used for carousels.
pub fn builder_for(
    c: &Composition,
    index: usize,
    media_url: &dyn Fn(&MediaItem) -> (String, bool),
    children: Vec<ContainerId>,
    reply_to: Option<MediaId>,
) -> ContainerBuilder {
    let part = &c.parts[index];
    let mut b = match part.media.len() {
        0 => ContainerBuilder::text(part.text.clone()),
        1 => {
            let (url, video) = media_url(&part.media[0]);
            let b = if video {
                ContainerBuilder::video(url)
            } else {
                ContainerBuilder::image(url)
            };
            match &part.media[0].alt_text {
                Some(alt) if !alt.trim().is_empty() => b.alt_text(alt.clone()),
                _ => b,
            }
        }
        _ => ContainerBuilder::carousel(children),
    };
    if part.media.is_empty() {
        if let Some(link) = part
            .link_attachment
            .as_ref()
            .filter(|l| !l.trim().is_empty())
        {
            b = b.link_attachment(link.trim().to_owned());
        }
        if let Some(options) = &part.poll_options {
            b = b.poll(options.iter().map(|o| o.trim().to_owned()));
        }
    } else if !part.text.trim().is_empty() {
        b = b.caption(part.text.clone());
    }
    if let Some(rc) = c.reply_control.as_deref().and_then(reply_control) {
        b = b.reply_control(rc);
    }
    if index == 0 {
        if let Some(tag) = c.topic_tag.as_ref().filter(|t| !t.is_empty()) {
            b = b.topic_tag(tag.clone());
        }
        if let Some(q) = c.quote_post_id.as_ref().filter(|q| !q.is_empty()) {
            b = b.quote(MediaId::new(q.clone()));
        }
    }
    match reply_to {
        Some(parent) => b.reply_to(parent),
        None => b,
    }
}

/// Checks a composition. `facts` describes each uploaded file the user owns (None: unknown).
pub fn preflight(c: &Composition, facts: &dyn Fn(&str) -> Option<MediaFacts>) -> Preflight {
    let mut out = Preflight::default();
    let mut problem = |field: String, message: String| {
        out.problems.entry(field).or_insert(message);
    };
    if c.parts.is_empty() {
        problem("parts".into(), "Write something to post.".into());
    }
    if c.parts.len() > MAX_PARTS {
        problem(
            "parts".into(),
            format!("A chain can have at most {MAX_PARTS} posts."),
        );
    }
    if let Some(rc) = c.reply_control.as_deref()
        && reply_control(rc).is_none()
    {
        problem(
            "reply_control".into(),
            "Choose who can reply: everyone, accounts you follow, mentioned only, parent post author only or followers only.".into(),
        );
    }
    if let Some(q) = c.quote_post_id.as_deref()
        && !q.is_empty()
        && !q.chars().all(|ch| ch.is_ascii_digit())
    {
        problem(
            "quote_post_id".into(),
            "Paste the numeric id of the Threads post to quote.".into(),
        );
    }
    if let Some(r) = c.reply_to_id.as_deref().map(str::trim)
        && !r.is_empty()
        && !r.chars().all(|ch| ch.is_ascii_digit())
    {
        problem(
            "reply_to_id".into(),
            "Paste the numeric id of the Threads post to reply to.".into(),
        );
    }
    super::followups::preflight(c, &mut problem);
    // Checked on its own too, so a tag problem shows even when the text has one as well.
    if let Some(tag) = c.topic_tag.as_deref().filter(|t| !t.is_empty())
        && let Err(e) = validation::check_topic_tag(tag)
    {
        let (_, message) = explain(&e);
        problem("topic_tag".into(), message);
    }
    for (i, part) in c.parts.iter().enumerate() {
        let field = |name: &str| format!("parts[{i}].{name}");
        let mut media_ok = true;
        for (m, item) in part.media.iter().enumerate() {
            if facts(&item.id).is_none() {
                media_ok = false;
                problem(
                    format!("parts[{i}].media[{m}]"),
                    "This upload no longer exists. Upload the file again.".into(),
                );
            }
        }
        if !part.media.is_empty() {
            if part.media.len() > 20 {
                problem(
                    field("media"),
                    format!(
                        "A carousel holds 2 to 20 images or videos; this one has {}.",
                        part.media.len()
                    ),
                );
                media_ok = false;
            }
            if part.poll_options.is_some() {
                problem(
                    field("poll_options"),
                    "Polls can only be added to text posts without images or videos.".into(),
                );
            }
            if part
                .link_attachment
                .as_ref()
                .is_some_and(|l| !l.trim().is_empty())
            {
                problem(
                    field("link_attachment"),
                    "A link preview can only be added to text posts without images or videos."
                        .into(),
                );
            }
        }
        let url = |item: &MediaItem| {
            let video = facts(&item.id).is_some_and(|f| f.kind == super::media::MediaKind::Video);
            ("https://media.example/preflight".to_owned(), video)
        };
        let children = (0..part.media.len().min(20))
            .map(|n| ContainerId::new(format!("preflight-{n}")))
            .collect();
        let reply_to = (i > 0 || c.reply_target().is_some()).then(|| MediaId::new("1"));
        let counted = validation::threads_len(&part.text);
        let links = validation::unique_links(&part.text, part.link_attachment.as_deref()).len();
        out.counts.push(PartCount {
            length: counted,
            max_length: validation::MAX_TEXT_LEN,
            links,
            max_links: validation::MAX_LINKS,
        });
        if !media_ok {
            continue;
        }
        if part.media.is_empty() && part.text.trim().is_empty() {
            problem(
                field("text"),
                if i == 0 {
                    "Write some text, or add an image or video.".into()
                } else {
                    format!(
                        "Post {} of the chain is empty. Write something or remove it.",
                        i + 1
                    )
                },
            );
            continue;
        }
        for (m, item) in part.media.iter().enumerate() {
            if let Some(alt) = &item.alt_text
                && validation::threads_len(alt) > validation::MAX_ALT_TEXT_LEN
            {
                problem(
                    format!("parts[{i}].media[{m}].alt_text"),
                    format!(
                        "Alt text can be at most {} characters; this one has {}.",
                        validation::MAX_ALT_TEXT_LEN,
                        validation::threads_len(alt)
                    ),
                );
            }
        }
        if let Err(e) = builder_for(c, i, &url, children, reply_to).build() {
            let (name, message) = explain(&e);
            let key = match name {
                "topic_tag" | "reply_control" | "quote_post_id" | "reply_to_id" => name.to_owned(),
                _ => field(name),
            };
            problem(key, message);
        }
    }
    out
}

/// The field a breach is about and a sentence saying what to do.
pub fn explain(e: &ValidationError) -> (&'static str, String) {
    use ValidationError as V;
    match e {
        V::MissingText => ("text", "Write some text for this post.".into()),
        V::TextTooLong { len, max } => (
            "text",
            format!(
                "Threads allows {max} characters and counts emoji as several; this post has {len}. Remove {} characters.",
                len - max
            ),
        ),
        V::TooManyLinks { count, max } => (
            "text",
            format!(
                "Threads allows at most {max} different links in a post, counting the link preview; this one has {count}."
            ),
        ),
        V::TopicTagLength { len, max } => (
            "topic_tag",
            if *len == 0 {
                "The topic tag is empty. Remove it or write one.".into()
            } else {
                format!("A topic tag can be at most {max} characters; this one has {len}.")
            },
        ),
        V::TopicTagForbiddenChar(c) => (
            "topic_tag",
            format!("A topic tag cannot contain \"{c}\". Remove it from the tag."),
        ),
        V::AltTextTooLong { len, max } => (
            "media",
            format!("Alt text can be at most {max} characters; this one has {len}."),
        ),
        V::PollOptionCount(n) => (
            "poll_options",
            format!("A poll needs 2 to 4 options; this one has {n}."),
        ),
        V::PollOptionLength { index, len, max } => (
            "poll_options",
            if *len == 0 {
                format!("Poll option {} is empty.", index + 1)
            } else {
                format!(
                    "Poll option {} is {len} characters; options can be at most {max}.",
                    index + 1
                )
            },
        ),
        V::CarouselChildren(n) => (
            "media",
            format!("A carousel holds 2 to 20 images or videos; this one has {n}."),
        ),
        V::NotAllowedFor { param, .. } => (
            "media",
            format!("{param} can only be used on text posts without images or videos."),
        ),
        V::BadUrl { param } if *param == "link_attachment" => (
            "link_attachment",
            "The link preview must be a full web address starting with https:// or http://.".into(),
        ),
        other => ("text", format!("Threads would refuse this post: {other}.")),
    }
}

#[cfg(test)]
mod tests;
