//! RSS and Atom feeds to drafts: a user follows a feed for one of their profiles, and each new
//! item becomes a draft (its title and link, the link as the preview card). Drafts are never
//! scheduled or published without the user.
//!
//! A periodic job polls each feed politely: at most every [`POLL_EVERY`] per feed, conditional
//! on the stored ETag and Last-Modified, with a timeout and a size limit. An item is remembered
//! by its guid (or id, or link) under a unique key, so it becomes one draft at most, however
//! often and by whomever the feed is polled.

mod parse;
mod store;

use std::sync::OnceLock;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use threads_api::validation::{MAX_TEXT_LEN, threads_len};

pub use parse::{Item, ParseError, items};
pub use store::{FeedDraft, FeedRecord};

use super::compose::{Composition, Part};
use super::store::PostRecord;
use super::{PURPOSE, PostState, publisher, service, when};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::now_unix;
use crate::domain::{PostId, ProfileId};
use crate::error::{AppError, AppResult};
use crate::jobs::{JobContext, JobError, Runner, handler_fn};

/// Job kind of the periodic poll.
pub const POLL: &str = "feed_poll";
/// Shortest time between two polls of one feed.
pub const POLL_EVERY: Duration = Duration::from_secs(30 * 60);
/// How often the job looks for feeds due a poll.
const CHECK_EVERY: Duration = Duration::from_secs(60);
/// Longest a feed may take to answer.
pub const TIMEOUT: Duration = Duration::from_secs(20);
/// Largest feed document read.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;
/// Most items of one poll that become drafts (the first ones of the document, the newest in
/// practice).
pub const MAX_ITEMS: usize = 20;
/// Most feeds one user may follow.
pub const MAX_FEEDS: usize = 50;
/// Recent drafts shown per feed.
const SHOWN_DRAFTS: i64 = 20;

crate::domain::id_type!(
    /// Id of a feed.
    FeedId
);

/// How a poll ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PollStatus {
    /// The feed was read; its new items (perhaps none) became drafts.
    NewItems,
    /// The feed answered 304: nothing changed since the last read.
    NotModified,
    /// The feed could not be read; the reason is kept.
    Error,
}

impl PollStatus {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PollStatus::NewItems => "new_items",
            PollStatus::NotModified => "not_modified",
            PollStatus::Error => "error",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<PollStatus> {
        match s {
            "new_items" => Some(PollStatus::NewItems),
            "not_modified" => Some(PollStatus::NotModified),
            "error" => Some(PollStatus::Error),
            _ => None,
        }
    }
}

crate::store::decode_by_name!(PollStatus, "feed poll status");

/// What the API and page send to follow a feed.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedInput {
    /// Profile the drafts are for.
    pub profile_id: ProfileId,
    /// The feed's http or https address.
    pub url: String,
}

/// A draft a feed made, for people.
#[derive(Debug, Clone, Serialize)]
pub struct DraftView {
    /// The item's title.
    pub title: String,
    /// The draft, while it exists.
    pub post_id: Option<PostId>,
    /// When it was drafted (UTC seconds).
    pub created_at: i64,
}

/// A feed as the API and page show it.
#[derive(Debug, Clone, Serialize)]
pub struct FeedView {
    /// Id.
    pub id: FeedId,
    /// Profile its drafts are for.
    pub profile_id: ProfileId,
    /// Address.
    pub url: String,
    /// When it was last polled (UTC seconds).
    pub last_polled_at: Option<i64>,
    /// The same in the user's zone.
    pub last_polled_display: Option<String>,
    /// How the last poll ended.
    pub last_status: Option<PollStatus>,
    /// Drafts the last poll made.
    pub last_new_items: i64,
    /// Why the last poll failed.
    pub last_error: Option<String>,
    /// The last poll's result in words.
    pub last_result: String,
    /// Its recent drafts, newest first.
    pub drafts: Vec<DraftView>,
}

/// Registers the poll and makes sure it is pending.
pub fn register(runner: Runner, state: &AppState) -> Runner {
    let state = state.clone();
    runner
        .recurring(POLL, Duration::from_secs(5))
        .register(POLL, handler_fn(move |ctx| poll_job(state.clone(), ctx)))
}

async fn poll_job(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    poll_due(&state, crate::clock::now())
        .await
        .map_err(|e| JobError::retry(e.to_string()))?;
    ctx.schedule_next(crate::clock::now_ms() + CHECK_EVERY.as_millis() as i64);
    Ok(())
}

