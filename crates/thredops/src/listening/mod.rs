//! Listening: saved keyword or topic-tag searches over public Threads posts. A job per search
//! asks hourly for posts newer than the newest it has seen (RECENT order, one call), within the
//! profile's call budget and Meta's 2,200 searches a day; the page shows the matches, their
//! volume per day and a way to reply.
//!
//! Searches go through one of the user's profiles, which must have allowed
//! `threads_keyword_search` (asked for only when the user turns the feature on).

mod jobs;
mod store;

use serde::{Deserialize, Serialize};
use serde_json::json;
use threads_api::Scope;

pub use jobs::{SEARCH, register_jobs, resume_jobs, run_search};
pub use store::{MatchRecord, SearchRecord};

crate::domain::id_type!(
    /// A saved search of the workspace.
    SearchId
);

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::now_unix;
use crate::competitors::access::{self, RunStatus};
use crate::domain::{MediaId, ProfileId, WorkspaceId};
use crate::error::{AppError, AppResult};

/// The scope this feature needs.
pub const SCOPE: Scope = Scope::KeywordSearch;
/// Vault purpose of a match's author, text and link.
pub const PURPOSE: &str = "listening-match";
/// Saved searches one user may have.
pub const MAX_SEARCHES: usize = 20;
/// Days of the volume chart.
pub const VOLUME_DAYS: i64 = 14;
/// Matches shown per search.
const SHOWN_MATCHES: i64 = 50;

/// What a saved search matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    /// Words in the post text.
    #[default]
    Keyword,
    /// The post's topic tag.
    Tag,
}

impl SearchMode {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SearchMode::Keyword => "keyword",
            SearchMode::Tag => "tag",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<SearchMode> {
        match s {
            "keyword" => Some(SearchMode::Keyword),
            "tag" => Some(SearchMode::Tag),
            _ => None,
        }
    }
}

/// What the API and page send to save a search.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SearchInput {
    /// The profile to search through.
    pub profile_id: ProfileId,
    /// A keyword or phrase, or a topic tag (with or without `#`).
    pub query: String,
    /// `keyword` (default) or `tag`.
    #[serde(default)]
    pub mode: SearchMode,
}

/// A saved search as the API and page show it.
#[derive(Debug, Clone, Serialize)]
pub struct SearchView {
    /// Id.
    pub id: SearchId,
    /// The profile it searches through.
    pub profile_id: ProfileId,
    /// The keyword or tag.
    pub query: String,
    /// Keyword or tag.
    pub mode: SearchMode,
    /// Matches stored.
    pub matches: i64,
    /// When the last run ended (UTC seconds).
    pub last_run_at: Option<i64>,
    /// How it ended.
    pub last_status: Option<RunStatus>,
    /// New matches it found.
    pub last_new: i64,
    /// The last run in words.
    pub last_result: String,
}

/// A found post.
#[derive(Debug, Clone, Serialize)]
pub struct MatchView {
    /// Threads media id.
    pub media_id: MediaId,
    /// Author's handle.
    pub username: Option<String>,
    /// Text.
    pub text: Option<String>,
    /// Link on Threads.
    pub permalink: Option<String>,
    /// Read-side media type.
    pub media_type: String,
    /// Published (UTC seconds).
    pub posted_at: i64,
    /// The composer, ready to reply to this post.
    pub reply_url: String,
}

/// Matches of one day.
#[derive(Debug, Clone, Serialize)]
pub struct VolumeDay {
    /// UTC day, `YYYY-MM-DD`.
    pub day: String,
    /// Matches published that day.
    pub matches: i64,
}

/// A search with its newest matches and their volume per day.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResults {
    /// The search.
    pub search: SearchView,
    /// Newest first.
    pub matches: Vec<MatchView>,
    /// The last [`VOLUME_DAYS`] days, oldest first.
    pub volume: Vec<VolumeDay>,
}

/// Why the scope is asked for, as on the consent explanation.
pub fn reason() -> String {
    access::scope_reason(SCOPE)
}

