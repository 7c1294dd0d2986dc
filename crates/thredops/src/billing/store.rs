//! Billing rows: customers, subscriptions, received webhook events, and the profile pauses that
//! follow the plan. Portable SQL run on either backend.

use super::status::SubscriptionStatus;
use super::{CustomerId, EventId, PriceId, StripeSessionId, SubscriptionId};
use crate::domain::WorkspaceId;
use crate::domain::{AuditId, ProfileId};
use crate::store::profiles::ProfileStatus;
use crate::store::{IntFlag, Store, StoreResult, Tx, with_pool, with_tx};

/// A subscription as last applied.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct SubscriptionRow {
    /// `sub_...`
    pub subscription_id: SubscriptionId,
    /// Owner.
    pub user_id: WorkspaceId,
    /// Price it is for.
    pub price_id: Option<PriceId>,
    /// Stripe status.
    #[sqlx(try_from = "String")]
    pub status: SubscriptionStatus,
    /// Next invoice date.
    pub current_period_end: Option<i64>,
    /// Ends at period end.
    #[sqlx(try_from = "IntFlag")]
    pub cancel_at_period_end: bool,
    /// Start of the grace period.
    pub past_due_since: Option<i64>,
    /// `created` of the newest event applied.
    pub version: i64,
}

/// A received webhook event.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct EventRow {
    /// `evt_...`
    pub id: EventId,
    /// e.g. `invoice.paid`.
    pub event_type: String,
    /// Stripe's `created`.
    pub created: i64,
    /// The raw JSON, until processed.
    pub payload: Option<String>,
    /// Already processed.
    pub processed: bool,
}

const SUB_COLUMNS: &str = "subscription_id, user_id, price_id, status, current_period_end, cancel_at_period_end, past_due_since, version";

/// Applies a subscription state unless a newer event already did (`version` is the event's
/// `created`; equal versions apply, since Stripe's clock has one-second resolution).
/// Returns whether it was applied.
pub async fn apply_subscription(tx: &mut Tx, row: &SubscriptionRow, now: i64) -> StoreResult<bool> {
    let affected = with_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO billing_subscriptions (subscription_id, user_id, price_id, status, current_period_end, cancel_at_period_end, past_due_since, version, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
         ON CONFLICT (subscription_id) DO UPDATE SET price_id = excluded.price_id, status = excluded.status, \
           current_period_end = excluded.current_period_end, cancel_at_period_end = excluded.cancel_at_period_end, \
           past_due_since = CASE WHEN excluded.status = 'past_due' THEN COALESCE(billing_subscriptions.past_due_since, excluded.past_due_since) ELSE NULL END, \
           version = excluded.version, updated_at = excluded.updated_at \
         WHERE billing_subscriptions.version <= excluded.version AND billing_subscriptions.user_id = excluded.user_id"
    )
    .bind(&row.subscription_id)
    .bind(&row.user_id)
    .bind(&row.price_id)
    .bind(row.status.as_str())
    .bind(row.current_period_end)
    .bind(i64::from(row.cancel_at_period_end))
    .bind(row.past_due_since)
    .bind(row.version)
    .bind(now)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(affected > 0)
}

/// Records a verified event once; `false` when it was already recorded (a redelivery).
pub async fn record_event(
    tx: &mut Tx,
    id: &EventId,
    event_type: &str,
    created: i64,
    payload: &str,
    now: i64,
) -> StoreResult<bool> {
    let affected = with_tx!(tx, |c| {
        sqlx::query(
        "INSERT INTO billing_events (id, event_type, created, received_at, payload) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"
    )
    .bind(id)
    .bind(event_type)
    .bind(created)
    .bind(now)
    .bind(payload)
    .execute(&mut *c)
    .await
    .map(|r| r.rows_affected())
    })?;
    Ok(affected > 0)
}

