//! A thin, typed Stripe client over reqwest: only the calls ThredOps makes.
//!
//! Requests are form-encoded as Stripe expects; every create carries an `Idempotency-Key`, so a
//! retried request cannot create a second customer or session.

use super::{CustomerId, InvoiceId, PriceId, StripeSessionId, SubscriptionId};
use crate::domain::WorkspaceId;
use std::time::Duration;

use anyhow::Context;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::config::Secret;

/// A Stripe API client bound to one key and base URL.
#[derive(Debug, Clone)]
pub struct StripeClient {
    http: reqwest::Client,
    base: Url,
    key: Secret,
}

/// A failed Stripe call.
#[derive(Debug, thiserror::Error)]
pub enum StripeError {
    /// Stripe answered with an error body.
    #[error("Stripe refused the request ({status}): {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// Stripe's message.
        message: String,
    },
    /// Stripe could not be reached or answered something unreadable.
    #[error("Stripe is unreachable: {0:#}")]
    Transport(#[from] anyhow::Error),
}

/// A Stripe customer.
#[derive(Debug, Clone, Deserialize)]
pub struct Customer {
    /// `cus_...`
    pub id: CustomerId,
}

/// A hosted Checkout or Billing Portal session: where to send the browser.
#[derive(Debug, Clone, Deserialize)]
pub struct HostedSession {
    /// `cs_...` or `bps_...`
    pub id: StripeSessionId,
    /// Stripe-hosted page.
    pub url: String,
}

/// A page of a Stripe list.
#[derive(Debug, Clone, Deserialize)]
pub struct List<T> {
    /// The items on this page.
    pub data: Vec<T>,
    /// Whether more follow.
    #[serde(default)]
    pub has_more: bool,
}

/// A Checkout Session as read back.
#[derive(Debug, Clone, Deserialize)]
pub struct CheckoutSession {
    /// `cs_...`
    pub id: StripeSessionId,
    /// `open`, `complete` or `expired`.
    #[serde(default)]
    pub status: Option<String>,
}

/// An invoice as the billing page lists it.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
pub struct Invoice {
    /// `in_...`
    pub id: InvoiceId,
    /// Invoice number shown to the customer.
    #[serde(default)]
    pub number: Option<String>,
    /// `draft`, `open`, `paid`, `void`, `uncollectible`.
    #[serde(default)]
    pub status: Option<String>,
    /// Amount due, in the currency's smallest unit.
    #[serde(default)]
    pub amount_due: i64,
    /// Amount paid.
    #[serde(default)]
    pub amount_paid: i64,
    /// ISO currency code.
    #[serde(default)]
    pub currency: Option<String>,
    /// When it was created (Unix seconds).
    #[serde(default)]
    pub created: Option<i64>,
    /// Stripe-hosted page of the invoice.
    #[serde(default)]
    pub hosted_invoice_url: Option<String>,
}

/// A subscription as far as entitlements need it.
#[derive(Debug, Clone, Deserialize)]
pub struct Subscription {
    /// `sub_...`
    pub id: SubscriptionId,
    /// `cus_...`
    pub customer: CustomerId,
    /// Where it stands (an unknown status is kept as it came).
    pub status: super::status::SubscriptionStatus,
    /// End of the current period (older API versions put it here).
    #[serde(default)]
    pub current_period_end: Option<i64>,
    /// Whether it ends at the period end.
    #[serde(default)]
    pub cancel_at_period_end: bool,
    /// Line items.
    #[serde(default)]
    pub items: Option<ItemList>,
    /// Legacy single plan.
    #[serde(default)]
    pub plan: Option<PriceRef>,
}

/// `items` of a subscription.
#[derive(Debug, Clone, Deserialize)]
pub struct ItemList {
    /// The items.
    pub data: Vec<Item>,
}

/// One subscription item.
#[derive(Debug, Clone, Deserialize)]
pub struct Item {
    /// Current price.
    #[serde(default)]
    pub price: Option<PriceRef>,
    /// Legacy plan.
    #[serde(default)]
    pub plan: Option<PriceRef>,
    /// End of the current period (newer API versions put it here).
    #[serde(default)]
    pub current_period_end: Option<i64>,
}

/// A price or plan reference.
#[derive(Debug, Clone, Deserialize)]
pub struct PriceRef {
    /// `price_...` (or a plan id).
    pub id: PriceId,
}

