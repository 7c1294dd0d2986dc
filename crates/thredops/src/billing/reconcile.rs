//! Reconciliation with Stripe, and closing the Stripe side of a deleted account.
//!
//! Webhooks can be missed (an outage longer than an event job's retries, a misconfigured
//! endpoint). A recurring job re-reads every customer's subscriptions from Stripe and applies
//! them, so the app converges on what Stripe says; the billing page does the same for one
//! customer when the browser comes back from Checkout. A customer with more than one open
//! subscription is being charged twice: that is reported to the operator once and shown to the
//! user.

use super::{CustomerId, SubscriptionId};
use crate::domain::WorkspaceId;
use serde::{Deserialize, Serialize};

use super::stripe::{StripeClient, StripeError, Subscription};
use super::{entitlements, kind, webhook};
use crate::app::AppState;
use crate::clock::now_unix;
use crate::jobs::{JobContext, JobError, NewJob};
use crate::mail::Email;
use crate::store::StoreResult;

/// How often every customer is reconciled with Stripe.
pub const EVERY: std::time::Duration = std::time::Duration::from_secs(60 * 60);

/// Attempts of the job that closes a deleted account's Stripe customer: with the queue's backoff
/// (at most 15 minutes apart) this keeps trying for months, until Stripe confirms.
pub const CLOSE_ATTEMPTS: i32 = 10_000;

/// Reads every subscription of `customer_id` from Stripe and stores what it says; re-applies the
/// user's limits and reports extra open subscriptions. Returns the subscriptions read.
pub async fn sync_customer(
    state: &AppState,
    client: &StripeClient,
    user_id: &WorkspaceId,
    customer_id: &CustomerId,
) -> anyhow::Result<Vec<Subscription>> {
    let subs = match client.subscriptions_of_customer(customer_id).await {
        Ok(subs) => subs,
        // Unknown to Stripe (deleted there): nothing to apply.
        Err(StripeError::Api { status: 404, .. }) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let read_at = now_unix();
    for sub in subs.iter().filter(|s| s.customer == *customer_id) {
        webhook::store_subscription(state, user_id, sub, read_at).await?;
    }
    entitlements::enforce(state, user_id, read_at).await?;
    report_extra_subscriptions(state, user_id).await?;
    Ok(subs)
}

/// Reports, once per subscription, a user with more than one open subscription: an error in the
/// log and an email to the operator naming the subscriptions to refund or cancel.
pub async fn report_extra_subscriptions(
    state: &AppState,
    user_id: &WorkspaceId,
) -> StoreResult<()> {
    let open: Vec<SubscriptionId> = state
        .store
        .subscriptions_of(user_id)
        .await?
        .into_iter()
        .filter(|s| s.status.is_open())
        .map(|s| s.subscription_id)
        .collect();
    if open.len() < 2 {
        return Ok(());
    }
    if state
        .store
        .mark_duplicates_reported(&open, now_unix())
        .await?
        == 0
    {
        return Ok(());
    }
    let customer = state
        .store
        .stripe_customer_of(user_id)
        .await?
        .unwrap_or_default();
    let open: Vec<&str> = open.iter().map(SubscriptionId::as_str).collect();
    tracing::error!(%customer, subscriptions = %open.join(","), "a customer has more than one open subscription");
    let body = format!(
        "Stripe customer {customer} has {} open subscriptions: {}.\n\nOne ThredOps account needs only one. Cancel and refund the extra one in the Stripe dashboard; the user sees a warning on their billing page until then.",
        open.len(),
        open.join(", ")
    );
    let email = Email {
        to: state.settings.privacy.operator_contact.clone(),
        subject: "Billing: a customer has more than one subscription".into(),
        body,
    };
    if let Err(e) = state.mailer.send(&email).await {
        tracing::warn!(error = %format!("{e:#}"), "duplicate-subscription report could not be mailed");
    }
    Ok(())
}

/// Job: reconciles every customer with Stripe, then schedules the next run.
pub async fn reconcile_job(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    ctx.schedule_next(crate::clock::now_ms() + EVERY.as_millis() as i64);
    let Some(client) = &state.stripe else {
        return Ok(());
    };
    let (mut after, mut synced, mut failed) = (WorkspaceId::default(), 0, 0);
    loop {
        let page = state
            .store
            .stripe_customers_after(&after, 100)
            .await
            .map_err(|e| JobError::retry(e.to_string()))?;
        let Some((last, _)) = page.last() else {
            break;
        };
        after = last.clone();
        for (user_id, customer_id) in &page {
            match sync_customer(&state, client, user_id, customer_id).await {
                Ok(_) => synced += 1,
                Err(e) => {
                    failed += 1;
                    tracing::warn!(customer = %customer_id, error = %format!("{e:#}"), "could not reconcile a customer with Stripe");
                }
            }
        }
    }
    tracing::info!(synced, failed, "billing reconciled with Stripe");
    Ok(())
}

#[derive(Serialize, Deserialize)]
struct ClosePayload {
    customer_id: CustomerId,
}

/// Enqueues the closing of a deleted account's Stripe customer: a job without an owner, so it
/// outlives the account row and keeps retrying until Stripe confirms.
pub async fn close_for_deleted_account(state: &AppState, user_id: &WorkspaceId) -> StoreResult<()> {
    let Some(customer_id) = state.store.stripe_customer_of(user_id).await? else {
        return Ok(());
    };
    let job = NewJob::new(
        kind::CLOSE_CUSTOMER,
        serde_json::to_value(ClosePayload {
            customer_id: customer_id.clone(),
        })
        .unwrap_or_default(),
    )
    .dedup_key(format!("{}:{customer_id}", kind::CLOSE_CUSTOMER))
    .max_attempts(CLOSE_ATTEMPTS);
    state.jobs.enqueue(job).await?;
    Ok(())
}

/// Job: cancels every open subscription of a customer, then deletes the customer.
pub async fn close_customer_job(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    let ClosePayload { customer_id } = ctx.payload_as()?;
    let client = state
        .stripe
        .as_ref()
        .ok_or_else(|| JobError::permanent("billing is not configured"))?;
    close_customer(client, &customer_id)
        .await
        .map_err(|e| JobError::retry(e.to_string()))?;
    tracing::info!(customer = %customer_id, "Stripe customer of a deleted account closed");
    Ok(())
}

async fn close_customer(
    client: &StripeClient,
    customer_id: &CustomerId,
) -> Result<(), StripeError> {
    let gone = |r: Result<(), StripeError>| match r {
        Err(StripeError::Api { status: 404, .. }) => Ok(()),
        other => other,
    };
    let subs = match client.subscriptions_of_customer(customer_id).await {
        Ok(subs) => subs,
        Err(StripeError::Api { status: 404, .. }) => return Ok(()),
        Err(e) => return Err(e),
    };
    for sub in subs.iter().filter(|s| s.status.is_open()) {
        gone(client.cancel_subscription(&sub.id).await.map(drop))?;
    }
    gone(client.delete_customer(customer_id).await)
}
