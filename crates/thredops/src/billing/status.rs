//! Stripe's subscription statuses. Stripe may add statuses; one we do not know is kept as it
//! came (stored and shown unchanged) and treated as closed: it grants nothing and, not being
//! open, never blocks a new checkout.

use serde::{Deserialize, Serialize};

/// Where a subscription stands at Stripe.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum SubscriptionStatus {
    /// Paid and running.
    Active,
    /// In a free trial.
    Trialing,
    /// A payment failed; Stripe retries (our grace period runs).
    PastDue,
    /// Retries are exhausted; the subscription stays open but unpaid.
    Unpaid,
    /// The first payment has not gone through yet.
    Incomplete,
    /// The first payment never went through.
    IncompleteExpired,
    /// Ended.
    Canceled,
    /// Paused at the end of a trial without a payment method.
    Paused,
    /// A status this version does not know, as Stripe sent it.
    Other(String),
}

impl SubscriptionStatus {
    const KNOWN: [SubscriptionStatus; 8] = [
        SubscriptionStatus::Active,
        SubscriptionStatus::Trialing,
        SubscriptionStatus::PastDue,
        SubscriptionStatus::Unpaid,
        SubscriptionStatus::Incomplete,
        SubscriptionStatus::IncompleteExpired,
        SubscriptionStatus::Canceled,
        SubscriptionStatus::Paused,
    ];

    /// Stripe's (and the database's) name.
    pub fn as_str(&self) -> &str {
        match self {
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Trialing => "trialing",
            SubscriptionStatus::PastDue => "past_due",
            SubscriptionStatus::Unpaid => "unpaid",
            SubscriptionStatus::Incomplete => "incomplete",
            SubscriptionStatus::IncompleteExpired => "incomplete_expired",
            SubscriptionStatus::Canceled => "canceled",
            SubscriptionStatus::Paused => "paused",
            SubscriptionStatus::Other(s) => s,
        }
    }

    /// Whether the subscription can still charge the customer.
    pub fn is_open(&self) -> bool {
        matches!(
            self,
            SubscriptionStatus::Active
                | SubscriptionStatus::Trialing
                | SubscriptionStatus::PastDue
                | SubscriptionStatus::Unpaid
                | SubscriptionStatus::Incomplete
        )
    }
}

impl From<String> for SubscriptionStatus {
    fn from(s: String) -> Self {
        Self::KNOWN
            .into_iter()
            .find(|k| k.as_str() == s)
            .unwrap_or(SubscriptionStatus::Other(s))
    }
}

impl From<SubscriptionStatus> for String {
    fn from(s: SubscriptionStatus) -> Self {
        s.as_str().to_owned()
    }
}

impl std::fmt::Display for SubscriptionStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_ones_are_kept_and_closed() {
        for known in SubscriptionStatus::KNOWN {
            assert_eq!(SubscriptionStatus::from(known.as_str().to_owned()), known);
        }
        let new = SubscriptionStatus::from("on_hold".to_owned());
        assert_eq!(new, SubscriptionStatus::Other("on_hold".into()));
        assert_eq!(new.as_str(), "on_hold");
        assert!(!new.is_open());
        assert_eq!(serde_json::to_value(&new).unwrap(), "on_hold");
        let parsed: SubscriptionStatus = serde_json::from_value("past_due".into()).unwrap();
        assert_eq!(parsed, SubscriptionStatus::PastDue);
    }
}
