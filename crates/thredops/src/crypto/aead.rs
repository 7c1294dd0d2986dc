//! Authenticated encryption of small values (XChaCha20-Poly1305, random 192-bit nonces).
//!
//! The additional data binds a ciphertext to its owner and purpose, so a value copied into another
//! row or another user's record fails to decrypt instead of leaking.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;

const NONCE_LEN: usize = 24;

/// Decryption failed: wrong key, wrong binding, or tampered bytes.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("ciphertext could not be decrypted (wrong key, binding or tampered data)")]
pub struct DecryptError;

/// Encrypts `plaintext` under `key`, bound to `aad`; output is `nonce || ciphertext+tag`.
pub fn seal(key: &[u8; 32], aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let mut nonce = [0u8; NONCE_LEN];
    rand::rng().fill_bytes(&mut nonce);
    let sealed = cipher
        .encrypt(
            XNonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .expect("encryption of in-memory data cannot fail");
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

/// Reverses [`seal`].
pub fn open(key: &[u8; 32], aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, DecryptError> {
    if sealed.len() < NONCE_LEN {
        return Err(DecryptError);
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    XChaCha20Poly1305::new(key.into())
        .decrypt(XNonce::from_slice(nonce), Payload { msg: body, aad })
        .map_err(|_| DecryptError)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_other_bindings_keys_and_tampering() {
        let key = [1u8; 32];
        let sealed = seal(&key, b"user:1/token", b"secret token");
        assert_eq!(
            open(&key, b"user:1/token", &sealed).unwrap(),
            b"secret token"
        );
        assert_eq!(open(&key, b"user:2/token", &sealed), Err(DecryptError));
        assert_eq!(
            open(&[2u8; 32], b"user:1/token", &sealed),
            Err(DecryptError)
        );
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert_eq!(open(&key, b"user:1/token", &tampered), Err(DecryptError));
        assert_eq!(open(&key, b"x", &[0u8; 5]), Err(DecryptError));
    }

    #[test]
    fn same_plaintext_gives_different_ciphertexts() {
        let key = [1u8; 32];
        assert_ne!(seal(&key, b"a", b"same"), seal(&key, b"a", b"same"));
    }
}
