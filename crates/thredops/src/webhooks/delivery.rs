//! The delivery job: POSTs one event to one endpoint, signed, and records the attempt.
//!
//! A 2xx answer within [`TIMEOUT`] delivers it. Anything else (another status, a redirect, a
//! timeout, no connection) is recorded and retried after [`RETRY_AFTER`] (1 minute, then 5 and
//! 30 minutes, 1, 3, 6 and 12 hours: eight attempts over about 23 hours), after which the
//! delivery is failed and can be replayed from the log. Delivery is at least once: a crash
//! between sending and recording sends again, with the same event id for the receiver to drop.
//!
//! Endpoints must be on the public internet: an address that is, or whose name resolves to,
//! loopback, private, link-local or otherwise reserved is refused (so a webhook cannot be aimed
//! at the server's own network) unless `THREDOPS_WEBHOOKS_PRIVATE_HOSTS` allows it. Redirects
//! are not followed.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde::Deserialize;

use super::store::{AttemptOutcome, AttemptRecord, SendTarget};
use super::{DeliveryId, DeliveryState, EVENT_PURPOSE, SECRET_PURPOSE, URL_PURPOSE, signing};
use crate::app::AppState;
use crate::clock::now_unix;
use crate::jobs::{JobContext, JobError, Runner, handler_fn};
use crate::publishing::feeds::{NotPublic, PublicOnly};

pub use crate::publishing::feeds::literal_private;

/// Job kind of one delivery.
pub const DELIVER_JOB: &str = "webhooks.deliver";
/// How long an endpoint has to answer.
pub const TIMEOUT: Duration = Duration::from_secs(10);
/// Wait after the n-th failed attempt (seconds).
pub const RETRY_AFTER: [u64; 7] = [60, 300, 1_800, 3_600, 3 * 3_600, 6 * 3_600, 12 * 3_600];
/// Why a private address is refused, in words.
pub const PRIVATE_WORDS: &str = "The endpoint's address is on a private network; webhooks are only sent to addresses on the public internet.";

pub(super) fn register(runner: Runner, state: &AppState) -> Runner {
    let state = state.clone();
    runner.register(
        DELIVER_JOB,
        handler_fn(move |ctx| deliver(state.clone(), ctx)),
    )
}

/// The wait before the attempt after `attempt` (1-based) failed.
pub fn retry_after(attempt: i32) -> Duration {
    let i = usize::try_from(attempt.saturating_sub(1)).unwrap_or(0);
    Duration::from_secs(RETRY_AFTER[i.min(RETRY_AFTER.len() - 1)])
}

/// The client deliveries are sent with: public hosts only unless `private_hosts`; no redirects.
fn client(private_hosts: bool) -> &'static reqwest::Client {
    static PUBLIC: OnceLock<reqwest::Client> = OnceLock::new();
    static ANY: OnceLock<reqwest::Client> = OnceLock::new();
    let build = || {
        let builder = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("ThredOps-Webhooks/", env!("CARGO_PKG_VERSION")));
        let builder = if private_hosts {
            builder
        } else {
            builder.dns_resolver(std::sync::Arc::new(PublicOnly))
        };
        builder.build().unwrap_or_default()
    };
    if private_hosts {
        ANY.get_or_init(build)
    } else {
        PUBLIC.get_or_init(build)
    }
}

#[derive(Deserialize)]
struct Payload {
    delivery_id: DeliveryId,
}

/// One attempt's result: the status answered, or what went wrong in words.
type Sent = Result<u16, String>;

