//! The composer form: new posts and edits, re-rendered with every problem beside its field.

use axum::extract::{Path, Query, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

use super::super::view::{Chrome, Problems, ProfileChoice};
use crate::domain::{MediaId, PostId};
use crate::http::error::{AppError, AppResult};
use crate::http::session::{AuthUser, PageUser};
use crate::http::state::WebState;
use crate::publishing::compose::{Composition, MediaItem, Part};
use crate::publishing::followups::{AutoPlug, FirstReply, Metric};
use crate::publishing::service::{self, PostInput, user_zone};
use crate::publishing::{UploadId, media, suggest, when};

#[path = "publishing_submission.rs"]
mod submission;
use submission::Submission;

/// Parts the form offers (the API accepts up to 20).
const FORM_PARTS: usize = 4;
/// Suggested times the form lists.
const SUGGESTIONS: usize = 5;
/// The submit button that lists suggested times for the chosen profile instead of saving.
const SUGGEST: &str = "suggest";

/// The composer's fields, as posted and as shown again.
#[derive(Deserialize, Serialize, Default, Clone)]
#[serde(default)]
pub(super) struct ComposeForm {
    csrf: String,
    profile_id: String,
    text: String,
    text2: String,
    text3: String,
    text4: String,
    media: String,
    alt_text: String,
    link_attachment: String,
    poll: String,
    topic_tag: String,
    reply_control: String,
    quote_post_id: String,
    reply_to_id: String,
    /// First reply: its text and delay in minutes.
    first_reply_text: String,
    first_reply_delay: String,
    /// Auto-plug: metric, threshold, window in hours and text; "on" leaves out the default.
    auto_plug_metric: String,
    auto_plug_threshold: String,
    auto_plug_window: String,
    auto_plug_text: String,
    no_auto_plug: String,
    local_time: String,
    /// A suggested time picked from the list (empty: the `local_time` field counts).
    suggested_time: String,
    action: String,
}

/// A whole number typed in a field; blank gives `blank`, anything else unreadable -1, which the
/// preflight names beside the field (the typed text stays in the form).
pub(super) fn number_or_invalid(s: &str, blank: i64) -> i64 {
    match s.trim() {
        "" => blank,
        t => t.replace([',', ' '], "").parse().unwrap_or(-1),
    }
}

fn non_empty(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_owned())
}

impl ComposeForm {
    /// The attached uploads' ids (the `media` field holds them comma-separated).
    fn media_ids(&self) -> Vec<UploadId> {
        self.media
            .split(',')
            .filter_map(non_empty)
            .map(UploadId::from)
            .collect()
    }

    /// Attaches more uploads after those already attached.
    fn attach(&mut self, ids: Vec<UploadId>) {
        let mut all = self.media_ids();
        all.extend(ids);
        self.media = all
            .iter()
            .map(UploadId::as_str)
            .collect::<Vec<_>>()
            .join(",");
    }

    fn composition(&self) -> Composition {
        let media: Vec<MediaItem> = self
            .media_ids()
            .into_iter()
            .map(|id| MediaItem {
                id,
                alt_text: non_empty(&self.alt_text),
            })
            .collect();
        let options: Vec<String> = self.poll.lines().filter_map(non_empty).collect();
        let mut parts = vec![Part {
            text: self.text.clone(),
            media,
            link_attachment: non_empty(&self.link_attachment),
            poll_options: (!options.is_empty()).then_some(options),
        }];
        for extra in [&self.text2, &self.text3, &self.text4] {
            if !extra.trim().is_empty() {
                parts.push(Part {
                    text: extra.clone(),
                    ..Part::default()
                });
            }
        }
        Composition {
            parts,
            reply_control: non_empty(&self.reply_control),
            topic_tag: non_empty(&self.topic_tag),
            quote_post_id: non_empty(&self.quote_post_id).map(MediaId::from),
            reply_to_id: non_empty(&self.reply_to_id).map(MediaId::from),
            first_reply: non_empty(&self.first_reply_text).map(|text| FirstReply {
                text,
                delay_minutes: number_or_invalid(&self.first_reply_delay, 0),
            }),
            auto_plug: non_empty(&self.auto_plug_text).map(|text| AutoPlug {
                metric: Metric::parse(&self.auto_plug_metric).unwrap_or_default(),
                threshold: number_or_invalid(&self.auto_plug_threshold, 0),
                window_hours: number_or_invalid(&self.auto_plug_window, 24),
                text,
            }),
            no_auto_plug: !self.no_auto_plug.is_empty(),
        }
    }

