//! Follow-ups of a published post: its **first reply** (a reply published a chosen delay after
//! the post) and its **auto-plug** (a reply published once, when the post passes a number of
//! likes or views within a window after publication).
//!
//! Both become ordinary planned posts with `reply_to_id` set to the published post, so the
//! exactly-once publisher, the quota ledger, the preflight, the calendar and Retry treat them
//! like any other post. Exactly once: the follow-up rows of a post (`publishing_followups`, one
//! per post and kind) are written in the transaction that marks the post published, together
//! with the first reply's post; an auto-plug's post is written in the transaction that moves its
//! row from `watching` to `sent`.

mod check;
pub(crate) mod store;

use serde::{Deserialize, Serialize};
use threads_api::ContainerBuilder;

use super::compose::{self, Composition, Part};
use super::store::PostRecord;
use super::{PURPOSE, PostState, publisher, when};
use crate::app::AppState;
use crate::domain::{MediaId, PostId, ProfileId, WorkspaceId, format};
use crate::jobs::Runner;

pub use check::{CHECK, CHECK_EVERY, check_due};
pub use store::{FollowupRecord, FollowupState, Kind};

/// Longest delay of a first reply: 7 days, in minutes.
pub const MAX_DELAY_MINUTES: i64 = 7 * 24 * 60;
/// Longest auto-plug window, in hours.
pub const MAX_WINDOW_HOURS: i64 = 7 * 24;

/// A reply published under the post a while after the post is published.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FirstReply {
    /// The reply's text.
    pub text: String,
    /// Minutes after publication (0 to 10,080).
    pub delay_minutes: i64,
}

/// Which count an auto-plug watches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    /// Likes.
    #[default]
    Likes,
    /// Views.
    Views,
}

impl Metric {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::Likes => "likes",
            Metric::Views => "views",
        }
    }

    /// Parses the stored name.
    pub fn parse(value: &str) -> Option<Metric> {
        match value {
            "likes" => Some(Metric::Likes),
            "views" => Some(Metric::Views),
            _ => None,
        }
    }
}

crate::store::decode_by_name!(Metric, "auto-plug metric");

/// A reply published under the post once, when it passes `threshold` likes or views within
/// `window_hours` of publication.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AutoPlug {
    /// `likes` or `views`.
    pub metric: Metric,
    /// The count to pass (at least 1).
    pub threshold: i64,
    /// Hours after publication during which the count is watched (1 to 168).
    pub window_hours: i64,
    /// The reply's text.
    pub text: String,
}

/// Registers the auto-plug checker.
pub fn register(runner: Runner, state: &AppState) -> Runner {
    check::register(runner, state)
}

/// Checks a reply text as the publisher would send it, keyed `{prefix}.text`.
fn check_reply_text(text: &str, prefix: &str, problem: &mut impl FnMut(String, String)) {
    if text.trim().is_empty() {
        problem(
            format!("{prefix}.text"),
            "Write the reply's text, or leave the whole option out.".into(),
        );
        return;
    }
    let reply = ContainerBuilder::text(text.to_owned()).reply_to(threads_api::MediaId::new("1"));
    if let Err(e) = reply.build() {
        problem(format!("{prefix}.text"), compose::explain(&e).1);
    }
}

/// The preflight of a composition's follow-ups, keyed `first_reply.*` and `auto_plug.*`.
pub fn preflight(c: &Composition, problem: &mut impl FnMut(String, String)) {
    if let Some(first) = &c.first_reply {
        check_reply_text(&first.text, "first_reply", problem);
        if !(0..=MAX_DELAY_MINUTES).contains(&first.delay_minutes) {
            problem(
                "first_reply.delay_minutes".into(),
                "Choose a delay from 0 minutes to 7 days (10,080 minutes).".into(),
            );
        }
    }
    if let Some(plug) = &c.auto_plug {
        check_rule(plug, "auto_plug", problem);
    }
}

/// Checks an auto-plug rule (a post's or a profile's default), keyed `{prefix}.*`.
pub fn check_rule(plug: &AutoPlug, prefix: &str, problem: &mut impl FnMut(String, String)) {
    check_reply_text(&plug.text, prefix, problem);
    if plug.threshold < 1 {
        problem(
            format!("{prefix}.threshold"),
            format!(
                "Choose how many {} to wait for (at least 1).",
                plug.metric.as_str()
            ),
        );
    }
    if !(1..=MAX_WINDOW_HOURS).contains(&plug.window_hours) {
        problem(
            format!("{prefix}.window_hours"),
            "Choose a window from 1 hour to 7 days (168 hours).".into(),
        );
    }
}

