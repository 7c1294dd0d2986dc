//! The token vault: envelope encryption with one data key per user.
//!
//! Each user's 256-bit data key is stored wrapped (XChaCha20-Poly1305) by a key derived from the
//! master key. Values are sealed under the data key with additional data naming the owner and the
//! purpose, so a ciphertext moved to another row or user fails to open. Deleting the wrapped data
//! key makes every ciphertext of that user unreadable at once (crypto-shredding), including copies
//! in backups.
//!
//! A data key is keyed by the id of the workspace it seals (an account's id, see
//! docs/workspaces.md); an account's own secrets (its TOTP seed) are sealed under its own
//! workspace's key, `WorkspaceId::owned_by`.

use rand::RngCore;

use super::{MasterKey, aead};
use crate::domain::WorkspaceId;
use crate::store::{Store, StoreError};

/// Vault failures.
#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    /// The user's data key is gone (shredded) or the ciphertext was altered or misplaced.
    #[error("encrypted value cannot be opened")]
    Unreadable,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A user's unwrapped data key. Never printed.
#[derive(Clone)]
pub struct DataKey {
    user_id: WorkspaceId,
    key: [u8; 32],
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataKey(user={}, ***)", self.user_id)
    }
}

impl DataKey {
    fn aad(&self, purpose: &str, subject: &str) -> Vec<u8> {
        format!("thredops/v1/{}/{purpose}/{subject}", self.user_id).into_bytes()
    }

    /// Encrypts `plaintext` for `purpose` (e.g. "access-token") about `subject` (e.g. a profile id).
    pub fn seal(&self, purpose: &str, subject: &str, plaintext: &[u8]) -> Vec<u8> {
        aead::seal(&self.key, &self.aad(purpose, subject), plaintext)
    }

    /// Decrypts what [`DataKey::seal`] produced with the same purpose and subject.
    pub fn open(&self, purpose: &str, subject: &str, sealed: &[u8]) -> Result<Vec<u8>, VaultError> {
        aead::open(&self.key, &self.aad(purpose, subject), sealed)
            .map_err(|_| VaultError::Unreadable)
    }

    /// Decrypts a UTF-8 string.
    pub fn open_string(
        &self,
        purpose: &str,
        subject: &str,
        sealed: &[u8],
    ) -> Result<String, VaultError> {
        String::from_utf8(self.open(purpose, subject, sealed)?).map_err(|_| VaultError::Unreadable)
    }
}

/// Creates, unwraps and destroys data keys.
#[derive(Clone, Debug)]
pub struct Vault {
    master: MasterKey,
    store: Store,
}

fn wrap_aad(user_id: &WorkspaceId) -> Vec<u8> {
    format!("data-key/{user_id}").into_bytes()
}

impl Vault {
    /// A vault over the store's `data_keys` table.
    pub fn new(master: MasterKey, store: Store) -> Self {
        Self { master, store }
    }

    fn wrapping_key(master: &MasterKey) -> [u8; 32] {
        master.derive("data-key-wrap")
    }

    /// The user's data key, created on first use.
    pub async fn data_key(&self, user_id: &WorkspaceId) -> Result<DataKey, VaultError> {
        if let Some(key) = self.existing_key(user_id).await? {
            return Ok(key);
        }
        let mut raw = [0u8; 32];
        rand::rng().fill_bytes(&mut raw);
        let wrapped = aead::seal(&Self::wrapping_key(&self.master), &wrap_aad(user_id), &raw);
        // Two requests may race to create it; the first insert wins and both use the stored one.
        self.store
            .insert_data_key(user_id, &wrapped, &self.master.id())
            .await?;
        self.existing_key(user_id)
            .await?
            .ok_or(VaultError::Unreadable)
    }

    /// The user's data key if one exists (after shredding there is none).
    pub async fn existing_key(&self, user_id: &WorkspaceId) -> Result<Option<DataKey>, VaultError> {
        let Some((wrapped, _)) = self.store.data_key(user_id).await? else {
            return Ok(None);
        };
        let raw = aead::open(
            &Self::wrapping_key(&self.master),
            &wrap_aad(user_id),
            &wrapped,
        )
        .map_err(|_| VaultError::Unreadable)?;
        let key: [u8; 32] = raw.try_into().map_err(|_| VaultError::Unreadable)?;
        Ok(Some(DataKey {
            user_id: user_id.clone(),
            key,
        }))
    }

