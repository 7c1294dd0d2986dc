//! Background work: emailing agent replies a customer has not read in the app, reopening
//! snoozed conversations and forgetting long-idle visitors.

use serde::Deserialize;

use super::kind;
use super::{desk, workflow};
use crate::app::AppState;
use crate::clock::now_unix;
use crate::domain::ConversationId;
use crate::jobs::{self, JobContext, JobError, Runner, handler_fn};
use crate::mail::Email;

/// Housekeeping runs this often; it bounds how late a snooze may end.
const HOUSEKEEPING_EVERY_MS: i64 = 60 * 1000;

/// Registers the handlers and makes sure the recurring housekeeping job exists.
pub fn register(runner: Runner, state: &AppState) -> Runner {
    let s1 = state.clone();
    let s2 = state.clone();
    let s3 = state.clone();
    runner
        .recurring(kind::HOUSEKEEPING, std::time::Duration::ZERO)
        .register(
            kind::NOTIFY_TEAM,
            handler_fn(move |ctx| notify_team(s3.clone(), ctx)),
        )
        .register(
            kind::EMAIL_REPLY,
            handler_fn(move |ctx| email_reply(s1.clone(), ctx)),
        )
        .register(
            kind::HOUSEKEEPING,
            handler_fn(move |ctx| housekeeping(s2.clone(), ctx)),
        )
}

#[derive(Deserialize)]
struct Payload {
    conversation_id: ConversationId,
}

/// Messages written within this time of each other while nobody is online make one email.
pub const NOTIFY_TEAM_AFTER_MS: i64 = 60 * 1000;

/// Schedules one email to the team about `conversation_id` (messages arriving before it goes
/// out join it: the job is deduplicated per conversation).
pub async fn notify_team_later(
    state: &AppState,
    conversation_id: &ConversationId,
) -> crate::error::AppResult<()> {
    let job = jobs::NewJob::new(
        kind::NOTIFY_TEAM,
        serde_json::json!({"conversation_id": conversation_id}),
    )
    .run_at(crate::clock::now_ms() + NOTIFY_TEAM_AFTER_MS)
    .dedup_key(format!("{}:{conversation_id}", kind::NOTIFY_TEAM))
    .subject(conversation_id.as_str());
    state.jobs.enqueue(job).await?;
    Ok(())
}

/// Emails every support agent (or the operator's contact address when there is none) that a
/// customer wrote while nobody was online, unless an agent has read it meanwhile.
async fn notify_team(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    let payload: Payload = ctx.payload_as()?;
    let store_err = |e: crate::store::StoreError| JobError::retry(format!("store: {e}"));
    let Some(conv) = state
        .store
        .support_conversation(&payload.conversation_id)
        .await
        .map_err(store_err)?
    else {
        return Ok(());
    };
    let unread = state
        .store
        .support_customer_lines_after(&conv.id, conv.agent_last_read)
        .await
        .map_err(store_err)?;
    if unread == 0 {
        return Ok(()); // An agent came online and read it.
    }
    let mut to: Vec<String> = state
        .store
        .support_agents()
        .await
        .map_err(store_err)?
        .into_iter()
        .map(|(_, email)| email)
        .collect();
    if to.is_empty() {
        to.push(state.settings.privacy.operator_contact.clone());
    }
    let what = if conv.kind == super::model::Kind::Ticket {
        format!("a ticket ({})", conv.subject)
    } else {
        "the live chat".to_owned()
    };
    let body = format!(
        "A customer wrote {unread} message(s) in {what} while no agent was online.\n\nOpen it in the console: {}/app/support/console?c={}\n\nYou get this email because you are on the support team.",
        state.public_origin(),
        conv.id
    );
    for address in to {
        state
            .mailer
            .send(&Email {
                to: address,
                subject: "Support: a customer is waiting".into(),
                body: body.clone(),
            })
            .await
            .map_err(|e| JobError::retry(format!("{e:#}")))?;
    }
    Ok(())
}

async fn email_reply(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    let payload: Payload = ctx.payload_as()?;
    let store_err = |e: crate::store::StoreError| JobError::retry(format!("store: {e}"));
    let Some(conv) = state
        .store
        .support_conversation(&payload.conversation_id)
        .await
        .map_err(store_err)?
    else {
        return Ok(()); // Purged with its account meanwhile.
    };
    let account_email = match &conv.user_id {
        Some(id) => state
            .store
            .user_by_id(id)
            .await
            .map_err(store_err)?
            .map(|u| u.email),
        None => None,
    };
    let Some(to) = conv.contact_email.clone().or(account_email) else {
        return Ok(());
    };
    let (emailed, lines) = unread_agent_lines(&state, &conv.id)
        .await
        .map_err(store_err)?;
    if lines.is_empty() {
        return Ok(()); // Read in the app in time.
    }
    let link = if conv.user_id.is_some() {
        format!("{}/app/support", state.public_origin())
    } else {
        format!("{}/#support-chat", state.public_origin())
    };
    let body = format!(
        "You have a new reply from ThredOps support:\n\n{}\n\nReply in the chat to continue the conversation: {link}\n\nYou get this email because a reply from support was waiting for you unread.",
        lines.join("\n\n")
    );
    state
        .mailer
        .send(&Email {
            to,
            subject: "New reply from ThredOps support".into(),
            body,
        })
        .await
        .map_err(|e| JobError::retry(format!("mail: {e}")))?;
    state
        .store
        .support_mark_emailed(&conv.id, emailed)
        .await
        .map_err(store_err)?;
    Ok(())
}

/// Agent replies after both the customer's read marker and the last email: (last id, lines).
async fn unread_agent_lines(
    state: &AppState,
    conversation_id: &ConversationId,
) -> crate::store::StoreResult<(i64, Vec<String>)> {
    let rows = state
        .store
        .support_unemailed_replies(conversation_id)
        .await?;
    let last = rows.last().map_or(0, |r| r.id);
    let lines = rows
        .into_iter()
        .map(|super::store::mail::UnemailedReply { body, email, .. }| {
            let name =
                email.map_or_else(|| "Support".to_owned(), |e| super::store::display_name(&e));
            format!("{name} (ThredOps support):\n{body}")
        })
        .collect();
    Ok((last, lines))
}

async fn housekeeping(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    workflow::wake_snoozed(&state)
        .await
        .map_err(|e| JobError::retry(format!("waking snoozed conversations: {e}")))?;
    let idle_before = now_unix() - desk::VISITOR_TTL_SECS;
    let purged = state
        .store
        .support_purge_visitors(idle_before)
        .await
        .map_err(|e| JobError::retry(format!("purging visitors: {e}")))?;
    if purged > 0 {
        tracing::info!(
            purged,
            "support: forgot idle visitors and their conversations"
        );
    }
    ctx.schedule_next(crate::clock::now_ms() + HOUSEKEEPING_EVERY_MS);
    Ok(())
}
