//! Verifies the `Stripe-Signature` header on a webhook's raw body, before anything parses it.
//!
//! Stripe signs `"{t}.{body}"` with HMAC-SHA256 under the endpoint's secret and sends
//! `t=<unix>,v1=<hex>[,v1=<hex>...]`; several `v1` values appear while a secret is being rolled.

use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::config::Secret;

/// How far the signed timestamp may be from our clock, either way.
pub const TOLERANCE_SECS: i64 = 300;

/// Why a delivery was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No `Stripe-Signature` header.
    #[error("the Stripe-Signature header is missing")]
    Missing,
    /// The header has no timestamp or no `v1` value.
    #[error("the Stripe-Signature header is malformed")]
    Malformed,
    /// The timestamp is more than the tolerance in the past or future (a replay, or a bad clock).
    #[error("the signature timestamp is outside the tolerance")]
    Stale,
    /// No `v1` value matches any of our secrets.
    #[error("no signature matches")]
    Mismatch,
}

/// Checks `header` against `body` under any of `secrets` at time `now` (Unix seconds).
pub fn verify(
    header: Option<&str>,
    body: &[u8],
    secrets: &[Secret],
    now: i64,
) -> Result<(), SignatureError> {
    let header = header.ok_or(SignatureError::Missing)?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => timestamp = v.parse::<i64>().ok(),
            Some(("v1", v)) => {
                if let Ok(bytes) = hex::decode(v) {
                    signatures.push(bytes);
                }
            }
            // v0 (test mode legacy) and unknown schemes are ignored, as Stripe advises.
            _ => {}
        }
    }
    let timestamp = timestamp.ok_or(SignatureError::Malformed)?;
    if signatures.is_empty() {
        return Err(SignatureError::Malformed);
    }
    if (now - timestamp).abs() > TOLERANCE_SECS {
        return Err(SignatureError::Stale);
    }
    for secret in secrets {
        for candidate in &signatures {
            let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
                .expect("HMAC takes keys of any length");
            mac.update(timestamp.to_string().as_bytes());
            mac.update(b".");
            mac.update(body);
            // verify_slice compares in constant time.
            if mac.verify_slice(candidate).is_ok() {
                return Ok(());
            }
        }
    }
    Err(SignatureError::Mismatch)
}

/// Signs `body` at `timestamp` the way Stripe does (for tests and fakes).
pub fn sign(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &[u8] = br#"{"id":"evt_1","type":"invoice.paid"}"#;
    const NOW: i64 = 1_700_000_000;

    fn secrets(list: &[&str]) -> Vec<Secret> {
        list.iter().map(|s| Secret::new(*s)).collect()
    }

    fn header(secret: &str, t: i64) -> String {
        format!("t={t},v1={}", sign(secret, t, BODY))
    }

    #[test]
    fn a_valid_signature_passes() {
        let h = header("whsec_a", NOW);
        assert_eq!(verify(Some(&h), BODY, &secrets(&["whsec_a"]), NOW), Ok(()));
    }

    #[test]
    fn wrong_secret_tampered_body_and_missing_header_fail() {
        let h = header("whsec_other", NOW);
        let ours = secrets(&["whsec_a"]);
        assert_eq!(
            verify(Some(&h), BODY, &ours, NOW),
            Err(SignatureError::Mismatch)
        );
        let good = header("whsec_a", NOW);
        assert_eq!(
            verify(Some(&good), b"{\"id\":\"evt_2\"}", &ours, NOW),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(verify(None, BODY, &ours, NOW), Err(SignatureError::Missing));
        assert_eq!(
            verify(Some("v1=abcd"), BODY, &ours, NOW),
            Err(SignatureError::Malformed)
        );
    }

    #[test]
    fn old_and_future_timestamps_fail() {
        let ours = secrets(&["whsec_a"]);
        let old = header("whsec_a", NOW - TOLERANCE_SECS - 1);
        assert_eq!(
            verify(Some(&old), BODY, &ours, NOW),
            Err(SignatureError::Stale)
        );
        let future = header("whsec_a", NOW + TOLERANCE_SECS + 1);
        assert_eq!(
            verify(Some(&future), BODY, &ours, NOW),
            Err(SignatureError::Stale)
        );
    }

    #[test]
    fn any_v1_under_any_secret_passes_during_rotation() {
        let h = format!(
            "t={NOW},v1={},v1={}",
            sign("whsec_old", NOW, BODY),
            sign("whsec_new", NOW, BODY)
        );
        assert_eq!(
            verify(Some(&h), BODY, &secrets(&["whsec_new"]), NOW),
            Ok(())
        );
        assert_eq!(
            verify(Some(&h), BODY, &secrets(&["whsec_old"]), NOW),
            Ok(())
        );
        let only_new = header("whsec_new", NOW);
        assert_eq!(
            verify(
                Some(&only_new),
                BODY,
                &secrets(&["whsec_old", "whsec_new"]),
                NOW
            ),
            Ok(())
        );
    }
}