    fn from_post(profile_id: &str, c: &Composition, local_time: Option<String>) -> Self {
        let part = |i: usize| c.parts.get(i).map(|p| p.text.clone()).unwrap_or_default();
        let first = c.parts.first().cloned().unwrap_or_default();
        ComposeForm {
            profile_id: profile_id.to_owned(),
            text: part(0),
            text2: part(1),
            text3: part(2),
            text4: part(3),
            media: first
                .media
                .iter()
                .map(|m| m.id.as_str())
                .collect::<Vec<_>>()
                .join(","),
            alt_text: first
                .media
                .first()
                .and_then(|m| m.alt_text.clone())
                .unwrap_or_default(),
            link_attachment: first.link_attachment.unwrap_or_default(),
            poll: first.poll_options.unwrap_or_default().join("\n"),
            topic_tag: c.topic_tag.clone().unwrap_or_default(),
            reply_control: c.reply_control.clone().unwrap_or_default(),
            quote_post_id: c.quote_post_id.as_deref().unwrap_or_default().to_owned(),
            reply_to_id: c.reply_to_id.as_deref().unwrap_or_default().to_owned(),
            first_reply_text: c
                .first_reply
                .as_ref()
                .map(|f| f.text.clone())
                .unwrap_or_default(),
            first_reply_delay: c
                .first_reply
                .as_ref()
                .map(|f| f.delay_minutes.to_string())
                .unwrap_or_default(),
            auto_plug_metric: c
                .auto_plug
                .as_ref()
                .map(|a| a.metric.as_str().to_owned())
                .unwrap_or_default(),
            auto_plug_threshold: c
                .auto_plug
                .as_ref()
                .map(|a| a.threshold.to_string())
                .unwrap_or_default(),
            auto_plug_window: c
                .auto_plug
                .as_ref()
                .map(|a| a.window_hours.to_string())
                .unwrap_or_default(),
            auto_plug_text: c
                .auto_plug
                .as_ref()
                .map(|a| a.text.clone())
                .unwrap_or_default(),
            no_auto_plug: if c.no_auto_plug {
                "on".into()
            } else {
                String::new()
            },
            local_time: local_time.unwrap_or_default(),
            ..ComposeForm::default()
        }
    }

    fn input(&self) -> PostInput {
        PostInput {
            profile_id: self.profile_id.clone().into(),
            content: self.composition(),
            action: non_empty(&self.action),
            local_time: non_empty(&self.suggested_time).or_else(|| non_empty(&self.local_time)),
        }
    }
}

/// `publishing/compose.html`: the composer, new or editing a post.
#[derive(Serialize)]
struct ComposeView<'a> {
    #[serde(flatten)]
    chrome: Chrome<'a>,
    form: &'a ComposeForm,
    media_count: usize,
    media: Vec<AttachedMedia>,
    media_summary: String,
    profiles: Vec<ProfileChoice>,
    post_id: Option<&'a PostId>,
    timezone: &'static str,
    suggestions: Option<SuggestedTimes>,
    now_value: String,
    extra_parts: [(&'static str, &'a str); 3],
    form_parts: usize,
    #[serde(flatten)]
    problems: Problems,
}

/// Suggested times for the profile shown.
#[derive(Serialize)]
struct SuggestedTimes {
    username: String,
    list: suggest::Suggestions,
}