/// Polls every feed not polled within [`POLL_EVERY`] of `now`. Returns how many drafts were made.
pub async fn poll_due(state: &AppState, now: DateTime<Utc>) -> AppResult<usize> {
    let now = now.timestamp();
    let due_before = now - POLL_EVERY.as_secs() as i64;
    let mut made = 0;
    for feed in state.store.feeds_list(None, due_before).await? {
        // Whoever claims the feed polls it; another poller moves on.
        if !state
            .store
            .claim_feed_poll(&feed.id, due_before, now)
            .await?
        {
            continue;
        }
        made += poll(state, &feed).await?;
    }
    Ok(made)
}

/// Reads one feed and drafts its new items; the outcome is recorded on the feed.
async fn poll(state: &AppState, feed: &FeedRecord) -> AppResult<usize> {
    let fetched = fetch(feed, state.settings.feeds_private_hosts).await;
    let (status, made, error, validators) = match fetched {
        Ok(Fetched::NotModified) => (PollStatus::NotModified, 0, None, None),
        Ok(Fetched::Document {
            body,
            etag,
            last_modified,
        }) => match items(&body) {
            Ok(list) => {
                let mut made = 0;
                for item in list.iter().take(MAX_ITEMS) {
                    if draft(state, feed, item).await? {
                        made += 1;
                    }
                }
                (
                    PollStatus::NewItems,
                    made,
                    None,
                    Some((etag, last_modified)),
                )
            }
            Err(e) => (PollStatus::Error, 0, Some(e.0), None),
        },
        Err(why) => (PollStatus::Error, 0, Some(why), None),
    };
    if let Some(why) = &error {
        tracing::info!(feed = %feed.id.0, error = %why, "feed poll failed");
    }
    let validators = validators
        .as_ref()
        .map(|(e, m): &(Option<String>, Option<String>)| (e.as_deref(), m.as_deref()));
    state
        .store
        .finish_feed_poll(&feed.id, status, made as i64, error.as_deref(), validators)
        .await?;
    Ok(made)
}

enum Fetched {
    NotModified,
    Document {
        body: String,
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

/// The client feeds are read with: public hosts only unless `private_hosts`.
fn client(private_hosts: bool) -> &'static reqwest::Client {
    static PUBLIC: OnceLock<reqwest::Client> = OnceLock::new();
    static ANY: OnceLock<reqwest::Client> = OnceLock::new();
    let build = || {
        let builder = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("ThredOps-feeds/", env!("CARGO_PKG_VERSION")));
        let builder = if private_hosts {
            builder.redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS))
        } else {
            // Names resolve to public addresses only; literal addresses are checked on every hop.
            builder
                .dns_resolver(std::sync::Arc::new(PublicOnly))
                .redirect(reqwest::redirect::Policy::custom(|attempt| {
                    if attempt.previous().len() >= MAX_REDIRECTS {
                        attempt.error("too many redirects")
                    } else if literal_private(attempt.url()) {
                        attempt.error(NotPublic)
                    } else {
                        attempt.follow()
                    }
                }))
        };
        builder.build().unwrap_or_default()
    };
    if private_hosts {
        ANY.get_or_init(build)
    } else {
        PUBLIC.get_or_init(build)
    }
}

/// Most redirects followed.
const MAX_REDIRECTS: usize = 5;

/// An address that leads to a loopback or private-network address (feeds and webhooks).
#[derive(Debug)]
pub struct NotPublic;

impl std::fmt::Display for NotPublic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the address is not on the public internet")
    }
}

impl std::error::Error for NotPublic {}

