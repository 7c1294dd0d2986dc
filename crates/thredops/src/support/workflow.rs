//! The agents' workflow: status and snoozes, assignment, canned responses and inbox filters.

use super::desk::{VISITOR_TTL_SECS, is_agent, publish_conversation};
use super::model::{Kind, MessageText, Status};
use super::store::Conversation;
use crate::app::AppState;
use crate::clock::now_unix;
use crate::domain::{ConversationId, UserId};
use crate::error::{AppError, AppResult};
use crate::store::users::UserRecord;

/// Changes a conversation's status. Snoozing takes an end time, or none for "until the
/// customer writes".
pub async fn set_status(
    state: &AppState,
    conversation_id: &ConversationId,
    status: &str,
    snooze_until: Option<i64>,
) -> AppResult<Conversation> {
    let status = Status::parse(status).ok_or_else(|| {
        AppError::field("status", "Choose one of: open, pending, snoozed, resolved.")
    })?;
    let now = now_unix();
    let until = match (status, snooze_until) {
        (Status::Snoozed, Some(t)) if t <= now => {
            return Err(AppError::field(
                "snooze_until",
                "The snooze must end in the future.",
            ));
        }
        (Status::Snoozed, Some(t)) if t > now + VISITOR_TTL_SECS => {
            return Err(AppError::field(
                "snooze_until",
                "Snooze for at most a year.",
            ));
        }
        (Status::Snoozed, t) => t,
        (_, Some(_)) => {
            return Err(AppError::field(
                "snooze_until",
                "Only a snoozed conversation has a snooze end.",
            ));
        }
        (_, None) => None,
    };
    if !state
        .store
        .support_set_status(conversation_id, status, until, now)
        .await?
    {
        return Err(AppError::NotFound);
    }
    let c = state
        .store
        .support_conversation(conversation_id)
        .await?
        .ok_or(AppError::NotFound)?;
    publish_conversation(state, &c).await;
    Ok(c)
}

/// Assigns a conversation to an agent, or unassigns it with `None`.
pub async fn assign(
    state: &AppState,
    conversation_id: &ConversationId,
    agent_id: Option<&UserId>,
) -> AppResult<Conversation> {
    if let Some(agent) = agent_id {
        let ok = state
            .store
            .user_by_id(agent)
            .await?
            .is_some_and(|u| is_agent(&u));
        if !ok {
            return Err(AppError::field("agent_id", "That is not a support agent."));
        }
    }
    if !state
        .store
        .support_set_assignee(conversation_id, agent_id, now_unix())
        .await?
    {
        return Err(AppError::NotFound);
    }
    let c = state
        .store
        .support_conversation(conversation_id)
        .await?
        .ok_or(AppError::NotFound)?;
    publish_conversation(state, &c).await;
    Ok(c)
}

/// Reopens snoozed conversations whose time has come and tells the agents.
pub async fn wake_snoozed(state: &AppState) -> AppResult<usize> {
    let woken = state.store.support_wake_snoozed(now_unix()).await?;
    for id in &woken {
        if let Some(c) = state.store.support_conversation(id).await? {
            publish_conversation(state, &c).await;
        }
    }
    Ok(woken.len())
}

/// Adds a canned response; the shortcut is a short word of letters, digits, `-` or `_`.
pub async fn add_canned(
    state: &AppState,
    agent: &UserRecord,
    shortcut: &str,
    body: &str,
) -> AppResult<super::store::desk::Canned> {
    let shortcut = shortcut.trim().trim_start_matches('/');
    let valid = !shortcut.is_empty()
        && shortcut.len() <= 32
        && shortcut
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if !valid {
        return Err(AppError::field(
            "shortcut",
            "Use up to 32 letters, digits, - or _ (typed after a /).",
        ));
    }
    let text = MessageText::parse(body).map_err(|m| AppError::field("body", m))?;
    let id = super::CannedId::new(uuid::Uuid::new_v4().to_string());
    match state
        .store
        .support_add_canned(&id, shortcut, text.as_str(), &agent.id, now_unix())
        .await
    {
        Err(crate::store::StoreError::Conflict) => {
            return Err(AppError::field(
                "shortcut",
                format!("/{shortcut} already exists."),
            ));
        }
        other => other?,
    }
    Ok(super::store::desk::Canned {
        id,
        shortcut: shortcut.to_owned(),
        body: text.as_str().to_owned(),
    })
}

