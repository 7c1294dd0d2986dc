//! Billing with Stripe: plans from configuration, hosted Checkout and Billing Portal, verified
//! webhooks applied by durable jobs, and limits that follow the subscription.
//!
//! Without `THREDOPS_STRIPE_SECRET_KEY` billing is off and every user has every feature.

pub(crate) mod entitlements;
pub mod gate;
pub mod notify;
pub(crate) mod reconcile;
pub mod signature;
pub(crate) mod status;
mod store;
pub(crate) mod stripe;
pub(crate) mod webhook;

use serde::{Deserialize, Serialize};

pub use crate::config::billing::{BillingSettings, Limits, Plan, PlanKey};
use crate::domain::WorkspaceId;

crate::domain::id_type!(
    /// A Stripe customer (`cus_...`).
    CustomerId
);
pub use crate::config::billing::PriceId;
crate::domain::id_type!(
    /// A Stripe subscription (`sub_...`).
    SubscriptionId
);
crate::domain::id_type!(
    /// A Stripe invoice (`in_...`).
    InvoiceId
);
crate::domain::id_type!(
    /// A Stripe webhook event (`evt_...`).
    EventId
);
crate::domain::id_type!(
    /// A Stripe-hosted session: Checkout (`cs_...`) or Billing Portal (`bps_...`).
    StripeSessionId
);
pub use entitlements::{Entitlement, Standing};
pub use stripe::StripeClient;

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::now_unix;
use crate::error::{AppError, AppResult};
use crate::jobs::{self, JobContext, JobError, Runner, handler_fn};
use crate::store::profiles::ProfileStatus;

/// Job kinds of this feature.
pub mod kind {
    /// Applies one recorded Stripe event.
    pub const EVENT: &str = "billing.event";
    /// Re-applies a user's limits (e.g. when a grace period ends).
    pub const ENFORCE: &str = "billing.enforce";
    /// Re-reads every customer's subscriptions from Stripe (recurring).
    pub const RECONCILE: &str = "billing.reconcile";
    /// Cancels a deleted account's subscriptions and deletes its Stripe customer.
    pub const CLOSE_CUSTOMER: &str = "billing.close_customer";
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
    let runner = runner
        .register(
            kind::EVENT,
            handler(|s, c| Box::pin(webhook::process(s, c))),
        )
        .register(kind::ENFORCE, handler(|s, c| Box::pin(enforce_job(s, c))))
        .register(
            kind::RECONCILE,
            handler(|s, c| Box::pin(reconcile::reconcile_job(s, c))),
        )
        .register(
            kind::CLOSE_CUSTOMER,
            handler(|s, c| Box::pin(reconcile::close_customer_job(s, c))),
        );
    if state.stripe.is_some() {
        runner.recurring(kind::RECONCILE, reconcile::EVERY)
    } else {
        runner
    }
}

#[derive(Deserialize)]
struct UserPayload {
    user_id: WorkspaceId,
}

async fn enforce_job(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    let UserPayload { user_id } = ctx.payload_as()?;
    enforce_limits(&state, &user_id)
        .await
        .map_err(|e| JobError::retry(e.to_string()))
}

/// The limits in force for a user now. The strategist, audit and analytics areas check them
/// through [`gate`].
pub async fn limits_for(state: &AppState, user_id: &WorkspaceId) -> AppResult<Limits> {
    Ok(entitlements::of_user(state, user_id, now_unix())
        .await?
        .limits())
}

/// Pauses profiles beyond the user's plan and resumes paused ones while there is room. Call after
/// a profile is connected or reconnected.
pub async fn enforce_limits(state: &AppState, user_id: &WorkspaceId) -> AppResult<()> {
    entitlements::enforce(state, user_id, now_unix()).await?;
    Ok(())
}

/// Refuses to start connecting another profile beyond the plan's limit, explaining the limit
/// and where to upgrade. Reconnecting a profile that needs it is always allowed.
pub async fn check_can_connect(state: &AppState, auth: &CurrentUser) -> AppResult<()> {
    let entitlement = entitlements::of_user(state, auth.workspace_id(), now_unix()).await?;
    let Some(limit) = entitlement.limits().profiles else {
        return Ok(());
    };
    let profiles = state.store.profiles_of(auth.workspace_id()).await?;
    let used = profiles
        .iter()
        .filter(|p| entitlements::occupies_seat(p.status))
        .count();
    let reconnecting = profiles
        .iter()
        .any(|p| p.status == ProfileStatus::NeedsReconnect);
    if used < limit as usize || reconnecting {
        return Ok(());
    }
    let noun = if limit == 1 { "profile" } else { "profiles" };
    Err(AppError::PlanLimit {
        limit: "profiles",
        plan: entitlement.plan.name.to_owned(),
        message: format!(
            "Your {} plan includes {limit} connected {noun}, and you have {used}. Upgrade your plan on the Billing page (/app/billing) to connect more, or disconnect one first.",
            entitlement.plan.name
        ),
    })
}

