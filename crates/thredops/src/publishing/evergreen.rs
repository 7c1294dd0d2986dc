//! Evergreen posts: a published post of a profile (planned in ThredOps or synced) re-shared on a
//! schedule with text variations, never twice within a minimum interval, and retired on its own
//! when a re-share's results drop below a share of the original's.
//!
//! Each re-share is an ordinary scheduled post, planned one at a time by the evergreen job
//! (hourly, and at once when an item is created, edited or resumed), so the preflight, the
//! quota ledger, the exactly-once publisher and the calendar treat it like any other post.
//! Planning is a compare-and-set on the item's version in the same transaction as the post:
//! however many runs race, an item gets one re-share per turn.

mod plan;
mod propose;
pub(crate) mod rules;
mod store;
mod view;

use chrono::NaiveTime;
use serde::{Deserialize, Serialize};

pub use plan::{register, tick, tick_all};
pub use propose::{Proposal, proposals};
pub use store::{ItemRecord, ReshareRecord};
pub use view::{ItemView, ReshareView, describe, list, view};

use super::compose::{self, Composition, Part};
use super::{PostState, service};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::now_unix;
use crate::domain::{MediaId, PostId, ProfileId, WorkspaceId};
use crate::error::{AppError, AppResult};

/// Vault purpose of an item's sealed variations.
pub const PURPOSE: &str = "evergreen-item";
/// Most variations an item holds (the original's text included).
pub const MAX_VARIATIONS: usize = 6;
/// Defaults of a new item.
pub const DEFAULT_INTERVAL_DAYS: i64 = 30;
/// Retire below this percentage of the original's results, unless the creator chose another.
pub const DEFAULT_THRESHOLD: i64 = 50;
/// Hours of synced results a re-share gets before it is judged.
pub const DEFAULT_RESULTS_HOURS: i64 = 48;

crate::domain::id_type!(
    /// Id of an evergreen item.
    ItemId
);

/// Whether an item still re-shares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    /// Plans its re-shares.
    Active,
    /// Paused by the creator.
    Paused,
    /// Stopped by itself when results dropped (the reason is kept); can be resumed.
    Retired,
}

impl ItemState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::Active => "active",
            ItemState::Paused => "paused",
            ItemState::Retired => "retired",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<ItemState> {
        match s {
            "active" => Some(ItemState::Active),
            "paused" => Some(ItemState::Paused),
            "retired" => Some(ItemState::Retired),
            _ => None,
        }
    }
}

impl TryFrom<String> for ItemState {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        ItemState::parse(&s).ok_or_else(|| format!("unknown evergreen state {s:?}"))
    }
}

/// How a re-share did against the original, once judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// At or above the threshold: the item goes on.
    Held,
    /// Below it: the item retires.
    Dropped,
}

