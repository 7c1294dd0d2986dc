//! Cursor paging as a [`futures_util::Stream`].
//!
//! The walk stops when a page is empty or has no `paging.next` (Meta may omit `next` on the last
//! page; §10 says to accept both). Otherwise it asks for the same query with `after=<cursor>`,
//! falling back to `paging.next` itself when there is no cursor, but only if that URL points at the
//! configured Graph origin so the token never goes elsewhere.

use chrono::{DateTime, Utc};
use futures_util::stream::{self, BoxStream, StreamExt, TryStreamExt};
use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use url::Url;

use crate::client::{Call, ThreadsClient};
use crate::error::Result;
use crate::secret::AccessToken;
use crate::validation::{MAX_PAGE_LIMIT, ValidationError};

/// A stream of pages.
pub type PageStream<T> = BoxStream<'static, Result<Page<T>>>;
/// A stream of items across pages.
pub type ItemStream<T> = BoxStream<'static, Result<T>>;

/// Earliest `since` accepted by list endpoints (2023-07-05).
const EARLIEST_LIST_SINCE: i64 = 1_688_540_400;

/// One page of a list: `{"data":[..],"paging":{..}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page<T> {
    /// The items.
    #[serde(default = "Vec::new")]
    pub data: Vec<T>,
    /// Cursors and links; absent on single-page answers.
    pub paging: Option<Paging>,
}

/// Paging information of a page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paging {
    /// Cursors for the neighbouring pages.
    pub cursors: Option<Cursors>,
    /// Full URL of the next page; absent on the last page.
    pub next: Option<String>,
    /// Full URL of the previous page.
    pub previous: Option<String>,
}

/// `before`/`after` cursors.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursors {
    /// Cursor of the previous page.
    pub before: Option<String>,
    /// Cursor of the next page.
    pub after: Option<String>,
}

impl<T> Page<T> {
    /// The `after` cursor, for resuming a walk later with [`ListQuery::after`].
    pub fn after_cursor(&self) -> Option<&str> {
        self.paging.as_ref()?.cursors.as_ref()?.after.as_deref()
    }
}

/// Parameters of a list call (posts, replies, conversation).
///
/// Checked when the stream starts; a bad value ends the stream with
/// [`crate::Error::Validation`] before any request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    limit: Option<u32>,
    after: Option<String>,
    reverse: Option<bool>,
    fields: Option<Vec<String>>,
}

impl ListQuery {
    /// No filters: Meta's defaults (25 per page, newest first).
    pub fn new() -> Self {
        Self::default()
    }

    /// Only items published at or after `t`.
    pub fn since(mut self, t: DateTime<Utc>) -> Self {
        self.since = Some(t);
        self
    }

    /// Only items published before `t`.
    pub fn until(mut self, t: DateTime<Utc>) -> Self {
        self.until = Some(t);
        self
    }

    /// Page size, 1 to 100.
    pub fn limit(mut self, n: u32) -> Self {
        self.limit = Some(n);
        self
    }

    /// Resume after this cursor.
    pub fn after(mut self, cursor: impl Into<String>) -> Self {
        self.after = Some(cursor.into());
        self
    }

    /// Reply order: `true` (Meta's default) is newest first. Replies and conversation only.
    pub fn reverse(mut self, reverse: bool) -> Self {
        self.reverse = Some(reverse);
        self
    }

    /// Fields to request instead of the endpoint's full list.
    pub fn fields(mut self, fields: &[&str]) -> Self {
        self.fields = Some(fields.iter().map(|f| (*f).to_owned()).collect());
        self
    }

