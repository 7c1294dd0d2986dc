//! Time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA1, 6 digits, 30-second steps,
//! the settings every authenticator app uses by default.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// Seconds per step.
pub const STEP_SECS: i64 = 30;
/// Steps either side of now that still count: clocks of phones drift.
const SKEW_STEPS: i64 = 1;

/// A shared TOTP secret (20 random bytes, the size RFC 4226 recommends). Never printed.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl Secret {
    /// A fresh random secret.
    pub fn generate() -> Self {
        let mut bytes = vec![0u8; 20];
        rand::rng().fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// From stored bytes.
    pub fn from_bytes(bytes: Vec<u8>) -> Self {
        Self(bytes)
    }

    /// The raw bytes, for sealing.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Base32 without padding, as typed into an authenticator app.
    pub fn base32(&self) -> String {
        data_encoding::BASE32_NOPAD.encode(&self.0)
    }

    /// The `otpauth://` URI authenticator apps read (from a QR code or a link).
    pub fn otpauth_uri(&self, issuer: &str, account: &str) -> String {
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        format!(
            "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period={STEP_SECS}",
            enc(issuer).replace('+', "%20"),
            enc(account).replace('+', "%20"),
            self.base32(),
            enc(issuer).replace('+', "%20"),
        )
    }

    /// The 6-digit code of time step `step`.
    pub fn code_at_step(&self, step: i64) -> String {
        let mut mac = Hmac::<Sha1>::new_from_slice(&self.0).expect("any key length works");
        mac.update(&step.to_be_bytes());
        let digest = mac.finalize().into_bytes();
        // RFC 4226 section 5.3: dynamic truncation.
        let offset = usize::from(digest[19] & 0x0f);
        let value = u32::from_be_bytes([
            digest[offset] & 0x7f,
            digest[offset + 1],
            digest[offset + 2],
            digest[offset + 3],
        ]);
        format!("{:06}", value % 1_000_000)
    }

    /// The step a code typed at `now` matches, within the allowed drift; `None` if none does.
    pub fn matching_step(&self, code: &str, now: i64) -> Option<i64> {
        let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let current = now.div_euclid(STEP_SECS);
        (current - SKEW_STEPS..=current + SKEW_STEPS)
            .find(|&step| bool::from(self.code_at_step(step).as_bytes().ct_eq(code.as_bytes())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows (8 digits there; the last 6 are what a 6-digit code is).
    #[test]
    fn codes_match_the_rfc_test_vectors() {
        let secret = Secret::from_bytes(b"12345678901234567890".to_vec());
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(secret.code_at_step(time / STEP_SECS), eight[2..]);
        }
    }

    #[test]
    fn a_code_matches_within_one_step_of_drift_and_not_beyond() {
        let secret = Secret::generate();
        let now = 1_700_000_000;
        let code = secret.code_at_step(now / STEP_SECS - 1);
        assert_eq!(secret.matching_step(&code, now), Some(now / STEP_SECS - 1));
        assert_eq!(secret.matching_step(&code, now + 3 * STEP_SECS), None);
        assert_eq!(secret.matching_step("12345", now), None);
        assert_eq!(secret.matching_step("abcdef", now), None);
    }

    #[test]
    fn the_uri_carries_the_base32_secret_and_issuer() {
        let secret = Secret::from_bytes(b"12345678901234567890".to_vec());
        let uri = secret.otpauth_uri("ThredOps", "maya@example.com");
        assert!(uri.starts_with("otpauth://totp/ThredOps:maya%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=ThredOps"), "{uri}");
    }
}
