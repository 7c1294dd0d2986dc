//! Storage of webhook endpoints, events, deliveries and attempts.

use std::collections::HashMap;

use sqlx::Row;

use super::delivery::DELIVER_JOB;
use super::{DeliveryId, DeliveryState, EndpointId, Event, EventId, EventType};
use crate::domain::{PostId, WorkspaceId};
use crate::jobs::{self, NewJob};
use crate::store::{Store, StoreResult, Tx, with_pool, with_tx};

/// Attempts one delivery gets (the first and seven retries, over about a day).
pub const MAX_ATTEMPTS: i32 = 8;

/// A stored endpoint; URL and secret sealed.
#[derive(Debug, Clone)]
pub struct EndpointRecord {
    /// Id.
    pub id: EndpointId,
    /// Owner.
    pub user_id: WorkspaceId,
    /// The URL, sealed.
    pub url_enc: Vec<u8>,
    /// The URL's host.
    pub host: String,
    /// The signing secret, sealed.
    pub secret_enc: Vec<u8>,
    /// Event types sent to it.
    pub events: Vec<EventType>,
    /// Whether events are sent to it.
    pub enabled: bool,
    /// Why ThredOps turned it off.
    pub disabled_reason: Option<String>,
    /// When it was added.
    pub created_at: i64,
    /// When its secret was last replaced.
    pub secret_rotated_at: Option<i64>,
}

/// A stored delivery with its event's type and sealed body.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DeliveryRecord {
    /// Id.
    pub id: DeliveryId,
    /// Owner.
    pub user_id: WorkspaceId,
    /// Endpoint.
    pub endpoint_id: EndpointId,
    /// Event.
    pub event_id: EventId,
    /// The event's type.
    #[sqlx(rename = "kind", try_from = "String")]
    pub event_type: EventType,
    /// Where it is.
    #[sqlx(try_from = "String")]
    pub state: DeliveryState,
    /// Attempts so far.
    pub attempts: i64,
    /// Last status answered.
    pub last_status: Option<i64>,
    /// Last failure.
    pub last_error: Option<String>,
    /// Next attempt, while pending.
    pub next_attempt_at: Option<i64>,
    /// When delivered.
    pub delivered_at: Option<i64>,
    /// When recorded.
    pub created_at: i64,
    /// The event's body, sealed.
    pub payload_enc: Vec<u8>,
}

/// One attempt.
#[derive(Debug, Clone)]
pub struct AttemptRecord {
    /// When.
    pub attempted_at: i64,
    /// Status answered.
    pub status_code: Option<i64>,
    /// Failure in words.
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
}

/// What the delivery job reads: the delivery and its endpoint.
#[derive(Debug, Clone)]
pub struct SendTarget {
    /// The delivery.
    pub delivery: DeliveryRecord,
    /// Its endpoint.
    pub endpoint: EndpointRecord,
}

/// An event to store.
pub struct NewEvent<'a> {
    pub id: &'a EventId,
    pub user_id: &'a WorkspaceId,
    pub event: &'a Event,
    pub payload_enc: &'a [u8],
    pub created_at: i64,
}

/// How an attempt ended, for [`Store::record_webhook_attempt`].
#[derive(Debug, Clone)]
pub struct AttemptOutcome {
    /// The attempt.
    pub attempt: AttemptRecord,
    /// The delivery's state after it.
    pub state: DeliveryState,
    /// When the next attempt is due (pending only).
    pub next_attempt_at: Option<i64>,
}

const ENDPOINT_COLUMNS: &str = "id, user_id, url_enc, host, secret_enc, events, enabled, disabled_reason, created_at, secret_rotated_at";
const DELIVERY_COLUMNS: &str = "d.id, d.user_id, d.endpoint_id, d.event_id, d.state, d.attempts, d.last_status, d.last_error, d.next_attempt_at, d.delivered_at, d.created_at, ev.kind, ev.payload_enc";

// Not a FromRow derive: `events` is one comma-separated column decoded into a Vec<EventType>.
macro_rules! endpoint_from_row {
    ($row:expr) => {{
        let row = $row;
        let events: String = row.try_get("events")?;
        EndpointRecord {
            id: row.try_get("id")?,
            user_id: row.try_get("user_id")?,
            url_enc: row.try_get("url_enc")?,
            host: row.try_get("host")?,
            secret_enc: row.try_get("secret_enc")?,
            events: events.split(',').filter_map(EventType::parse).collect(),
            enabled: row.try_get("enabled")?,
            disabled_reason: row.try_get("disabled_reason")?,
            created_at: row.try_get("created_at")?,
            secret_rotated_at: row.try_get("secret_rotated_at")?,
        }
    }};
}

fn events_text(events: &[EventType]) -> String {
    events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(",")
}