impl Verdict {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Held => "held",
            Verdict::Dropped => "dropped",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<Verdict> {
        [Verdict::Held, Verdict::Dropped]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

crate::store::decode_by_name!(Verdict, "re-share verdict");

/// What the API and the pages send to mark a post evergreen or change an item.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    /// A published post of ThredOps (marking only).
    #[serde(default)]
    pub post_id: Option<PostId>,
    /// Or a synced post of the profile: its Threads media id (marking only).
    #[serde(default)]
    pub media_id: Option<MediaId>,
    /// The profile of `media_id`.
    #[serde(default)]
    pub profile_id: Option<ProfileId>,
    /// The texts to rotate; the first is variation 1 (the original's text when empty).
    #[serde(default)]
    pub variations: Vec<String>,
    /// Re-share every this many `unit`s (default: the minimum interval).
    #[serde(default)]
    pub every: Option<i64>,
    /// `days` (default) or `weeks`.
    #[serde(default)]
    pub unit: Option<String>,
    /// Wall-clock time `HH:MM` in the user's zone; absent: the profile's next free posting slot.
    #[serde(default)]
    pub time: Option<String>,
    /// Never twice within this many days (default 30).
    #[serde(default)]
    pub min_interval_days: Option<i64>,
    /// Retire below this percentage of the original's views or engagement (default 50).
    #[serde(default)]
    pub threshold_percent: Option<i64>,
    /// Hours of results before a re-share is judged (default 48).
    #[serde(default)]
    pub results_hours: Option<i64>,
}

/// Settings read from an input.
struct Settings {
    variations: Vec<String>,
    every_days: i64,
    at_time: Option<String>,
    min_interval_days: i64,
    threshold_percent: i64,
    results_hours: i64,
}

fn text_post(text: &str) -> Composition {
    Composition {
        parts: vec![Part {
            text: text.to_owned(),
            ..Part::default()
        }],
        ..Composition::default()
    }
}

fn bounded(
    field: &str,
    v: Option<i64>,
    default: i64,
    range: (i64, i64),
    what: &str,
) -> AppResult<i64> {
    let v = v.unwrap_or(default);
    if v < range.0 || v > range.1 {
        return Err(AppError::field(
            field,
            format!("Choose {what} from {} to {}.", range.0, range.1),
        ));
    }
    Ok(v)
}

/// Reads and checks the settings: each variation passes the composer's preflight.
fn settings(input: &ItemInput, original: &str) -> AppResult<Settings> {
    let mut variations: Vec<String> = input
        .variations
        .iter()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect();
    if variations.is_empty() && !original.trim().is_empty() {
        variations.push(original.trim().to_owned());
    }
    if variations.is_empty() {
        return Err(AppError::field(
            "variations[0]",
            "The original has no text. Write the text to re-share.",
        ));
    }
    if variations.len() > MAX_VARIATIONS {
        return Err(AppError::field(
            "variations",
            format!("Keep it to {MAX_VARIATIONS} variations."),
        ));
    }
    let mut fields = std::collections::BTreeMap::new();
    for (i, v) in variations.iter().enumerate() {
        let check = compose::preflight(&text_post(v), &|_| None);
        if let Some(problem) = check.problems.values().next() {
            fields.insert(format!("variations[{i}]"), problem.clone());
        }
    }
    if !fields.is_empty() {
        let first = fields.values().next().cloned().unwrap_or_default();
        return Err(AppError::Validation {
            message: format!("A variation cannot be published: {first}"),
            fields,
        });
    }
    let min_interval_days = bounded(
        "min_interval_days",
        input.min_interval_days,
        DEFAULT_INTERVAL_DAYS,
        (1, 365),
        "a minimum interval",
    )?;
    let per = match input.unit.as_deref().map(str::trim) {
        None | Some("") | Some("days") => 1,
        Some("weeks") => 7,
        Some(_) => return Err(AppError::field("unit", "Choose days or weeks.")),
    };
    let every = bounded(
        "every",
        input.every,
        (min_interval_days + per - 1) / per,
        (1, 365),
        "an interval",
    )?;
    let at_time = match input.time.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) => Some(
            NaiveTime::parse_from_str(t, "%H:%M")
                .map_err(|_| {
                    AppError::field(
                        "time",
                        "Use a time like 09:00, or leave it empty for your posting slots.",
                    )
                })?
                .format("%H:%M")
                .to_string(),
        ),
    };
    Ok(Settings {
        variations,
        every_days: (every * per).min(365 * 7),
        at_time,
        min_interval_days,
        threshold_percent: bounded(
            "threshold_percent",
            input.threshold_percent,
            DEFAULT_THRESHOLD,
            (1, 100),
            "a percentage",
        )?,
        results_hours: bounded(
            "results_hours",
            input.results_hours,
            DEFAULT_RESULTS_HOURS,
            (24, 336),
            "a number of hours",
        )?,
    })
}

/// The original: (profile, media id, ThredOps post, published at, text).
type Source = (ProfileId, MediaId, Option<PostId>, i64, String);