/// What publishing a post sets in motion, written with its publication.
#[derive(Debug, Clone, Default)]
pub struct Plan {
    /// Rows to insert (each once: the key is the post and the kind).
    pub rows: Vec<FollowupRecord>,
    /// The first reply's post, when the post has one.
    pub first_reply: Option<PostRecord>,
}

/// The follow-ups of `post`, published now (`published_at`, on Threads' clock) as `media_id`:
/// its first reply due at publication + delay, and its auto-plug (its own, else the profile's
/// default unless it says "no auto-plug"; none for posts that are replies themselves).
pub async fn plan(
    state: &AppState,
    post: &PostRecord,
    content: &Composition,
    media_id: &MediaId,
    published_at: i64,
    owner_timezone: Option<&str>,
) -> anyhow::Result<Plan> {
    let mut out = Plan::default();
    let rule = match (&content.auto_plug, content.no_auto_plug) {
        (Some(rule), _) => Some(rule.clone()),
        (None, false) if content.reply_target().is_none() => {
            default_rule(state, &post.user_id, &post.profile_id).await?
        }
        _ => None,
    };
    if content.first_reply.is_none() && rule.is_none() {
        return Ok(out);
    }
    let key = state.vault.data_key(&post.user_id).await?;
    let row = |kind: Kind, text: &str| FollowupRecord {
        parent_post_id: post.id.clone(),
        kind,
        user_id: post.user_id.clone(),
        profile_id: post.profile_id.clone(),
        parent_media_id: media_id.clone(),
        state: FollowupState::Sent,
        metric: None,
        threshold: None,
        window_hours: None,
        window_ends_at: None,
        next_check_at: None,
        text_enc: key.seal(
            PURPOSE,
            &store::text_subject(&post.id, kind),
            text.as_bytes(),
        ),
        last_value: None,
        last_checked_at: None,
        child_post_id: None,
        decided_at: Some(published_at),
        created_at: published_at,
    };
    if let Some(first) = &content.first_reply {
        let due = published_at + first.delay_minutes * 60;
        let child = reply_post(state, post, &first.text, media_id, due, owner_timezone).await?;
        out.rows.push(FollowupRecord {
            child_post_id: Some(child.id.clone()),
            ..row(Kind::FirstReply, &first.text)
        });
        out.first_reply = Some(child);
    }
    if let Some(rule) = rule {
        out.rows.push(FollowupRecord {
            state: FollowupState::Watching,
            metric: Some(rule.metric),
            threshold: Some(rule.threshold),
            window_hours: Some(rule.window_hours),
            window_ends_at: Some(published_at + rule.window_hours * 3600),
            next_check_at: Some(published_at + CHECK_EVERY.as_secs() as i64),
            decided_at: None,
            ..row(Kind::AutoPlug, &rule.text)
        });
    }
    Ok(out)
}

/// A scheduled post replying `text` to `media_id` at `due`, in the owner's zone, sealed like
/// every post. It carries no follow-ups of its own.
pub(super) async fn reply_post(
    state: &AppState,
    parent: &PostRecord,
    text: &str,
    media_id: &MediaId,
    due: i64,
    owner_timezone: Option<&str>,
) -> anyhow::Result<PostRecord> {
    let content = Composition {
        parts: vec![Part {
            text: text.to_owned(),
            ..Part::default()
        }],
        reply_to_id: Some(media_id.clone()),
        no_auto_plug: true,
        ..Composition::default()
    };
    let id = PostId::new(uuid::Uuid::new_v4().to_string());
    let key = state.vault.data_key(&parent.user_id).await?;
    let sealed = key.seal(PURPOSE, &id, serde_json::to_string(&content)?.as_bytes());
    let tz = when::zone(owner_timezone);
    let at = chrono::DateTime::from_timestamp(due, 0).unwrap_or_default();
    let now = crate::clock::now_unix();
    Ok(PostRecord {
        id,
        user_id: parent.user_id.clone(),
        profile_id: parent.profile_id.clone(),
        state: PostState::Scheduled,
        kind: super::PostKind::default(),
        content_enc: sealed,
        local_time: Some(when::local_value(at, tz)),
        timezone: Some(tz.name().to_owned()),
        scheduled_at: Some(due),
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
    })
}