/// Parses the inbox filters shared by the API and the console page.
pub fn parse_filter(
    agent_id: &UserId,
    status: Option<&str>,
    kind: Option<&str>,
    category: Option<&str>,
    assignee: Option<&str>,
    search: Option<&str>,
) -> AppResult<super::store::desk::InboxFilter> {
    fn some(v: Option<&str>) -> Option<&str> {
        v.map(str::trim).filter(|v| !v.is_empty() && *v != "any")
    }
    let status = some(status)
        .map(|s| {
            crate::support::model::Status::parse(s)
                .ok_or_else(|| AppError::field("status", "Use open, pending, snoozed or resolved."))
        })
        .transpose()?;
    let kind = some(kind)
        .map(|k| Kind::parse(k).ok_or_else(|| AppError::field("kind", "Use chat or ticket.")))
        .transpose()?;
    let category = some(category)
        .map(|c| {
            crate::support::model::Category::parse(c)
                .ok_or_else(|| AppError::field("category", "Unknown category."))
        })
        .transpose()?;
    let assignee = some(assignee).map(|a| match a {
        "me" => agent_id.to_string(),
        "none" => String::new(),
        other => other.to_owned(),
    });
    let search = search.map(str::trim).filter(|s| !s.is_empty());
    if search.is_some_and(|s| s.chars().count() > 100) {
        return Err(AppError::field("q", "Search for at most 100 characters."));
    }
    Ok(super::store::desk::InboxFilter {
        status,
        kind,
        category,
        assignee,
        search: search.map(str::to_owned),
    })
}

/// Turns a chat into a ticket (e.g. something that needs a follow-up later): it keeps its
/// messages and moves to the customer's tickets; their next chat starts afresh.
pub async fn chat_to_ticket(
    state: &AppState,
    conversation_id: &ConversationId,
    category: &str,
    subject: &str,
) -> AppResult<Conversation> {
    let category = crate::support::model::Category::parse(category)
        .ok_or_else(|| AppError::field("category", "Choose a category."))?;
    let subject = subject.trim();
    if subject.is_empty() || subject.chars().count() > super::tickets::MAX_SUBJECT_CHARS {
        return Err(AppError::field(
            "subject",
            "Give the ticket a subject of at most 150 characters.",
        ));
    }
    if !state
        .store
        .support_chat_to_ticket(conversation_id, category.as_str(), subject, now_unix())
        .await?
    {
        return Err(AppError::Conflict(
            "Only a chat can become a ticket.".into(),
        ));
    }
    super::desk::post_system(
        state,
        conversation_id,
        &format!("This chat is now a ticket: \"{subject}\". We follow up on it here and by email."),
    )
    .await?;
    let c = state
        .store
        .support_conversation(conversation_id)
        .await?
        .ok_or(AppError::NotFound)?;
    // A chat that turns out to be a deletion request starts that workflow like a new ticket.
    if category == crate::support::model::Category::DataDeletion
        && let Some(user) = match &c.user_id {
            Some(id) => state.store.user_by_id(id).await?,
            None => None,
        }
    {
        crate::privacy::ticket_requests::start(state, &user.id, &user.email, &c.id).await?;
    }
    publish_conversation(state, &c).await;
    Ok(c)
}

/// Sets the name an agent shows customers (1-40 characters, no `@`: it must not look like an
/// address); an empty name goes back to the email's local part.
pub async fn set_display_name(state: &AppState, agent: &UserRecord, name: &str) -> AppResult<()> {
    let name = name.trim();
    if name.chars().count() > 40 || name.contains('@') || name.chars().any(char::is_control) {
        return Err(AppError::field(
            "display_name",
            "Use at most 40 characters, without @.",
        ));
    }
    let name = Some(name).filter(|n| !n.is_empty());
    state
        .store
        .support_set_display_name(&agent.id, name)
        .await?;
    Ok(())
}