impl Subscription {
    /// The price the subscription is for (price, then legacy plan).
    pub fn price_id(&self) -> Option<&PriceId> {
        let item = self.items.as_ref().and_then(|i| i.data.first());
        item.and_then(|i| i.price.as_ref().or(i.plan.as_ref()))
            .or(self.plan.as_ref())
            .map(|p| &p.id)
    }

    /// When the next invoice is due.
    pub fn period_end(&self) -> Option<i64> {
        self.current_period_end.or_else(|| {
            self.items
                .as_ref()
                .and_then(|i| i.data.first())
                .and_then(|i| i.current_period_end)
        })
    }
}

/// What a Checkout Session needs.
#[derive(Debug, Clone)]
pub struct CheckoutRequest<'a> {
    /// Our user id, echoed back as `client_reference_id`.
    pub user_id: &'a WorkspaceId,
    /// The customer to bill (created beforehand, so it is reused).
    pub customer_id: &'a CustomerId,
    /// The plan's price.
    pub price_id: &'a PriceId,
    /// Where Stripe sends the browser after paying.
    pub success_url: &'a str,
    /// Where Stripe sends the browser on "back".
    pub cancel_url: &'a str,
    /// Unix time after which the session can no longer be paid.
    pub expires_at: i64,
    /// Let the customer enter a promotion code.
    pub allow_promotion_codes: bool,
    /// Free trial days, if the plan has a trial.
    pub trial_days: Option<u32>,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(Deserialize)]
struct ErrorDetail {
    message: Option<String>,
}

