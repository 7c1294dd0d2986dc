//! Stripe webhooks: verify, record once, answer fast; a durable job applies the event.

use super::{EventId, SubscriptionId};
use crate::domain::WorkspaceId;
use serde::Deserialize;
use serde_json::Value;

use super::status::SubscriptionStatus;
use super::store::{self, SubscriptionRow};
use super::stripe::Subscription;
use super::{entitlements, kind, notify, reconcile};
use crate::app::AppState;
use crate::clock::now_unix;
use crate::error::{AppError, AppResult};
use crate::jobs::{self, JobContext, JobError, NewJob};

/// The envelope fields read before the job runs.
#[derive(Debug, Deserialize)]
struct Envelope {
    id: super::EventId,
    #[serde(rename = "type")]
    event_type: String,
    created: i64,
}

/// Whether a delivery was new or a replay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    /// First delivery: a job will apply it.
    New,
    /// Already recorded: nothing more happens.
    Duplicate,
}

/// Verifies a delivery on its raw bytes, then records the event and enqueues its processing in
/// one transaction.
pub async fn receive(
    state: &AppState,
    signature: Option<&str>,
    body: &[u8],
) -> AppResult<Received> {
    let Some(stripe) = &state.settings.billing.stripe else {
        return Err(AppError::Conflict(
            "Billing is not enabled on this server.".into(),
        ));
    };
    let now = now_unix();
    super::signature::verify(signature, body, &stripe.webhook_secrets, now).map_err(|e| {
        tracing::warn!(error = %e, "refused a Stripe webhook delivery");
        AppError::BadRequest(format!("Signature check failed: {e}."))
    })?;
    let envelope: Envelope = serde_json::from_slice(body)
        .map_err(|_| AppError::BadRequest("The event is not a Stripe event.".into()))?;
    let payload = std::str::from_utf8(body)
        .map_err(|_| AppError::BadRequest("The event is not UTF-8.".into()))?;
    let mut tx = state.store.begin().await?;
    let new = store::record_event(
        &mut tx,
        &envelope.id,
        &envelope.event_type,
        envelope.created,
        payload,
        now,
    )
    .await?;
    if new {
        let job = NewJob::new(kind::EVENT, serde_json::json!({"event_id": envelope.id}))
            .dedup_key(format!("{}:{}", kind::EVENT, envelope.id))
            .max_attempts(12);
        jobs::enqueue(&mut tx, &job).await?;
    }
    tx.commit().await?;
    if new {
        state.jobs_wake();
        Ok(Received::New)
    } else {
        Ok(Received::Duplicate)
    }
}

#[derive(Deserialize)]
struct EventPayload {
    event_id: EventId,
}

/// Job: applies one recorded event. Idempotent: a processed event is skipped.
pub async fn process(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    let EventPayload { event_id } = ctx.payload_as()?;
    let retry = |e: &dyn std::fmt::Display| JobError::retry(e.to_string());
    let Some(event) = state
        .store
        .billing_event(&event_id)
        .await
        .map_err(|e| retry(&e))?
    else {
        return Ok(());
    };
    if event.processed {
        return Ok(());
    }
    let body: Value = serde_json::from_str(event.payload.as_deref().unwrap_or("{}"))
        .map_err(|e| JobError::permanent(format!("unreadable event: {e}")))?;
    let object = &body["data"]["object"];
    let user = apply(&state, &event.event_type, event.created, object).await?;
    if let Some(user_id) = &user {
        entitlements::enforce(&state, user_id, now_unix())
            .await
            .map_err(|e| retry(&e))?;
        reconcile::report_extra_subscriptions(&state, user_id)
            .await
            .map_err(|e| retry(&e))?;
    }
    state
        .store
        .finish_billing_event(&event.id, user.as_ref(), now_unix())
        .await
        .map_err(|e| retry(&e))
}

