//! The readable side of the export for what the user wrote or asked for: planned posts (drafts
//! and scheduled), audit reports and experiments opened with the user's data key as the app
//! opens them, and the user's support tickets and chats with every message.

use serde_json::{Value, json};

use crate::app::AppState;
use crate::crypto::DataKey;
use crate::domain::{UserId, WorkspaceId};
use crate::support::AttachmentId;

/// Opens a sealed JSON (or text) value; `null` when there is no key or it does not open.
fn open(key: Option<&DataKey>, purpose: &str, subject: &str, sealed: Option<&[u8]>) -> Value {
    let Some(text) = key
        .zip(sealed)
        .and_then(|(k, s)| k.open_string(purpose, subject, s).ok())
    else {
        return Value::Null;
    };
    serde_json::from_str(&text).unwrap_or(Value::String(text))
}

/// Everything readable, as one JSON document: what `user_id` wrote or asked for, and their own
/// workspace's content.
pub async fn content(
    state: &AppState,
    user_id: &UserId,
    key: Option<&DataKey>,
) -> anyhow::Result<Value> {
    let workspace_id = &WorkspaceId::owned_by(user_id);
    Ok(json!({
        "planned_posts": planned_posts(state, workspace_id, key).await?,
        "recurring_series": recurring_series(state, workspace_id, key).await?,
        "feeds": feeds(state, workspace_id).await?,
        "evergreen": evergreen(state, workspace_id, key).await?,
        "competitors": crate::competitors::export(state, workspace_id).await?,
        "listening": crate::listening::export(state, workspace_id).await?,
        "follow_ups": follow_ups(state, workspace_id, key).await?,
        "auto_plug_defaults": auto_plug_defaults(state, workspace_id, key).await?,
        "audits": audits(state, workspace_id, key).await?,
        "experiments": experiments(state, workspace_id, key).await?,
        "support_conversations": support(state, user_id).await?,
        "inbox": crate::inbox::export(state, workspace_id, key).await?,
        "webhooks": crate::webhooks::export(state, workspace_id, key).await?,
        "post_reviews": crate::publishing::approvals::export(state, workspace_id).await?,
    }))
}

async fn planned_posts(
    state: &AppState,
    workspace_id: &WorkspaceId,
    key: Option<&DataKey>,
) -> anyhow::Result<Vec<Value>> {
    let rows = state.store.export_planned_posts(workspace_id).await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, profile_id, post_state, sealed, scheduled_at, permalink)| {
                let content = open(key, crate::publishing::PURPOSE, &id, sealed.as_deref());
                json!({"id": id, "profile_id": profile_id, "state": post_state,
                "scheduled_at": scheduled_at, "permalink": permalink, "content": content})
            },
        )
        .collect())
}

async fn recurring_series(
    state: &AppState,
    workspace_id: &WorkspaceId,
    key: Option<&DataKey>,
) -> anyhow::Result<Vec<Value>> {
    let rows = state.store.export_recurring_series(workspace_id).await?;
    let purpose = crate::publishing::recurring::PURPOSE;
    Ok(rows
        .into_iter()
        .map(|(id, profile_id, series_state, sealed)| {
            let content = open(key, purpose, &id, Some(&sealed));
            json!({"id": id, "profile_id": profile_id, "state": series_state, "content": content})
        })
        .collect())
}

/// An evergreen item with its variations opened, and its re-shares (ids and results).
async fn evergreen(
    state: &AppState,
    workspace_id: &WorkspaceId,
    key: Option<&DataKey>,
) -> anyhow::Result<Vec<Value>> {
    let items = state.store.evergreen_items(Some(workspace_id)).await?;
    let purpose = crate::publishing::evergreen::PURPOSE;
    let mut out = Vec::with_capacity(items.len());
    for i in items {
        let reshares: Vec<Value> = state
            .store
            .evergreen_reshares(&i.id)
            .await?
            .into_iter()
            .map(|r| {
                json!({"number": r.seq, "post_id": r.post_id, "variation": r.variation + 1,
                "views": r.views, "engagement": r.engagement, "verdict": r.verdict})
            })
            .collect();
        let variations = open(key, purpose, &i.id, Some(&i.variations_enc));
        out.push(
            json!({"id": i.id, "profile_id": i.profile_id, "source_media_id": i.source_media_id,
            "state": i.state.as_str(), "variations": variations, "retired_reason": i.retired_reason,
            "reshares": reshares}),
        );
    }
    Ok(out)
}