/// An attached upload, with the address the preview shows it from.
#[derive(Serialize)]
struct AttachedMedia {
    id: String,
    kind: media::MediaKind,
    file_name: String,
    url: String,
}

async fn render(
    state: &WebState,
    auth: &AuthUser,
    status: StatusCode,
    form: &ComposeForm,
    post_id: Option<&PostId>,
    problems: Problems,
) -> AppResult<Response> {
    let mut profiles = Vec::new();
    let mut shown = None;
    for p in crate::services::profiles::list(state, auth).await? {
        let selected = p.id == form.profile_id;
        if selected || shown.is_none() {
            shown = Some((p.id.clone(), p.username.clone()));
        }
        profiles.push(ProfileChoice {
            id: p.id.into(),
            username: p.username,
            selected,
        });
    }
    let suggestions = match shown {
        Some((id, username)) => Some(SuggestedTimes {
            list: suggest::suggested_times(state, auth, &id, SUGGESTIONS).await?,
            username,
        }),
        None => None,
    };
    let tz = user_zone(auth);
    let attached = attached_media(state, auth, form).await?;
    let html = state.templates.render(
        "publishing/compose.html",
        &ComposeView {
            chrome: Chrome::new(state, auth, "schedule"),
            form,
            media_count: form.media_ids().len(),
            media_summary: media_summary(&attached),
            media: attached,
            profiles,
            post_id,
            timezone: tz.name(),
            suggestions,
            now_value: when::local_value(crate::clock::now() + chrono::Duration::hours(1), tz),
            extra_parts: [
                ("text2", &form.text2),
                ("text3", &form.text3),
                ("text4", &form.text4),
            ],
            form_parts: FORM_PARTS,
            problems,
        },
    )?;
    Ok((status, html).into_response())
}

/// The attached uploads in carousel order, with the address the preview shows them from.
async fn attached_media(
    state: &WebState,
    auth: &AuthUser,
    form: &ComposeForm,
) -> AppResult<Vec<AttachedMedia>> {
    let mut out = Vec::new();
    for id in form.media_ids() {
        if let Some(u) = media::get(state, auth.workspace_id(), &id).await? {
            out.push(AttachedMedia {
                url: format!("/app/schedule/media/{}", u.id),
                id: u.id.into(),
                kind: u.kind,
                file_name: u.file_name,
            });
        }
    }
    Ok(out)
}

/// `1 image`, `2 images`: a count with its noun in the right number.
pub(super) fn count_of(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// What is attached, in words: "No files attached.", "1 image attached.", "2 images and
/// 1 video attached (a carousel)."
fn media_summary(attached: &[AttachedMedia]) -> String {
    let images = attached
        .iter()
        .filter(|m| m.kind == media::MediaKind::Image)
        .count();
    let videos = attached.len() - images;
    let mut said = Vec::new();
    if images > 0 {
        said.push(count_of(images, "image", "images"));
    }
    if videos > 0 {
        said.push(count_of(videos, "video", "videos"));
    }
    match attached.len() {
        0 => "No files attached.".to_owned(),
        1 => format!("{} attached.", said.join(" and ")),
        _ => format!("{} attached (a carousel).", said.join(" and ")),
    }
}

/// One of the user's uploads, for the composer's preview; anyone else's is a plain 404.
pub(super) async fn own_media(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Path(id): Path<crate::publishing::UploadId>,
) -> AppResult<Response> {
    match media::open_own(&state, auth.workspace_id(), &id).await? {
        Some(hosted) => Ok(super::stream_upload(hosted, "private, max-age=3600")),
        None => Err(AppError::NotFound),
    }
}

/// Maps field keys of the preflight to the form's field names.
fn form_fields(fields: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for (key, message) in fields {
        let name = match key.as_str() {
            "parts[0].text" | "parts" => "text",
            "parts[1].text" => "text2",
            "parts[2].text" => "text3",
            "parts[3].text" => "text4",
            k if k.starts_with("parts[0].media") => "media",
            "parts[0].poll_options" => "poll",
            "parts[0].link_attachment" => "link_attachment",
            "first_reply.text" => "first_reply_text",
            "first_reply.delay_minutes" => "first_reply_delay",
            "auto_plug.text" => "auto_plug_text",
            "auto_plug.threshold" => "auto_plug_threshold",
            "auto_plug.window_hours" => "auto_plug_window",
            other => other,
        };
        out.entry(name.to_owned())
            .or_insert_with(|| message.clone());
    }
    out
}

/// What a link into the composer may fill in: `?profile_id=..&reply_to_id=..` opens it as a
/// reply to a post (from the inbox or a listening match), `text` starts the text.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(super) struct Prefill {
    profile_id: String,
    reply_to_id: String,
    text: String,
}

