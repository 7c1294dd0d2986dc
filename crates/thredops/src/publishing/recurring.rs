//! Recurring posts: a series (a post and a rule such as "every weekday at 09:00") whose
//! occurrences are materialised as ordinary scheduled posts a bounded horizon ahead, so the
//! exactly-once publisher, the quota ledger and the preflight handle them unchanged.
//!
//! A periodic top-up (and every change to a series) plans the dates of the next
//! [`HORIZON_DAYS`] days that have no row yet; each date becomes one post at most, whoever tops
//! up. One occurrence is edited as the ordinary post it is (the series leaves an occurrence
//! edited on its own alone), skipped, or restored; editing the series replaces its waiting,
//! unedited occurrences; stopping it removes every occurrence still waiting.

pub(crate) mod rule;
mod store;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

pub use rule::{Frequency, Rule};
pub use store::{OccurrenceRecord, SeriesRecord};

use super::compose::Composition;
use super::store::PostRecord;
use super::{EventKind, PostKind, PostState, Standing, publisher, service, when};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::now_unix;
use crate::domain::{PostId, ProfileId, WorkspaceId};
use crate::error::{AppError, AppResult};
use crate::jobs::{JobContext, JobError, Runner, handler_fn};

/// Vault purpose of a series' sealed composition.
pub const PURPOSE: &str = "recurring-series";
/// Job kind of the periodic top-up.
pub const TOP_UP: &str = "recurring_top_up";
/// How far ahead occurrences become scheduled posts.
pub const HORIZON_DAYS: i64 = 14;
/// How often the top-up runs.
const TOP_UP_EVERY: Duration = Duration::from_secs(3600);
/// Meta's publishing quota per profile per 24 hours.
pub const DAILY_QUOTA: i64 = 250;

crate::domain::id_type!(
    /// Id of a series.
    SeriesId
);

/// Whether a series still plans posts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SeriesState {
    /// Plans its occurrences.
    Active,
    /// Stopped by the user: plans nothing more.
    Stopped,
}

impl SeriesState {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            SeriesState::Active => "active",
            SeriesState::Stopped => "stopped",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<SeriesState> {
        match s {
            "active" => Some(SeriesState::Active),
            "stopped" => Some(SeriesState::Stopped),
            _ => None,
        }
    }
}

impl TryFrom<String> for SeriesState {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        SeriesState::parse(&s).ok_or_else(|| format!("unknown series state {s:?}"))
    }
}

/// What happened to a date of a series, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OccurrenceStatus {
    /// Materialised as a post.
    Planned,
    /// Skipped by the user.
    Skipped,
}

impl OccurrenceStatus {
    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<OccurrenceStatus> {
        match s {
            "planned" => Some(OccurrenceStatus::Planned),
            "skipped" => Some(OccurrenceStatus::Skipped),
            _ => None,
        }
    }
}

impl TryFrom<String> for OccurrenceStatus {
    type Error = String;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        OccurrenceStatus::parse(&s).ok_or_else(|| format!("unknown occurrence status {s:?}"))
    }
}

/// What the API and the page send to create or replace a series.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesInput {
    /// Profile to publish on.
    pub profile_id: ProfileId,
    /// The post (text, links, polls, chains; no files).
    pub content: Composition,
    /// `daily`, `weekdays` (Monday to Friday), `weekly` (on `days`) or `monthly` (the `nth`
    /// `weekday` of each month).
    pub frequency: String,
    /// Weekly: the weekdays, e.g. `["mon", "wed"]`.
    #[serde(default)]
    pub days: Vec<String>,
    /// Monthly: the weekday, e.g. `mon`.
    #[serde(default)]
    pub weekday: Option<String>,
    /// Monthly: 1-4, or -1 for the last.
    #[serde(default)]
    pub nth: Option<i64>,
    /// Wall-clock time in the user's zone, `HH:MM`.
    pub time: String,
    /// First date (`YYYY-MM-DD`, the user's today when absent).
    #[serde(default)]
    pub starts_on: Option<String>,
    /// Last date, if any.
    #[serde(default)]
    pub ends_on: Option<String>,
    /// Number of posts, if limited (skipped ones included).
    #[serde(default)]
    pub count: Option<u32>,
}

