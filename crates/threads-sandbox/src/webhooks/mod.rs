//! Webhook deliveries (§8.1): reply and mention events posted to a configured callback URL,
//! signed like Meta's Graph webhooks with `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of
//! the raw body keyed by the app secret>`, so a receiver can verify before parsing.
//!
//! Events are derived from the sandbox clock, not queued: each delivery run sends what
//! happened since the previous successful run. A failed run sends again from the same point
//! next time, so delivery is at least once, as Meta's is.

pub mod events;

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::Sandbox;

/// Why a delivery run stopped.
#[derive(Debug, thiserror::Error)]
pub enum WebhookError {
    /// The callback could not be reached.
    #[error("webhook callback unreachable: {0}")]
    Transport(#[from] reqwest::Error),
    /// The callback answered with a non-2xx status.
    #[error("webhook callback answered {0}")]
    Status(u16),
}

/// `sha256=<hex>` of the HMAC-SHA256 of `body` keyed by `secret`.
pub fn signature(secret: &str, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail; an empty tag would only make
    // receivers reject the delivery, which they would report.
    let tag = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map(|mut mac| {
            mac.update(body);
            mac.finalize().into_bytes().to_vec()
        })
        .unwrap_or_default();
    format!("sha256={}", hex::encode(tag))
}

impl Sandbox {
    /// Posts every reply and mention event since the last successful run to
    /// `webhook_url`, oldest first, and returns how many were sent. Without a URL it sends
    /// nothing. Tests call this after moving the clock; a server runs
    /// [`Self::spawn_webhook_delivery`].
    pub async fn deliver_webhooks(&self) -> Result<usize, WebhookError> {
        let Some(url) = self.config().webhook_url.clone() else {
            return Ok(0);
        };
        let to = self.clock().now_ts();
        let from = self.webhook_cursor(to);
        if from >= to {
            return Ok(0);
        }
        let events = {
            let public = self.public_world();
            let world = self.world();
            events::between(&world, &public, from, to)
        };
        let client = reqwest::Client::new();
        let cfg = self.config();
        for event in &events {
            let body = event.body(&cfg.app_id).to_string().into_bytes();
            let response = client
                .post(&url)
                .header("content-type", "application/json")
                .header("x-hub-signature-256", signature(&cfg.app_secret, &body))
                .body(body)
                .send()
                .await?;
            if !response.status().is_success() {
                return Err(WebhookError::Status(response.status().as_u16()));
            }
        }
        self.set_webhook_cursor(to);
        Ok(events.len())
    }

    /// Runs [`Self::deliver_webhooks`] every `every` until the runtime stops; failures are
    /// logged and retried on the next tick.
    pub fn spawn_webhook_delivery(
        &self,
        every: std::time::Duration,
    ) -> tokio::task::JoinHandle<()> {
        let sandbox = self.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Err(e) = sandbox.deliver_webhooks().await {
                    tracing::warn!(error = %e, "webhook delivery failed; retrying next tick");
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_a_known_hmac() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
