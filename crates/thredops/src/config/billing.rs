//! Plans and Stripe settings, parsed once at start-up from the layered configuration.

use url::Url;

use super::Secret;

crate::domain::id_type!(
    /// A Stripe price (`price_...`): what a paid plan costs, as the configuration names it.
    PriceId
);

/// What a plan allows; `None` means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Limits {
    /// Connected (unpaused) Threads profiles.
    pub profiles: Option<u32>,
    /// Whether the AI strategist is available.
    pub strategist: bool,
    /// Deep audits per calendar month.
    pub audits_per_month: Option<u32>,
    /// How many days of history are shown.
    pub history_days: Option<u32>,
    /// Public profiles tracked as competitors (over all of the user's profiles).
    pub competitors: Option<u32>,
    /// People besides the owner in the workspace, invitations waiting included.
    pub seats: Option<u32>,
}

impl Limits {
    /// No limits at all: what a self-hoster without Stripe gets.
    pub const UNLIMITED: Limits = Limits {
        profiles: None,
        strategist: true,
        audits_per_month: None,
        history_days: None,
        competitors: None,
        seats: None,
    };

    /// Parses `profiles=5,strategist=on,audits=10,history_days=730` (numbers or `unlimited`),
    /// optionally followed by `competitors=10` and `seats=3` (unlimited when left out).
    pub fn parse(text: &str) -> Result<Limits, String> {
        let mut limits = Limits::UNLIMITED;
        let mut seen = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (key, value) = part
                .split_once('=')
                .ok_or_else(|| format!("{part:?} is not key=value"))?;
            let (key, value) = (key.trim(), value.trim());
            match key {
                "profiles" => limits.profiles = count(value)?,
                "audits" => limits.audits_per_month = count(value)?,
                "history_days" => limits.history_days = count(value)?,
                "competitors" => limits.competitors = count(value)?,
                "seats" => limits.seats = count(value)?,
                "strategist" => {
                    limits.strategist = match value {
                        "on" | "true" | "yes" => true,
                        "off" | "false" | "no" => false,
                        _ => return Err(format!("strategist must be on or off, got {value:?}")),
                    }
                }
                _ => {
                    return Err(format!(
                        "unknown limit {key:?} (expected profiles, strategist, audits, history_days, competitors, seats)"
                    ));
                }
            }
            seen.push(key);
        }
        for required in ["profiles", "strategist", "audits", "history_days"] {
            if !seen.contains(&required) {
                return Err(format!("missing {required}=..."));
            }
        }
        Ok(limits)
    }
}

fn count(value: &str) -> Result<Option<u32>, String> {
    if value == "unlimited" {
        return Ok(None);
    }
    value
        .parse()
        .map(Some)
        .map_err(|_| format!("{value:?} is not a whole number or unlimited"))
}

/// Which plan: the stable key, stored and shown as its name (`free`, `pro`, `agency`, and
/// `unlimited` for a server without billing).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanKey {
    /// The Free plan.
    Free,
    /// The Pro plan.
    Pro,
    /// The Agency plan.
    Agency,
    /// No billing on this server: no limits.
    Unlimited,
}

impl PlanKey {
    /// The stored and shown name.
    pub const fn as_str(self) -> &'static str {
        match self {
            PlanKey::Free => "free",
            PlanKey::Pro => "pro",
            PlanKey::Agency => "agency",
            PlanKey::Unlimited => "unlimited",
        }
    }

    /// Parses a name.
    pub fn parse(name: &str) -> Option<Self> {
        [
            PlanKey::Free,
            PlanKey::Pro,
            PlanKey::Agency,
            PlanKey::Unlimited,
        ]
        .into_iter()
        .find(|k| k.as_str() == name)
    }
}

impl std::fmt::Display for PlanKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One plan a user can be on.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Plan {
    /// Stable key.
    pub key: PlanKey,
    /// Display name.
    pub name: &'static str,
    /// Stripe price id (paid plans only).
    pub price_id: Option<PriceId>,
    /// Price as shown.
    pub price_label: String,
    /// What it allows.
    pub limits: Limits,
    /// Free trial days Checkout grants before the first charge (paid plans only).
    pub trial_days: Option<u32>,
    /// Whether Checkout lets the customer enter a promotion code.
    pub promotion_codes: bool,
}

/// Connection to Stripe.
#[derive(Debug, Clone)]
pub struct StripeSettings {
    /// Secret API key.
    pub secret_key: Secret,
    /// Webhook signing secrets (more than one while rotating).
    pub webhook_secrets: Vec<Secret>,
    /// API base URL.
    pub api_base: Url,
}

/// Billing configuration: off (no Stripe key) or Stripe with plans.
#[derive(Debug, Clone)]
pub struct BillingSettings {
    /// `None` when billing is off.
    pub stripe: Option<StripeSettings>,
    /// Free first, then the paid plans that have a price id.
    pub plans: Vec<Plan>,
    /// Days a past-due subscription keeps its limits.
    pub grace_days: u32,
}

