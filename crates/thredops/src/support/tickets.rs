//! Tickets: requests that are not chats, each with a category; and what agents see about the
//! customer beside a conversation.

use serde::Serialize;

use super::desk;
use super::model::{Category, Kind, MessageText};
use super::store::{Conversation, Customer};
use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::now_unix;
use crate::domain::{ConversationId, WorkspaceId};
use crate::error::{AppError, AppResult};

/// Longest ticket subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 150;

/// Opens a ticket with its first message.
pub async fn open(
    state: &AppState,
    auth: &CurrentUser,
    category: &str,
    subject: &str,
    body: &str,
) -> AppResult<Conversation> {
    let category = Category::parse(category).ok_or_else(|| {
        AppError::field(
            "category",
            "Choose a category: data_deletion, billing, threads_connection, bug or other.",
        )
    })?;
    let subject = subject.trim();
    if subject.is_empty() {
        return Err(AppError::field("subject", "Give the ticket a subject."));
    }
    if subject.chars().count() > MAX_SUBJECT_CHARS {
        return Err(AppError::field(
            "subject",
            format!("Keep the subject under {MAX_SUBJECT_CHARS} characters."),
        ));
    }
    MessageText::parse(body).map_err(|m| AppError::field("body", m))?;
    let id = ConversationId::new(uuid::Uuid::new_v4().to_string());
    state
        .store
        .create_support_conversation(
            &Customer::User(auth.user.id.clone()),
            Kind::Ticket,
            Some(category.as_str()),
            subject,
            Some(&auth.user.email),
            now_unix(),
            &id,
        )
        .await?;
    desk::post_customer(state, &id, body, None).await?;
    if category == Category::DataDeletion {
        crate::privacy::ticket_requests::start(state, &auth.user.id, &auth.user.email, &id).await?;
    }
    own(state, auth, &id).await
}

/// One of the user's own tickets; anyone else's is 404.
pub async fn own(
    state: &AppState,
    auth: &CurrentUser,
    id: &ConversationId,
) -> AppResult<Conversation> {
    state
        .store
        .support_conversation(id)
        .await?
        .filter(|c| c.kind == Kind::Ticket && c.user_id.as_ref() == Some(&auth.user.id))
        .ok_or(AppError::NotFound)
}

/// What an agent sees about the customer: account facts only, never Threads data.
#[derive(Debug, Serialize)]
pub struct CustomerSummary {
    /// "Signed-in customer" or "Visitor".
    pub kind: &'static str,
    /// Account email, or the email a visitor left.
    pub email: Option<String>,
    /// The plan and subscription status (from billing).
    pub plan: Option<String>,
    /// `active` or `deleted`.
    pub account_status: &'static str,
    /// Account creation (Unix seconds).
    pub member_since: Option<i64>,
    /// Last use (Unix seconds).
    pub last_active_at: Option<i64>,
    /// Number of connected Threads profiles (a count; no profile data).
    pub connected_profiles: Option<i64>,
    /// The customer's timezone.
    pub timezone: Option<String>,
}

/// The summary for a conversation's customer.
pub async fn customer_summary(state: &AppState, c: &Conversation) -> AppResult<CustomerSummary> {
    let Some(user_id) = &c.user_id else {
        return Ok(CustomerSummary {
            kind: "Visitor",
            email: c.contact_email.clone(),
            plan: None,
            account_status: "no account",
            member_since: None,
            last_active_at: None,
            connected_profiles: None,
            timezone: None,
        });
    };
    let user = state.store.user_by_id(user_id).await?;
    // The customer's own workspace: the profiles and plan they bring to the conversation.
    let workspace = WorkspaceId::owned_by(user_id);
    let profiles = state.store.count_connected_profiles(&workspace).await?;
    let entitlement =
        crate::billing::entitlements::of_user(state, &workspace, crate::clock::now_unix()).await?;
    let plan = match &entitlement.subscription_status {
        Some(status) => format!("{} ({status})", entitlement.plan.name),
        None => entitlement.plan.name.to_owned(),
    };
    Ok(CustomerSummary {
        kind: "Signed-in customer",
        email: user.as_ref().map(|u| u.email.clone()),
        plan: Some(plan),
        account_status: if user.is_some() { "active" } else { "deleted" },
        member_since: user.as_ref().map(|u| u.created_at),
        last_active_at: user.as_ref().map(|u| u.last_active_at),
        connected_profiles: Some(profiles),
        timezone: user.and_then(|u| u.timezone),
    })
}
