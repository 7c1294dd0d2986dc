//! `GET /keyword_search` (§3.3): public posts matching a keyword or topic tag.
//!
//! Needs `threads_keyword_search`. Meta allows 2,200 searches per rolling 24 h per user across
//! all apps, and a search that finds nothing does not count.

use chrono::{DateTime, Utc};
use reqwest::Method;

use crate::error::Result;
use crate::models::Media;
use crate::paging::Page;
use crate::session::Session;
use crate::validation::ValidationError;

/// Fields asked for by default: what a public post by someone else can carry (`owner` is
/// given on one's own posts only, and reply fields do not apply).
pub const SEARCH_FIELDS: &[&str] = &[
    "id",
    "media_product_type",
    "media_type",
    "media_url",
    "permalink",
    "username",
    "text",
    "timestamp",
    "shortcode",
    "thumbnail_url",
    "topic_tag",
    "is_quote_post",
    "has_replies",
    "is_verified",
    "profile_picture_url",
];

/// `search_type`: how results are ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SearchType {
    /// Most popular first (Meta's default).
    #[default]
    Top,
    /// Newest first.
    Recent,
}

/// `search_mode`: what `q` is matched against.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SearchMode {
    /// The post text (Meta's default).
    #[default]
    Keyword,
    /// The topic tag.
    Tag,
}

/// `media_type` filter of a search (the query-side names; results read back as `TEXT_POST`,
/// `IMAGE`, `VIDEO`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SearchMediaType {
    /// Text posts.
    Text,
    /// Image posts.
    Image,
    /// Video posts.
    Video,
}

impl SearchType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Top => "TOP",
            Self::Recent => "RECENT",
        }
    }
}

impl SearchMode {
    fn as_str(self) -> &'static str {
        match self {
            Self::Keyword => "KEYWORD",
            Self::Tag => "TAG",
        }
    }
}

impl SearchMediaType {
    fn as_str(self) -> &'static str {
        match self {
            Self::Text => "TEXT",
            Self::Image => "IMAGE",
            Self::Video => "VIDEO",
        }
    }
}

/// Parameters of a keyword search, checked before the request is sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeywordSearchQuery {
    q: String,
    search_type: Option<SearchType>,
    search_mode: Option<SearchMode>,
    media_type: Option<SearchMediaType>,
    author_username: Option<String>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    limit: Option<u32>,
    fields: Option<Vec<String>>,
}

impl KeywordSearchQuery {
    /// A search for `q` (a keyword, or a tag with [`Self::mode`] `Tag`).
    pub fn new(q: impl Into<String>) -> Self {
        Self {
            q: q.into(),
            ..Self::default()
        }
    }

    /// Order: `Top` (default) or `Recent`.
    pub fn search_type(mut self, t: SearchType) -> Self {
        self.search_type = Some(t);
        self
    }

    /// Match text (`Keyword`, default) or topic tags (`Tag`).
    pub fn mode(mut self, m: SearchMode) -> Self {
        self.search_mode = Some(m);
        self
    }

    /// Only posts of this media type.
    pub fn media_type(mut self, t: SearchMediaType) -> Self {
        self.media_type = Some(t);
        self
    }

    /// Only posts by this username.
    pub fn author_username(mut self, u: impl Into<String>) -> Self {
        self.author_username = Some(u.into());
        self
    }

    /// Only posts published at or after `t`.
    pub fn since(mut self, t: DateTime<Utc>) -> Self {
        self.since = Some(t);
        self
    }

    /// Only posts published before `t`.
    pub fn until(mut self, t: DateTime<Utc>) -> Self {
        self.until = Some(t);
        self
    }

    /// At most `n` results, 1 to 100 (Meta's default is 25).
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }

    /// Fields to request instead of [`SEARCH_FIELDS`].
    pub fn fields(mut self, fields: &[&str]) -> Self {
        self.fields = Some(fields.iter().map(|f| (*f).to_owned()).collect());
        self
    }

    /// Query pairs, after checking the documented bounds.
    pub(crate) fn to_pairs(
        &self,
        now: DateTime<Utc>,
    ) -> std::result::Result<Vec<(String, String)>, ValidationError> {
        if self.q.trim().is_empty() {
            return Err(ValidationError::MissingParam("q"));
        }
        crate::paging::check_bounds(self.limit, self.since, self.until, now)?;
        let fields = match &self.fields {
            Some(f) => f.join(","),
            None => SEARCH_FIELDS.join(","),
        };
        let mut pairs = vec![
            ("q".to_owned(), self.q.clone()),
            ("fields".to_owned(), fields),
        ];
        let mut push = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                pairs.push((k.to_owned(), v));
            }
        };
        push("search_type", self.search_type.map(|t| t.as_str().into()));
        push("search_mode", self.search_mode.map(|m| m.as_str().into()));
        push("media_type", self.media_type.map(|t| t.as_str().into()));
        push("author_username", self.author_username.clone());
        push("since", self.since.map(|t| t.timestamp().to_string()));
        push("until", self.until.map(|t| t.timestamp().to_string()));
        push("limit", self.limit.map(|n| n.to_string()));
        Ok(pairs)
    }
}

impl Session {
    /// `GET /keyword_search`: public posts matching `query`, best or newest first.
    ///
    /// One call, one answer: Meta returns up to `limit` results and no further pages.
    pub async fn keyword_search(&self, query: &KeywordSearchQuery) -> Result<Vec<Media>> {
        let pairs = query.to_pairs(Utc::now())?;
        let call = self.call(Method::GET, &["keyword_search"]).queries(pairs);
        let page: Page<Media> = self.client().call(&call).await?;
        Ok(page.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_blank_query_is_refused_before_sending() {
        let now = Utc::now();
        assert_eq!(
            KeywordSearchQuery::new("  ").to_pairs(now),
            Err(ValidationError::MissingParam("q"))
        );
        assert_eq!(
            KeywordSearchQuery::new("coffee").limit(101).to_pairs(now),
            Err(ValidationError::PageLimit(101))
        );
    }

    #[test]
    fn parameters_are_sent_with_their_wire_names() {
        let pairs = KeywordSearchQuery::new("coffee")
            .search_type(SearchType::Recent)
            .mode(SearchMode::Tag)
            .media_type(SearchMediaType::Text)
            .author_username("ada")
            .limit(5)
            .to_pairs(Utc::now())
            .unwrap();
        let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str());
        assert_eq!(get("q"), Some("coffee"));
        assert_eq!(get("search_type"), Some("RECENT"));
        assert_eq!(get("search_mode"), Some("TAG"));
        assert_eq!(get("media_type"), Some("TEXT"));
        assert_eq!(get("author_username"), Some("ada"));
        assert_eq!(get("limit"), Some("5"));
    }
}