/// One date of a series as shown.
#[derive(Debug, Clone, Serialize)]
pub struct OccurrenceView {
    /// Local date.
    pub date: String,
    /// Its number in the series (1-based).
    pub number: u32,
    /// The wall-clock time it publishes at that day (a time skipped by DST moves on).
    pub local_time: String,
    /// UTC seconds.
    pub at: i64,
    /// For people, in the user's zone.
    pub at_display: String,
    /// `upcoming` (not planned yet), `planned`, `edited` (changed on its own), `skipped`,
    /// `removed` (its post was deleted), or the state of its post once underway or done.
    pub status: Standing,
    /// Its post, once planned.
    pub post_id: Option<PostId>,
    /// Whether the profile has more than 250 posts planned in the 24 hours up to it: Threads
    /// would refuse it, so the publisher would defer it until the quota has room.
    pub over_quota: bool,
}

/// A series as the API and pages show it.
#[derive(Debug, Clone, Serialize)]
pub struct SeriesView {
    /// Id.
    pub id: SeriesId,
    /// Profile.
    pub profile_id: ProfileId,
    /// Active or stopped.
    pub state: SeriesState,
    /// Kind label of its posts.
    pub kind: PostKind,
    /// The post.
    pub content: Composition,
    /// `daily`, `weekly` or `monthly`.
    pub frequency: Frequency,
    /// Weekdays of a weekly rule (or the one of a monthly rule).
    pub days: Vec<String>,
    /// Monthly: 1-4 or -1.
    pub nth: Option<i64>,
    /// `HH:MM`.
    pub time: String,
    /// First date.
    pub starts_on: String,
    /// Last date.
    pub ends_on: Option<String>,
    /// Number of posts.
    pub count: Option<i64>,
    /// The rule in words.
    pub description: String,
    /// The zone its times are in (the user's).
    pub timezone: String,
    /// The last two weeks' and the next ten dates.
    pub occurrences: Vec<OccurrenceView>,
}

/// Registers the top-up and makes sure it is pending.
pub fn register(runner: Runner, state: &AppState) -> Runner {
    let state = state.clone();
    runner.recurring(TOP_UP, Duration::from_secs(2)).register(
        TOP_UP,
        handler_fn(move |ctx| top_up_job(state.clone(), ctx)),
    )
}

async fn top_up_job(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    top_up_all(&state, crate::clock::now())
        .await
        .map_err(|e| JobError::retry(e.to_string()))?;
    ctx.schedule_next(crate::clock::now_ms() + TOP_UP_EVERY.as_millis() as i64);
    Ok(())
}

/// Plans the next [`HORIZON_DAYS`] of every active series as of `now`. Returns how many posts
/// were planned.
pub async fn top_up_all(state: &AppState, now: DateTime<Utc>) -> AppResult<usize> {
    let mut planned = 0;
    for series in state.store.series_list(None).await? {
        match top_up(state, &series, now).await {
            Ok(n) => planned += n,
            Err(e) => {
                tracing::warn!(series = %series.id.0, error = %e, "could not plan a recurring series")
            }
        }
    }
    Ok(planned)
}

fn rule_of(s: &SeriesRecord) -> AppResult<Rule> {
    let date = |v: &str| NaiveDate::parse_from_str(v, "%Y-%m-%d").ok();
    Ok(Rule {
        frequency: s.frequency,
        weekdays: (s.weekdays & 0x7f) as u8,
        nth: s.nth.map(|n| n as i8),
        time: NaiveTime::parse_from_str(&s.local_time, "%H:%M")
            .map_err(|_| anyhow::anyhow!("bad series time {:?}", s.local_time))?,
        starts_on: date(&s.starts_on)
            .ok_or_else(|| anyhow::anyhow!("bad series start {:?}", s.starts_on))?,
        ends_on: s.ends_on.as_deref().and_then(date),
        max_count: s.max_count.map(|n| n as u32),
    })
}