/// First replies and auto-plugs of the user's posts, with their texts opened.
async fn follow_ups(
    state: &AppState,
    workspace_id: &WorkspaceId,
    key: Option<&DataKey>,
) -> anyhow::Result<Vec<Value>> {
    use crate::publishing::followups::store::text_subject;
    let rows = state.store.followups_of_user(workspace_id).await?;
    Ok(rows
        .into_iter()
        .map(|f| {
            let subject = text_subject(&f.parent_post_id, f.kind);
            let text = open(key, crate::publishing::PURPOSE, &subject, Some(&f.text_enc));
            json!({"post_id": f.parent_post_id, "kind": f.kind, "state": f.state,
                "metric": f.metric, "threshold": f.threshold, "window_hours": f.window_hours,
                "last_value": f.last_value, "reply_post_id": f.child_post_id, "text": text})
        })
        .collect())
}

/// Each profile's default auto-plug.
async fn auto_plug_defaults(
    state: &AppState,
    workspace_id: &WorkspaceId,
    key: Option<&DataKey>,
) -> anyhow::Result<Vec<Value>> {
    use crate::publishing::followups::store::default_subject;
    let rows = state.store.autoplug_defaults_of(workspace_id).await?;
    Ok(rows
        .into_iter()
        .map(|(profile_id, sealed)| {
            let subject = default_subject(&profile_id);
            let rule = open(key, crate::publishing::PURPOSE, &subject, Some(&sealed));
            json!({"profile_id": profile_id, "rule": rule})
        })
        .collect())
}

async fn feeds(state: &AppState, workspace_id: &WorkspaceId) -> anyhow::Result<Vec<Value>> {
    let rows = state.store.export_feeds(workspace_id).await?;
    let items = state.store.export_feed_items(workspace_id).await?;
    Ok(rows
        .into_iter()
        .map(|(id, profile_id, url, last_polled_at, last_error)| {
            let drafted: Vec<Value> = items
                .iter()
                .filter(|(feed, ..)| *feed == id)
                .map(|(_, key, title, post_id)| json!({"item": key, "title": title, "post_id": post_id}))
                .collect();
            json!({"id": id, "profile_id": profile_id, "url": url, "last_polled_at": last_polled_at, "last_error": last_error, "items": drafted})
        })
        .collect())
}

async fn audits(
    state: &AppState,
    workspace_id: &WorkspaceId,
    key: Option<&DataKey>,
) -> anyhow::Result<Vec<Value>> {
    let rows = state.store.export_audits(workspace_id).await?;
    Ok(rows
        .into_iter()
        .map(|(id, profile_id, status, score, sealed, created_at)| {
            let report = open(key, crate::strategy::AUDIT_PURPOSE, &id, sealed.as_deref());
            json!({"id": id, "profile_id": profile_id, "status": status, "score": score,
                "created_at": created_at, "report": report})
        })
        .collect())
}

async fn experiments(
    state: &AppState,
    workspace_id: &WorkspaceId,
    key: Option<&DataKey>,
) -> anyhow::Result<Vec<Value>> {
    let rows = state.store.export_experiments(workspace_id).await?;
    let purpose = crate::strategy::EXPERIMENT_PURPOSE;
    Ok(rows
        .into_iter()
        .map(|(id, profile_id, status, spec, result)| {
            let spec = open(key, purpose, &id, Some(&spec));
            let result = open(key, purpose, &format!("{id}/result"), result.as_deref());
            json!({"id": id, "profile_id": profile_id, "status": status, "spec": spec, "result": result})
        })
        .collect())
}

/// The user's tickets and chats, each with its messages (internal staff notes left out: they
/// are the team's working notes, not the user's data).
async fn support(state: &AppState, user_id: &UserId) -> anyhow::Result<Vec<Value>> {
    let conversations = state.store.export_support_conversations(user_id).await?;
    let mut out = Vec::new();
    for (id, kind, category, subject, status, created_at) in conversations {
        let messages = state.store.export_support_lines(&id).await?;
        let messages: Vec<Value> = messages
            .into_iter()
            .map(|(author, body, at, image_id, image_name)| {
                let image = image_id
                    .zip(image_name)
                    .map(|(id, name)| support_image_path(&id, &name));
                json!({"author": author, "body": body, "created_at": at, "image": image})
            })
            .collect();
        out.push(
            json!({"id": id, "kind": kind, "category": category, "subject": subject,
            "status": status, "created_at": created_at, "messages": messages}),
        );
    }
    Ok(out)
}

/// Where a support image sits in the archive.
pub fn support_image_path(id: &AttachmentId, file_name: &str) -> String {
    format!("support-images/{id}-{file_name}")
}