/// A setting that does not parse: (file key, reason).
pub type SettingError = (&'static str, String);

impl BillingSettings {
    /// Reads the billing settings through `get` (file key -> value).
    pub fn parse<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, SettingError> {
        let limits = |key: &'static str| {
            Limits::parse(get(key).unwrap_or_default()).map_err(|reason| (key, reason))
        };
        let mut plans = vec![Plan {
            key: PlanKey::Free,
            name: "Free",
            price_id: None,
            price_label: "Free".into(),
            limits: limits("billing_free_limits")?,
            trial_days: None,
            promotion_codes: false,
        }];
        let promotion_codes = match get("billing_promotion_codes").unwrap_or("off").trim() {
            "on" | "true" | "yes" => true,
            "off" | "false" | "no" | "" => false,
            other => {
                return Err((
                    "billing_promotion_codes",
                    format!("must be on or off, got {other:?}"),
                ));
            }
        };
        for (key, name, price, label, limit_key, trial_key) in [
            (
                PlanKey::Pro,
                "Pro",
                "billing_pro_price_id",
                "billing_pro_price_label",
                "billing_pro_limits",
                "billing_pro_trial_days",
            ),
            (
                PlanKey::Agency,
                "Agency",
                "billing_agency_price_id",
                "billing_agency_price_label",
                "billing_agency_limits",
                "billing_agency_trial_days",
            ),
        ] {
            let trial_days = match get(trial_key).map(str::trim).filter(|v| !v.is_empty()) {
                None | Some("0") => None,
                Some(v) => Some(
                    v.parse::<u32>()
                        .ok()
                        .filter(|d| (1..=730).contains(d))
                        .ok_or((trial_key, "must be a whole number of days 0..=730".into()))?,
                ),
            };
            if let Some(price_id) = get(price).map(str::trim).filter(|v| !v.is_empty()) {
                plans.push(Plan {
                    key,
                    name,
                    price_id: Some(PriceId::from(price_id)),
                    price_label: get(label).unwrap_or_default().to_owned(),
                    limits: limits(limit_key)?,
                    trial_days,
                    promotion_codes,
                });
            }
        }
        let grace_days = get("billing_grace_days")
            .unwrap_or("7")
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|d| *d <= 90)
            .ok_or(("billing_grace_days", "must be a whole number 0..=90".into()))?;
        let stripe = match get("stripe_secret_key").filter(|v| !v.is_empty()) {
            None => None,
            Some(key) => Some(stripe_settings(key, &get)?),
        };
        Ok(Self {
            stripe,
            plans,
            grace_days,
        })
    }

    /// Whether billing is on.
    pub fn enabled(&self) -> bool {
        self.stripe.is_some()
    }

    /// A plan by key.
    pub fn plan(&self, key: PlanKey) -> Option<&Plan> {
        self.plans.iter().find(|p| p.key == key)
    }

    /// The plan a Stripe price id buys.
    pub fn plan_for_price(&self, price_id: &PriceId) -> Option<&Plan> {
        self.plans
            .iter()
            .find(|p| p.price_id.as_ref() == Some(price_id))
    }

    /// The Free plan (always present).
    pub fn free(&self) -> &Plan {
        &self.plans[0]
    }
}

fn stripe_settings<'a>(
    key: &str,
    get: &impl Fn(&str) -> Option<&'a str>,
) -> Result<StripeSettings, SettingError> {
    let webhook_secrets: Vec<Secret> = get("stripe_webhook_secret")
        .unwrap_or_default()
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Secret::new)
        .collect();
    if webhook_secrets.is_empty() {
        return Err((
            "stripe_webhook_secret",
            "required when THREDOPS_STRIPE_SECRET_KEY is set".into(),
        ));
    }
    let base = get("stripe_api_base").unwrap_or("https://api.stripe.com");
    let api_base = Url::parse(base.trim_end_matches('/'))
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https"))
        .ok_or(("stripe_api_base", format!("{base:?} is not an http(s) URL")))?;
    Ok(StripeSettings {
        secret_key: Secret::new(key),
        webhook_secrets,
        api_base,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_numbers_switches_and_unlimited() {
        let l =
            Limits::parse("profiles=5, strategist=on,audits=unlimited,history_days=730").unwrap();
        assert_eq!(l.profiles, Some(5));
        assert!(l.strategist);
        assert_eq!(l.audits_per_month, None);
        assert_eq!(l.history_days, Some(730));
    }

    #[test]
    fn limits_name_what_is_wrong() {
        assert!(
            Limits::parse("profiles=five,strategist=on,audits=1,history_days=1")
                .unwrap_err()
                .contains("five")
        );
        assert!(
            Limits::parse("profiles=1")
                .unwrap_err()
                .contains("strategist")
        );
        assert!(Limits::parse("members=1").unwrap_err().contains("members"));
        assert_eq!(
            Limits::parse("profiles=1,strategist=on,audits=1,history_days=1,seats=4")
                .unwrap()
                .seats,
            Some(4)
        );
    }

    #[test]
    fn billing_is_off_without_a_key_and_needs_a_webhook_secret_with_one() {
        let defaults = |k: &str| match k {
            "billing_free_limits" => Some("profiles=1,strategist=off,audits=1,history_days=90"),
            "billing_pro_limits" => Some("profiles=5,strategist=on,audits=10,history_days=730"),
            _ => None,
        };
        let off = BillingSettings::parse(defaults).unwrap();
        assert!(!off.enabled());
        assert_eq!(off.plans.len(), 1);
        let err = BillingSettings::parse(|k| match k {
            "stripe_secret_key" => Some("sk_test"),
            other => defaults(other),
        })
        .unwrap_err();
        assert_eq!(err.0, "stripe_webhook_secret");
        let on = BillingSettings::parse(|k| match k {
            "stripe_secret_key" => Some("sk_test"),
            "stripe_webhook_secret" => Some("whsec_a, whsec_b"),
            "billing_pro_price_id" => Some("price_pro"),
            other => defaults(other),
        })
        .unwrap();
        assert_eq!(on.stripe.as_ref().unwrap().webhook_secrets.len(), 2);
        assert_eq!(
            on.plan_for_price(&PriceId::new("price_pro")).unwrap().key,
            PlanKey::Pro
        );
    }
}