pub(super) async fn new_form(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Query(prefill): Query<Prefill>,
) -> AppResult<Response> {
    let form = ComposeForm {
        profile_id: prefill.profile_id,
        reply_to_id: prefill.reply_to_id,
        text: prefill.text,
        ..ComposeForm::default()
    };
    render(
        &state,
        &auth,
        StatusCode::OK,
        &form,
        None,
        Problems::default(),
    )
    .await
}

pub(super) async fn edit_form(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Path(id): Path<crate::domain::PostId>,
) -> AppResult<Response> {
    let record = service::owned(&state, &auth, &id).await?;
    let content = service::open(&state, &record).await?;
    let form = ComposeForm::from_post(&record.profile_id, &content, record.local_time.clone());
    render(
        &state,
        &auth,
        StatusCode::OK,
        &form,
        Some(&id),
        Problems::default(),
    )
    .await
}

async fn outcome(
    state: &WebState,
    auth: &AuthUser,
    form: &ComposeForm,
    post_id: Option<&PostId>,
    result: AppResult<service::PostView>,
) -> AppResult<Response> {
    match result {
        Ok(view) => Ok(Redirect::to(&format!("/app/schedule/posts/{}", view.id)).into_response()),
        Err(AppError::Validation { message, fields }) => {
            let extra = Problems::fields(message, form_fields(&fields));
            render(
                state,
                auth,
                StatusCode::UNPROCESSABLE_ENTITY,
                form,
                post_id,
                extra,
            )
            .await
        }
        Err(AppError::Conflict(message)) => {
            render(
                state,
                auth,
                StatusCode::CONFLICT,
                form,
                post_id,
                Problems::message(message),
            )
            .await
        }
        Err(other) => Err(other),
    }
}

/// Saves a submitted form (a new post when `post_id` is None), or shows it again with the
/// problems beside their fields. A refused file is one of those problems: the files that were
/// accepted stay attached and nothing typed is lost.
async fn submit(
    state: &WebState,
    auth: &AuthUser,
    request: Request,
    post_id: Option<&PostId>,
) -> AppResult<Response> {
    let Submission { form, refused } = submission::read(state, auth, request).await?;
    if !refused.is_empty() {
        let problem = AppError::Validation {
            message: "A file could not be attached; nothing was saved yet.".into(),
            fields: [("media".to_owned(), refused.join(" "))].into(),
        };
        return outcome(state, auth, &form, post_id, Err(problem)).await;
    }
    if form.action == SUGGEST {
        return render(
            state,
            auth,
            StatusCode::OK,
            &form,
            post_id,
            Problems::default(),
        )
        .await;
    }
    let result = match post_id {
        None => service::create(state, auth, form.input()).await,
        Some(id) => service::update(state, auth, id, form.input()).await,
    };
    outcome(state, auth, &form, post_id, result).await
}

pub(super) async fn create(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    request: Request,
) -> AppResult<Response> {
    submit(&state, &auth, request, None).await
}

pub(super) async fn update(
    State(state): State<WebState>,
    PageUser(auth): PageUser,
    Path(id): Path<crate::domain::PostId>,
    request: Request,
) -> AppResult<Response> {
    submit(&state, &auth, request, Some(&id)).await
}