/// Records in a follow-up's ledger how it came to be.
pub(super) async fn note_created(state: &AppState, child: &PostRecord, message: &str) {
    let _ = state
        .store
        .add_publish_event(
            &child.id,
            crate::clock::now_ms(),
            super::EventKind::Created,
            message,
        )
        .await;
}

/// The profile's default auto-plug, if it has one.
pub async fn default_rule(
    state: &AppState,
    user_id: &WorkspaceId,
    profile_id: &ProfileId,
) -> anyhow::Result<Option<AutoPlug>> {
    let Some(sealed) = state.store.autoplug_default(profile_id).await? else {
        return Ok(None);
    };
    let Some(key) = state.vault.existing_key(user_id).await? else {
        return Ok(None);
    };
    let text = key.open_string(PURPOSE, &store::default_subject(profile_id), &sealed)?;
    Ok(Some(serde_json::from_str(&text)?))
}

/// Checks and saves (or with `None` removes) the profile's default auto-plug; a wrong field is
/// named (`threshold`, `window_hours`, `text`) and nothing is saved.
pub async fn save_default(
    state: &AppState,
    user_id: &WorkspaceId,
    profile_id: &ProfileId,
    rule: Option<&AutoPlug>,
) -> crate::error::AppResult<()> {
    if let Some(rule) = rule {
        let mut fields = std::collections::BTreeMap::new();
        check_rule(rule, "auto_plug", &mut |field: String, message: String| {
            let name = field.trim_start_matches("auto_plug.").to_owned();
            fields.entry(name).or_insert(message);
        });
        if let Some(first) = fields.values().next().cloned() {
            return Err(crate::error::AppError::Validation {
                message: format!("The default auto-plug cannot be saved: {first}"),
                fields,
            });
        }
    }
    set_default_rule(state, user_id, profile_id, rule).await?;
    Ok(())
}

/// Saves (or with `None` removes) the profile's default auto-plug.
async fn set_default_rule(
    state: &AppState,
    user_id: &WorkspaceId,
    profile_id: &ProfileId,
    rule: Option<&AutoPlug>,
) -> anyhow::Result<()> {
    let Some(rule) = rule else {
        state.store.delete_autoplug_default(profile_id).await?;
        return Ok(());
    };
    let key = state.vault.data_key(user_id).await?;
    let sealed = key.seal(
        PURPOSE,
        &store::default_subject(profile_id),
        serde_json::to_string(rule)?.as_bytes(),
    );
    state
        .store
        .save_autoplug_default(profile_id, user_id, &sealed, crate::clock::now_unix())
        .await?;
    Ok(())
}

/// A follow-up of a post, as the API and the post page show it.
#[derive(Debug, Clone, Serialize)]
pub struct FollowupView {
    /// `first_reply` or `auto_plug`.
    pub kind: Kind,
    /// `watching`, `sent` or `missed`.
    pub state: FollowupState,
    /// The reply post, once created.
    pub post_id: Option<PostId>,
    /// The count at the last check (auto-plug).
    pub value: Option<i64>,
    /// In words: "Auto-plug sent at 1,204 likes."
    pub summary: String,
}

/// What a reply post was created for.
#[derive(Debug, Clone, Serialize)]
pub struct FollowupOf {
    /// `first_reply` or `auto_plug`.
    pub kind: Kind,
    /// The post it replies to.
    pub parent_post_id: PostId,
    /// "First reply to “Launch day…”".
    pub label: String,
}

/// A post's follow-ups and, for a reply post, what it follows up.
pub async fn views(
    state: &AppState,
    post: &PostRecord,
    tz: chrono_tz::Tz,
) -> crate::error::AppResult<(Vec<FollowupView>, Option<FollowupOf>)> {
    let mine = state
        .store
        .followups_of(&post.id)
        .await?
        .iter()
        .map(|f| FollowupView {
            kind: f.kind,
            state: f.state,
            post_id: f.child_post_id.clone(),
            value: f.last_value,
            summary: summary(f, tz),
        })
        .collect();
    let Some(f) = state.store.followup_by_child(&post.id).await? else {
        return Ok((mine, None));
    };
    let excerpt = match state.store.planned_post(&f.parent_post_id).await? {
        Some(parent) => super::service::open(state, &parent)
            .await?
            .parts
            .first()
            .map(|p| excerpt(&p.text))
            .unwrap_or_default(),
        None => String::new(),
    };
    let what = match f.kind {
        Kind::FirstReply => "First reply to",
        Kind::AutoPlug => "Auto-plug of",
    };
    let of = FollowupOf {
        kind: f.kind,
        parent_post_id: f.parent_post_id.clone(),
        label: format!("{what} \u{201c}{excerpt}\u{201d}"),
    };
    Ok((mine, Some(of)))
}

