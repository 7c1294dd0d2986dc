//! A typed, checked request for `POST /{user-id}/threads`.
//!
//! [`ContainerBuilder::build`] applies every documented limit and yields a [`Container`], the only
//! thing [`crate::Session::create_container`] accepts; an invalid container cannot be sent.

use crate::ids::{ContainerId, LocationId, MediaId};
use crate::models::ReplyControl;
use crate::validation::{
    self as rules, CAROUSEL_CHILDREN, MAX_ALT_TEXT_LEN, MAX_LINKS, MAX_POLL_OPTION_LEN,
    MAX_TEXT_LEN, POLL_OPTIONS, ValidationError, threads_len,
};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Text,
    Image(String),
    Video(String),
    Carousel(Vec<ContainerId>),
}

impl Kind {
    fn wire(&self) -> &'static str {
        match self {
            Kind::Text => "TEXT",
            Kind::Image(_) => "IMAGE",
            Kind::Video(_) => "VIDEO",
            Kind::Carousel(_) => "CAROUSEL",
        }
    }
}

/// Collects the parameters of a media container. Nothing is checked until [`Self::build`].
///
/// ```
/// use threads_api::{ContainerBuilder, ReplyControl};
/// let container = ContainerBuilder::text("Hello from ThredOps")
///     .topic_tag("Rust")
///     .reply_control(ReplyControl::FollowersOnly)
///     .build()
///     .unwrap();
/// assert_eq!(container.media_type(), "TEXT");
/// assert!(ContainerBuilder::text("x".repeat(501)).build().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerBuilder {
    kind: Kind,
    text: Option<String>,
    reply_control: Option<ReplyControl>,
    reply_to_id: Option<MediaId>,
    quote_post_id: Option<MediaId>,
    topic_tag: Option<String>,
    link_attachment: Option<String>,
    alt_text: Option<String>,
    poll_options: Option<Vec<String>>,
    auto_publish_text: bool,
    is_carousel_item: bool,
    allowlisted_country_codes: Vec<String>,
    location_id: Option<LocationId>,
}

impl ContainerBuilder {
    fn new(kind: Kind) -> Self {
        Self {
            kind,
            text: None,
            reply_control: None,
            reply_to_id: None,
            quote_post_id: None,
            topic_tag: None,
            link_attachment: None,
            alt_text: None,
            poll_options: None,
            auto_publish_text: false,
            is_carousel_item: false,
            allowlisted_country_codes: Vec::new(),
            location_id: None,
        }
    }

    /// A TEXT post.
    pub fn text(text: impl Into<String>) -> Self {
        Self::new(Kind::Text).caption(text)
    }

    /// An IMAGE post of the JPEG/PNG at a public URL.
    pub fn image(image_url: impl Into<String>) -> Self {
        Self::new(Kind::Image(image_url.into()))
    }

    /// A VIDEO post of the MOV/MP4 at a public URL.
    pub fn video(video_url: impl Into<String>) -> Self {
        Self::new(Kind::Video(video_url.into()))
    }

    /// A CAROUSEL of 2–20 item containers (each built with [`Self::carousel_item`]).
    pub fn carousel(children: impl IntoIterator<Item = ContainerId>) -> Self {
        Self::new(Kind::Carousel(children.into_iter().collect()))
    }

    /// Sets `text` (the body of a TEXT post, the caption of other types).
    pub fn caption(mut self, text: impl Into<String>) -> Self {
        self.text = Some(text.into());
        self
    }

    /// Sets who may reply.
    pub fn reply_control(mut self, control: ReplyControl) -> Self {
        self.reply_control = Some(control);
        self
    }

    /// Makes the post a reply to `media`.
    pub fn reply_to(mut self, media: MediaId) -> Self {
        self.reply_to_id = Some(media);
        self
    }

    /// Makes the post quote `media`.
    pub fn quote(mut self, media: MediaId) -> Self {
        self.quote_post_id = Some(media);
        self
    }

    /// Sets the topic tag (1–50 characters, no `.` or `&`).
    pub fn topic_tag(mut self, tag: impl Into<String>) -> Self {
        self.topic_tag = Some(tag.into());
        self
    }

    /// Sets the link preview URL (TEXT only).
    pub fn link_attachment(mut self, url: impl Into<String>) -> Self {
        self.link_attachment = Some(url.into());
        self
    }

    /// Sets alt text (IMAGE/VIDEO, at most 1,000 characters).
    pub fn alt_text(mut self, alt: impl Into<String>) -> Self {
        self.alt_text = Some(alt.into());
        self
    }

    /// Attaches a poll of 2–4 options of 1–25 characters each (TEXT only).
    pub fn poll<I, S>(mut self, options: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.poll_options = Some(options.into_iter().map(Into::into).collect());
        self
    }

    /// Publishes at once on creation (TEXT only); creation then returns the media id.
    pub fn auto_publish_text(mut self) -> Self {
        self.auto_publish_text = true;
        self
    }

    /// Marks an IMAGE/VIDEO container as a carousel item.
    pub fn carousel_item(mut self) -> Self {
        self.is_carousel_item = true;
        self
    }

    /// Limits the post to these countries (ISO alpha-2, e.g. `US`).
    pub fn allowlisted_countries<I, S>(mut self, codes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.allowlisted_country_codes = codes.into_iter().map(Into::into).collect();
        self
    }

    /// Tags a place from `/location_search`.
    pub fn location(mut self, location: LocationId) -> Self {
        self.location_id = Some(location);
        self
    }

    /// Checks every documented limit and produces the parameters to send.
    pub fn build(self) -> Result<Container, ValidationError> {
        self.check()?;
        Ok(self.into_container())
    }

