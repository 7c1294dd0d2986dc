//! Competitor benchmarks: the user names public Threads profiles (up to their plan's limit), a
//! daily job per competitor snapshots its followers and 7-day totals and collects its new
//! public posts, and the benchmark compares growth, cadence, formats and engagement per post
//! with the user's own profile.
//!
//! Everything is read through one of the user's profiles, which must have allowed
//! `threads_profile_discovery` (asked for only when the user turns the feature on), and within
//! that profile's daily call budget.

pub mod access;
pub(crate) mod compare;
mod jobs;
mod store;

use serde::{Deserialize, Serialize};
use serde_json::json;
use threads_api::Scope;

pub use compare::BenchmarkRow;

crate::domain::id_type!(
    /// A competitor: a public Threads profile compared with one of the workspace's profiles.
    CompetitorId
);
pub use jobs::{SNAPSHOT, register_jobs, resume_jobs, run_snapshot};
pub use store::{CompetitorRecord, PostFacts, SealedPost, SnapshotRow};

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::now_unix;
use crate::domain::{ProfileId, WorkspaceId};
use crate::error::{AppError, AppResult};
use crate::store::profiles::ProfileRecord;
use access::{PublicAccess, RunStatus};

/// The scope this feature needs.
pub const SCOPE: Scope = Scope::ProfileDiscovery;
/// Vault purpose of a competitor's details and public posts.
pub const PURPOSE: &str = "competitor";

/// What the API and page send to add a competitor.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CompetitorInput {
    /// The user's profile to compare with (and read through).
    pub profile_id: ProfileId,
    /// The competitor's Threads username, with or without `@`.
    pub username: String,
}

/// A competitor as the API and page show it.
#[derive(Debug, Clone, Serialize)]
pub struct CompetitorView {
    /// Id.
    pub id: CompetitorId,
    /// The user's profile it is compared with.
    pub profile_id: ProfileId,
    /// Handle without `@`.
    pub username: String,
    /// Display name, when read.
    pub name: Option<String>,
    /// Verified badge.
    pub is_verified: bool,
    /// Followers at the newest snapshot.
    pub followers: Option<i64>,
    /// Daily snapshots stored.
    pub snapshots: usize,
    /// Public posts stored.
    pub posts_stored: i64,
    /// When the last daily run ended (UTC seconds).
    pub last_run_at: Option<i64>,
    /// How it ended.
    pub last_status: Option<RunStatus>,
    /// Threads calls it made.
    pub last_calls: i64,
    /// The last run in words.
    pub last_result: String,
}

/// The benchmark of one of the user's profiles.
#[derive(Debug, Clone, Serialize)]
pub struct Benchmark {
    /// The user's profile.
    pub profile_id: ProfileId,
    /// Whether that profile allowed ThredOps to look up public profiles.
    pub discovery_allowed: bool,
    /// Why it is needed, shown with the button that asks for it.
    pub discovery_reason: String,
    /// Competitors the plan allows over all profiles (`None`: unlimited).
    pub limit: Option<u32>,
    /// Competitors tracked over all profiles.
    pub used: usize,
    /// The plan's name.
    pub plan: String,
    /// This profile's competitors.
    pub competitors: Vec<CompetitorView>,
    /// The user's profile first, then each competitor.
    pub comparison: Vec<BenchmarkRow>,
}

/// Why the scope is asked for, as on the consent explanation.
pub fn reason() -> String {
    access::scope_reason(SCOPE)
}

async fn owned_profile(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: &ProfileId,
) -> AppResult<ProfileRecord> {
    state
        .store
        .profile_of(auth.workspace_id(), profile_id)
        .await?
        .ok_or_else(|| AppError::field("profile_id", "Choose one of your connected profiles."))
}

/// A username as Threads spells it: without `@`, lower case, letters, digits, `.` and `_`.
pub fn parse_username(raw: &str) -> Result<String, &'static str> {
    let name = raw.trim().trim_start_matches('@').to_lowercase();
    if name.is_empty() {
        return Err("Enter the competitor's Threads username, for example @threads.");
    }
    if name.len() > 30
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
    {
        return Err("A Threads username has at most 30 letters, digits, dots and underscores.");
    }
    Ok(name)
}

/// Plan check: one more competitor must fit the plan's limit.
async fn check_limit(state: &AppState, auth: &CurrentUser) -> AppResult<()> {
    let entitlement =
        crate::billing::entitlements::of_user(state, auth.workspace_id(), now_unix()).await?;
    let Some(limit) = entitlement.limits().competitors else {
        return Ok(());
    };
    let used = state.store.competitors_of(auth.workspace_id()).await?.len();
    if used < limit as usize {
        return Ok(());
    }
    let noun = if limit == 1 {
        "competitor"
    } else {
        "competitors"
    };
    Err(AppError::PlanLimit {
        limit: "competitors",
        plan: entitlement.plan.name.to_owned(),
        message: format!(
            "Your {} plan includes {limit} tracked {noun}, and you track {used}. Upgrade your plan on the Billing page (/app/billing) to track more, or remove one first.",
            entitlement.plan.name
        ),
    })
}

