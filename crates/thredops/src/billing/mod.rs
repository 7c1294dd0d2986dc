//! Billing with Stripe: plans from configuration, hosted Checkout and Billing Portal, verified
//! webhooks applied by durable jobs, and limits that follow the subscription.
//!
//! Without `THREDOPS_STRIPE_SECRET_KEY` billing is off and every user has every feature.

pub mod entitlements;
pub mod gate;
pub mod notify;
pub mod signature;
mod store;
pub mod stripe;
pub mod webhook;

use serde::{Deserialize, Serialize};

pub use crate::config::billing::{BillingSettings, Limits, Plan};
pub use entitlements::{Entitlement, Standing};
pub use stripe::StripeClient;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::error::{AppError, AppResult};
use crate::jobs::{self, JobContext, JobError, Runner, handler_fn};
use crate::store::now_unix;

/// Job kinds of this feature.
pub mod kind {
    /// Applies one recorded Stripe event.
    pub const EVENT: &str = "billing.event";
    /// Re-applies a user's limits (e.g. when a grace period ends).
    pub const ENFORCE: &str = "billing.enforce";
}

/// Builds the Stripe client when billing is configured.
pub fn client(settings: &BillingSettings) -> anyhow::Result<Option<StripeClient>> {
    settings
        .stripe
        .as_ref()
        .map(|s| StripeClient::new(s.api_base.clone(), s.secret_key.clone()))
        .transpose()
}

/// Registers this feature's job handlers.
pub fn register_jobs(runner: Runner, state: &AppState) -> Runner {
    let handler = |f: fn(AppState, JobContext) -> jobs::HandlerFuture<'static>| {
        let state = state.clone();
        handler_fn(move |ctx| f(state.clone(), ctx))
    };
    runner
        .register(
            kind::EVENT,
            handler(|s, c| Box::pin(webhook::process(s, c))),
        )
        .register(kind::ENFORCE, handler(|s, c| Box::pin(enforce_job(s, c))))
}

#[derive(Deserialize)]
struct UserPayload {
    user_id: String,
}

async fn enforce_job(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    let UserPayload { user_id } = ctx.payload_as()?;
    enforce_limits(&state, &user_id)
        .await
        .map_err(|e| JobError::retry(e.to_string()))
}

/// The limits in force for a user now. The strategist, audit and analytics areas check them
/// through [`gate`].
pub async fn limits_for(state: &AppState, user_id: &str) -> AppResult<Limits> {
    Ok(entitlements::of_user(state, user_id, now_unix())
        .await?
        .limits())
}

/// Pauses profiles beyond the user's plan and resumes paused ones while there is room. Call after
/// a profile is connected or reconnected.
pub async fn enforce_limits(state: &AppState, user_id: &str) -> AppResult<()> {
    entitlements::enforce(state, user_id, now_unix()).await?;
    Ok(())
}

/// Refuses to start connecting another profile beyond the plan's limit, explaining the limit
/// and where to upgrade. Reconnecting a profile that needs it is always allowed.
pub async fn check_can_connect(state: &AppState, auth: &CurrentUser) -> AppResult<()> {
    let entitlement = entitlements::of_user(state, &auth.user.id, now_unix()).await?;
    let Some(limit) = entitlement.limits().profiles else {
        return Ok(());
    };
    let profiles = state.store.profiles_of(&auth.user.id).await?;
    let used = profiles
        .iter()
        .filter(|p| entitlements::occupies_seat(&p.status))
        .count();
    let reconnecting = profiles.iter().any(|p| p.status == "needs_reconnect");
    if used < limit as usize || reconnecting {
        return Ok(());
    }
    let noun = if limit == 1 { "profile" } else { "profiles" };
    Err(AppError::Conflict(format!(
        "Your {} plan includes {limit} connected {noun}, and you have {used}. Upgrade your plan on the Billing page (/app/billing) to connect more, or disconnect one first.",
        entitlement.plan.name
    )))
}

