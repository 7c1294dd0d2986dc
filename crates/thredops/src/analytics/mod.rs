//! Analytics: the command centre's numbers, computed only from ThredOps' stored snapshots.
//!
//! Web -> [`Scope`] (ownership, time zone, data key) -> compute modules -> [`store`] (SQL).

pub(crate) mod attribution;
pub(crate) mod cache;
pub(crate) mod content;
pub(crate) mod demographics;
pub(crate) mod explorer;
pub(crate) mod exports;
pub(crate) mod overview;
pub(crate) mod period;
pub(crate) mod store;
pub(crate) mod svg;
pub(crate) mod table;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::billing::gate::{self, HistoryLimit};
use crate::crypto::DataKey;
use crate::domain::{MediaId, ProfileId};
use crate::error::{AppError, AppResult};
use crate::jobs::Runner;
use crate::store::profiles::ProfileRecord;
use crate::sync::engine::POST_PURPOSE;
use period::{Period, PeriodQuery};

/// Registers this feature's job handlers (none: everything is computed on read from snapshots).
pub fn register_jobs(runner: Runner, _state: &AppState) -> Runner {
    runner
}

/// One of the signed-in user's profiles, opened for analysis.
pub struct Scope {
    /// The app.
    pub state: AppState,
    /// The profile (its owner is the signed-in user).
    pub profile: ProfileRecord,
    /// The user's time zone.
    pub tz: Tz,
    /// The owner's data key (none once shredded: content then reads as unavailable).
    pub key: Option<DataKey>,
    /// "Now" on the Threads side (the sandbox clock in sandbox mode).
    pub now: i64,
    /// How far back the user's plan shows history (none: all of it).
    pub history: Option<HistoryLimit>,
}

impl Scope {
    /// Opens `profile_id` for `auth`: another user's profile is a 404.
    pub async fn open(
        state: &AppState,
        auth: &CurrentUser,
        profile_id: &ProfileId,
    ) -> AppResult<Self> {
        let scope = Self::open_for_numbers(state, auth, profile_id).await?;
        scope.with_key(auth).await
    }

    /// Opens `profile_id` like [`Scope::open`] but without reading the data key, for reads that
    /// open no sealed content (the overview): content then reads as unavailable. Saves a query
    /// and a key unwrap on the hottest read.
    pub async fn open_for_numbers(
        state: &AppState,
        auth: &CurrentUser,
        profile_id: &ProfileId,
    ) -> AppResult<Self> {
        let profile = state
            .store
            .profile_of(auth.workspace_id(), profile_id)
            .await?
            .ok_or(AppError::NotFound)?;
        Self::of(state, auth, profile).await
    }

    /// [`Scope::open`] for a profile the request's extractor already read and checked.
    pub async fn own(
        state: &AppState,
        auth: &CurrentUser,
        profile: ProfileRecord,
    ) -> AppResult<Self> {
        let scope = Self::of(state, auth, profile).await?;
        scope.with_key(auth).await
    }

    /// [`Scope::open_for_numbers`] for a profile the request's extractor already read and
    /// checked: the overview's whole authorisation is then one query.
    pub async fn own_for_numbers(
        state: &AppState,
        auth: &CurrentUser,
        profile: ProfileRecord,
    ) -> AppResult<Self> {
        Self::of(state, auth, profile).await
    }

    async fn of(state: &AppState, auth: &CurrentUser, profile: ProfileRecord) -> AppResult<Self> {
        Ok(Self {
            state: state.clone(),
            profile,
            tz: period::parse_tz(auth.user.timezone.as_deref()),
            key: None,
            now: state.threads.now().timestamp(),
            history: gate::history_limit(state, auth.workspace_id()).await?,
        })
    }

    async fn with_key(mut self, auth: &CurrentUser) -> AppResult<Self> {
        self.key = self.state.vault.existing_key(auth.workspace_id()).await?;
        Ok(self)
    }

    /// The profile id.
    pub fn id(&self) -> &ProfileId {
        &self.profile.id
    }

    /// Resolves a period query; "all time" starts where the stored history does. The plan's
    /// history limit shortens it (and says so in the period).
    pub async fn period(&self, q: &PeriodQuery) -> AppResult<Period> {
        let first = if q.period.as_deref() == Some("all") {
            self.history_start().await?
        } else {
            None
        };
        let period = q.resolve(self.tz, self.now, first)?;
        Ok(match &self.history {
            Some(limit) => period.limit_history(limit.days, self.today()),
            None => period,
        })
    }

    /// Today in the user's time zone.
    pub fn today(&self) -> NaiveDate {
        period::local_date(self.tz, self.now)
    }