    /// Query pairs, after checking the documented bounds.
    pub(crate) fn to_pairs(
        &self,
        default_fields: &[&str],
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>, ValidationError> {
        check_bounds(self.limit, self.since, self.until, now)?;
        let fields = match &self.fields {
            Some(f) => f.join(","),
            None => default_fields.join(","),
        };
        let mut pairs = vec![("fields".to_owned(), fields)];
        let mut push = |k: &str, v: Option<String>| {
            if let Some(v) = v {
                pairs.push((k.to_owned(), v));
            }
        };
        push("since", self.since.map(|t| t.timestamp().to_string()));
        push("until", self.until.map(|t| t.timestamp().to_string()));
        push("limit", self.limit.map(|n| n.to_string()));
        push("after", self.after.clone());
        push("reverse", self.reverse.map(|r| r.to_string()));
        Ok(pairs)
    }
}

/// The documented list bounds (§3), shared by every endpoint that takes them: `limit` 1 to 100
/// and `1688540400 <= since < until <= now`.
pub(crate) fn check_bounds(
    limit: Option<u32>,
    since: Option<DateTime<Utc>>,
    until: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<(), ValidationError> {
    if let Some(n) = limit
        && !(1..=MAX_PAGE_LIMIT).contains(&n)
    {
        return Err(ValidationError::PageLimit(n));
    }
    if since.is_some_and(|s| s.timestamp() < EARLIEST_LIST_SINCE) {
        return Err(ValidationError::TimeRange("since is before 2023-07-05"));
    }
    if let (Some(s), Some(u)) = (since, until)
        && s >= u
    {
        return Err(ValidationError::TimeRange("since must be before until"));
    }
    if until.is_some_and(|u| u > now) || since.is_some_and(|s| s > now) {
        return Err(ValidationError::TimeRange(
            "since/until must not be in the future",
        ));
    }
    Ok(())
}

enum Next {
    First(Vec<(String, String)>),
    After(Vec<(String, String)>),
    Url(Url),
    Done,
}

/// Walks a list endpoint page by page.
pub(crate) fn pages<T>(
    client: ThreadsClient,
    token: AccessToken,
    url: Url,
    pairs: Result<Vec<(String, String)>, ValidationError>,
) -> PageStream<T>
where
    T: DeserializeOwned + Send + 'static,
{
    let start = match pairs {
        Ok(pairs) => Next::First(pairs),
        Err(e) => return stream::once(async move { Err(e.into()) }).boxed(),
    };
    stream::try_unfold(start, move |next| {
        let (client, token, url) = (client.clone(), token.clone(), url.clone());
        async move {
            let (call, pairs, followed) = match next {
                Next::Done => return Ok(None),
                Next::First(p) | Next::After(p) => {
                    (Call::new(Method::GET, url).queries(p.clone()), p, None)
                }
                Next::Url(next_url) => (follow(&next_url), Vec::new(), Some(next_url)),
            };
            let page: Page<T> = client.call(&call.token(&token)).await?;
            if page.data.is_empty() {
                return Ok(None);
            }
            let next = next_step(&client, &page, pairs, followed.as_ref());
            Ok(Some((page, next)))
        }
    })
    .boxed()
}

/// Flattens a page stream into items.
pub(crate) fn items<T: Send + 'static>(pages: PageStream<T>) -> ItemStream<T> {
    pages
        .map_ok(|page| stream::iter(page.data.into_iter().map(Ok)))
        .try_flatten()
        .boxed()
}

/// Decides where the walk goes after `page`, fetched with `pairs` or from the `followed` URL.
fn next_step<T>(
    client: &ThreadsClient,
    page: &Page<T>,
    mut pairs: Vec<(String, String)>,
    followed: Option<&Url>,
) -> Next {
    let Some(paging) = &page.paging else {
        return Next::Done;
    };
    let Some(next_url) = &paging.next else {
        return Next::Done;
    };
    let previous_after = pairs
        .iter()
        .find(|(k, _)| k == "after")
        .map(|(_, v)| v.clone());
    if let Some(after) = page.after_cursor()
        && !pairs.is_empty()
        && previous_after.as_deref() != Some(after)
    {
        pairs.retain(|(k, _)| k != "after" && k != "before");
        pairs.push(("after".to_owned(), after.to_owned()));
        return Next::After(pairs);
    }
    match Url::parse(next_url) {
        // A `next` pointing at the page just fetched would loop forever.
        Ok(u) if client.is_graph_origin(&u) && followed != Some(&u) => Next::Url(u),
        _ => Next::Done,
    }
}

/// A call for a `paging.next` URL, with any token it embeds removed (ours is added instead).
fn follow(next_url: &Url) -> Call {
    let mut base = next_url.clone();
    base.set_query(None);
    let pairs = next_url
        .query_pairs()
        .filter(|(k, _)| k != "access_token")
        .map(|(k, v)| (k.into_owned(), v.into_owned()));
    Call::new(Method::GET, base).queries(pairs.collect::<Vec<_>>())
}
