//! The purges behind every deletion path: the whole account, the Meta API data of an account, or
//! one Threads user's data. Each stops the work that could write again before deleting, and
//! leaves a receipt that holds no personal data.

use anyhow::Context;
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::clock::now_unix;
use crate::domain::{ThreadsUserId, UserId, WorkspaceId};
use crate::mail::Email;

/// Where a deletion came from (stored on the receipt, shown on the status page).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    /// The user pressed "Delete my account".
    Account,
    /// Meta's data-deletion callback.
    MetaCallback,
    /// A data deletion request through support, confirmed by email.
    Support,
    /// The inactivity purge.
    Retention,
}

impl Source {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Account => "account",
            Source::MetaCallback => "meta_callback",
            Source::Support => "support",
            Source::Retention => "retention",
        }
    }
}

/// A deletion receipt: the code the user keeps and where its status can be read.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Receipt {
    /// Unguessable confirmation code (192 random bits).
    pub confirmation_code: String,
    /// Public status page of this deletion.
    pub url: String,
    /// How many Threads profiles were removed.
    pub profiles_purged: i64,
}

/// A fresh confirmation code.
pub fn new_code() -> String {
    crate::crypto::random_token(24)
}

/// What is stored instead of a code, so a database copy cannot be used to read status pages.
pub fn code_hash(code: &str) -> String {
    hex::encode(Sha256::digest(code.as_bytes()))
}

/// The public status URL of a code.
pub fn status_url(state: &AppState, code: &str) -> String {
    format!("{}/privacy/deletion/{code}", state.public_origin())
}

async fn receipt(
    state: &AppState,
    source: Source,
    profiles_purged: i64,
) -> anyhow::Result<Receipt> {
    let code = new_code();
    state
        .store
        .insert_receipt(
            &code_hash(&code),
            source.as_str(),
            "completed",
            now_unix(),
            profiles_purged,
        )
        .await?;
    Ok(Receipt {
        url: status_url(state, &code),
        confirmation_code: code,
        profiles_purged,
    })
}

/// Stops and deletes a profile's jobs, then the profile and everything synced for it.
async fn remove_profile(
    state: &AppState,
    profile_id: &crate::domain::ProfileId,
) -> anyhow::Result<()> {
    crate::sync::cancel_for_profile(state, profile_id).await?;
    state.store.delete_profile(profile_id).await?;
    // Jobs carry the profile id as their subject; drop them too so no trace of it remains.
    state.store.delete_jobs_about(profile_id).await?;
    Ok(())
}

/// Deletes the account at once: jobs cancelled, data key shredded, every row (sessions included,
/// by cascade) and the user's media files removed. Emails the receipt to the address the account
/// had. Outbox messages are mail, not account data, and stay.
pub async fn delete_account(
    state: &AppState,
    user_id: &UserId,
    source: Source,
) -> anyhow::Result<Receipt> {
    let (email, profiles) = erase_account(state, user_id).await?;
    let receipt = receipt(state, source, profiles).await?;
    tracing::info!(source = source.as_str(), "account deleted");
    send_receipt(state, &email, &receipt, "Your ThredOps account was deleted").await;
    Ok(receipt)
}

/// The erasure behind [`delete_account`], without a receipt. Returns the address the account had
/// and how many Threads profiles it held.
pub async fn erase_account(state: &AppState, user_id: &UserId) -> anyhow::Result<(String, i64)> {
    let user = state
        .store
        .user_by_id(user_id)
        .await?
        .context("account already deleted")?;
    // The account's own workspace goes with it.
    let workspace_id = WorkspaceId::owned_by(user_id);
    let profiles = state.store.profiles_of(&workspace_id).await?;
    state.jobs.cancel_for_user(&workspace_id).await?;
    // Deleting the account never waits on Stripe: a job that outlives the account cancels its
    // subscriptions and deletes its Stripe customer, retrying until Stripe confirms.
    crate::billing::close_for_deleted_account(state, &workspace_id).await?;
    for p in &profiles {
        remove_profile(state, &p.id).await?;
    }
    // The key goes first: whatever survives anywhere (a backup, a lagging replica) is unreadable.
    state.vault.shred(&workspace_id).await?;
    state.store.delete_user(user_id).await?;
    state.jobs.purge_for_user(&workspace_id).await?;
    let media = state
        .settings
        .data_dir
        .join("media")
        .join(workspace_id.as_str());
    match tokio::fs::remove_dir_all(&media).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).context("removing the user's media files");
        }
        _ => {}
    }
    Ok((user.email, profiles.len() as i64))
}

/// Purges the Meta API data of an account (its Threads profiles and all their synced history)
/// and keeps the account. Returns the receipt, or `None` when there was nothing to purge.
pub async fn purge_meta_data(
    state: &AppState,
    user_id: &UserId,
    source: Source,
) -> anyhow::Result<Option<Receipt>> {
    let profiles = state
        .store
        .profiles_of(&WorkspaceId::owned_by(user_id))
        .await?;
    if profiles.is_empty() {
        return Ok(None);
    }
    for p in &profiles {
        remove_profile(state, &p.id).await?;
    }
    Ok(Some(receipt(state, source, profiles.len() as i64).await?))
}

/// Purges everything stored for one Threads user (Meta's data-deletion callback). Answers with a
/// receipt even when nothing was stored, as Meta expects one for every valid request.
pub async fn purge_threads_user(
    state: &AppState,
    threads_user_id: &ThreadsUserId,
) -> anyhow::Result<Receipt> {
    let purged = match state.store.profile_by_threads_user(threads_user_id).await? {
        Some(p) => {
            remove_profile(state, &p.id).await?;
            tracing::info!(user_id = %p.user_id, "Threads user data purged on Meta's request");
            1
        }
        None => 0,
    };
    receipt(state, Source::MetaCallback, purged).await
}

/// Destroys the token of a Threads user and marks the profile disconnected (Meta's deauthorize
/// callback). Returns whether a profile was found.
pub async fn deauthorize_threads_user(
    state: &AppState,
    threads_user_id: &ThreadsUserId,
) -> anyhow::Result<bool> {
    let Some(p) = state.store.profile_by_threads_user(threads_user_id).await? else {
        return Ok(false);
    };
    crate::sync::cancel_for_profile(state, &p.id).await?;
    crate::inbox::forget_profile(state, &p.id).await?;
    state
        .store
        .disconnect_profile(&p.id, true, now_unix())
        .await?;
    tracing::info!(user_id = %p.user_id, profile_id = %p.id, "Threads profile deauthorized by Meta");
    Ok(true)
}

/// Emails a receipt; a mail failure is logged, never undoes or blocks the deletion.
pub async fn send_receipt(state: &AppState, to: &str, receipt: &Receipt, subject: &str) {
    let body = format!(
        "{subject}.\n\nConfirmation code: {}\nStatus: {}\nThreads profiles removed: {}\n\nKeep this code: it is the only way to look up this deletion. It contains nothing about you.\n\n{}",
        receipt.confirmation_code,
        receipt.url,
        receipt.profiles_purged,
        state.settings.privacy.operator_name
    );
    let email = Email {
        to: to.to_owned(),
        subject: subject.to_owned(),
        body,
    };
    if let Err(e) = state.mailer.send(&email).await {
        tracing::warn!(error = %format!("{e:#}"), "deletion receipt could not be mailed");
    }
}