impl StripeClient {
    /// A client for `base` (e.g. `https://api.stripe.com`) with the secret `key`.
    pub fn new(base: Url, key: Secret) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(20))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("building the Stripe HTTP client")?;
        Ok(Self { http, base, key })
    }

    /// Creates a customer for `user_id`; the key makes a repeated call return the same one.
    pub async fn create_customer(
        &self,
        user_id: &WorkspaceId,
        email: &str,
        idempotency_key: &str,
    ) -> Result<Customer, StripeError> {
        let form = [("email", email), ("metadata[user_id]", user_id)];
        self.post("/v1/customers", &form, idempotency_key).await
    }

    /// Creates a subscription-mode Checkout Session.
    pub async fn create_checkout_session(
        &self,
        request: &CheckoutRequest<'_>,
        idempotency_key: &str,
    ) -> Result<HostedSession, StripeError> {
        let expires_at = request.expires_at.to_string();
        let trial = request.trial_days.map(|d| d.to_string());
        let mut form = vec![
            ("mode", "subscription"),
            ("customer", request.customer_id),
            ("client_reference_id", request.user_id),
            ("line_items[0][price]", request.price_id),
            ("line_items[0][quantity]", "1"),
            ("success_url", request.success_url),
            ("cancel_url", request.cancel_url),
            ("expires_at", expires_at.as_str()),
            ("subscription_data[metadata][user_id]", request.user_id),
        ];
        if request.allow_promotion_codes {
            form.push(("allow_promotion_codes", "true"));
        }
        if let Some(days) = &trial {
            form.push(("subscription_data[trial_period_days]", days.as_str()));
        }
        self.post("/v1/checkout/sessions", &form, idempotency_key)
            .await
    }

    /// Reads a Checkout Session.
    pub async fn get_checkout_session(
        &self,
        id: &StripeSessionId,
    ) -> Result<CheckoutSession, StripeError> {
        let request = self
            .http
            .get(self.url(&format!("/v1/checkout/sessions/{id}"))?);
        self.send(request).await
    }

    /// Expires an open Checkout Session, so it can no longer be paid.
    pub async fn expire_checkout_session(
        &self,
        id: &StripeSessionId,
    ) -> Result<CheckoutSession, StripeError> {
        let key = format!("expire-{id}");
        self.post(&format!("/v1/checkout/sessions/{id}/expire"), &[], &key)
            .await
    }

    /// Every subscription of a customer, whatever its status (newest first, up to 100).
    pub async fn subscriptions_of_customer(
        &self,
        customer_id: &CustomerId,
    ) -> Result<Vec<Subscription>, StripeError> {
        let request = self.http.get(self.url("/v1/subscriptions")?).query(&[
            ("customer", customer_id.as_str()),
            ("status", "all"),
            ("limit", "100"),
        ]);
        let list: List<Subscription> = self.send(request).await?;
        if list.has_more {
            tracing::warn!(
                %customer_id,
                "a customer has more than 100 subscriptions; only the newest 100 are read"
            );
        }
        Ok(list.data)
    }

    /// A customer's most recent invoices (up to `limit`).
    pub async fn invoices_of_customer(
        &self,
        customer_id: &CustomerId,
        limit: u32,
    ) -> Result<Vec<Invoice>, StripeError> {
        let limit = limit.to_string();
        let request = self.http.get(self.url("/v1/invoices")?).query(&[
            ("customer", customer_id.as_str()),
            ("limit", limit.as_str()),
        ]);
        let list: List<Invoice> = self.send(request).await?;
        Ok(list.data)
    }

    /// Deletes a customer (Stripe keeps no email or card for it afterwards).
    pub async fn delete_customer(&self, id: &CustomerId) -> Result<(), StripeError> {
        let request = self.http.delete(self.url(&format!("/v1/customers/{id}"))?);
        let _: serde_json::Value = self.send(request).await?;
        Ok(())
    }

    /// Creates a Billing Portal session for `customer_id`.
    pub async fn create_portal_session(
        &self,
        customer_id: &CustomerId,
        return_url: &str,
        idempotency_key: &str,
    ) -> Result<HostedSession, StripeError> {
        let form = [
            ("customer", customer_id.as_str()),
            ("return_url", return_url),
        ];
        self.post("/v1/billing_portal/sessions", &form, idempotency_key)
            .await
    }

    /// Reads a subscription as it is now.
    pub async fn get_subscription(&self, id: &SubscriptionId) -> Result<Subscription, StripeError> {
        let request = self.http.get(self.url(&format!("/v1/subscriptions/{id}"))?);
        self.send(request).await
    }

    /// Cancels a subscription at once.
    pub async fn cancel_subscription(
        &self,
        id: &SubscriptionId,
    ) -> Result<Subscription, StripeError> {
        let request = self
            .http
            .delete(self.url(&format!("/v1/subscriptions/{id}"))?);
        self.send(request).await
    }

    fn url(&self, path: &str) -> Result<Url, StripeError> {
        let joined = format!("{}{}", self.base.as_str().trim_end_matches('/'), path);
        Url::parse(&joined)
            .with_context(|| format!("bad Stripe URL {joined}"))
            .map_err(StripeError::Transport)
    }

    async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        form: &[(&str, &str)],
        idempotency_key: &str,
    ) -> Result<T, StripeError> {
        let request = self
            .http
            .post(self.url(path)?)
            .header("Idempotency-Key", idempotency_key)
            .form(form);
        self.send(request).await
    }

    async fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::RequestBuilder,
    ) -> Result<T, StripeError> {
        let response = request
            .basic_auth(self.key.expose(), Some(""))
            .send()
            .await
            .context("sending the request")?;
        let status = response.status();
        let bytes = response.bytes().await.context("reading the response")?;
        if !status.is_success() {
            let message = serde_json::from_slice::<ErrorBody>(&bytes)
                .ok()
                .and_then(|b| b.error.message)
                .unwrap_or_else(|| "no message".into());
            return Err(StripeError::Api {
                status: status.as_u16(),
                message,
            });
        }
        serde_json::from_slice(&bytes)
            .context("reading Stripe's answer")
            .map_err(StripeError::Transport)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn price_and_period_come_from_items_or_the_legacy_fields() {
        let new: Subscription = serde_json::from_value(serde_json::json!({
            "id": "sub_1", "customer": "cus_1", "status": "active",
            "items": {"data": [{"price": {"id": "price_pro"}, "current_period_end": 42}]}
        }))
        .unwrap();
        assert_eq!(new.price_id(), Some(&PriceId::new("price_pro")));
        assert_eq!(new.period_end(), Some(42));
        let old: Subscription = serde_json::from_value(serde_json::json!({
            "id": "sub_1", "customer": "cus_1", "status": "past_due",
            "current_period_end": 7, "plan": {"id": "plan_pro"}
        }))
        .unwrap();
        assert_eq!(old.price_id(), Some(&PriceId::new("plan_pro")));
        assert_eq!(old.period_end(), Some(7));
    }
}
