//! Threads webhook deliveries of replies and mentions (§8.1), when a subscription is configured
//! (`THREDOPS_THREADS_WEBHOOK_VERIFY_TOKEN`).
//!
//! The raw body's `X-Hub-Signature-256` (HMAC-SHA256 under the app secret) is checked before
//! anything parses it. A delivery for a profile whose inbox is on becomes an item, stored once
//! by its Threads id however often Meta repeats it; anything else is acknowledged and dropped.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use threads_api::{Media, WebhookDelivery, WebhookEvent};

use super::{ItemKind, ProfileState, Source};
use crate::app::AppState;
use crate::domain;
use crate::services::profiles::purpose;

/// Why a delivery was refused.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    /// No webhook subscription is configured here.
    #[error("webhooks are not configured")]
    NotConfigured,
    /// The signature is missing or does not match the body.
    #[error("the signature does not match")]
    BadSignature,
    /// The body is not a delivery.
    #[error("the body is not a Threads webhook delivery")]
    Malformed,
}

/// The subscription handshake: the challenge to echo when the mode and token match.
pub fn handshake<'a>(
    state: &AppState,
    mode: Option<&str>,
    token: Option<&str>,
    challenge: Option<&'a str>,
) -> Option<&'a str> {
    let expected = state.settings.threads_webhook_verify_token.as_ref()?;
    let token_ok = token.is_some_and(|t| {
        // Compared as MACs so the comparison takes the same time whatever matches.
        let mac = |v: &str| {
            let mut m = Hmac::<Sha256>::new_from_slice(b"verify-token").expect("any key length");
            m.update(v.as_bytes());
            m.finalize().into_bytes()
        };
        mac(t) == mac(expected.expose())
    });
    (mode == Some("subscribe") && token_ok)
        .then_some(challenge)
        .flatten()
}

/// Whether `header` (`sha256=<hex>`) is the HMAC-SHA256 of `body` under `secret`.
pub fn signature_ok(secret: &str, header: Option<&str>, body: &[u8]) -> bool {
    let Some(hex_tag) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(tag) = hex::decode(hex_tag) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&tag).is_ok()
}

/// Verifies and takes one delivery; returns whether it became a new item.
pub async fn receive(
    state: &AppState,
    signature: Option<&str>,
    body: &[u8],
) -> Result<bool, Refusal> {
    if !super::webhooks_configured(state) {
        return Err(Refusal::NotConfigured);
    }
    if !signature_ok(state.threads.app.client_secret.expose(), signature, body) {
        return Err(Refusal::BadSignature);
    }
    let delivery = WebhookDelivery::parse(body).map_err(|_| Refusal::Malformed)?;
    let taken = match delivery.event() {
        WebhookEvent::Reply {
            media,
            root_owner_id,
        } => {
            take(
                state,
                root_owner_id.as_deref(),
                &delivery.target_id,
                &media,
                ItemKind::Reply,
            )
            .await
        }
        WebhookEvent::Mention { media, user_id } => {
            take(state, Some(&user_id), "", &media, ItemKind::Mention).await
        }
        WebhookEvent::Other => Ok(false),
    };
    // Meta retries what is not acknowledged; a storage failure is logged and the poll (once a
    // day with webhooks) picks the item up.
    Ok(taken.unwrap_or_else(|e| {
        tracing::warn!(error = %format!("{e:#}"), "could not store a webhook delivery");
        false
    }))
}

/// `owner` is the Threads user the event is for; without it (a reply delivery that does not
/// name the root post's owner) the replied-to post's profile is looked up among synced posts.
async fn take(
    state: &AppState,
    owner: Option<&str>,
    target_media: &str,
    media: &Media,
    kind: ItemKind,
) -> anyhow::Result<bool> {
    let profile = match owner {
        Some(o) => {
            state
                .store
                .profile_by_threads_user(&crate::domain::ThreadsUserId::from(o))
                .await?
        }
        None => match state
            .store
            .profile_of_post(&domain::MediaId::from(target_media))
            .await?
        {
            Some(id) => state.store.profile(&id).await?,
            None => None,
        },
    };
    let Some(profile) = profile else {
        return Ok(false);
    };
    let profile_id = profile.id.clone();
    let on = state
        .store
        .inbox_profile(&profile_id)
        .await?
        .is_some_and(|r| r.state == ProfileState::On);
    if !on || profile.status != crate::store::profiles::ProfileStatus::Active {
        return Ok(false);
    }
    let Some(key) = state.vault.existing_key(&profile.user_id).await? else {
        return Ok(false);
    };
    let now = state.threads.now().timestamp();
    let own = key
        .open_string(
            purpose::USERNAME,
            &profile.threads_user_id,
            &profile.username_enc,
        )
        .ok();
    if kind == ItemKind::Reply && own.is_some() && media.username == own {
        // The profile's own reply: it answers what it replies to.
        if let Some(r) = &media.replied_to {
            state
                .store
                .mark_inbox_answered(&profile_id, &domain::MediaId::from(r.id.as_str()), now)
                .await?;
        }
        return Ok(false);
    }
    Ok(super::poll::ingest(
        state,
        &key,
        &profile,
        media,
        kind,
        None,
        Source::Webhook,
        now,
    )
    .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_hmac_of_the_exact_body_passes() {
        // RFC 4231 test case 2.
        let header = "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert!(signature_ok(
            "Jefe",
            Some(header),
            b"what do ya want for nothing?"
        ));
        assert!(!signature_ok(
            "Jefe",
            Some(header),
            b"what do ya want for nothing!"
        ));
        assert!(!signature_ok(
            "jefe",
            Some(header),
            b"what do ya want for nothing?"
        ));
        assert!(!signature_ok("Jefe", None, b"what do ya want for nothing?"));
        assert!(!signature_ok(
            "Jefe",
            Some("5bdcc1"),
            b"what do ya want for nothing?"
        ));
    }
}
