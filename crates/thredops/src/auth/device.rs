//! Device cookies: proof that this browser completed a sign-in (or a password reset) to an
//! account before. The value is `nonce.mac`, the MAC binding the nonce to the account, so the
//! cookie names no account and fits only the one it was made for. It is not a credential: it only
//! spares its holder the account-wide failure budget (see `throttle`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::domain::UserId;

/// How long a device stays known.
pub const DEVICE_LIFETIME: std::time::Duration = std::time::Duration::from_secs(365 * 86_400);

/// Signs and checks device cookies and second-factor challenges.
#[derive(Clone)]
pub struct DeviceSigner {
    key: [u8; 32],
}

impl std::fmt::Debug for DeviceSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeviceSigner(***)")
    }
}

impl DeviceSigner {
    /// Uses a key derived from the master key.
    pub fn new(key: [u8; 32]) -> Self {
        Self { key }
    }

    fn mac(&self, purpose: &str, parts: &[&str]) -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.key).expect("any key length works");
        mac.update(purpose.as_bytes());
        for part in parts {
            mac.update(b"\0");
            mac.update(part.as_bytes());
        }
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// A new device cookie value for the account.
    pub fn issue(&self, user_id: &UserId) -> String {
        let nonce = crate::crypto::random_token(16);
        let mac = self.mac("device", &[user_id, &nonce]);
        format!("{nonce}.{mac}")
    }

    /// The device id when `cookie` was issued for this account.
    pub fn device_of<'c>(&self, cookie: &'c str, user_id: &UserId) -> Option<&'c str> {
        let (nonce, mac) = cookie.split_once('.')?;
        let expected = self.mac("device", &[user_id, nonce]);
        bool::from(expected.as_bytes().ct_eq(mac.as_bytes())).then_some(nonce)
    }

    /// A second-factor challenge: the account whose password was right, until `expires_at`.
    pub fn challenge(&self, user_id: &UserId, expires_at: i64) -> String {
        let expires = expires_at.to_string();
        let mac = self.mac("second-factor", &[user_id, &expires]);
        format!("{user_id}.{expires}.{mac}")
    }

    /// The account of a challenge that is genuine and not yet expired at `now`.
    pub fn challenge_user(&self, value: &str, now: i64) -> Option<UserId> {
        let mut parts = value.splitn(3, '.');
        let (user_id, expires, mac) = (parts.next()?, parts.next()?, parts.next()?);
        let expected = self.mac("second-factor", &[user_id, expires]);
        let genuine = bool::from(expected.as_bytes().ct_eq(mac.as_bytes()));
        let live = expires.parse::<i64>().is_ok_and(|e| e > now);
        (genuine && live).then(|| UserId::new(user_id))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_device_cookie_fits_only_its_account_and_key() {
        let signer = DeviceSigner::new([1; 32]);
        let cookie = signer.issue(&UserId::new("user-a"));
        assert!(signer.device_of(&cookie, &UserId::new("user-a")).is_some());
        assert!(signer.device_of(&cookie, &UserId::new("user-b")).is_none());
        assert!(
            DeviceSigner::new([2; 32])
                .device_of(&cookie, &UserId::new("user-a"))
                .is_none()
        );
    }

    #[test]
    fn challenges_expire_and_cannot_be_moved_to_another_account() {
        let signer = DeviceSigner::new([1; 32]);
        let c = signer.challenge(&UserId::new("user-a"), 100);
        assert_eq!(signer.challenge_user(&c, 99), Some(UserId::new("user-a")));
        assert_eq!(signer.challenge_user(&c, 100), None);
        let forged = c.replacen("user-a", "user-b", 1);
        assert_eq!(signer.challenge_user(&forged, 99), None);
    }
}
