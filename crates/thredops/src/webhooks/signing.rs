//! How ThredOps signs what it sends, the way Stripe signs its webhooks.
//!
//! Each request carries `ThredOps-Signature: t=<unix seconds>,v1=<hex>`, where the hex is the
//! HMAC-SHA256, under the endpoint's secret (the whole `whsec_...` string), of the timestamp, a
//! dot and the raw body: `"{t}.{body}"`. A receiver recomputes it over the bytes it received
//! (before parsing them), compares in constant time, and refuses a timestamp more than
//! [`TOLERANCE_SECS`] from its clock, so a captured request cannot be replayed later. Every
//! attempt is signed afresh, so a retry or a replay carries a new timestamp; the event id
//! (`ThredOps-Event-Id`, also `id` in the body) stays the same and lets a receiver drop
//! duplicates.

/// The signature header.
pub const SIGNATURE_HEADER: &str = "ThredOps-Signature";
/// The event id header (also `id` in the body).
pub const EVENT_ID_HEADER: &str = "ThredOps-Event-Id";
/// The event type header (also `type` in the body).
pub const EVENT_TYPE_HEADER: &str = "ThredOps-Event-Type";
/// The delivery id header: the same for every attempt of one delivery.
pub const DELIVERY_ID_HEADER: &str = "ThredOps-Delivery-Id";
/// How far a receiver should accept the signed timestamp from its own clock, either way.
pub const TOLERANCE_SECS: i64 = 300;

/// The `ThredOps-Signature` value for `body` sent at `timestamp` under `secret`.
pub fn header(secret: &str, timestamp: i64, body: &[u8]) -> String {
    // The same construction as Stripe's, so the billing module's signer serves both.
    format!(
        "t={timestamp},v1={}",
        crate::billing::signature::sign(secret, timestamp, body)
    )
}

/// Checks a `ThredOps-Signature` header as a receiver would (for receivers written in Rust and
/// for tests): the timestamp within [`TOLERANCE_SECS`] of `now`, and a `v1` that matches.
pub fn verify(header: &str, body: &[u8], secret: &str, now: i64) -> bool {
    crate::billing::signature::verify(
        Some(header),
        body,
        &[crate::config::Secret::new(secret)],
        now,
    )
    .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_with_its_secret_only_and_within_the_tolerance() {
        let body = br#"{"id":"evt_1","type":"ping"}"#;
        let t = 1_800_000_000;
        let h = header("whsec_a", t, body);
        assert!(h.starts_with(&format!("t={t},v1=")));
        assert!(verify(&h, body, "whsec_a", t + 10));
        assert!(!verify(&h, body, "whsec_b", t), "another secret");
        assert!(!verify(&h, b"{}", "whsec_a", t), "another body");
        assert!(
            !verify(&h, body, "whsec_a", t + TOLERANCE_SECS + 1),
            "too old"
        );
    }
}