/// Makes sure a deleted account is never charged again: a durable job cancels its
/// subscriptions and deletes its Stripe customer, retrying until Stripe confirms.
pub async fn close_for_deleted_account(state: &AppState, user_id: &WorkspaceId) -> AppResult<()> {
    Ok(reconcile::close_for_deleted_account(state, user_id).await?)
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
    /// Every open subscription when there is more than one (the user is charged for each).
    pub extra_subscriptions: Vec<OpenSubscription>,
}

/// An open subscription, as the duplicate warning lists it.
#[derive(Debug, Serialize)]
pub struct OpenSubscription {
    /// The plan's name (or the price when no plan has it).
    pub plan: String,
    /// Stripe status.
    pub status: status::SubscriptionStatus,
}

/// The user's plan, usage and the plans on offer.
pub async fn overview(state: &AppState, auth: &CurrentUser) -> AppResult<Overview> {
    let user_id = auth.workspace_id();
    let current = entitlements::of_user(state, user_id, now_unix()).await?;
    let profiles = state.store.profiles_of(user_id).await?;
    let usage = Usage {
        profiles: profiles
            .iter()
            .filter(|p| entitlements::occupies_seat(p.status))
            .count(),
        paused_profiles: profiles
            .iter()
            .filter(|p| p.status == ProfileStatus::Paused)
            .count(),
    };
    let enabled = state.settings.billing.enabled();
    let open: Vec<OpenSubscription> = state
        .store
        .subscriptions_of(user_id)
        .await?
        .into_iter()
        .filter(|s| s.status.is_open())
        .map(|s| OpenSubscription {
            plan: s
                .price_id
                .as_ref()
                .and_then(|p| state.settings.billing.plan_for_price(p))
                .map_or_else(
                    || s.price_id.clone().map(String::from).unwrap_or_default(),
                    |p| p.name.to_owned(),
                ),
            status: s.status,
        })
        .collect();
    Ok(Overview {
        enabled,
        current,
        usage,
        plans: if enabled {
            state.settings.billing.plans.clone()
        } else {
            Vec::new()
        },
        can_manage: state.store.stripe_customer_of(user_id).await?.is_some(),
        extra_subscriptions: if open.len() > 1 { open } else { Vec::new() },
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

/// Why a checkout was refused: the user has a subscription to manage in the portal instead.
pub const HAS_SUBSCRIPTION: &str = "You already have a subscription. Change plans, pay an open invoice or cancel in the billing portal (Manage billing); a second checkout would charge you twice.";

/// Starts a hosted Checkout for `plan_key`; returns the Stripe URL to send the browser to.
///
/// Refused while the user has an open subscription (active, trialing, past due, unpaid or
/// incomplete), as read from Stripe itself so a missed webhook cannot let a second one through.
/// A newer checkout expires the user's older open sessions, so only one can ever be paid.
pub async fn start_checkout(
    state: &AppState,
    auth: &CurrentUser,
    plan_key: &str,
) -> AppResult<String> {
    let client = stripe_client(state)?;
    let plan = PlanKey::parse(plan_key.trim())
        .and_then(|key| state.settings.billing.plan(key))
        .filter(|p| p.price_id.is_some())
        .ok_or_else(|| AppError::field("plan", "Choose one of the paid plans on offer."))?;
    let user_id = auth.workspace_id();
    let has_subscription = || AppError::Conflict(HAS_SUBSCRIPTION.into());
    let current = entitlements::of_user(state, user_id, now_unix()).await?;
    if current.standing.has_open_subscription() {
        return Err(has_subscription());
    }
    let customer = customer_for(state, client, auth).await?;
    let at_stripe = reconcile::sync_customer(state, client, user_id, &customer)
        .await
        .map_err(|e| AppError::Internal(e.context("reading subscriptions from Stripe")))?;
    if at_stripe.iter().any(|s| s.status.is_open()) {
        return Err(has_subscription());
    }
    let origin = state.public_origin();
    let success = format!("{origin}/app/billing?checkout=success");
    let cancel = format!("{origin}/app/billing?checkout=cancelled");
    let request = stripe::CheckoutRequest {
        user_id,
        customer_id: &customer,
        price_id: plan
            .price_id
            .as_ref()
            .ok_or_else(|| AppError::field("plan", "Choose one of the paid plans on offer."))?,
        success_url: &success,
        cancel_url: &cancel,
        // Stripe's shortest allowed lifetime: an abandoned session cannot be paid much later.
        expires_at: now_unix() + 31 * 60,
        allow_promotion_codes: plan.promotion_codes,
        trial_days: plan.trial_days,
    };
    let key = format!("checkout-{}", uuid::Uuid::new_v4());
    let session = client
        .create_checkout_session(&request, &key)
        .await
        .map_err(stripe_failed)?;
    state
        .store
        .save_checkout(&session.id, user_id, now_unix())
        .await?;
    if expire_older_checkouts(state, client, user_id, &session.id).await? {
        // An older session was paid meanwhile: this one must not be.
        let _ = client.expire_checkout_session(&session.id).await;
        state.store.forget_checkout(&session.id).await?;
        return Err(has_subscription());
    }
    Ok(session.url)
}

/// Expires the user's other open Checkout Sessions; true when one of them was already paid.
async fn expire_older_checkouts(
    state: &AppState,
    client: &StripeClient,
    user_id: &WorkspaceId,
    keep: &StripeSessionId,
) -> AppResult<bool> {
    let mut paid = false;
    for old in state.store.checkouts_of(user_id, keep).await? {
        match client.expire_checkout_session(&old).await {
            Ok(_) | Err(stripe::StripeError::Api { status: 404, .. }) => {}
            // Stripe refuses to expire a session that is no longer open: was it paid?
            Err(stripe::StripeError::Api { .. }) => {
                let session = client
                    .get_checkout_session(&old)
                    .await
                    .map_err(stripe_failed)?;
                paid |= session.status.as_deref() == Some("complete");
            }
            Err(e) => return Err(stripe_failed(e)),
        }
        state.store.forget_checkout(&old).await?;
    }
    Ok(paid)
}

/// What Stripe says after the browser comes back from Checkout: the user's subscriptions are
/// re-read at once (no waiting for the webhook) and the resulting entitlement returned.
pub async fn after_checkout(state: &AppState, auth: &CurrentUser) -> AppResult<Entitlement> {
    if let (Some(client), Some(customer)) = (
        state.stripe.as_ref(),
        state.store.stripe_customer_of(auth.workspace_id()).await?,
    ) && let Err(e) =
        reconcile::sync_customer(state, client, auth.workspace_id(), &customer).await
    {
        tracing::warn!(error = %format!("{e:#}"), "could not read the subscription back from Stripe");
    }
    Ok(entitlements::of_user(state, auth.workspace_id(), now_unix()).await?)
}

/// One invoice as the billing page lists it.
#[derive(Debug, Serialize)]
pub struct InvoiceLine {
    /// Invoice number (or Stripe id when it has none yet).
    pub number: String,
    /// When it was issued (Unix seconds).
    pub created: Option<i64>,
    /// Amount with its currency, e.g. `USD 12.00`.
    pub amount: String,
    /// `paid`, `open`, `void`, ...
    pub status: String,
    /// Stripe's page for it (view, pay, download).
    pub url: Option<String>,
}

/// The user's latest invoices from Stripe; `None` without a billing account.
pub async fn invoices(state: &AppState, auth: &CurrentUser) -> AppResult<Option<Vec<InvoiceLine>>> {
    let (Some(client), Some(customer)) = (
        state.stripe.as_ref(),
        state.store.stripe_customer_of(auth.workspace_id()).await?,
    ) else {
        return Ok(None);
    };
    let list = match client.invoices_of_customer(&customer, 24).await {
        Ok(list) => list,
        Err(stripe::StripeError::Api { status: 404, .. }) => Vec::new(),
        Err(e) => return Err(stripe_failed(e)),
    };
    Ok(Some(
        list.into_iter()
            .filter(|i| i.status.as_deref() != Some("draft"))
            .map(|i| {
                let cents = if i.amount_paid > 0 {
                    i.amount_paid
                } else {
                    i.amount_due
                };
                InvoiceLine {
                    number: i.number.unwrap_or_else(|| i.id.into()),
                    created: i.created,
                    amount: format!(
                        "{} {}.{:02}",
                        i.currency.unwrap_or_default().to_uppercase(),
                        cents / 100,
                        cents % 100
                    ),
                    status: i.status.unwrap_or_default(),
                    url: i.hosted_invoice_url,
                }
            })
            .collect(),
    ))
}

/// Opens the Billing Portal; returns the Stripe URL.
pub async fn start_portal(state: &AppState, auth: &CurrentUser) -> AppResult<String> {
    let client = stripe_client(state)?;
    let customer = state
        .store
        .stripe_customer_of(auth.workspace_id())
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
) -> AppResult<CustomerId> {
    if let Some(id) = state.store.stripe_customer_of(auth.workspace_id()).await? {
        return Ok(id);
    }
    let key = format!("customer-{}", auth.workspace_id());
    let customer = client
        .create_customer(auth.workspace_id(), &auth.user.email, &key)
        .await
        .map_err(stripe_failed)?;
    state
        .store
        .save_stripe_customer(auth.workspace_id(), &customer.id, now_unix())
        .await?;
    // If another request won the race, use the one stored.
    Ok(state
        .store
        .stripe_customer_of(auth.workspace_id())
        .await?
        .unwrap_or(customer.id))
}
