//! Meta's `signed_request`: `<signature>.<payload>`, both base64url, where the signature is
//! HMAC-SHA256 of the *still-encoded* payload under the app secret. Verified before the payload is
//! decoded, in constant time, with the algorithm and freshness checked.

use base64::Engine;
use base64::engine::general_purpose::{URL_SAFE, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// A signed request older (or further in the future) than this is refused, so a captured one
/// cannot be replayed later.
pub const MAX_AGE_SECS: i64 = 3600;

/// Why a signed request was refused. Callers answer 400 for every variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignedRequestError {
    /// Not `<signature>.<payload>`.
    #[error("signed_request is not two base64url parts joined by a dot")]
    Malformed,
    /// The signature does not match the payload under our app secret.
    #[error("signed_request signature does not match")]
    BadSignature,
    /// The payload is not the JSON object Meta sends.
    #[error("signed_request payload is not valid JSON")]
    BadPayload,
    /// `algorithm` is not HMAC-SHA256.
    #[error("signed_request uses an unsupported algorithm")]
    UnsupportedAlgorithm,
    /// `issued_at` is missing or too far from now.
    #[error("signed_request is stale")]
    Stale,
}

/// What a verified signed request says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The app-scoped Threads user id the callback is about.
    pub user_id: crate::domain::ThreadsUserId,
    /// When Meta issued it (Unix seconds).
    pub issued_at: i64,
}

#[derive(Deserialize)]
struct Payload {
    algorithm: String,
    issued_at: Option<i64>,
    user_id: Option<serde_json::Value>,
}

/// Decodes base64url with or without `=` padding (Meta omits it; some proxies add it).
fn decode_b64url(part: &str) -> Option<Vec<u8>> {
    if part.contains('=') {
        URL_SAFE.decode(part).ok()
    } else {
        URL_SAFE_NO_PAD.decode(part).ok()
    }
}

/// The signature of an encoded payload, for tests and the sandbox tooling.
pub fn sign(secret: &str, encoded_payload: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length works");
    mac.update(encoded_payload.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// Builds a signed request the way Meta does (unpadded), for tests and demos.
pub fn encode(secret: &str, payload: &serde_json::Value) -> String {
    let encoded = URL_SAFE_NO_PAD.encode(payload.to_string());
    format!("{}.{encoded}", sign(secret, &encoded))
}

/// Verifies and parses `raw` with `secret` at time `now` (Unix seconds).
pub fn parse(raw: &str, secret: &str, now: i64) -> Result<SignedRequest, SignedRequestError> {
    let (sig_part, payload_part) = raw
        .trim()
        .split_once('.')
        .ok_or(SignedRequestError::Malformed)?;
    if sig_part.is_empty() || payload_part.is_empty() || payload_part.contains('.') {
        return Err(SignedRequestError::Malformed);
    }
    let given = decode_b64url(sig_part).ok_or(SignedRequestError::Malformed)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length works");
    mac.update(payload_part.as_bytes());
    let expected = mac.finalize().into_bytes();
    // The MAC is computed over the encoded text, so padded and unpadded payloads are distinct
    // messages: each verifies only with the signature made over it.
    if given.len() != expected.len() || !bool::from(given.ct_eq(&expected)) {
        return Err(SignedRequestError::BadSignature);
    }
    let json = decode_b64url(payload_part).ok_or(SignedRequestError::Malformed)?;
    let payload: Payload =
        serde_json::from_slice(&json).map_err(|_| SignedRequestError::BadPayload)?;
    if !payload.algorithm.eq_ignore_ascii_case("HMAC-SHA256") {
        return Err(SignedRequestError::UnsupportedAlgorithm);
    }
    let issued_at = payload.issued_at.ok_or(SignedRequestError::Stale)?;
    if (now - issued_at).abs() > MAX_AGE_SECS {
        return Err(SignedRequestError::Stale);
    }
    // Meta sends the id as a string; accept a number too rather than fail on a format detail.
    let user_id = match payload.user_id {
        Some(serde_json::Value::String(s)) if !s.is_empty() => s.into(),
        Some(serde_json::Value::Number(n)) => n.to_string().into(),
        _ => return Err(SignedRequestError::BadPayload),
    };
    Ok(SignedRequest { user_id, issued_at })
}

#[cfg(test)]
#[path = "signed_request_tests.rs"]
mod tests;
