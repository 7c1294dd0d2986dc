//! The master key: 256 random bits that protect the SQLite file and wrap every other key.

use std::fs;
use std::io::Write;
use std::path::Path;

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::config::Secret;

/// Why the master key could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The key text is not 64 hex characters.
    #[error("{source_name}: the master key must be 64 hex characters (256 bits)")]
    Malformed {
        /// Where the key came from.
        source_name: String,
    },
    /// The key file exists but others may read it.
    #[error("{path}: the master key file must not be readable by group or others (chmod 600)")]
    Permissions {
        /// The file.
        path: String,
    },
    /// Reading or writing the key file failed.
    #[error("master key file {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// The 256-bit master key. Never printed.
#[derive(Clone)]
pub struct MasterKey {
    bytes: [u8; 32],
}

impl std::fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MasterKey(id={})", self.id())
    }
}

impl MasterKey {
    /// Builds a key from raw bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self { bytes }
    }

    /// A fresh random key.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self { bytes }
    }

    /// Parses 64 hex characters.
    pub fn from_hex(text: &str, source_name: &str) -> Result<Self, KeyError> {
        let malformed = || KeyError::Malformed {
            source_name: source_name.to_owned(),
        };
        let raw = hex::decode(text.trim()).map_err(|_| malformed())?;
        let bytes: [u8; 32] = raw.try_into().map_err(|_| malformed())?;
        Ok(Self { bytes })
    }

    /// Uses the key given in configuration, else reads the key file, else creates it (mode 0600).
    pub fn load_or_create(given: Option<&Secret>, file: &Path) -> Result<Self, KeyError> {
        if let Some(secret) = given {
            return Self::from_hex(secret.expose(), "THREDOPS_MASTER_KEY");
        }
        let io = |source| KeyError::Io {
            path: file.display().to_string(),
            source,
        };
        match fs::read_to_string(file) {
            Ok(text) => {
                check_private(file)?;
                Self::from_hex(&text, &file.display().to_string())
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(parent) = file.parent() {
                    fs::create_dir_all(parent).map_err(io)?;
                }
                let key = Self::generate();
                write_private(file, &hex::encode(key.bytes)).map_err(io)?;
                tracing::info!(key_id = %key.id(), "generated a new master key file");
                Ok(key)
            }
            Err(e) => Err(io(e)),
        }
    }

    /// Writes the key to a new file readable by its owner only (fails if the file exists).
    pub fn write_to(&self, path: &Path) -> std::io::Result<()> {
        write_private(path, &hex::encode(self.bytes))
    }

    /// A short public identifier (not secret): which master key wrapped a value.
    pub fn id(&self) -> super::MasterKeyId {
        super::MasterKeyId::new(hex::encode(&Sha256::digest(self.bytes)[..4]))
    }

    /// Derives an independent 256-bit sub-key for one purpose (HMAC-SHA256 as a PRF).
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.bytes).expect("any key length works");
        mac.update(b"thredops/v1/");
        mac.update(purpose.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)?;
    f.write_all(contents.as_bytes())?;
    f.sync_all()
}

#[cfg(unix)]
fn check_private(path: &Path) -> Result<(), KeyError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = fs::metadata(path).map_err(|source| KeyError::Io {
        path: path.display().to_string(),
        source,
    })?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(KeyError::Permissions {
            path: path.display().to_string(),
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path) -> Result<(), KeyError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = std::env::temp_dir().join(format!("thredops-key-{}", uuid::Uuid::new_v4()));
        let file = dir.join("master.key");
        let first = MasterKey::load_or_create(None, &file).unwrap();
        let second = MasterKey::load_or_create(None, &file).unwrap();
        assert_eq!(first.bytes, second.bytes);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&file).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        fs::remove_dir_all(dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_world_readable_key_file_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = std::env::temp_dir().join(format!("thredops-key-{}", uuid::Uuid::new_v4()));
        let file = dir.join("master.key");
        MasterKey::load_or_create(None, &file).unwrap();
        fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
        let err = MasterKey::load_or_create(None, &file).unwrap_err();
        assert!(matches!(err, KeyError::Permissions { .. }));
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn malformed_keys_are_refused_and_never_echoed() {
        let err = MasterKey::from_hex("deadbeef", "THREDOPS_MASTER_KEY")
            .unwrap_err()
            .to_string();
        assert!(err.contains("THREDOPS_MASTER_KEY") && !err.contains("deadbeef"));
    }

    #[test]
    fn derived_keys_differ_by_purpose_and_debug_hides_the_key() {
        let key = MasterKey::from_bytes([7; 32]);
        assert_ne!(key.derive("sqlcipher"), key.derive("jwt"));
        assert!(!format!("{key:?}").contains("0707"));
    }
}