async fn open_content(state: &AppState, s: &SeriesRecord) -> AppResult<Composition> {
    let key = state
        .vault
        .existing_key(&s.user_id)
        .await
        .map_err(|e| anyhow::anyhow!("vault: {e}"))?
        .ok_or(AppError::NotFound)?;
    let text = key
        .open_string(PURPOSE, &s.id.0, &s.content_enc)
        .map_err(|_| anyhow::anyhow!("sealed series content is unreadable"))?;
    Ok(serde_json::from_str(&text).map_err(anyhow::Error::from)?)
}

async fn seal(
    state: &AppState,
    user_id: &WorkspaceId,
    purpose: &str,
    subject: &str,
    c: &Composition,
) -> AppResult<Vec<u8>> {
    let key = state
        .vault
        .data_key(user_id)
        .await
        .map_err(|e| anyhow::anyhow!("vault: {e}"))?;
    let json = serde_json::to_string(c).map_err(anyhow::Error::from)?;
    Ok(key.seal(purpose, subject, json.as_bytes()))
}

/// Whether the profile would hold more than Meta's 24-hour quota with one more post at `at`
/// (`already` when that post is among the counted ones).
pub(super) async fn over_quota(
    state: &AppState,
    profile_id: &ProfileId,
    at: i64,
    already: bool,
) -> AppResult<bool> {
    let n = state
        .store
        .posts_in_window(profile_id, at - 86_400, at)
        .await?;
    Ok(n + i64::from(!already) > DAILY_QUOTA)
}

/// Plans the dates of one series within the horizon that have no row yet. Returns how many
/// posts it planned.
pub async fn top_up(state: &AppState, s: &SeriesRecord, now: DateTime<Utc>) -> AppResult<usize> {
    if s.state != SeriesState::Active {
        return Ok(0);
    }
    let Some(user) = state.store.user_by_id(&s.user_id.owner()).await? else {
        return Ok(0);
    };
    let tz = when::zone(user.timezone.as_deref());
    let rule = rule_of(s)?;
    let known: std::collections::HashSet<String> = state
        .store
        .occurrences(&s.id)
        .await?
        .into_iter()
        .map(|o| o.occurs_on)
        .collect();
    let due = rule.between(tz, now, now + chrono::Duration::days(HORIZON_DAYS));
    let mut content = None;
    let mut planned = 0;
    for (number, date, local, at) in due {
        let day = date.format("%Y-%m-%d").to_string();
        if known.contains(&day) {
            continue;
        }
        if content.is_none() {
            content = Some(open_content(state, s).await?);
        }
        let Some(c) = &content else { continue };
        let mut post =
            scheduled_record(state, &s.user_id, &s.profile_id, s.kind, c, local, tz, at).await?;
        let mut notes = Vec::new();
        if over_quota(state, &s.profile_id, at.timestamp(), false).await? {
            notes.push(format!(
                "Over the daily quota: this profile already has {DAILY_QUOTA} or more posts planned in the 24 hours up to this one, and Threads allows {DAILY_QUOTA} posts per 24 hours. It stays planned and will be deferred until the quota has room; move it or another post to publish on time."
            ));
        }
        notes.extend(post.note.take());
        post.note = (!notes.is_empty()).then(|| notes.join(" "));
        if !state
            .store
            .materialise_occurrence(&s.id, &day, &post)
            .await?
        {
            continue;
        }
        planned += 1;
        let message = format!(
            "Scheduled for {}: post {number} of the recurring series \"{}\".",
            when::show(at, tz),
            rule.describe()
        );
        announce(state, &post, &message).await?;
    }
    Ok(planned)
}