async fn source_of(state: &AppState, auth: &CurrentUser, input: &ItemInput) -> AppResult<Source> {
    if let Some(post_id) = input.post_id.as_ref().filter(|p| !p.is_empty()) {
        let post = service::owned(state, auth, post_id)
            .await
            .map_err(|_| AppError::field("post_id", "Choose one of your posts."))?;
        let (Some(media_id), Some(at), PostState::Published) =
            (&post.media_id, post.published_at, post.state)
        else {
            return Err(AppError::field(
                "post_id",
                "Only a post that is on Threads can be re-shared. Mark it once it is published.",
            ));
        };
        let text = service::open(state, &post)
            .await?
            .parts
            .first()
            .map(|p| p.text.clone())
            .unwrap_or_default();
        return Ok((
            post.profile_id.clone(),
            media_id.clone(),
            Some(post.id.clone()),
            at,
            text,
        ));
    }
    let profile_id = input
        .profile_id
        .clone()
        .unwrap_or_else(|| ProfileId::new(""));
    state
        .store
        .profile_of(
            auth.workspace_id(),
            &crate::domain::ProfileId::from(profile_id.as_str()),
        )
        .await?
        .ok_or_else(|| AppError::field("profile_id", "Choose one of your connected profiles."))?;
    let media_id = input.media_id.clone().unwrap_or_else(|| MediaId::new(""));
    let Some((synced, sealed)) = state.store.synced_result(&profile_id, &media_id).await? else {
        return Err(AppError::field(
            "media_id",
            "This post is not among the synced posts of this profile. Pick one from its posts.",
        ));
    };
    let text =
        propose::synced_text(state, auth.workspace_id(), &profile_id, &media_id, &sealed).await?;
    Ok((profile_id, media_id, None, synced.posted_at, text))
}

/// The evergreen item a planned post re-shares, if any: (item id, re-share number).
pub async fn reshare_of(state: &AppState, post_id: &PostId) -> AppResult<Option<(ItemId, i64)>> {
    Ok(state.store.reshare_of_post(post_id).await?)
}

/// The text of the post `input` names, to fill the form's first variation.
pub async fn original_text(
    state: &AppState,
    auth: &CurrentUser,
    input: &ItemInput,
) -> AppResult<String> {
    Ok(source_of(state, auth, input).await?.4)
}

async fn seal_variations(
    state: &AppState,
    user_id: &WorkspaceId,
    id: &ItemId,
    v: &[String],
) -> AppResult<Vec<u8>> {
    let key = state
        .vault
        .data_key(user_id)
        .await
        .map_err(|e| anyhow::anyhow!("vault: {e}"))?;
    let json = serde_json::to_string(v).map_err(anyhow::Error::from)?;
    Ok(key.seal(PURPOSE, &id.0, json.as_bytes()))
}

/// Opens an item's variations.
pub async fn variations(state: &AppState, item: &ItemRecord) -> AppResult<Vec<String>> {
    let key = state
        .vault
        .existing_key(&item.user_id)
        .await
        .map_err(|e| anyhow::anyhow!("vault: {e}"))?
        .ok_or(AppError::NotFound)?;
    let text = key
        .open_string(PURPOSE, &item.id.0, &item.variations_enc)
        .map_err(|_| anyhow::anyhow!("sealed evergreen variations are unreadable"))?;
    Ok(serde_json::from_str(&text).map_err(anyhow::Error::from)?)
}

fn apply(item: &mut ItemRecord, s: &Settings) {
    item.variation_count = s.variations.len() as i64;
    item.every_days = s.every_days;
    item.at_time = s.at_time.clone();
    item.min_interval_days = s.min_interval_days;
    item.threshold_percent = s.threshold_percent;
    item.results_hours = s.results_hours;
}

async fn needs_slots(state: &AppState, profile_id: &ProfileId, s: &Settings) -> AppResult<()> {
    if s.at_time.is_none() && super::slots(state, profile_id).await?.is_empty() {
        return Err(AppError::field(
            "time",
            "This profile has no posting slots yet. Choose a time, or add posting slots on the schedule.",
        ));
    }
    Ok(())
}

fn already(by_post: bool) -> AppError {
    let field = if by_post { "post_id" } else { "media_id" };
    AppError::field(
        field,
        "This post is already evergreen. Open it from your evergreen posts to edit it.",
    )
}

