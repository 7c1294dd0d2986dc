//! Key material and encryption primitives.

pub(crate) mod aead;
mod master_key;
mod vault;

pub use master_key::{KeyError, MasterKey};
pub use vault::{DataKey, Detached, Vault, VaultError};

crate::domain::id_type!(
    /// A master key's short public identifier: which master key wrapped a stored key.
    MasterKeyId
);

use rand::RngCore;

/// A random URL-safe token with `bytes` bytes of entropy (for ids, codes and CSRF tokens).
pub fn random_token(bytes: usize) -> String {
    use base64::Engine;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buf)
}