/// A new scheduled post of `c` at the wall-clock time `local` in `tz` (the instant `at`),
/// sealed for its owner, with the note about a profile that needs reconnecting, if any.
#[expect(clippy::too_many_arguments, reason = "the fields of a new post")]
pub(super) async fn scheduled_record(
    state: &AppState,
    user_id: &WorkspaceId,
    profile_id: &ProfileId,
    kind: PostKind,
    c: &Composition,
    local: chrono::NaiveDateTime,
    tz: chrono_tz::Tz,
    at: DateTime<Utc>,
) -> AppResult<PostRecord> {
    let id = PostId::new(uuid::Uuid::new_v4().to_string());
    let stamp = now_unix();
    let mut post = PostRecord {
        content_enc: seal(state, user_id, super::PURPOSE, &id, c).await?,
        id,
        user_id: user_id.clone(),
        profile_id: profile_id.clone(),
        state: PostState::Scheduled,
        kind,
        local_time: Some(local.format("%Y-%m-%dT%H:%M").to_string()),
        timezone: Some(tz.name().to_owned()),
        scheduled_at: Some(at.timestamp()),
        progress: publisher::Progress::default().to_json(),
        media_id: None,
        permalink: None,
        note: None,
        failure: None,
        attempts: 0,
        acknowledged: true,
        version: 0,
        created_at: stamp,
        updated_at: stamp,
        published_at: None,
    };
    post.note = super::reconnect::note_for(state, &post).await?;
    Ok(post)
}

/// Records a stored post's creation in its ledger and gives it its publisher run.
pub(super) async fn announce(state: &AppState, post: &PostRecord, message: &str) -> AppResult<()> {
    let _ = state
        .store
        .add_publish_event(
            &post.id,
            crate::clock::now_ms(),
            EventKind::Created,
            message,
        )
        .await;
    let at = post.scheduled_at.unwrap_or_else(now_unix);
    state.jobs.enqueue(service::publish_job(post, at)).await?;
    Ok(())
}

fn field_date(field: &str, value: &str) -> AppResult<NaiveDate> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d")
        .map_err(|_| AppError::field(field, "Use a date like 2027-03-29."))
}

/// Reads the rule of an input, in the user's zone (for today's date).
fn parse_rule(input: &SeriesInput, tz: chrono_tz::Tz) -> AppResult<Rule> {
    let day_bit = |name: &str, field: &str| {
        rule::weekday_index(name).map(|i| 1u8 << i).ok_or_else(|| {
            AppError::field(field, format!("\"{name}\" is not a weekday (mon-sun)."))
        })
    };
    let (frequency, weekdays, nth) = match input.frequency.trim() {
        "daily" => (Frequency::Daily, 0x7f, None),
        "weekdays" => (Frequency::Weekly, rule::WEEKDAYS, None),
        "weekly" => {
            let mut mask = 0;
            for d in &input.days {
                mask |= day_bit(d, "days")?;
            }
            (Frequency::Weekly, mask, None)
        }
        "monthly" => {
            let day = input.weekday.as_deref().unwrap_or("").trim();
            let mask = if day.is_empty() {
                0
            } else {
                day_bit(day, "weekday")?
            };
            let nth = input
                .nth
                .filter(|n| matches!(n, 1..=4 | -1))
                .map(|n| n as i8);
            (Frequency::Monthly, mask, nth.or(Some(0)))
        }
        _ => {
            return Err(AppError::field(
                "frequency",
                "Choose daily, weekdays, weekly or monthly.",
            ));
        }
    };
    let time = NaiveTime::parse_from_str(input.time.trim(), "%H:%M")
        .map_err(|_| AppError::field("time", "Use a time like 09:00."))?;
    let today = crate::clock::now().with_timezone(&tz).date_naive();
    let starts_on = match input.starts_on.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => field_date("starts_on", v)?,
        _ => today,
    };
    let ends_on = match input.ends_on.as_deref().map(str::trim) {
        Some(v) if !v.is_empty() => Some(field_date("ends_on", v)?),
        _ => None,
    };
    let rule = Rule {
        frequency,
        weekdays,
        nth,
        time,
        starts_on,
        ends_on,
        max_count: input.count,
    };
    rule.validate()?;
    Ok(rule)
}