/// The query as searched: trimmed; a tag without `#` and without spaces.
pub fn parse_query(raw: &str, mode: SearchMode) -> Result<String, &'static str> {
    let q = raw.trim();
    let q = match mode {
        SearchMode::Keyword => q.to_owned(),
        SearchMode::Tag => q.trim_start_matches('#').to_owned(),
    };
    if q.is_empty() {
        return Err("Enter a keyword or a topic tag to listen for.");
    }
    if q.chars().count() > 100 {
        return Err("Keep it to 100 characters or fewer.");
    }
    if mode == SearchMode::Tag && q.chars().any(char::is_whitespace) {
        return Err(
            "A topic tag is one word (no spaces); search for a phrase as a keyword instead.",
        );
    }
    Ok(q)
}

/// Saves a search and runs it for the first time now.
pub async fn add(
    state: &AppState,
    auth: &CurrentUser,
    input: SearchInput,
) -> AppResult<SearchView> {
    let profile = state
        .store
        .profile_of(
            auth.workspace_id(),
            &crate::domain::ProfileId::from(input.profile_id.as_str()),
        )
        .await?
        .ok_or_else(|| AppError::field("profile_id", "Choose one of your connected profiles."))?;
    let query = parse_query(&input.query, input.mode).map_err(|m| AppError::field("query", m))?;
    if access::blocked_reason(&profile, SCOPE).is_some() {
        return Err(AppError::field(
            "profile_id",
            "Allow ThredOps to search public posts for this profile first (the button on the Listening page).",
        ));
    }
    if state.store.searches_of(auth.workspace_id()).await?.len() >= MAX_SEARCHES {
        return Err(AppError::field(
            "query",
            format!("You have {MAX_SEARCHES} saved searches already; remove one first."),
        ));
    }
    let record = SearchRecord {
        id: SearchId::new(uuid::Uuid::new_v4().to_string()),
        user_id: auth.workspace_id().clone(),
        profile_id: ProfileId::new(profile.id.as_str()),
        query: query.clone(),
        mode: input.mode,
        newest_match_at: None,
        last_run_at: None,
        last_status: None,
        last_error: None,
        last_new: 0,
        created_at: now_unix(),
    };
    if !state.store.insert_search(&record).await? {
        return Err(AppError::field(
            "query",
            format!("You already listen for {} on this profile.", shown(&record)),
        ));
    }
    jobs::schedule_first(state, &record).await?;
    view(state, &record).await
}

/// `#tag` or `"keyword"`.
fn shown(s: &SearchRecord) -> String {
    match s.mode {
        SearchMode::Tag => format!("#{}", s.query),
        SearchMode::Keyword => format!("\u{201c}{}\u{201d}", s.query),
    }
}

