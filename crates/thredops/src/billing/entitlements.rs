//! What a user may use right now, derived from their subscription, and the profile pauses that
//! follow from it.

use crate::domain::WorkspaceId;
use serde::Serialize;

use super::status::SubscriptionStatus as Status;
use super::store::SubscriptionRow;
use crate::store::profiles::ProfileStatus;

const PAUSED: ProfileStatus = ProfileStatus::Paused;
use super::{Limits, Plan};
use crate::app::AppState;
use crate::store::StoreResult;

/// Where a user stands with billing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Standing {
    /// Billing is not configured on this server: everything, no limits.
    Unbilled,
    /// No paid subscription (or it ended): the Free plan.
    Free,
    /// Active or trialing: the plan's limits.
    Active,
    /// Past due, inside the grace period: the plan's limits, with a warning.
    Grace,
    /// Past due beyond the grace period, or unpaid: Free limits, while the subscription is still
    /// open at Stripe and its invoice can still be paid (or the subscription cancelled) there.
    Overdue,
    /// The first payment has not gone through yet (`incomplete`): Free limits until it does.
    Pending,
}

impl Standing {
    /// Whether a subscription is open at Stripe, so a new Checkout would charge twice.
    pub fn has_open_subscription(self) -> bool {
        matches!(
            self,
            Standing::Active | Standing::Grace | Standing::Overdue | Standing::Pending
        )
    }
}

/// The effective plan of a user.
#[derive(Debug, Clone, Serialize)]
pub struct Entitlement {
    /// The plan whose limits apply.
    pub plan: Plan,
    /// How the user got there.
    pub standing: Standing,
    /// The status of the subscription behind it, if any.
    pub subscription_status: Option<Status>,
    /// Next invoice date (Unix seconds).
    pub next_invoice_at: Option<i64>,
    /// The subscription ends at the period end.
    pub cancel_at_period_end: bool,
    /// When the grace period ends (past due only).
    pub grace_until: Option<i64>,
    /// The plan of the open subscription when Free limits apply meanwhile (overdue or pending).
    pub subscribed_plan: Option<String>,
}

impl Entitlement {
    /// The limits in force.
    pub fn limits(&self) -> Limits {
        self.plan.limits
    }
}

fn self_hosted() -> Plan {
    Plan {
        key: super::PlanKey::Unlimited,
        name: "Self-hosted",
        price_id: None,
        price_label: "No billing".into(),
        limits: Limits::UNLIMITED,
        trial_days: None,
        promotion_codes: false,
    }
}

/// The entitlement of `user_id` at `now`.
pub async fn of_user(
    state: &AppState,
    user_id: &WorkspaceId,
    now: i64,
) -> StoreResult<Entitlement> {
    let billing = &state.settings.billing;
    if !billing.enabled() {
        return Ok(Entitlement {
            plan: self_hosted(),
            standing: Standing::Unbilled,
            subscription_status: None,
            next_invoice_at: None,
            cancel_at_period_end: false,
            grace_until: None,
            subscribed_plan: None,
        });
    }
    let subs = state.store.subscriptions_of(user_id).await?;
    Ok(decide(state, &subs, now))
}

fn decide(state: &AppState, subs: &[SubscriptionRow], now: i64) -> Entitlement {
    let billing = &state.settings.billing;
    let grace = i64::from(billing.grace_days) * 86_400;
    let free = |sub: Option<&SubscriptionRow>| Entitlement {
        plan: billing.free().clone(),
        standing: Standing::Free,
        subscription_status: sub.map(|s| s.status.clone()),
        next_invoice_at: None,
        cancel_at_period_end: false,
        grace_until: None,
        subscribed_plan: None,
    };
    // A live subscription wins over an ended one (a user may have cancelled and re-subscribed);
    // among open ones, the one that gives the most.
    let by_status = |status: Status| subs.iter().find(|s| s.status == status);
    let live = subs
        .iter()
        .find(|s| matches!(s.status, Status::Active | Status::Trialing))
        .or_else(|| by_status(Status::PastDue))
        .or_else(|| by_status(Status::Unpaid))
        .or_else(|| by_status(Status::Incomplete));
    let Some(sub) = live else {
        return free(subs.first());
    };
    let Some(plan) = sub
        .price_id
        .as_ref()
        .and_then(|p| billing.plan_for_price(p))
    else {
        tracing::warn!(
            subscription = %sub.subscription_id,
            "subscription for a price no plan is configured with; applying Free limits"
        );
        return free(Some(sub));
    };
    // Free limits apply, but the subscription is still open at Stripe: say so.
    let held = |standing: Standing| Entitlement {
        standing,
        subscribed_plan: Some(plan.name.to_owned()),
        next_invoice_at: sub.current_period_end,
        ..free(Some(sub))
    };
    let (standing, grace_until) = match sub.status {
        Status::PastDue => {
            let until = sub.past_due_since.unwrap_or(now) + grace;
            if now >= until {
                return held(Standing::Overdue);
            }
            (Standing::Grace, Some(until))
        }
        Status::Unpaid => return held(Standing::Overdue),
        Status::Incomplete => return held(Standing::Pending),
        _ => (Standing::Active, None),
    };
    Entitlement {
        plan: plan.clone(),
        standing,
        subscription_status: Some(sub.status.clone()),
        next_invoice_at: sub.current_period_end,
        cancel_at_period_end: sub.cancel_at_period_end,
        grace_until,
        subscribed_plan: None,
    }
}

/// Profiles that take a seat under the plan's profile limit.
pub fn occupies_seat(status: ProfileStatus) -> bool {
    status.occupies_seat()
}

/// Pauses profiles beyond the limit (newest connections first) and resumes paused ones while
/// there is room (oldest first). Nothing is ever deleted. Returns (paused, resumed).
pub async fn enforce(
    state: &AppState,
    user_id: &WorkspaceId,
    now: i64,
) -> StoreResult<(usize, usize)> {
    let entitlement = of_user(state, user_id, now).await?;
    let profiles = state
        .store
        .profiles_of(&crate::domain::WorkspaceId::new(user_id))
        .await?;
    // Seats go to profiles already using one, then to paused ones, each in connection order,
    // so enforcing twice never swaps which profile is paused.
    let mut ordered: Vec<_> = profiles
        .iter()
        .filter(|p| occupies_seat(p.status))
        .collect();
    ordered.extend(profiles.iter().filter(|p| p.status == PAUSED));
    let limit = entitlement
        .limits()
        .profiles
        .map_or(usize::MAX, |n| n as usize);
    let (mut paused, mut resumed) = (0, 0);
    for (index, profile) in ordered.iter().enumerate() {
        if index < limit && profile.status == PAUSED {
            // A profile without a token cannot sync: it comes back as needing a reconnect.
            let to = if profile.token_enc.is_some() {
                ProfileStatus::Active
            } else {
                ProfileStatus::NeedsReconnect
            };
            if state
                .store
                .swap_profile_status(&profile.id, PAUSED, to)
                .await?
            {
                resumed += 1;
            }
        } else if index >= limit
            && occupies_seat(profile.status)
            && state
                .store
                .swap_profile_status(&profile.id, profile.status, PAUSED)
                .await?
        {
            paused += 1;
        }
    }
    if paused + resumed > 0 {
        tracing::info!(paused, resumed, "profiles follow the plan's limit");
    }
    Ok((paused, resumed))
}