/// Adds a competitor: looks the profile up once (so a wrong name is told at once), stores its
/// first snapshot and starts its daily job, whose first run collects its recent posts now.
pub async fn add(
    state: &AppState,
    auth: &CurrentUser,
    input: CompetitorInput,
) -> AppResult<CompetitorView> {
    let profile = owned_profile(state, auth, &input.profile_id).await?;
    let username = parse_username(&input.username).map_err(|m| AppError::field("username", m))?;
    if access::blocked_reason(&profile, SCOPE).is_some() {
        return Err(AppError::field(
            "profile_id",
            "Allow ThredOps to look up public profiles for this profile first (the button on the Competitors page).",
        ));
    }
    check_limit(state, auth).await?;
    let run = PublicAccess::open(state, &ProfileId::new(profile.id.as_str()), SCOPE)
        .await?
        .map_err(|why| AppError::field("profile_id", why))?;
    let found = run.session.profile_lookup(&username).await;
    run.record_usage().await;
    let found = found.map_err(|e| lookup_error(&e, &username))?;
    if found.follower_count.is_some_and(|n| n < 1_000) {
        return Err(AppError::field("username", too_small(&username)));
    }
    let record = CompetitorRecord {
        id: CompetitorId::new(uuid::Uuid::new_v4().to_string()),
        user_id: auth.workspace_id().clone(),
        profile_id: ProfileId::new(profile.id.as_str()),
        username: username.clone(),
        details_enc: None,
        last_run_at: None,
        last_status: None,
        last_error: None,
        last_calls: 0,
        newest_post_at: None,
        created_at: now_unix(),
    };
    if !state.store.insert_competitor(&record).await? {
        return Err(AppError::field(
            "username",
            format!("You already compare @{username} with this profile."),
        ));
    }
    jobs::store_lookup(state, &run, &record, &found).await?;
    jobs::schedule_first(state, &record).await?;
    let stored = state
        .store
        .competitor(&record.id)
        .await?
        .ok_or(AppError::NotFound)?;
    view(state, &stored).await
}

fn too_small(username: &str) -> String {
    format!(
        "@{username} has fewer than 1,000 followers. Threads shows other people's profiles only from 1,000 followers (and only of people aged 18 or over)."
    )
}

/// A failed lookup in words beside the username field.
fn lookup_error(e: &threads_api::Error, username: &str) -> AppError {
    if access::is_unknown_object(e) {
        return AppError::field(
            "username",
            format!(
                "Threads found no public profile @{username}. Check the spelling. Threads finds only profiles of people aged 18 or over with at least 1,000 followers; and while ThredOps' Meta app has standard access, only @meta, @threads, @instagram and @facebook can be looked up."
            ),
        );
    }
    let (_, words) = access::api_failure(e, "looking the profile up");
    AppError::field("username", words)
}

/// Stops comparing with a competitor; its snapshots and posts are deleted.
pub async fn remove(state: &AppState, auth: &CurrentUser, id: &CompetitorId) -> AppResult<()> {
    // Its pending daily run finds it gone and ends the chain.
    if !state
        .store
        .delete_competitor(id, auth.workspace_id())
        .await?
    {
        return Err(AppError::NotFound);
    }
    Ok(())
}

/// A competitor for people.
pub async fn view(state: &AppState, c: &CompetitorRecord) -> AppResult<CompetitorView> {
    let snapshots = state.store.competitor_snapshots(&c.id).await?;
    let key = state.vault.existing_key(&c.user_id).await?;
    let details: Option<serde_json::Value> = c
        .details_enc
        .as_deref()
        .and_then(|sealed| key.as_ref()?.open_string(PURPOSE, &c.id, sealed).ok())
        .and_then(|s| serde_json::from_str(&s).ok());
    let last_result = match (c.last_status, c.last_run_at) {
        (Some(RunStatus::Ok), _) => format!(
            "Snapshot taken with {} Threads call{}.",
            c.last_calls,
            if c.last_calls == 1 { "" } else { "s" }
        ),
        (Some(_), _) => c.last_error.clone().unwrap_or_default(),
        (None, _) => "Collecting its recent public posts now.".to_owned(),
    };
    Ok(CompetitorView {
        id: c.id.clone(),
        profile_id: c.profile_id.clone(),
        username: c.username.clone(),
        name: details
            .as_ref()
            .and_then(|d| d["name"].as_str().map(str::to_owned)),
        is_verified: details
            .as_ref()
            .is_some_and(|d| d["is_verified"].as_bool() == Some(true)),
        followers: snapshots.last().map(|s| s.followers),
        snapshots: snapshots.len(),
        posts_stored: state.store.competitor_post_count(&c.id).await?,
        last_run_at: c.last_run_at,
        last_status: c.last_status,
        last_calls: c.last_calls,
        last_result,
    })
}