/// Applies one event; returns the user it concerned, if it is one of ours.
async fn apply(
    state: &AppState,
    event_type: &str,
    created: i64,
    object: &Value,
) -> Result<Option<WorkspaceId>, JobError> {
    let text = |key: &str| object[key].as_str().map(str::to_owned);
    let customer = text("customer");
    let user = match &customer {
        Some(c) => state
            .store
            .user_of_stripe_customer(&super::CustomerId::from(c.as_str()))
            .await
            .map_err(|e| JobError::retry(e.to_string()))?,
        None => None,
    };
    // Events about customers that are not ours (another app on the same Stripe account) are
    // recorded and otherwise ignored.
    let Some(user_id) = user else {
        return Ok(None);
    };
    match event_type {
        "customer.subscription.created"
        | "customer.subscription.updated"
        | "customer.subscription.deleted" => {
            let sub: Subscription = serde_json::from_value(object.clone())
                .map_err(|e| JobError::permanent(format!("unreadable subscription: {e}")))?;
            save(state, &user_id, &sub, created).await?;
        }
        "checkout.session.completed" | "invoice.paid" => {
            if let Some(id) = text("subscription") {
                refresh(state, &user_id, &SubscriptionId::from(id), created).await?;
            }
            if event_type == "checkout.session.completed" {
                forget_checkout(state, text("id").map(super::StripeSessionId::from)).await?;
            }
        }
        "checkout.session.expired" => {
            forget_checkout(state, text("id").map(super::StripeSessionId::from)).await?
        }
        "invoice.payment_failed" | "invoice.payment_action_required" => {
            if let Some(id) = text("subscription") {
                refresh(state, &user_id, &SubscriptionId::from(id), created).await?;
            }
            notify::payment_problem(state, &user_id, event_type, text("hosted_invoice_url"))
                .await
                .map_err(|e| JobError::retry(format!("{e:#}")))?;
        }
        _ => {}
    }
    Ok(Some(user_id))
}

async fn forget_checkout(
    state: &AppState,
    session: Option<super::StripeSessionId>,
) -> Result<(), JobError> {
    if let Some(id) = session {
        state
            .store
            .forget_checkout(&id)
            .await
            .map_err(|e| JobError::retry(e.to_string()))?;
    }
    Ok(())
}

/// Re-reads a subscription from Stripe (events that carry no subscription state).
async fn refresh(
    state: &AppState,
    user_id: &WorkspaceId,
    id: &SubscriptionId,
    created: i64,
) -> Result<(), JobError> {
    let client = state
        .stripe
        .as_ref()
        .ok_or_else(|| JobError::permanent("billing is not configured"))?;
    let sub = client
        .get_subscription(id)
        .await
        .map_err(|e| JobError::retry(e.to_string()))?;
    save(state, user_id, &sub, created).await
}

async fn save(
    state: &AppState,
    user_id: &WorkspaceId,
    sub: &Subscription,
    version: i64,
) -> Result<(), JobError> {
    store_subscription(state, user_id, sub, version)
        .await
        .map_err(|e| JobError::retry(e.to_string()))
}

/// Stores a subscription state read at `version` (an event's `created`, or the time it was read
/// from Stripe) unless newer state is stored; schedules the end of a grace period.
pub(super) async fn store_subscription(
    state: &AppState,
    user_id: &WorkspaceId,
    sub: &Subscription,
    version: i64,
) -> Result<(), crate::store::StoreError> {
    let now = now_unix();
    let row = SubscriptionRow {
        subscription_id: sub.id.clone(),
        user_id: user_id.clone(),
        price_id: sub.price_id().cloned(),
        status: sub.status.clone(),
        current_period_end: sub.period_end(),
        cancel_at_period_end: sub.cancel_at_period_end,
        past_due_since: (sub.status == SubscriptionStatus::PastDue).then_some(now),
        version,
    };
    let mut tx = state.store.begin().await?;
    let applied = store::apply_subscription(&mut tx, &row, now).await?;
    if applied && sub.status == SubscriptionStatus::PastDue {
        // When the grace period ends the limits drop to Free: re-enforce then.
        let grace_ms = i64::from(state.settings.billing.grace_days) * 86_400_000;
        let job = NewJob::new(kind::ENFORCE, serde_json::json!({"user_id": user_id}))
            .run_at(crate::clock::now_ms() + grace_ms + 1_000)
            .dedup_key(format!("{}:{user_id}", kind::ENFORCE))
            .user(user_id);
        jobs::enqueue(&mut tx, &job).await?;
    }
    tx.commit().await?;
    if !applied {
        tracing::info!(subscription = %sub.id, version, "ignored an event older than the stored state");
    }
    Ok(())
}
