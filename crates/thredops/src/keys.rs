//! Master key rotation: every wrapped key is re-wrapped under a new master key and, on SQLite,
//! the database file is re-encrypted (SQLCipher `rekey`).

use std::path::PathBuf;

use anyhow::Context;

use crate::clock::now_unix;
use crate::config::{DatabaseTarget, Settings};
use crate::crypto::{MasterKey, Vault, aead};
use crate::startup::open_store;

/// What a rotation did and where the new key is.
#[derive(Debug)]
pub struct Rotated {
    /// Data keys re-wrapped.
    pub data_keys: usize,
    /// Signing keys re-wrapped.
    pub signing_keys: usize,
    /// Support chat images whose keys were re-wrapped.
    pub attachments: usize,
    /// File now holding the new key.
    pub key_file: PathBuf,
    /// The previous key, kept until the operator has a backup of the new one.
    pub old_key_file: Option<PathBuf>,
}

/// Rotates the master key. The new key is written first (as `<key file>.new`), then the wrapped
/// keys are re-wrapped in one transaction, then SQLite is re-keyed, and only then does the new
/// file replace the old one (kept as `.old`). A crash in between leaves both files, so nothing is
/// lost.
pub async fn rotate_master(settings: &Settings) -> anyhow::Result<Rotated> {
    let (old, store) = open_store(settings).await?;
    let new = MasterKey::generate();
    let key_file = settings.master_key_file.clone();
    let staged = key_file.with_extension("key.new");
    new.write_to(&staged)
        .with_context(|| format!("writing {}", staged.display()))?;

    let vault = Vault::new(old.clone(), store.clone());
    let data_keys = vault.rewrap_all(&new).await?;
    let attachments = crate::support::attachments::rewrap_all(&vault, &store, &new).await?;
    let (old_wrap, new_wrap) = (
        old.derive("signing-key-wrap"),
        new.derive("signing-key-wrap"),
    );
    let mut signing_keys = 0;
    for record in store.signing_keys().await? {
        let aad = format!("signing-key/{}", record.kid).into_bytes();
        let raw = aead::open(&old_wrap, &aad, &record.wrapped_key)
            .map_err(|_| anyhow::anyhow!("signing key {} does not open", record.kid))?;
        store
            .replace_signing_key(&record.kid, &aead::seal(&new_wrap, &aad, &raw), &new.id())
            .await?;
        signing_keys += 1;
    }
    store.close().await;
    // Changing the journal mode needs the only connection to the file.
    let single = crate::store::connect(&settings.database, &old, 1).await?;
    single.rekey_sqlite(&new).await?;
    single.close().await;

    let old_key_file = if settings.master_key.is_none() && key_file.exists() {
        let backup = key_file.with_extension(format!("key.old-{}", now_unix()));
        std::fs::rename(&key_file, &backup).context("keeping the old key file")?;
        std::fs::rename(&staged, &key_file).context("installing the new key file")?;
        Some(backup)
    } else {
        None
    };
    Ok(Rotated {
        data_keys,
        signing_keys,
        attachments,
        key_file: if old_key_file.is_some() {
            key_file
        } else {
            staged
        },
        old_key_file,
    })
}

/// Whether the database needs the master key to be re-encrypted (SQLite) or only re-wrapped.
pub fn reencrypts_file(settings: &Settings) -> bool {
    matches!(settings.database, DatabaseTarget::Sqlite(_))
}

#[cfg(test)]
mod tests {
    use crate::config::RawSettings;
    use crate::crypto::{MasterKey, Vault};

    #[tokio::test]
    async fn rotation_keeps_every_value_readable_under_the_new_key_only() {
        let dir = std::env::temp_dir().join(format!("thredops-rotate-{}", uuid::Uuid::new_v4()));
        let mut raw = RawSettings::load(None, |_| None).unwrap();
        raw.set("data_dir", dir.to_string_lossy().to_string());
        let settings = raw.parse().unwrap();
        let (old, store) = crate::startup::open_store(&settings).await.unwrap();
        let email = crate::domain::Email::parse("rot@example.com").unwrap();
        let user = store.create_user(&email, "hash", 0).await.unwrap();
        let sealed = Vault::new(old.clone(), store.clone())
            .data_key(&crate::domain::WorkspaceId::owned_by(&user.id))
            .await
            .unwrap()
            .seal("p", "s", b"kept secret");
        // A support image, sealed under its own key wrapped by the master key.
        let purpose = crate::support::attachments::PURPOSE;
        let customer = crate::support::store::Customer::User(user.id.clone());
        store
            .create_support_conversation(
                &customer,
                crate::support::model::Kind::Chat,
                None,
                "",
                None,
                0,
                &"conv".into(),
            )
            .await
            .unwrap();
        let image = crate::support::attachments::NewAttachment {
            id: "img".into(),
            content_type: "image/png",
            file_name: "a.png".into(),
            bytes: 5,
            width: 1,
            height: 1,
            sealed: Vault::new(old.clone(), store.clone()).seal_detached(purpose, "img", b"image"),
        };
        let message = crate::support::store::post::NewMessage {
            conversation_id: &"conv".into(),
            author: crate::support::model::Author::Customer,
            agent_id: None,
            client_id: None,
            body: "Image: a.png",
            attachment: Some(&image),
        };
        store.support_post(&message, 0, 0).await.unwrap();
        crate::auth::Keyring::rotate(&store, &old, 0).await.unwrap();
        store.close().await;

        let rotated = super::rotate_master(&settings).await.unwrap();
        assert_eq!(
            (rotated.data_keys, rotated.signing_keys, rotated.attachments),
            (1, 1, 1)
        );
        let old_file = rotated.old_key_file.clone().unwrap();
        assert_eq!(
            MasterKey::load_or_create(None, &old_file).unwrap().id(),
            old.id()
        );

        // The old key no longer opens the database; the new one opens it and every value.
        let old_target = settings.database.clone();
        assert!(crate::store::connect(&old_target, &old, 1).await.is_err());
        let (new, store) = crate::startup::open_store(&settings).await.unwrap();
        assert_ne!(new.id(), old.id());
        let key = Vault::new(new.clone(), store.clone())
            .existing_key(&crate::domain::WorkspaceId::owned_by(&user.id))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(key.open("p", "s", &sealed).unwrap(), b"kept secret");
        let stored = store
            .support_attachment(&"img".into())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            Vault::new(new.clone(), store.clone())
                .open_detached(purpose, "img", &stored.wrapped_key, &stored.sealed)
                .unwrap(),
            b"image"
        );
        assert!(
            Vault::new(old.clone(), store.clone())
                .open_detached(purpose, "img", &stored.wrapped_key, &stored.sealed)
                .is_err()
        );
        crate::auth::Keyring::load(&store, &new, "http://x", 0)
            .await
            .unwrap();
        store.close().await;
        std::fs::remove_dir_all(dir).unwrap();
    }
}