/// Resolves names to their public addresses only (feeds and webhooks).
pub struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let public: Vec<std::net::SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if public.is_empty() {
                return Err(Box::new(NotPublic) as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether an address is on the public internet (not loopback, private, link-local, shared,
/// documentation, unspecified or reserved).
pub fn is_public(ip: std::net::IpAddr) -> bool {
    use std::net::IpAddr;
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || a == 0
                || a >= 240
                || (a == 100 && (b & 0xc0) == 64))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Whether the URL's host is a literal address that is not public.
pub fn literal_private(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => !is_public(ip.into()),
        Some(url::Host::Ipv6(ip)) => !is_public(ip.into()),
        _ => false,
    }
}

const PRIVATE_WORDS: &str = "The feed's address is on a private network; only feeds on the public internet can be followed.";

/// Fetches a feed, conditional on its validators. The error is in words for the feeds page.
async fn fetch(feed: &FeedRecord, private_hosts: bool) -> Result<Fetched, String> {
    let url = checked_url(&feed.url)?;
    if !private_hosts && literal_private(&url) {
        return Err(PRIVATE_WORDS.into());
    }
    let mut request = client(private_hosts).get(url).header(
        reqwest::header::ACCEPT,
        "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8, */*;q=0.1",
    );
    if let Some(etag) = &feed.etag {
        request = request.header(reqwest::header::IF_NONE_MATCH, etag);
    }
    if let Some(modified) = &feed.last_modified {
        request = request.header(reqwest::header::IF_MODIFIED_SINCE, modified);
    }
    let words = |e: reqwest::Error| {
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(err) = source {
            if err.is::<NotPublic>() {
                return PRIVATE_WORDS.to_owned();
            }
            source = err.source();
        }
        if e.is_timeout() {
            format!(
                "The feed did not answer within {} seconds.",
                TIMEOUT.as_secs()
            )
        } else if e.is_redirect() {
            "The feed redirected too many times.".to_owned()
        } else {
            "The feed's address could not be reached.".to_owned()
        }
    };
    let mut response = request.send().await.map_err(words)?;
    let status = response.status();
    if status == reqwest::StatusCode::NOT_MODIFIED {
        return Ok(Fetched::NotModified);
    }
    if !status.is_success() {
        return Err(format!(
            "The feed answered HTTP {} {}.",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        )
        .replace(" .", "."));
    }
    let too_big = || format!("The feed is larger than {} MB.", MAX_BYTES / (1024 * 1024));
    if response
        .content_length()
        .is_some_and(|n| n > MAX_BYTES as u64)
    {
        return Err(too_big());
    }
    let header = |name| {
        response
            .headers()
            .get(name)
            .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let etag = header(reqwest::header::ETAG);
    let last_modified = header(reqwest::header::LAST_MODIFIED);
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(words)? {
        if body.len() + chunk.len() > MAX_BYTES {
            return Err(too_big());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Fetched::Document {
        body: String::from_utf8_lossy(&body).into_owned(),
        etag,
        last_modified,
    })
}

/// The address if it is an http or https URL with a host.
fn checked_url(raw: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(raw.trim())
        .map_err(|_| "Enter the feed's full address, starting with https://.".to_owned())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err("Feeds are read over http or https only.".into());
    }
    Ok(url)
}

/// The draft's text: the title and the link, the title shortened to fit Threads' limit.
pub fn draft_text(title: &str, link: Option<&str>) -> String {
    let tail = link.map(|l| format!("\n\n{l}")).unwrap_or_default();
    let full = format!("{title}{tail}");
    if threads_len(&full) <= MAX_TEXT_LEN {
        return full;
    }
    let room = MAX_TEXT_LEN.saturating_sub(threads_len(&tail) + 1);
    let mut short = String::new();
    for ch in title.chars() {
        let mut next = short.clone();
        next.push(ch);
        if threads_len(&next) > room {
            break;
        }
        short = next;
    }
    let text = format!("{}…{tail}", short.trim_end());
    if threads_len(&text) <= MAX_TEXT_LEN {
        text
    } else {
        // A link longer than the limit: it stays the preview card only.
        let mut short = String::new();
        for ch in title.chars() {
            short.push(ch);
            if threads_len(&short) >= MAX_TEXT_LEN - 1 {
                break;
            }
        }
        short
    }
}

/// Drafts one item unless the feed already has it: `true` when a draft was made.
async fn draft(state: &AppState, feed: &FeedRecord, item: &Item) -> AppResult<bool> {
    let content = Composition {
        parts: vec![Part {
            text: draft_text(&item.title, item.link.as_deref()),
            link_attachment: item.link.clone(),
            ..Part::default()
        }],
        ..Composition::default()
    };
    let id = PostId::new(uuid::Uuid::new_v4().to_string());
    let key = state
        .vault
        .data_key(&feed.user_id)
        .await
        .map_err(|e| anyhow::anyhow!("vault: {e}"))?;
    let json = serde_json::to_string(&content).map_err(anyhow::Error::from)?;
    let now = now_unix();
    let post = PostRecord {
        content_enc: key.seal(PURPOSE, &id, json.as_bytes()),
        id,
        user_id: feed.user_id.clone(),
        profile_id: feed.profile_id.clone(),
        state: PostState::Draft,
        kind: super::PostKind::default(),
        local_time: None,
        timezone: None,
        scheduled_at: None,
        progress: publisher::Progress::default().to_json(),
        media_id: None,
        permalink: None,
        note: None,
        failure: None,
        attempts: 0,
        acknowledged: true,
        version: 0,
        created_at: now,
        updated_at: now,
        published_at: None,
    };
    let title = if item.title.is_empty() {
        item.link.clone().unwrap_or_default()
    } else {
        item.title.clone()
    };
    if !state
        .store
        .draft_feed_item(&feed.id, &item.key, &title, &post)
        .await?
    {
        return Ok(false);
    }
    let _ = state
        .store
        .add_publish_event(
            &post.id,
            crate::clock::now_ms(),
            super::EventKind::Created,
            &format!("Saved as a draft from the feed {}.", feed.url),
        )
        .await;
    Ok(true)
}

/// The user's feeds with their last poll and recent drafts.
pub async fn list(state: &AppState, auth: &CurrentUser) -> AppResult<Vec<FeedView>> {
    let mut out = Vec::new();
    for feed in state.store.feeds_list(Some(auth.workspace_id()), 0).await? {
        out.push(view(state, auth, &feed).await?);
    }
    Ok(out)
}

/// One feed for people.
pub async fn view(state: &AppState, auth: &CurrentUser, f: &FeedRecord) -> AppResult<FeedView> {
    let tz = service::user_zone(auth);
    let drafts = state
        .store
        .feed_drafts(&f.id, SHOWN_DRAFTS)
        .await?
        .into_iter()
        .map(|d| DraftView {
            title: d.title,
            post_id: d.post_id,
            created_at: d.created_at,
        })
        .collect();
    let last_result = match (f.last_status, f.last_polled_at) {
        (Some(PollStatus::NewItems), _) => match f.last_new_items {
            0 => "No new items.".to_owned(),
            1 => "1 new item, saved as a draft.".to_owned(),
            n => format!("{n} new items, saved as drafts."),
        },
        (Some(PollStatus::NotModified), _) => "Not modified since the last read.".to_owned(),
        (Some(PollStatus::Error), _) => format!(
            "Could not read the feed: {}",
            f.last_error.as_deref().unwrap_or("unknown error.")
        ),
        (None, Some(_)) => "Reading the feed now.".to_owned(),
        (None, None) => "Not read yet; it will be within a few minutes.".to_owned(),
    };
    Ok(FeedView {
        id: f.id.clone(),
        profile_id: f.profile_id.clone(),
        url: f.url.clone(),
        last_polled_at: f.last_polled_at,
        last_polled_display: f
            .last_polled_at
            .and_then(|t| DateTime::from_timestamp(t, 0))
            .map(|t| when::show(t, tz)),
        last_status: f.last_status,
        last_new_items: f.last_new_items,
        last_error: f.last_error.clone(),
        last_result,
        drafts,
    })
}

/// One of the user's feeds (another user's is not found).
pub async fn owned(state: &AppState, auth: &CurrentUser, id: &FeedId) -> AppResult<FeedRecord> {
    state
        .store
        .feed(id)
        .await?
        .filter(|f| f.user_id == *auth.workspace_id())
        .ok_or(AppError::NotFound)
}

/// Follows a feed for one of the user's profiles.
pub async fn add(state: &AppState, auth: &CurrentUser, input: FeedInput) -> AppResult<FeedView> {
    service::owned_profile(state, auth, &input.profile_id).await?;
    let url = checked_url(&input.url).map_err(|m| AppError::field("url", m))?;
    if !state.settings.feeds_private_hosts && literal_private(&url) {
        return Err(AppError::field("url", PRIVATE_WORDS));
    }
    if url.as_str().len() > 2000 {
        return Err(AppError::field(
            "url",
            "That address is too long for a feed.",
        ));
    }
    if state
        .store
        .feeds_list(Some(auth.workspace_id()), 0)
        .await?
        .len()
        >= MAX_FEEDS
    {
        return Err(AppError::field(
            "url",
            format!("You follow {MAX_FEEDS} feeds already; remove one first."),
        ));
    }
    let feed = FeedRecord {
        id: FeedId(uuid::Uuid::new_v4().to_string()),
        user_id: auth.workspace_id().clone(),
        profile_id: input.profile_id,
        url: url.to_string(),
        etag: None,
        last_modified: None,
        last_polled_at: None,
        last_status: None,
        last_new_items: 0,
        last_error: None,
        created_at: now_unix(),
    };
    if !state.store.insert_feed(&feed).await? {
        return Err(AppError::field(
            "url",
            "You already follow this feed for this profile.",
        ));
    }
    view(state, auth, &feed).await
}

/// Stops following a feed (its drafts stay).
pub async fn delete(state: &AppState, auth: &CurrentUser, id: &FeedId) -> AppResult<()> {
    let feed = owned(state, auth, id).await?;
    state
        .store
        .delete_feed(&feed.id, auth.workspace_id())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_titles_are_shortened_and_the_link_kept() {
        let link = "https://blog.example/a-post";
        let text = draft_text(&"word ".repeat(200), Some(link));
        assert!(threads_len(&text) <= MAX_TEXT_LEN, "{}", threads_len(&text));
        assert!(text.ends_with(link) && text.contains('…'));
        assert_eq!(draft_text("Short", Some(link)), format!("Short\n\n{link}"));
    }

    #[test]
    fn only_public_addresses_count_as_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.5",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in ["93.184.216.34", "2606:4700::1111"] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }
}