async fn send(state: &AppState, target: &SendTarget, url: &str, secret: &str, body: &str) -> Sent {
    let private_hosts = state.settings.webhooks_private_hosts;
    let url =
        url::Url::parse(url).map_err(|_| "The endpoint's address is not valid.".to_owned())?;
    if !private_hosts && literal_private(&url) {
        return Err(PRIVATE_WORDS.to_owned());
    }
    let d = &target.delivery;
    let response = client(private_hosts)
        .post(url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(
            signing::SIGNATURE_HEADER,
            signing::header(secret, now_unix(), body.as_bytes()),
        )
        .header(signing::EVENT_ID_HEADER, d.event_id.as_str())
        .header(signing::EVENT_TYPE_HEADER, d.event_type.as_str())
        .header(signing::DELIVERY_ID_HEADER, d.id.as_str())
        .body(body.to_owned())
        .send()
        .await
        .map_err(|e| {
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(err) = source {
                if err.is::<NotPublic>() {
                    return PRIVATE_WORDS.to_owned();
                }
                source = err.source();
            }
            if e.is_timeout() {
                format!(
                    "The endpoint did not answer within {} seconds.",
                    TIMEOUT.as_secs()
                )
            } else if e.is_connect() {
                "The endpoint could not be reached (no connection).".to_owned()
            } else {
                "The request to the endpoint failed before an answer came.".to_owned()
            }
        })?;
    Ok(response.status().as_u16())
}

async fn deliver(state: AppState, ctx: JobContext) -> Result<(), JobError> {
    let payload: Payload = ctx.payload_as()?;
    let Some(target) = state
        .store
        .webhook_send_target(&payload.delivery_id)
        .await?
    else {
        // The endpoint or the account was removed: nothing to send.
        return Ok(());
    };
    let d = &target.delivery;
    if d.state != DeliveryState::Pending {
        return Ok(());
    }
    if !target.endpoint.enabled {
        state
            .store
            .fail_webhook_delivery(
                &d.id,
                "The endpoint was turned off before this was delivered.",
            )
            .await?;
        return Ok(());
    }
    let Some(key) = state
        .vault
        .existing_key(&d.user_id)
        .await
        .map_err(|e| JobError::retry(e.to_string()))?
    else {
        return Ok(());
    };
    let e = &target.endpoint;
    let open = |purpose, subject: &str, sealed: &[u8]| {
        key.open_string(purpose, subject, sealed)
            .map_err(|e| JobError::permanent(format!("webhook {purpose} unreadable: {e}")))
    };
    let url = open(URL_PURPOSE, e.id.as_str(), &e.url_enc)?;
    let secret = open(SECRET_PURPOSE, e.id.as_str(), &e.secret_enc)?;
    let body = open(EVENT_PURPOSE, d.event_id.as_str(), &d.payload_enc)?;

    let attempted_at = now_unix();
    let started = Instant::now();
    let sent = send(&state, &target, &url, &secret, &body).await;
    let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
    let (status_code, error) = match sent {
        Ok(s) if (200..300).contains(&s) => (Some(i64::from(s)), None),
        Ok(s) => (
            Some(i64::from(s)),
            Some(format!(
                "The endpoint answered HTTP {s}{}.",
                reqwest::StatusCode::from_u16(s)
                    .ok()
                    .and_then(|c| c.canonical_reason())
                    .map(|r| format!(" {r}"))
                    .unwrap_or_default()
            )),
        ),
        Err(words) => (None, Some(words)),
    };
    let wait = retry_after(ctx.attempt());
    let last = ctx.is_last_attempt();
    let new_state = match (&error, last) {
        (None, _) => DeliveryState::Delivered,
        (Some(_), true) => DeliveryState::Failed,
        (Some(_), false) => DeliveryState::Pending,
    };
    let outcome = AttemptOutcome {
        attempt: AttemptRecord {
            attempted_at,
            status_code,
            error: error.clone(),
            duration_ms,
        },
        state: new_state,
        next_attempt_at: (new_state == DeliveryState::Pending)
            .then(|| attempted_at + i64::try_from(wait.as_secs()).unwrap_or(i64::MAX)),
    };
    state.store.record_webhook_attempt(d, &outcome).await?;
    if new_state == DeliveryState::Failed {
        turn_off_if_failing_for_days(&state, &target, attempted_at).await?;
    }
    match (error, new_state) {
        (Some(reason), DeliveryState::Pending) => Err(JobError::retry_after(
            format!("webhook delivery {}: {reason}", d.id.as_str()),
            wait,
        )),
        // Delivered, or failed for good: the log says which; the queue has nothing to retry.
        _ => Ok(()),
    }
}

/// An endpoint that has accepted nothing for this long when a delivery fails for good is
/// turned off, so ThredOps stops sending to an address that is gone.
pub const GIVE_UP_AFTER_SECS: i64 = 3 * 86_400;

async fn turn_off_if_failing_for_days(
    state: &AppState,
    target: &SendTarget,
    now: i64,
) -> Result<(), JobError> {
    let e = &target.endpoint;
    let last_ok = state.store.webhook_last_delivered(&e.id).await?;
    if now - last_ok.unwrap_or(e.created_at) < GIVE_UP_AFTER_SECS {
        return Ok(());
    }
    let since = chrono::DateTime::from_timestamp(last_ok.unwrap_or(e.created_at), 0)
        .map(|t| t.format("%Y-%m-%d").to_string())
        .unwrap_or_default();
    let reason = match last_ok {
        Some(_) => format!(
            "ThredOps turned it off: it has not accepted an event since {since}. Fix the endpoint, then turn it on and replay what it missed."
        ),
        None => format!(
            "ThredOps turned it off: it has not accepted an event since it was added on {since}. Fix the endpoint, then turn it on and replay what it missed."
        ),
    };
    state.store.disable_webhook_endpoint(&e.id, &reason).await?;
    tracing::info!(endpoint_id = %e.id.as_str(), "webhook endpoint turned off after failing for days");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_spread_over_about_a_day() {
        assert_eq!(retry_after(1), Duration::from_secs(60));
        assert_eq!(retry_after(7), Duration::from_secs(12 * 3_600));
        assert_eq!(retry_after(100), Duration::from_secs(12 * 3_600));
        let total: u64 = RETRY_AFTER.iter().sum();
        assert!((20 * 3_600..=26 * 3_600).contains(&total), "{total}");
        assert_eq!(
            RETRY_AFTER.len() + 1,
            super::super::store::MAX_ATTEMPTS as usize
        );
    }
}