fn excerpt(text: &str) -> String {
    const MAX: usize = 40;
    let line = text.lines().next().unwrap_or_default().trim();
    if line.chars().count() <= MAX {
        line.to_owned()
    } else {
        format!(
            "{}\u{2026}",
            line.chars().take(MAX).collect::<String>().trim_end()
        )
    }
}

/// How a follow-up stands, in words for the post page and the API.
pub fn summary(f: &FollowupRecord, tz: chrono_tz::Tz) -> String {
    let count = |n: i64, metric: Option<Metric>| {
        let noun = metric.unwrap_or_default().as_str();
        format!("{} {}", format::integer(n), noun)
    };
    match (f.kind, f.state) {
        (Kind::FirstReply, _) => "First reply planned when the post was published.".into(),
        (Kind::AutoPlug, FollowupState::Watching) => format!(
            "Auto-plug waiting for {} until {}{}.",
            count(f.threshold.unwrap_or(0), f.metric),
            format::datetime(f.window_ends_at.unwrap_or(0), tz),
            f.last_value
                .map(|v| format!(" (last seen: {})", format::integer(v)))
                .unwrap_or_default()
        ),
        (Kind::AutoPlug, FollowupState::Sent) => format!(
            "Auto-plug sent at {}.",
            count(f.last_value.unwrap_or(0), f.metric)
        ),
        (Kind::AutoPlug, FollowupState::Missed) => format!(
            "Auto-plug not sent: {} of {} {} in {} h.",
            format::integer(f.last_value.unwrap_or(0)),
            format::integer(f.threshold.unwrap_or(0)),
            f.metric.unwrap_or_default().as_str(),
            f.window_hours.unwrap_or(0)
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn problems(c: &Composition) -> Vec<String> {
        let mut out = Vec::new();
        preflight(c, &mut |field, _| out.push(field));
        out
    }

    #[test]
    fn follow_ups_are_checked_like_any_post() {
        let c = Composition {
            first_reply: Some(FirstReply {
                text: "x".repeat(501),
                delay_minutes: MAX_DELAY_MINUTES + 1,
            }),
            auto_plug: Some(AutoPlug {
                metric: Metric::Views,
                threshold: 0,
                window_hours: 0,
                text: String::new(),
            }),
            ..Composition::default()
        };
        assert_eq!(
            problems(&c),
            [
                "first_reply.text",
                "first_reply.delay_minutes",
                "auto_plug.text",
                "auto_plug.threshold",
                "auto_plug.window_hours"
            ]
        );
        let fine = Composition {
            first_reply: Some(FirstReply {
                text: "More in the comments".into(),
                delay_minutes: MAX_DELAY_MINUTES,
            }),
            auto_plug: Some(AutoPlug {
                metric: Metric::Likes,
                threshold: 1000,
                window_hours: 24,
                text: "Liked it? My newsletter: https://example.com".into(),
            }),
            ..Composition::default()
        };
        assert!(problems(&fine).is_empty());
    }

    #[test]
    fn an_unmet_auto_plug_says_how_far_it_got() {
        let f = FollowupRecord {
            kind: Kind::AutoPlug,
            state: FollowupState::Missed,
            metric: Some(Metric::Likes),
            threshold: Some(1000),
            window_hours: Some(24),
            last_value: Some(312),
            parent_post_id: PostId::new("p-1"),
            user_id: WorkspaceId::new("w-1"),
            profile_id: ProfileId::new("pr-1"),
            parent_media_id: MediaId::new("m-1"),
            window_ends_at: None,
            next_check_at: None,
            text_enc: Vec::new(),
            last_checked_at: None,
            child_post_id: None,
            decided_at: None,
            created_at: 0,
        };
        assert_eq!(
            summary(&f, chrono_tz::Tz::UTC),
            "Auto-plug not sent: 312 of 1,000 likes in 24 h."
        );
        let sent = FollowupRecord {
            state: FollowupState::Sent,
            last_value: Some(1204),
            ..f
        };
        assert_eq!(
            summary(&sent, chrono_tz::Tz::UTC),
            "Auto-plug sent at 1,204 likes."
        );
    }
}