/// Cancels every live subscription of an account being deleted, so it is never charged again.
pub async fn cancel_for_deleted_account(state: &AppState, user_id: &str) -> anyhow::Result<()> {
    let Some(client) = &state.stripe else {
        return Ok(());
    };
    for sub in store::subscriptions_of(&state.store, user_id).await? {
        if matches!(sub.status.as_str(), "canceled" | "incomplete_expired") {
            continue;
        }
        match client.cancel_subscription(&sub.subscription_id).await {
            Ok(_) => {}
            // Already gone at Stripe: nothing left to cancel.
            Err(stripe::StripeError::Api { status: 404, .. }) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Usage of a limited resource.
#[derive(Debug, Serialize)]
pub struct Usage {
    /// Profiles taking a seat.
    pub profiles: usize,
    /// Profiles paused because of the limit.
    pub paused_profiles: usize,
}

/// What the billing page and API show.
#[derive(Debug, Serialize)]
pub struct Overview {
    /// Whether billing is on here.
    pub enabled: bool,
    /// The plan in force and why.
    pub current: Entitlement,
    /// Usage against the limits.
    pub usage: Usage,
    /// Every plan on offer.
    pub plans: Vec<Plan>,
    /// Whether the user has a Stripe customer (the portal needs one).
    pub can_manage: bool,
}

/// The user's plan, usage and the plans on offer.
pub async fn overview(state: &AppState, auth: &CurrentUser) -> AppResult<Overview> {
    let user_id = &auth.user.id;
    let current = entitlements::of_user(state, user_id, now_unix()).await?;
    let profiles = state.store.profiles_of(user_id).await?;
    let usage = Usage {
        profiles: profiles
            .iter()
            .filter(|p| entitlements::occupies_seat(&p.status))
            .count(),
        paused_profiles: profiles.iter().filter(|p| p.status == "paused").count(),
    };
    let enabled = state.settings.billing.enabled();
    Ok(Overview {
        enabled,
        current,
        usage,
        plans: if enabled {
            state.settings.billing.plans.clone()
        } else {
            Vec::new()
        },
        can_manage: store::customer_of(&state.store, user_id).await?.is_some(),
    })
}

fn stripe_client(state: &AppState) -> AppResult<&StripeClient> {
    state
        .stripe
        .as_ref()
        .ok_or_else(|| AppError::Conflict("Billing is not enabled on this server.".into()))
}

fn stripe_failed(e: stripe::StripeError) -> AppError {
    AppError::Internal(anyhow::Error::new(e).context("Stripe call failed"))
}

/// Starts a hosted Checkout for `plan_key`; returns the Stripe URL to send the browser to.
pub async fn start_checkout(
    state: &AppState,
    auth: &CurrentUser,
    plan_key: &str,
) -> AppResult<String> {
    let client = stripe_client(state)?;
    let plan = state
        .settings
        .billing
        .plan(plan_key.trim())
        .filter(|p| p.price_id.is_some())
        .ok_or_else(|| AppError::field("plan", "Choose one of the paid plans on offer."))?;
    let current = entitlements::of_user(state, &auth.user.id, now_unix()).await?;
    if matches!(current.standing, Standing::Active | Standing::Grace) {
        return Err(AppError::Conflict(
            "You already have a subscription. Change plans or update your card in the billing portal (Manage billing).".into(),
        ));
    }
    let customer = customer_for(state, client, auth).await?;
    let origin = state.public_origin();
    let success = format!("{origin}/app/billing?checkout=success");
    let cancel = format!("{origin}/app/billing?checkout=cancelled");
    let request = stripe::CheckoutRequest {
        user_id: &auth.user.id,
        customer_id: &customer,
        price_id: plan.price_id.as_deref().unwrap_or_default(),
        success_url: &success,
        cancel_url: &cancel,
    };
    let key = format!("checkout-{}", uuid::Uuid::new_v4());
    let session = client
        .create_checkout_session(&request, &key)
        .await
        .map_err(stripe_failed)?;
    Ok(session.url)
}

/// Opens the Billing Portal; returns the Stripe URL.
pub async fn start_portal(state: &AppState, auth: &CurrentUser) -> AppResult<String> {
    let client = stripe_client(state)?;
    let customer = store::customer_of(&state.store, &auth.user.id)
        .await?
        .ok_or_else(|| {
            AppError::Conflict("You have no billing account yet. Choose a plan first.".into())
        })?;
    let return_url = format!("{}/app/billing", state.public_origin());
    let key = format!("portal-{}", uuid::Uuid::new_v4());
    let session = client
        .create_portal_session(&customer, &return_url, &key)
        .await
        .map_err(stripe_failed)?;
    Ok(session.url)
}

/// The user's Stripe customer, created once (the idempotency key makes a racing second request
/// get the same customer back).
async fn customer_for(
    state: &AppState,
    client: &StripeClient,
    auth: &CurrentUser,
) -> AppResult<String> {
    if let Some(id) = store::customer_of(&state.store, &auth.user.id).await? {
        return Ok(id);
    }
    let key = format!("customer-{}", auth.user.id);
    let customer = client
        .create_customer(&auth.user.id, &auth.user.email, &key)
        .await
        .map_err(stripe_failed)?;
    store::save_customer(&state.store, &auth.user.id, &customer.id, now_unix()).await?;
    // If another request won the race, use the one stored.
    Ok(store::customer_of(&state.store, &auth.user.id)
        .await?
        .unwrap_or(customer.id))
}