/// Removes a saved search with its matches.
pub async fn remove(state: &AppState, auth: &CurrentUser, id: &SearchId) -> AppResult<()> {
    // Its pending run finds it gone and ends the chain.
    if !state.store.delete_search(id, auth.workspace_id()).await? {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// A saved search for people.
pub async fn view(state: &AppState, s: &SearchRecord) -> AppResult<SearchView> {
    let last_result = match (s.last_status, s.last_new) {
        (Some(RunStatus::Ok), 0) => "No new posts in the last run.".to_owned(),
        (Some(RunStatus::Ok), 1) => "1 new post in the last run.".to_owned(),
        (Some(RunStatus::Ok), n) => format!("{n} new posts in the last run."),
        (Some(_), _) => s.last_error.clone().unwrap_or_default(),
        (None, _) => "Searching now; new posts are collected every hour.".to_owned(),
    };
    Ok(SearchView {
        id: s.id.clone(),
        profile_id: s.profile_id.clone(),
        query: s.query.clone(),
        mode: s.mode,
        matches: state.store.match_count(&s.id).await?,
        last_run_at: s.last_run_at,
        last_status: s.last_status,
        last_new: s.last_new,
        last_result,
    })
}

/// The user's saved searches.
pub async fn list(state: &AppState, auth: &CurrentUser) -> AppResult<Vec<SearchView>> {
    let mut out = Vec::new();
    for s in state.store.searches_of(auth.workspace_id()).await? {
        out.push(view(state, &s).await?);
    }
    Ok(out)
}

/// One of the user's searches (another user's is not found).
async fn owned(state: &AppState, auth: &CurrentUser, id: &SearchId) -> AppResult<SearchRecord> {
    state
        .store
        .search(id)
        .await?
        .filter(|s| s.user_id == *auth.workspace_id())
        .ok_or(AppError::NotFound)
}

fn day_of(unix: i64) -> String {
    crate::competitors::compare::day_of(unix)
}

/// A search's newest matches (opened) and their volume per day.
pub async fn results(
    state: &AppState,
    auth: &CurrentUser,
    id: &SearchId,
) -> AppResult<SearchResults> {
    let s = owned(state, auth, id).await?;
    let key = state.vault.existing_key(&s.user_id).await?;
    let matches = state
        .store
        .matches(&s.id, SHOWN_MATCHES)
        .await?
        .into_iter()
        .map(|m| {
            let content: serde_json::Value = key
                .as_ref()
                .and_then(|k| {
                    k.open_string(PURPOSE, &format!("{}:{}", s.id, m.media_id), &m.content_enc)
                        .ok()
                })
                .and_then(|t| serde_json::from_str(&t).ok())
                .unwrap_or_else(|| json!({}));
            let text = |k: &str| content[k].as_str().map(str::to_owned);
            MatchView {
                reply_url: reply_url(&s.profile_id, &m.media_id),
                media_id: m.media_id,
                username: text("username"),
                text: text("text"),
                permalink: text("permalink"),
                media_type: m.media_type,
                posted_at: m.posted_at,
            }
        })
        .collect();
    let now = state.threads.now().timestamp();
    let first = now - (VOLUME_DAYS - 1) * 86_400;
    let times = state
        .store
        .match_times(&s.id, first - first.rem_euclid(86_400))
        .await?;
    let volume = (0..VOLUME_DAYS)
        .map(|i| {
            let day = day_of(first + i * 86_400);
            let matches = times.iter().filter(|t| day_of(**t) == day).count() as i64;
            VolumeDay { day, matches }
        })
        .collect();
    Ok(SearchResults {
        search: view(state, &s).await?,
        matches,
        volume,
    })
}

/// A match as the inbox lists it: the search that found it and the post.
#[derive(Debug, Clone, Serialize)]
pub struct InboxMatch {
    /// The search's words or tag, as typed.
    pub search: String,
    /// Whether the search is a topic tag.
    pub tag: bool,
    /// The found post.
    #[serde(flatten)]
    pub post: MatchView,
}

/// The newest posts every saved search of the workspace found, at most `limit`, newest first:
/// the inbox lists them so they can be answered from there.
pub async fn newest_matches(
    state: &AppState,
    auth: &CurrentUser,
    limit: usize,
) -> AppResult<Vec<InboxMatch>> {
    let mut all = Vec::new();
    for search in list(state, auth).await? {
        let found = results(state, auth, &search.id).await?;
        all.extend(found.matches.into_iter().map(|post| InboxMatch {
            search: search.query.clone(),
            tag: search.mode == SearchMode::Tag,
            post,
        }));
    }
    all.sort_by_key(|m| std::cmp::Reverse(m.post.posted_at));
    all.truncate(limit);
    Ok(all)
}

/// The composer, opened as a reply to a found post from the search's profile.
pub fn reply_url(profile_id: &ProfileId, media_id: &MediaId) -> String {
    format!("/app/schedule/new?profile_id={profile_id}&reply_to_id={media_id}")
}

/// The export's view of the user's searches with their matches opened.
pub async fn export(state: &AppState, user_id: &WorkspaceId) -> AppResult<serde_json::Value> {
    let key = state.vault.existing_key(user_id).await?;
    let mut out = Vec::new();
    for s in state.store.searches_of(user_id).await? {
        let matches: Vec<serde_json::Value> = state
            .store
            .matches(&s.id, i64::MAX)
            .await?
            .into_iter()
            .map(|m| {
                let content = key
                    .as_ref()
                    .and_then(|k| {
                        k.open_string(PURPOSE, &format!("{}:{}", s.id, m.media_id), &m.content_enc)
                            .ok()
                    })
                    .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok());
                json!({"media_id": m.media_id, "media_type": m.media_type, "posted_at": m.posted_at, "content": content})
            })
            .collect();
        out.push(json!({"id": s.id, "profile_id": s.profile_id, "query": s.query, "mode": s.mode, "matches": matches}));
    }
    Ok(serde_json::Value::Array(out))
}