/// Marks a published post evergreen and plans its first re-share.
pub async fn create(state: &AppState, auth: &CurrentUser, input: ItemInput) -> AppResult<ItemView> {
    let (profile_id, media_id, post_id, posted_at, text) = source_of(state, auth, &input).await?;
    let taken = state
        .store
        .evergreen_items(Some(auth.workspace_id()))
        .await?;
    if taken
        .iter()
        .any(|i| i.profile_id == profile_id && i.source_media_id == media_id)
    {
        return Err(already(post_id.is_some()));
    }
    let s = settings(&input, &text)?;
    needs_slots(state, &profile_id, &s).await?;
    let id = ItemId(uuid::Uuid::new_v4().to_string());
    let now = now_unix();
    let mut item = ItemRecord {
        variations_enc: seal_variations(state, auth.workspace_id(), &id, &s.variations).await?,
        id,
        user_id: auth.workspace_id().clone(),
        profile_id,
        source_media_id: media_id,
        source_post_id: post_id,
        source_posted_at: posted_at,
        state: ItemState::Active,
        variation_count: 0,
        every_days: 0,
        at_time: None,
        min_interval_days: 0,
        threshold_percent: 0,
        results_hours: 0,
        reshares: 0,
        retired_reason: None,
        problem: None,
        version: 0,
        created_at: now,
        updated_at: now,
    };
    apply(&mut item, &s);
    if !state.store.insert_evergreen(&item).await? {
        return Err(already(item.source_post_id.is_some()));
    }
    tick(state, &item, crate::clock::now()).await?;
    view(state, auth, &owned(state, auth, &item.id).await?).await
}

/// One of the user's items (404 for anyone else's).
pub async fn owned(state: &AppState, auth: &CurrentUser, id: &ItemId) -> AppResult<ItemRecord> {
    state
        .store
        .evergreen_item(id)
        .await?
        .filter(|i| i.user_id == *auth.workspace_id())
        .ok_or(AppError::NotFound)
}

async fn save(state: &AppState, item: &ItemRecord) -> AppResult<()> {
    if !state.store.update_evergreen(item, now_unix()).await? {
        return Err(AppError::Conflict(
            "This evergreen post changed meanwhile. Reload and try again.".into(),
        ));
    }
    Ok(())
}

/// Replaces an item's variations and schedule; its waiting, unedited re-share is planned anew.
pub async fn update(
    state: &AppState,
    auth: &CurrentUser,
    id: &ItemId,
    input: ItemInput,
) -> AppResult<ItemView> {
    let mut item = owned(state, auth, id).await?;
    for (field, given) in [
        ("post_id", input.post_id.as_deref()),
        ("media_id", input.media_id.as_deref()),
        ("profile_id", input.profile_id.as_deref()),
    ] {
        if given.is_some_and(|g| !g.is_empty()) {
            return Err(AppError::field(
                field,
                "The original cannot be changed. Mark the other post instead.",
            ));
        }
    }
    let s = settings(&input, "")?;
    needs_slots(state, &item.profile_id, &s).await?;
    item.variations_enc = seal_variations(state, auth.workspace_id(), id, &s.variations).await?;
    apply(&mut item, &s);
    item.problem = None;
    save(state, &item).await?;
    plan::withdraw_waiting(state, &item, false).await?;
    tick(state, &owned(state, auth, id).await?, crate::clock::now()).await?;
    view(state, auth, &owned(state, auth, id).await?).await
}

/// Pauses an item: its waiting re-share is removed and nothing more is planned.
pub async fn pause(state: &AppState, auth: &CurrentUser, id: &ItemId) -> AppResult<ItemView> {
    let mut item = owned(state, auth, id).await?;
    if item.state == ItemState::Active {
        item.state = ItemState::Paused;
        save(state, &item).await?;
    }
    plan::withdraw_waiting(state, &item, true).await?;
    view(state, auth, &owned(state, auth, id).await?).await
}

/// Resumes a paused or retired item and plans its next re-share.
pub async fn resume(state: &AppState, auth: &CurrentUser, id: &ItemId) -> AppResult<ItemView> {
    let mut item = owned(state, auth, id).await?;
    if item.state != ItemState::Active {
        item.state = ItemState::Active;
        item.retired_reason = None;
        item.problem = None;
        save(state, &item).await?;
    }
    tick(state, &owned(state, auth, id).await?, crate::clock::now()).await?;
    view(state, auth, &owned(state, auth, id).await?).await
}

/// Deletes an item: its waiting re-share is removed; published re-shares stay as ordinary posts.
pub async fn delete(state: &AppState, auth: &CurrentUser, id: &ItemId) -> AppResult<()> {
    let item = owned(state, auth, id).await?;
    plan::withdraw_waiting(state, &item, true).await?;
    state
        .store
        .delete_evergreen(id, auth.workspace_id())
        .await?;
    Ok(())
}