/// Checks what a series would publish: the user's profile, the composer's preflight, no files.
async fn check_input(
    state: &AppState,
    auth: &CurrentUser,
    input: &SeriesInput,
) -> AppResult<(Rule, PostKind)> {
    state
        .store
        .profile_of(
            auth.workspace_id(),
            &crate::domain::ProfileId::from(input.profile_id.as_str()),
        )
        .await?
        .ok_or_else(|| AppError::field("profile_id", "Choose one of your connected profiles."))?;
    for (i, part) in input.content.parts.iter().enumerate() {
        if !part.media.is_empty() {
            return Err(AppError::field(
                &format!("parts[{i}].media"),
                "Recurring posts cannot carry files: ThredOps deletes each file once Threads has it. Use text, a link preview or a poll.",
            ));
        }
    }
    let (check, kind) = service::preflight(state, auth, &input.content).await?;
    if !check.ok() {
        let first = check.problems.values().next().cloned().unwrap_or_default();
        return Err(AppError::Validation {
            message: format!("This post cannot be scheduled: {first}"),
            fields: check.problems,
        });
    }
    let rule = parse_rule(input, service::user_zone(auth))?;
    Ok((rule, kind))
}

fn apply(record: &mut SeriesRecord, rule: &Rule, input: &SeriesInput, kind: PostKind) {
    record.profile_id = input.profile_id.clone();
    record.kind = kind;
    record.frequency = rule.frequency;
    record.weekdays = i64::from(rule.weekdays);
    record.nth = rule.nth.map(i64::from);
    record.local_time = rule.time.format("%H:%M").to_string();
    record.starts_on = rule.starts_on.format("%Y-%m-%d").to_string();
    record.ends_on = rule.ends_on.map(|d| d.format("%Y-%m-%d").to_string());
    record.max_count = rule.max_count.map(i64::from);
}

/// Creates a series and plans its first two weeks.
pub async fn create(
    state: &AppState,
    auth: &CurrentUser,
    input: SeriesInput,
) -> AppResult<SeriesView> {
    let (rule, kind) = check_input(state, auth, &input).await?;
    let id = SeriesId(uuid::Uuid::new_v4().to_string());
    let now = now_unix();
    let mut record = SeriesRecord {
        content_enc: seal(state, auth.workspace_id(), PURPOSE, &id.0, &input.content).await?,
        id,
        user_id: auth.workspace_id().clone(),
        profile_id: input.profile_id.clone(),
        state: SeriesState::Active,
        kind: PostKind::default(),
        frequency: rule.frequency,
        weekdays: 0,
        nth: None,
        local_time: String::new(),
        starts_on: String::new(),
        ends_on: None,
        max_count: None,
        version: 0,
        created_at: now,
        updated_at: now,
    };
    apply(&mut record, &rule, &input, kind);
    state.store.insert_series(&record).await?;
    top_up(state, &record, crate::clock::now()).await?;
    view(state, auth, &record).await
}

/// One of the user's series (404 for anyone else's).
pub async fn owned(state: &AppState, auth: &CurrentUser, id: &SeriesId) -> AppResult<SeriesRecord> {
    state
        .store
        .series(id)
        .await?
        .filter(|s| s.user_id == *auth.workspace_id())
        .ok_or(AppError::NotFound)
}

/// Removes the series' occurrences still waiting to publish (only those the series wrote and
/// nobody edited, unless `all`), forgetting their dates so they may be planned again.
async fn withdraw_waiting(state: &AppState, s: &SeriesRecord, all: bool) -> AppResult<()> {
    let now = now_unix();
    for o in state.store.occurrences(&s.id).await? {
        let Some(post_id) = &o.post_id else { continue };
        let Some(post) = state.store.planned_post(post_id).await? else {
            continue;
        };
        let untouched = o.post_version == Some(post.version);
        if post.state != PostState::Scheduled
            || post.scheduled_at.is_none_or(|t| t <= now)
            || !(all || untouched)
        {
            continue;
        }
        if state
            .store
            .withdraw_waiting_post(&post.id, post.version)
            .await?
            && untouched
        {
            state.store.forget_occurrence(&s.id, &o.occurs_on).await?;
        }
    }
    Ok(())
}