impl Store {
    /// The user owning a Stripe customer.
    pub(crate) async fn user_of_stripe_customer(
        &self,
        customer_id: &CustomerId,
    ) -> StoreResult<Option<WorkspaceId>> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT user_id FROM billing_customers WHERE customer_id = $1"
        )
        .bind(customer_id)
        .fetch_optional(p)
        .await)?)
    }

    /// The Stripe customer of a user.
    pub(crate) async fn stripe_customer_of(
        &self,
        user_id: &WorkspaceId,
    ) -> StoreResult<Option<CustomerId>> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT customer_id FROM billing_customers WHERE user_id = $1"
        )
        .bind(user_id)
        .fetch_optional(p)
        .await)?)
    }

    /// Remembers a user's customer (the first one wins if two requests raced).
    pub(crate) async fn save_stripe_customer(
        &self,
        user_id: &WorkspaceId,
        customer_id: &CustomerId,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO billing_customers (user_id, customer_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        )
        .bind(user_id)
        .bind(customer_id)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Every subscription of a user, newest state first.
    pub(crate) async fn subscriptions_of(
        &self,
        user_id: &WorkspaceId,
    ) -> StoreResult<Vec<SubscriptionRow>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {SUB_COLUMNS} FROM billing_subscriptions WHERE user_id = $1 ORDER BY version DESC"
        ));
        Ok(with_pool!(self, |p| sqlx::query_as(sql)
            .bind(user_id)
            .fetch_all(p)
            .await)?)
    }

    /// A recorded event.
    pub(crate) async fn billing_event(&self, id: &EventId) -> StoreResult<Option<EventRow>> {
        // `processed_at IS NOT NULL` is a boolean on PostgreSQL and 0/1 on SQLite; both decode.
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT id, event_type, created, payload, processed_at IS NOT NULL AS processed FROM billing_events WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(p)
        .await
        })?)
    }

    /// Marks an event processed, drops its payload, and ties it to its user (so deletion purges it).
    pub(crate) async fn finish_billing_event(
        &self,
        id: &EventId,
        user_id: Option<&WorkspaceId>,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "UPDATE billing_events SET processed_at = $1, payload = NULL, user_id = $2 WHERE id = $3"
        )
        .bind(now)
        .bind(user_id)
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Sets a profile's status if it is still `from` (so a concurrent change is not overwritten).
    pub(crate) async fn swap_profile_status(
        &self,
        profile_id: &ProfileId,
        from: ProfileStatus,
        to: ProfileStatus,
    ) -> StoreResult<bool> {
        let affected = with_pool!(self, |p| sqlx::query(
            "UPDATE threads_profiles SET status = $1 WHERE id = $2 AND status = $3"
        )
        .bind(to.as_str())
        .bind(profile_id)
        .bind(from.as_str())
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(affected > 0)
    }

    /// Deep audits a user started since `since` that count against the plan (failed ones do not;
    /// audits of profiles deleted since still do).
    pub(crate) async fn audits_started_since(
        &self,
        user_id: &WorkspaceId,
        since: i64,
    ) -> StoreResult<i64> {
        Ok(with_pool!(self, |p| {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM audit_usage WHERE user_id = $1 AND started_at >= $2",
            )
            .bind(user_id)
            .bind(since)
            .fetch_one(p)
            .await
        })?)
    }

    /// Counts audit `audit_id` against the user's allowance, unless `limit` audits were already
    /// counted since `since` (false then). The check and the insert run while holding the account
    /// (a row lock on PostgreSQL, the write lock on SQLite), so two simultaneous starts cannot
    /// both take the last audit of the month.
    pub(crate) async fn count_audit(
        &self,
        audit_id: &AuditId,
        user_id: &WorkspaceId,
        now: i64,
        since: i64,
        limit: Option<u32>,
    ) -> StoreResult<bool> {
        let postgres = self.backend() == "postgres";
        Ok(with_pool!(self, |p| async {
            let mut tx = if postgres {
                p.begin().await?
            } else {
                // Deferred transactions read first and could both see the last audit free.
                p.begin_with("BEGIN IMMEDIATE").await?
            };
            if postgres {
                sqlx::query("SELECT id FROM users WHERE id = $1 FOR UPDATE")
                    .bind(user_id)
                    .execute(&mut *tx)
                    .await?;
            }
            if let Some(limit) = limit {
                let used: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM audit_usage WHERE user_id = $1 AND started_at >= $2",
                )
                .bind(user_id)
                .bind(since)
                .fetch_one(&mut *tx)
                .await?;
                if used >= i64::from(limit) {
                    return Ok::<_, sqlx::Error>(false);
                }
            }
            sqlx::query(
                "INSERT INTO audit_usage (audit_id, user_id, started_at) VALUES ($1, $2, $3)",
            )
            .bind(audit_id)
            .bind(user_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(true)
        }
        .await)?)
    }

    /// Gives a counted audit back (it failed, or never started).
    pub(crate) async fn uncount_audit(&self, audit_id: &AuditId) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "DELETE FROM audit_usage WHERE audit_id = $1"
        )
        .bind(audit_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Every (user, customer) pair after `after` (by user id), `limit` at a time.
    pub(crate) async fn stripe_customers_after(
        &self,
        after: &WorkspaceId,
        limit: i64,
    ) -> StoreResult<Vec<(WorkspaceId, CustomerId)>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT user_id, customer_id FROM billing_customers WHERE user_id > $1 ORDER BY user_id LIMIT $2",
        )
        .bind(after)
        .bind(limit)
        .fetch_all(p)
        .await
        })?)
    }

    /// Remembers an open Checkout Session of a user.
    pub(crate) async fn save_checkout(
        &self,
        session_id: &StripeSessionId,
        user_id: &WorkspaceId,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO billing_checkouts (session_id, user_id, created_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        )
        .bind(session_id)
        .bind(user_id)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// The user's remembered Checkout Sessions other than `except`, oldest first.
    pub(crate) async fn checkouts_of(
        &self,
        user_id: &WorkspaceId,
        except: &StripeSessionId,
    ) -> StoreResult<Vec<StripeSessionId>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_scalar(
            "SELECT session_id FROM billing_checkouts WHERE user_id = $1 AND session_id <> $2 ORDER BY created_at, session_id"
        )
        .bind(user_id)
        .bind(except)
        .fetch_all(p)
        .await
        })?)
    }

    /// Forgets a Checkout Session (paid, expired, or replaced).
    pub(crate) async fn forget_checkout(&self, session_id: &StripeSessionId) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "DELETE FROM billing_checkouts WHERE session_id = $1"
        )
        .bind(session_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Marks the subscriptions in `ids` as reported for being one too many; returns how many were
    /// not reported before.
    pub(crate) async fn mark_duplicates_reported(
        &self,
        ids: &[SubscriptionId],
        now: i64,
    ) -> StoreResult<u64> {
        let mut fresh = 0;
        for id in ids {
            fresh += with_pool!(self, |p| {
                sqlx::query(
                "UPDATE billing_subscriptions SET duplicate_reported_at = $1 WHERE subscription_id = $2 AND duplicate_reported_at IS NULL"
            )
            .bind(now)
            .bind(id)
            .execute(p)
            .await
            .map(|r| r.rows_affected())
            })?;
        }
        Ok(fresh)
    }
}