    /// Destroys the user's data key: every value sealed under it becomes unreadable.
    pub async fn shred(&self, user_id: &WorkspaceId) -> Result<(), VaultError> {
        self.store.delete_data_key(user_id).await?;
        Ok(())
    }

    /// Re-wraps every data key under `new_master` (master key rotation). Returns how many.
    pub async fn rewrap_all(&self, new_master: &MasterKey) -> Result<usize, VaultError> {
        let old = Self::wrapping_key(&self.master);
        let new = Self::wrapping_key(new_master);
        let mut count = 0;
        for (user_id, wrapped) in self.store.all_data_keys().await? {
            let raw = aead::open(&old, &wrap_aad(&user_id), &wrapped)
                .map_err(|_| VaultError::Unreadable)?;
            let rewrapped = aead::seal(&new, &wrap_aad(&user_id), &raw);
            self.store
                .replace_data_key(&user_id, &rewrapped, &new_master.id())
                .await?;
            count += 1;
        }
        Ok(count)
    }
}

/// A value sealed under a random key of its own, with that key wrapped by the master key: for
/// content that belongs to no account yet and may change hands (a visitor's chat image joins
/// the account they sign up for). Deleting the row destroys both halves.
#[derive(Clone)]
pub struct Detached {
    /// The value's key, wrapped by the master key.
    pub wrapped_key: Vec<u8>,
    /// The value, sealed under its key.
    pub sealed: Vec<u8>,
}

impl std::fmt::Debug for Detached {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Detached({} sealed bytes)", self.sealed.len())
    }
}

fn detached_aad(purpose: &str, subject: &str) -> Vec<u8> {
    format!("thredops/v1/detached/{purpose}/{subject}").into_bytes()
}

impl Vault {
    fn detached_wrapping_key(master: &MasterKey) -> [u8; 32] {
        master.derive("detached-key-wrap")
    }

    /// Seals `plaintext` under a fresh key for `purpose` about `subject` (e.g. an attachment id).
    pub fn seal_detached(&self, purpose: &str, subject: &str, plaintext: &[u8]) -> Detached {
        let mut raw = [0u8; 32];
        rand::rng().fill_bytes(&mut raw);
        let aad = detached_aad(purpose, subject);
        Detached {
            wrapped_key: aead::seal(&Self::detached_wrapping_key(&self.master), &aad, &raw),
            sealed: aead::seal(&raw, &aad, plaintext),
        }
    }

    /// The value's own key, unwrapped.
    fn detached_key(&self, aad: &[u8], wrapped_key: &[u8]) -> Result<[u8; 32], VaultError> {
        let raw = aead::open(&Self::detached_wrapping_key(&self.master), aad, wrapped_key)
            .map_err(|_| VaultError::Unreadable)?;
        raw.try_into().map_err(|_| VaultError::Unreadable)
    }

    /// Opens what [`Vault::seal_detached`] produced with the same purpose and subject.
    pub fn open_detached(
        &self,
        purpose: &str,
        subject: &str,
        wrapped_key: &[u8],
        sealed: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        let aad = detached_aad(purpose, subject);
        let key = self.detached_key(&aad, wrapped_key)?;
        aead::open(&key, &aad, sealed).map_err(|_| VaultError::Unreadable)
    }

    /// The same value's key wrapped by `new_master` instead (master key rotation).
    pub fn rewrap_detached(
        &self,
        new_master: &MasterKey,
        purpose: &str,
        subject: &str,
        wrapped_key: &[u8],
    ) -> Result<Vec<u8>, VaultError> {
        let aad = detached_aad(purpose, subject);
        let key = self.detached_key(&aad, wrapped_key)?;
        Ok(aead::seal(
            &Self::detached_wrapping_key(new_master),
            &aad,
            &key,
        ))
    }
}