    fn check(&self) -> Result<(), ValidationError> {
        let media_type = self.kind.wire();
        let is_text = self.kind == Kind::Text;
        let is_media = matches!(self.kind, Kind::Image(_) | Kind::Video(_));
        let only = |ok: bool, param: &'static str| {
            if ok {
                Ok(())
            } else {
                Err(ValidationError::NotAllowedFor { param, media_type })
            }
        };
        let text = self.text.as_deref().unwrap_or("");
        if is_text && text.trim().is_empty() {
            return Err(ValidationError::MissingText);
        }
        let len = threads_len(text);
        if len > MAX_TEXT_LEN {
            return Err(ValidationError::TextTooLong {
                len,
                max: MAX_TEXT_LEN,
            });
        }
        let links = rules::unique_links(text, self.link_attachment.as_deref()).len();
        if links > MAX_LINKS {
            return Err(ValidationError::TooManyLinks {
                count: links,
                max: MAX_LINKS,
            });
        }
        if let Some(link) = &self.link_attachment {
            only(is_text, "link_attachment")?;
            rules::check_url("link_attachment", link)?;
        }
        if let Some(tag) = &self.topic_tag {
            rules::check_topic_tag(tag)?;
        }
        if let Some(alt) = &self.alt_text {
            only(is_media, "alt_text")?;
            let len = threads_len(alt);
            if len > MAX_ALT_TEXT_LEN {
                return Err(ValidationError::AltTextTooLong {
                    len,
                    max: MAX_ALT_TEXT_LEN,
                });
            }
        }
        if let Some(options) = &self.poll_options {
            only(is_text, "poll_attachment")?;
            check_poll(options)?;
        }
        if self.auto_publish_text {
            only(is_text, "auto_publish_text")?;
        }
        if self.is_carousel_item {
            only(is_media, "is_carousel_item")?;
        }
        match &self.kind {
            Kind::Image(url) => rules::check_url("image_url", url)?,
            Kind::Video(url) => rules::check_url("video_url", url)?,
            Kind::Carousel(children) if !CAROUSEL_CHILDREN.contains(&children.len()) => {
                return Err(ValidationError::CarouselChildren(children.len()));
            }
            Kind::Text | Kind::Carousel(_) => {}
        }
        if let Some(bad) = self
            .allowlisted_country_codes
            .iter()
            .find(|c| c.len() != 2 || !c.chars().all(|ch| ch.is_ascii_alphabetic()))
        {
            return Err(ValidationError::BadCountryCode(bad.clone()));
        }
        Ok(())
    }

    fn into_container(self) -> Container {
        let mut params: Vec<(&'static str, String)> =
            vec![("media_type", self.kind.wire().to_owned())];
        let auto_publish = self.auto_publish_text;
        match self.kind {
            Kind::Image(url) => params.push(("image_url", url)),
            Kind::Video(url) => params.push(("video_url", url)),
            Kind::Carousel(children) => {
                let ids: Vec<_> = children.iter().map(ContainerId::as_str).collect();
                params.push(("children", ids.join(",")));
            }
            Kind::Text => {}
        }
        let mut push = |key, value: Option<String>| {
            if let Some(v) = value {
                params.push((key, v));
            }
        };
        push("text", self.text);
        push(
            "is_carousel_item",
            self.is_carousel_item.then(|| "true".to_owned()),
        );
        push("reply_to_id", self.reply_to_id.map(MediaId::into_inner));
        push(
            "reply_control",
            self.reply_control.map(|c| c.as_str().to_owned()),
        );
        push("quote_post_id", self.quote_post_id.map(MediaId::into_inner));
        push("link_attachment", self.link_attachment);
        push("topic_tag", self.topic_tag);
        push("alt_text", self.alt_text);
        push("poll_attachment", self.poll_options.map(|o| poll_json(&o)));
        push("auto_publish_text", auto_publish.then(|| "true".to_owned()));
        let countries: Vec<_> = self
            .allowlisted_country_codes
            .iter()
            .map(|c| c.to_ascii_uppercase())
            .collect();
        push(
            "allowlisted_country_codes",
            (!countries.is_empty()).then(|| countries.join(",")),
        );
        push("location_id", self.location_id.map(LocationId::into_inner));
        Container {
            params,
            auto_publish,
        }
    }
}

fn check_poll(options: &[String]) -> Result<(), ValidationError> {
    if !POLL_OPTIONS.contains(&options.len()) {
        return Err(ValidationError::PollOptionCount(options.len()));
    }
    for (index, option) in options.iter().enumerate() {
        let len = threads_len(option);
        if len == 0 || len > MAX_POLL_OPTION_LEN {
            return Err(ValidationError::PollOptionLength {
                index,
                len,
                max: MAX_POLL_OPTION_LEN,
            });
        }
    }
    Ok(())
}

/// `{"option_a":..,"option_b":..}` as the JSON-encoded string Meta expects.
fn poll_json(options: &[String]) -> String {
    let map: serde_json::Map<String, serde_json::Value> =
        ["option_a", "option_b", "option_c", "option_d"]
            .iter()
            .zip(options)
            .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v.clone())))
            .collect();
    serde_json::Value::Object(map).to_string()
}

/// A container request that passed every check; build one with [`ContainerBuilder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    params: Vec<(&'static str, String)>,
    auto_publish: bool,
}

impl Container {
    /// The form parameters that will be sent, in order.
    pub fn params(&self) -> &[(&'static str, String)] {
        &self.params
    }

    /// The value of one parameter, if set.
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.as_str())
    }

    /// `TEXT`, `IMAGE`, `VIDEO` or `CAROUSEL`.
    pub fn media_type(&self) -> &str {
        self.param("media_type").unwrap_or_default()
    }

    /// Whether creation publishes at once (`auto_publish_text`).
    pub fn auto_publishes(&self) -> bool {
        self.auto_publish
    }
}
