//! Background work: emailing agent replies a customer has not read in the app, reopening
//! snoozed conversations and forgetting long-idle visitors.

use serde::Deserialize;
use sqlx::Row;

use super::kind;
use super::{desk, workflow};
use crate::app::AppState;
use crate::jobs::{self, JobContext, JobError, Runner, handler_fn};
use crate::mail::Email;
use crate::store::{now_unix, with_pool};

/// Housekeeping runs this often; it bounds how late a snooze may end.
const HOUSEKEEPING_EVERY_MS: i64 = 60 * 1000;

/// Registers the handlers and makes sure the recurring housekeeping job exists.
pub fn register(runner: Runner, state: &AppState) -> Runner {
    let s1 = state.clone();
    let s2 = state.clone();
    runner
        .recurring(kind::HOUSEKEEPING, std::time::Duration::ZERO)
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
    conversation_id: String,
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
    with_pool!(state.store, |p| sqlx::query(
        "UPDATE support_conversations SET emailed_up_to = $1 WHERE id = $2 AND emailed_up_to < $1"
    )
    .bind(emailed)
    .bind(&conv.id)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .map_err(|e| JobError::retry(format!("store: {e}")))?;
    Ok(())
}

/// Agent replies after both the customer's read marker and the last email: (last id, lines).
async fn unread_agent_lines(
    state: &AppState,
    conversation_id: &str,
) -> crate::store::StoreResult<(i64, Vec<String>)> {
    let rows = with_pool!(state.store, |p| {
        async {
        let rows = sqlx::query(
            "SELECT m.id, m.body, u.email FROM support_messages m JOIN support_conversations c ON c.id = m.conversation_id LEFT JOIN users u ON u.id = m.agent_id WHERE c.id = $1 AND m.author = 'agent' AND m.id > c.customer_last_read AND m.id > c.emailed_up_to ORDER BY m.id",
        )
        .bind(conversation_id)
        .fetch_all(p)
        .await?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get::<i64, _>("id")?,
                    r.try_get::<String, _>("body")?,
                    r.try_get::<Option<String>, _>("email")?,
                ))
            })
            .collect::<Result<Vec<_>, sqlx::Error>>()
    }
    .await
    })?;
    let last = rows.last().map_or(0, |r| r.0);
    let lines = rows
        .into_iter()
        .map(|(_, body, email)| {
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
    ctx.schedule_next(jobs::now_ms() + HOUSEKEEPING_EVERY_MS);
    Ok(())
}
