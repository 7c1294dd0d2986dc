//! CSRF tokens for HTML forms.
//!
//! Signed-in forms carry HMAC(key, session id): a synchronizer token that needs no storage.
//! Signed-out forms (sign-in, sign-up) use a signed double-submit cookie: the cookie holds
//! `nonce.mac`, the form repeats it, and only ThredOps can mint a valid mac.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::domain::SessionId;

/// Mints and checks CSRF tokens.
#[derive(Clone)]
pub struct Csrf {
    key: [u8; 32],
}

impl std::fmt::Debug for Csrf {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Csrf(***)")
    }
}

impl Csrf {
    /// Uses a key derived from the master key.
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    fn mac(&self, purpose: &str, value: &str) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length works");
        mac.update(purpose.as_bytes());
        mac.update(b"\0");
        mac.update(value.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// The token for forms of a signed-in session.
    pub fn for_session(&self, session_id: &SessionId) -> String {
        self.mac("session", session_id)
    }

    /// A fresh value for the signed-out double-submit cookie (and its forms).
    pub fn new_anonymous(&self) -> String {
        let nonce = crate::crypto::random_token(18);
        let mac = self.mac("anonymous", &nonce);
        format!("{nonce}.{mac}")
    }

    /// Whether a form token matches the session.
    pub fn check_session(&self, session_id: &SessionId, submitted: &str) -> bool {
        eq(&self.for_session(session_id), submitted)
    }

    /// Whether the cookie is one we minted and the form repeats it.
    pub fn check_anonymous(&self, cookie: Option<&str>, submitted: &str) -> bool {
        let Some(cookie) = cookie else { return false };
        let Some((nonce, mac)) = cookie.split_once('.') else {
            return false;
        };
        eq(&self.mac("anonymous", nonce), mac) && eq(cookie, submitted)
    }
}

fn eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_tokens_bind_to_their_session() {
        let csrf = Csrf::new([3; 32]);
        let token = csrf.for_session(&SessionId::new("s1"));
        assert!(csrf.check_session(&SessionId::new("s1"), &token));
        assert!(!csrf.check_session(&SessionId::new("s2"), &token));
        assert!(!Csrf::new([4; 32]).check_session(&SessionId::new("s1"), &token));
    }

    #[test]
    fn anonymous_tokens_need_a_minted_cookie_and_a_matching_field() {
        let csrf = Csrf::new([3; 32]);
        let value = csrf.new_anonymous();
        assert!(csrf.check_anonymous(Some(&value), &value));
        assert!(!csrf.check_anonymous(None, &value));
        assert!(!csrf.check_anonymous(Some(&value), "other"));
        let forged = "attacker.chosen";
        assert!(!csrf.check_anonymous(Some(forged), forged));
    }
}