    /// Refuses what happened before the first day the plan shows (e.g. one old post).
    pub fn check_shown(&self, unix: i64) -> AppResult<()> {
        let Some(limit) = &self.history else {
            return Ok(());
        };
        let first = period::first_shown(limit.days, self.today());
        if unix < period::local_midnight(self.tz, first) {
            return Err(limit.refusal());
        }
        Ok(())
    }

    /// The profile's posts published in `[start, end)` with their facts, oldest first.
    pub async fn posts(&self, start: i64, end: i64) -> AppResult<Vec<store::PostFacts>> {
        Ok(self.state.store.posts_in(self.id(), start, end).await?)
    }

    /// The first local date with any stored data (first post, snapshot or daily views).
    pub async fn history_start(&self) -> AppResult<Option<NaiveDate>> {
        let (first_post, first_day) = self.state.store.first_activity(self.id()).await?;
        let from_post = first_post.map(|t| period::local_date(self.tz, t));
        let from_day = first_day.and_then(|d| NaiveDate::parse_from_str(&d, "%Y-%m-%d").ok());
        Ok(match (from_post, from_day) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        })
    }

    /// Opens a post's sealed content.
    pub fn content(&self, media_id: &MediaId, sealed: &[u8]) -> Content {
        let json: Option<serde_json::Value> = self
            .key
            .as_ref()
            .and_then(|k| {
                k.open_string(POST_PURPOSE, &format!("{}/{media_id}", self.id()), sealed)
                    .ok()
            })
            .and_then(|s| serde_json::from_str(&s).ok());
        let s = |k: &str| json.as_ref().and_then(|j| j[k].as_str()).map(str::to_owned);
        Content {
            readable: json.is_some(),
            text: s("text").unwrap_or_default(),
            permalink: s("permalink"),
            topic_tag: s("topic_tag").filter(|t| !t.trim().is_empty()),
        }
    }
}

/// The readable part of a post's sealed content.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Content {
    /// Whether it could be opened.
    pub readable: bool,
    /// Post text.
    pub text: String,
    /// Link to the post on Threads.
    pub permalink: Option<String>,
    /// Topic tag, if any.
    pub topic_tag: Option<String>,
}

/// Engagement rate in percent: engagements / views × 100, rounded to 2 decimals; none without views.
pub fn engagement_rate(engagements: i64, views: i64) -> Option<f64> {
    (views > 0).then(|| round2(engagements as f64 * 100.0 / views as f64))
}

/// Rounds to two decimals.
pub fn round2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

/// Validates an IANA time zone name (`Europe/Paris`).
pub fn parse_timezone(name: &str) -> AppResult<Tz> {
    let name = name.trim();
    name.parse::<Tz>().map_err(|_| {
        AppError::field(
            "timezone",
            format!("'{name}' is not a time zone name like Europe/Paris or America/New_York."),
        )
    })
}

/// Time zones grouped by region, for the time-zone picker: the canonical `Region/City` names
/// (legacy aliases such as `US/Eastern` still parse, but are not offered).
pub fn zone_groups() -> Vec<(&'static str, Vec<&'static str>)> {
    const REGIONS: [&str; 9] = [
        "Africa",
        "America",
        "Antarctica",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    ];
    let mut names: Vec<&'static str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
    names.sort_unstable();
    REGIONS
        .iter()
        .map(|region| {
            let zones = names
                .iter()
                .copied()
                .filter(|n| n.split_once('/').is_some_and(|(r, _)| r == *region))
                .collect();
            (*region, zones)
        })
        .collect()
}

/// Saves the workspace's time zone. It is kept on the account that owns the workspace, and the
/// workspace's planned posts follow it (see `publishing::plan::retime`).
pub async fn set_timezone(state: &AppState, auth: &CurrentUser, name: &str) -> AppResult<Tz> {
    let tz = parse_timezone(name)?;
    let workspace = auth.workspace_id();
    state
        .store
        .set_user_timezone(&workspace.owner(), tz.name())
        .await?;
    // Planned posts keep their wall-clock time in the new zone, from now on (not at their run,
    // which for a zone ahead would already be late).
    crate::publishing::retime_all(state, workspace, tz).await?;
    Ok(tz)
}

/// The engagement rate's definition, as the UI and API state it.
pub const ENGAGEMENT_RATE: &str = "Engagement rate = (likes + replies + reposts + quotes + shares) ÷ views × 100, over the posts published in the period, each at its latest stored snapshot.";

/// What the post metrics of a period are.
pub const POST_METRICS: &str = "Views, likes, replies, reposts, quotes and shares are those of the posts published in the period (reposts of others excluded), at each post's latest stored snapshot. Profile views and link clicks are Meta's daily account values for the period's days.";