/// Replaces a series' post and rule: its waiting, unedited occurrences are planned anew;
/// occurrences edited on their own and those already publishing stay as they are.
pub async fn update(
    state: &AppState,
    auth: &CurrentUser,
    id: &SeriesId,
    input: SeriesInput,
) -> AppResult<SeriesView> {
    let mut record = owned(state, auth, id).await?;
    if record.state != SeriesState::Active {
        return Err(AppError::Conflict(
            "This series is stopped. Start a new one instead.".into(),
        ));
    }
    let (rule, kind) = check_input(state, auth, &input).await?;
    record.content_enc = seal(state, auth.workspace_id(), PURPOSE, &id.0, &input.content).await?;
    apply(&mut record, &rule, &input, kind);
    if !state.store.update_series(&record, now_unix()).await? {
        return Err(AppError::Conflict(
            "This series changed meanwhile. Reload and try again.".into(),
        ));
    }
    record.version += 1;
    withdraw_waiting(state, &record, false).await?;
    top_up(state, &record, crate::clock::now()).await?;
    view(state, auth, &record).await
}

/// Stops a series: nothing more is planned and every occurrence still waiting is removed.
pub async fn stop(state: &AppState, auth: &CurrentUser, id: &SeriesId) -> AppResult<SeriesView> {
    let mut record = owned(state, auth, id).await?;
    if record.state == SeriesState::Active {
        record.state = SeriesState::Stopped;
        if !state.store.update_series(&record, now_unix()).await? {
            return Err(AppError::Conflict(
                "This series changed meanwhile. Reload and try again.".into(),
            ));
        }
        record.version += 1;
    }
    withdraw_waiting(state, &record, true).await?;
    view(state, auth, &record).await
}

/// Stops and deletes a series; its published posts stay as ordinary posts.
pub async fn delete(state: &AppState, auth: &CurrentUser, id: &SeriesId) -> AppResult<()> {
    stop(state, auth, id).await?;
    state.store.delete_series(id, auth.workspace_id()).await?;
    Ok(())
}

/// Skips one date of a series (its post, if planned and still waiting, is removed).
pub async fn skip(
    state: &AppState,
    auth: &CurrentUser,
    id: &SeriesId,
    date: &str,
) -> AppResult<SeriesView> {
    let record = owned(state, auth, id).await?;
    let day = field_date("date", date)?;
    let rule = rule_of(&record)?;
    if !rule
        .dates()
        .take_while(|(_, d)| *d <= day)
        .any(|(_, d)| d == day)
    {
        return Err(AppError::field(
            "date",
            format!("This series has no post on {day}."),
        ));
    }
    let day_text = day.format("%Y-%m-%d").to_string();
    let before = state.store.occurrences(id).await?;
    let was = before.iter().find(|o| o.occurs_on == day_text).cloned();
    // The row first: from here on no top-up plans this date.
    state
        .store
        .skip_occurrence(id, auth.workspace_id(), &day_text, now_unix())
        .await?;
    let row = state.store.occurrences(id).await?;
    let post_id = row
        .iter()
        .find(|o| o.occurs_on == day_text)
        .and_then(|o| o.post_id.clone());
    if let Some(post_id) = post_id
        && let Some(post) = state.store.planned_post(&post_id).await?
    {
        let withdrawn = post.state == PostState::Scheduled
            && state
                .store
                .withdraw_waiting_post(&post.id, post.version)
                .await?;
        if !withdrawn && (post.state.is_underway() || post.state == PostState::Published) {
            if was.is_none_or(|w| w.status == OccurrenceStatus::Planned) {
                state.store.replan_occurrence(id, &day_text).await?;
            }
            return Err(AppError::Conflict(
                "This post is being published or is already on Threads; it can no longer be skipped.".into(),
            ));
        }
    }
    view(state, auth, &record).await
}