/// Enqueues the delivery job of `delivery_id`, inside the caller's transaction.
async fn enqueue_delivery(
    tx: &mut Tx,
    delivery_id: &DeliveryId,
    user_id: &WorkspaceId,
) -> StoreResult<()> {
    let job = NewJob::new(DELIVER_JOB, serde_json::json!({"delivery_id": delivery_id}))
        .dedup_key(format!("{DELIVER_JOB}:{delivery_id}"))
        .max_attempts(MAX_ATTEMPTS)
        .user(user_id);
    jobs::enqueue(tx, &job).await?;
    Ok(())
}

impl Store {
    /// Stores a new endpoint.
    pub async fn insert_webhook_endpoint(&self, e: &EndpointRecord) -> StoreResult<()> {
        let events = events_text(&e.events);
        with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO webhook_endpoints (id, user_id, url_enc, host, secret_enc, events, enabled, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        )
        .bind(e.id.as_str())
        .bind(&e.user_id)
        .bind(&e.url_enc)
        .bind(&e.host)
        .bind(&e.secret_enc)
        .bind(&events)
        .bind(e.enabled)
        .bind(e.created_at)
        .execute(p)
        .await
        .map(|_| ())
        })?;
        Ok(())
    }

    /// Writes an endpoint's URL, secret, events and on/off state.
    pub async fn update_webhook_endpoint(&self, e: &EndpointRecord) -> StoreResult<()> {
        let events = events_text(&e.events);
        with_pool!(self, |p| {
            sqlx::query(
            "UPDATE webhook_endpoints SET url_enc = $1, host = $2, secret_enc = $3, events = $4, enabled = $5, \
             disabled_reason = $6, secret_rotated_at = $7 WHERE id = $8 AND user_id = $9"
        )
        .bind(&e.url_enc)
        .bind(&e.host)
        .bind(&e.secret_enc)
        .bind(&events)
        .bind(e.enabled)
        .bind(&e.disabled_reason)
        .bind(e.secret_rotated_at)
        .bind(e.id.as_str())
        .bind(&e.user_id)
        .execute(p)
        .await
        .map(|_| ())
        })?;
        Ok(())
    }

    /// The user's endpoints, oldest first.
    pub async fn webhook_endpoints_of(
        &self,
        user_id: &WorkspaceId,
    ) -> StoreResult<Vec<EndpointRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE user_id = $1 ORDER BY created_at, id"
        ));
        Ok(with_pool!(self, |p| async {
            let rows = sqlx::query(sql).bind(user_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(endpoint_from_row!(r));
            }
            Ok::<_, sqlx::Error>(out)
        }
        .await)?)
    }

    /// One of the user's endpoints.
    pub async fn webhook_endpoint(
        &self,
        user_id: &WorkspaceId,
        id: &EndpointId,
    ) -> StoreResult<Option<EndpointRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ENDPOINT_COLUMNS} FROM webhook_endpoints WHERE id = $1 AND user_id = $2"
        ));
        Ok(with_pool!(self, |p| async {
            match sqlx::query(sql)
                .bind(id)
                .bind(user_id)
                .fetch_optional(p)
                .await?
            {
                Some(r) => Ok::<_, sqlx::Error>(Some(endpoint_from_row!(&r))),
                None => Ok(None),
            }
        }
        .await)?)
    }

    /// How many endpoints the user has.
    pub async fn webhook_endpoint_count(&self, user_id: &WorkspaceId) -> StoreResult<i64> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT count(*) FROM webhook_endpoints WHERE user_id = $1"
        )
        .bind(user_id)
        .fetch_one(p)
        .await)?)
    }

    /// Removes one of the user's endpoints (its deliveries and attempts go with it, and their
    /// jobs find nothing to send); false when they have no such endpoint.
    pub async fn delete_webhook_endpoint(
        &self,
        user_id: &WorkspaceId,
        id: &EndpointId,
    ) -> StoreResult<bool> {
        let n = with_pool!(self, |p| sqlx::query(
            "DELETE FROM webhook_endpoints WHERE id = $1 AND user_id = $2"
        )
        .bind(id)
        .bind(user_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }

    /// Records an event with one delivery (and its job) per endpoint, in one transaction; false
    /// when the event's key was already recorded.
    pub async fn insert_webhook_event(
        &self,
        new: NewEvent<'_>,
        endpoints: &[EndpointId],
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let inserted = with_tx!(&mut tx, |c| {
            sqlx::query(
            "INSERT INTO webhook_events (id, user_id, profile_id, kind, event_key, payload_enc, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (user_id, event_key) DO NOTHING"
        )
        .bind(new.id.as_str())
        .bind(new.user_id)
        .bind(&new.event.profile_id)
        .bind(new.event.kind.as_str())
        .bind(&new.event.key)
        .bind(new.payload_enc)
        .bind(new.created_at)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
        })?;
        if inserted != 1 {
            tx.rollback().await?;
            return Ok(false);
        }
        for endpoint in endpoints {
            let id = DeliveryId::new(format!("wd_{}", uuid::Uuid::now_v7().simple()));
            with_tx!(&mut tx, |c| {
                sqlx::query(
                "INSERT INTO webhook_deliveries (id, user_id, endpoint_id, event_id, state, next_attempt_at, created_at) \
                 VALUES ($1, $2, $3, $4, 'pending', $5, $5)"
            )
            .bind(&id)
            .bind(new.user_id)
            .bind(endpoint)
            .bind(new.id.as_str())
            .bind(new.created_at)
            .execute(c)
            .await
            .map(|_| ())
            })?;
            enqueue_delivery(&mut tx, &id, new.user_id).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// The user's deliveries, newest first, of one endpoint or all.
    pub async fn webhook_deliveries(
        &self,
        user_id: &WorkspaceId,
        endpoint_id: Option<&EndpointId>,
        limit: i64,
    ) -> StoreResult<Vec<DeliveryRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id \
             WHERE d.user_id = $1 AND ($2 IS NULL OR d.endpoint_id = $2) ORDER BY d.created_at DESC, d.id DESC LIMIT $3"
        ));
        Ok(with_pool!(self, |p| async {
            let rows = sqlx::query(sql)
                .bind(user_id)
                .bind(endpoint_id)
                .bind(limit)
                .fetch_all(p)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(sqlx::FromRow::from_row(r)?);
            }
            Ok::<_, sqlx::Error>(out)
        }
        .await)?)
    }

    /// One of the user's deliveries.
    pub async fn webhook_delivery(
        &self,
        user_id: &WorkspaceId,
        id: &DeliveryId,
    ) -> StoreResult<Option<DeliveryRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id \
             WHERE d.id = $1 AND d.user_id = $2"
        ));
        Ok(with_pool!(self, |p| async {
            match sqlx::query(sql)
                .bind(id)
                .bind(user_id)
                .fetch_optional(p)
                .await?
            {
                Some(r) => Ok::<_, sqlx::Error>(Some(sqlx::FromRow::from_row(&r)?)),
                None => Ok(None),
            }
        }
        .await)?)
    }

    /// The user's attempts made since `since`, oldest first, by delivery id.
    pub async fn webhook_attempts_since(
        &self,
        user_id: &WorkspaceId,
        since: i64,
    ) -> StoreResult<HashMap<DeliveryId, Vec<AttemptRecord>>> {
        let rows = with_pool!(self, |p| {
            async {
            let rows = sqlx::query(
                "SELECT delivery_id, attempted_at, status_code, error, duration_ms FROM webhook_attempts \
                 WHERE user_id = $1 AND attempted_at >= $2 ORDER BY attempted_at, id",
            )
            .bind(user_id)
            .bind(since)
            .fetch_all(p)
            .await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push((
                    r.try_get::<DeliveryId, _>("delivery_id")?,
                    AttemptRecord {
                        attempted_at: r.try_get("attempted_at")?,
                        status_code: r.try_get("status_code")?,
                        error: r.try_get("error")?,
                        duration_ms: r.try_get("duration_ms")?,
                    },
                ))
            }
            Ok::<_, sqlx::Error>(out)
        }
        .await
        })?;
        let mut by_delivery: HashMap<DeliveryId, Vec<AttemptRecord>> = HashMap::new();
        for (id, a) in rows {
            by_delivery.entry(id).or_default().push(a);
        }
        Ok(by_delivery)
    }

    /// What the delivery job needs: the delivery, its event and its endpoint.
    pub async fn webhook_send_target(
        &self,
        delivery_id: &DeliveryId,
    ) -> StoreResult<Option<SendTarget>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d JOIN webhook_events ev ON ev.id = d.event_id \
             WHERE d.id = $1"
        ));
        let delivery: Option<DeliveryRecord> = with_pool!(self, |p| sqlx::query_as(sql)
            .bind(delivery_id)
            .fetch_optional(p)
            .await)?;
        let Some(delivery) = delivery else {
            return Ok(None);
        };
        let endpoint = self
            .webhook_endpoint(&delivery.user_id, &delivery.endpoint_id)
            .await?;
        Ok(endpoint.map(|endpoint| SendTarget { delivery, endpoint }))
    }

    /// Records an attempt and the delivery's new state in one transaction.
    pub async fn record_webhook_attempt(
        &self,
        delivery: &DeliveryRecord,
        outcome: &AttemptOutcome,
    ) -> StoreResult<()> {
        let a = &outcome.attempt;
        let delivered_at = (outcome.state == DeliveryState::Delivered).then_some(a.attempted_at);
        let id = format!("wa_{}", uuid::Uuid::now_v7().simple());
        let mut tx = self.begin().await?;
        with_tx!(&mut tx, |c| {
            sqlx::query(
            "INSERT INTO webhook_attempts (id, delivery_id, user_id, attempted_at, status_code, error, duration_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)"
        )
        .bind(&id)
        .bind(delivery.id.as_str())
        .bind(&delivery.user_id)
        .bind(a.attempted_at)
        .bind(a.status_code)
        .bind(&a.error)
        .bind(a.duration_ms)
        .execute(c)
        .await
        .map(|_| ())
        })?;
        with_tx!(&mut tx, |c| {
            sqlx::query(
            "UPDATE webhook_deliveries SET attempts = attempts + 1, state = $1, last_status = $2, last_error = $3, \
             next_attempt_at = $4, delivered_at = COALESCE($5, delivered_at) WHERE id = $6"
        )
        .bind(outcome.state.as_str())
        .bind(a.status_code)
        .bind(&a.error)
        .bind(outcome.next_attempt_at)
        .bind(delivered_at)
        .bind(delivery.id.as_str())
        .execute(c)
        .await
        .map(|_| ())
        })?;
        tx.commit().await?;
        Ok(())
    }

    /// Gives up on a pending delivery without an attempt (its endpoint was turned off).
    pub async fn fail_webhook_delivery(&self, id: &DeliveryId, reason: &str) -> StoreResult<()> {
        self.set_with_reason(
            "UPDATE webhook_deliveries SET state = 'failed', last_error = $1, next_attempt_at = NULL \
             WHERE id = $2 AND state = 'pending'",
            reason,
            id,
        )
        .await
    }

    /// Runs an update that takes a reason (`$1`) and an id (`$2`).
    async fn set_with_reason(
        &self,
        sql: &'static str,
        reason: &str,
        id: &impl AsRef<str>,
    ) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(sql)
            .bind(reason)
            .bind(id.as_ref())
            .execute(p)
            .await
            .map(|_| ()))?;
        Ok(())
    }

    /// Published posts since `since` that an endpoint of their owner (subscribed to
    /// `post.published`, on, and added before the publication) should have heard of but whose
    /// event is not recorded: what a crash between publishing and recording left out.
    pub async fn unreported_published_posts(&self, since: i64) -> StoreResult<Vec<PostId>> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT DISTINCT p.id FROM webhook_endpoints e \
             JOIN scheduled_posts p ON p.user_id = e.user_id \
             WHERE e.enabled AND e.events LIKE '%post.published%' AND p.state = 'published' \
             AND p.published_at >= $1 AND p.published_at >= e.created_at \
             AND NOT EXISTS (SELECT 1 FROM webhook_events ev WHERE ev.user_id = p.user_id \
                 AND ev.event_key = 'post.published:' || p.id) \
             LIMIT 500"
        )
        .bind(since)
        .fetch_all(p)
        .await)?)
    }

    /// Deletes events recorded before `before`, with their deliveries and attempts.
    pub async fn prune_webhook_events(&self, before: i64) -> StoreResult<u64> {
        Ok(with_pool!(self, |p| sqlx::query(
            "DELETE FROM webhook_events WHERE created_at < $1"
        )
        .bind(before)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
    }

    /// When the endpoint last accepted a delivery, if ever.
    pub async fn webhook_last_delivered(
        &self,
        endpoint_id: &EndpointId,
    ) -> StoreResult<Option<i64>> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT max(delivered_at) FROM webhook_deliveries WHERE endpoint_id = $1"
        )
        .bind(endpoint_id.as_str())
        .fetch_one(p)
        .await)?)
    }

    /// Turns an endpoint off, saying why.
    pub async fn disable_webhook_endpoint(&self, id: &EndpointId, reason: &str) -> StoreResult<()> {
        self.set_with_reason(
            "UPDATE webhook_endpoints SET enabled = FALSE, disabled_reason = $1 WHERE id = $2 AND enabled",
            reason,
            id,
        )
        .await
    }

    /// Puts a delivered or failed delivery back to pending and enqueues its job, in one
    /// transaction; false when it is still pending.
    pub async fn replay_webhook_delivery(&self, id: &DeliveryId, now: i64) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let user_id: Option<WorkspaceId> = with_tx!(&mut tx, |c| sqlx::query_scalar(
            "UPDATE webhook_deliveries SET state = 'pending', next_attempt_at = $1 \
             WHERE id = $2 AND state <> 'pending' RETURNING user_id"
        )
        .bind(now)
        .bind(id.as_str())
        .fetch_optional(c)
        .await)?;
        let Some(user_id) = user_id else {
            tx.rollback().await?;
            return Ok(false);
        };
        enqueue_delivery(&mut tx, id, &user_id).await?;
        tx.commit().await?;
        Ok(true)
    }
}