/// The user's competitors for every profile.
pub async fn list(state: &AppState, auth: &CurrentUser) -> AppResult<Vec<CompetitorView>> {
    let mut out = Vec::new();
    for c in state.store.competitors_of(auth.workspace_id()).await? {
        out.push(view(state, &c).await?);
    }
    Ok(out)
}

/// The benchmark of one of the user's profiles against its competitors.
pub async fn benchmark(
    state: &AppState,
    auth: &CurrentUser,
    profile_id: &ProfileId,
) -> AppResult<Benchmark> {
    let profile = state
        .store
        .profile_of(auth.workspace_id(), profile_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let entitlement =
        crate::billing::entitlements::of_user(state, auth.workspace_id(), now_unix()).await?;
    let all = state.store.competitors_of(auth.workspace_id()).await?;
    let now = state.threads.now().timestamp();
    let since = now - compare::WINDOW_DAYS * 86_400;
    let own_name = crate::services::profiles::usernames(state, auth.workspace_id())
        .await?
        .into_iter()
        .find(|(id, _)| *id == profile.id)
        .map(|(_, name)| name)
        .unwrap_or_default();
    let own_id = ProfileId::new(profile.id.as_str());
    let own_posts = state.store.own_post_facts(&own_id, since).await?;
    let mut comparison = vec![compare::row(
        &compare::Input {
            who: format!("@{own_name}"),
            own: true,
            followers: state.store.account_snapshot_days(&profile.id).await?,
            posts: &own_posts,
            engagement_7d: None,
        },
        now,
    )];
    let mut competitors = Vec::new();
    for c in all.iter().filter(|c| c.profile_id == profile.id) {
        let snapshots = state.store.competitor_snapshots(&c.id).await?;
        let posts = state.store.competitor_post_facts(&c.id, since).await?;
        comparison.push(compare::row(
            &compare::Input {
                who: format!("@{}", c.username),
                own: false,
                followers: snapshots
                    .iter()
                    .map(|s| (s.day.clone(), s.followers))
                    .collect(),
                posts: &posts,
                engagement_7d: compare::engagement_7d(&snapshots),
            },
            now,
        ));
        competitors.push(view(state, c).await?);
    }
    Ok(Benchmark {
        profile_id: own_id.clone(),
        discovery_allowed: access::has_scope(&profile, SCOPE),
        discovery_reason: reason(),
        limit: entitlement.limits().competitors,
        used: all.len(),
        plan: entitlement.plan.name.to_owned(),
        competitors,
        comparison,
    })
}

/// The export's view of the user's competitors: each with its snapshots and posts opened.
pub async fn export(state: &AppState, user_id: &WorkspaceId) -> AppResult<serde_json::Value> {
    let key = state.vault.existing_key(user_id).await?;
    let mut out = Vec::new();
    for c in state.store.competitors_of(user_id).await? {
        let open = |subject: &str, sealed: &[u8]| {
            key.as_ref()
                .and_then(|k| k.open_string(PURPOSE, subject, sealed).ok())
                .and_then(|s| serde_json::from_str::<serde_json::Value>(&s).ok())
        };
        let details = c.details_enc.as_deref().and_then(|s| open(&c.id, s));
        let posts: Vec<serde_json::Value> = state
            .store
            .competitor_posts_sealed(&c.id)
            .await?
            .into_iter()
            .map(|(media_id, media_type, posted_at, sealed)| {
                let content = open(&format!("{}:{media_id}", c.id), &sealed);
                json!({"media_id": media_id, "media_type": media_type, "posted_at": posted_at, "content": content})
            })
            .collect();
        let snapshots: Vec<serde_json::Value> = state
            .store
            .competitor_snapshots(&c.id)
            .await?
            .into_iter()
            .map(|s| json!({"day": s.day, "followers": s.followers, "likes_7d": s.likes_7d, "replies_7d": s.replies_7d, "reposts_7d": s.reposts_7d, "quotes_7d": s.quotes_7d, "views_7d": s.views_7d}))
            .collect();
        out.push(json!({
            "id": c.id, "profile_id": c.profile_id, "username": c.username, "details": details,
            "snapshots": snapshots, "posts": posts,
        }));
    }
    Ok(serde_json::Value::Array(out))
}