/// Plans a skipped date again (when it is within the horizon, at once).
pub async fn restore(
    state: &AppState,
    auth: &CurrentUser,
    id: &SeriesId,
    date: &str,
) -> AppResult<SeriesView> {
    let record = owned(state, auth, id).await?;
    let day = field_date("date", date)?.format("%Y-%m-%d").to_string();
    if !state.store.unskip_occurrence(id, &day).await? {
        return Err(AppError::field("date", "That date is not skipped."));
    }
    top_up(state, &record, crate::clock::now()).await?;
    view(state, auth, &record).await
}

/// Shapes a series for the API and pages, with its recent and next dates.
pub async fn view(state: &AppState, auth: &CurrentUser, s: &SeriesRecord) -> AppResult<SeriesView> {
    let tz = service::user_zone(auth);
    let rule = rule_of(s)?;
    let now = crate::clock::now();
    let rows: BTreeMap<String, OccurrenceRecord> = state
        .store
        .occurrences(&s.id)
        .await?
        .into_iter()
        .map(|o| (o.occurs_on.clone(), o))
        .collect();
    let since = now - chrono::Duration::days(HORIZON_DAYS);
    let mut dates = rule.between(tz, since, now + chrono::Duration::days(400));
    let upcoming_from = dates.iter().position(|o| o.3 > now).unwrap_or(dates.len());
    let keep = if s.state == SeriesState::Active {
        upcoming_from + 10
    } else {
        upcoming_from
    };
    dates.truncate(keep);
    let mut occurrences = Vec::with_capacity(dates.len());
    for (number, date, local, at) in dates {
        let day = date.format("%Y-%m-%d").to_string();
        let row = rows.get(&day);
        let mut post_id = None;
        let mut at = at.timestamp();
        let mut local_time = local.format("%H:%M").to_string();
        let status = match row {
            None if at <= now.timestamp() => continue,
            None => Standing::Upcoming,
            Some(o) if o.status == OccurrenceStatus::Skipped => Standing::Skipped,
            Some(o) => match &o.post_id {
                None => Standing::Removed,
                Some(pid) => match state.store.planned_post(pid).await? {
                    None => Standing::Removed,
                    Some(p) => {
                        post_id = Some(p.id.clone());
                        if let Some(t) = p.scheduled_at {
                            at = t;
                            local_time = DateTime::from_timestamp(t, 0)
                                .unwrap_or_default()
                                .with_timezone(&tz)
                                .format("%H:%M")
                                .to_string();
                        }
                        match p.state {
                            PostState::Scheduled if o.post_version == Some(p.version) => {
                                Standing::Planned
                            }
                            PostState::Scheduled => Standing::Edited,
                            other => Standing::Post(other),
                        }
                    }
                },
            },
        };
        let counts = matches!(
            status,
            Standing::Upcoming | Standing::Planned | Standing::Edited
        );
        let over = counts
            && at > now.timestamp()
            && over_quota(state, &s.profile_id, at, status != Standing::Upcoming).await?;
        occurrences.push(OccurrenceView {
            date: day,
            number,
            local_time,
            at,
            at_display: when::show(DateTime::from_timestamp(at, 0).unwrap_or_default(), tz),
            status,
            post_id,
            over_quota: over,
        });
    }
    let days: Vec<String> = (0..7)
        .filter(|i| rule.weekdays & (1 << i) != 0)
        .map(|i| rule::DAYS[i].to_owned())
        .collect();
    Ok(SeriesView {
        id: s.id.clone(),
        profile_id: s.profile_id.clone(),
        state: s.state,
        kind: s.kind,
        content: open_content(state, s).await?,
        frequency: rule.frequency,
        days,
        nth: s.nth,
        time: s.local_time.clone(),
        starts_on: s.starts_on.clone(),
        ends_on: s.ends_on.clone(),
        count: s.max_count,
        description: rule.describe(),
        timezone: tz.name().to_owned(),
        occurrences,
    })
}

/// The user's series.
pub async fn list(state: &AppState, auth: &CurrentUser) -> AppResult<Vec<SeriesView>> {
    let mut out = Vec::new();
    for s in state.store.series_list(Some(auth.workspace_id())).await? {
        out.push(view(state, auth, &s).await?);
    }
    Ok(out)
}
