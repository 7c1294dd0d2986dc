//! What the privacy pages and API read about an account: the staff access log, notices, the
//! purge that waits and deletion receipts.

use super::store::{AccessRecord, NoticeRecord, ReceiptRecord};
use crate::app::AppState;
use crate::domain::UserId;
use crate::error::AppResult;

/// Every time staff opened the account's data, newest first.
pub async fn access_log(state: &AppState, user_id: &UserId) -> AppResult<Vec<AccessRecord>> {
    Ok(state.store.staff_access_of(user_id).await?)
}

/// The notices shown to the account holder, newest first.
pub async fn notices(state: &AppState, user_id: &UserId) -> AppResult<Vec<NoticeRecord>> {
    Ok(state.store.notices_of(user_id).await?)
}

/// When an inactive account's Meta data will be purged, if a warning was sent.
pub async fn pending_purge_at(state: &AppState, user_id: &UserId) -> AppResult<Option<i64>> {
    Ok(state.store.pending_purge_at(user_id).await?)
}

/// A deletion receipt by the hash of its confirmation code.
pub async fn receipt(state: &AppState, code_hash: &str) -> AppResult<Option<ReceiptRecord>> {
    Ok(state.store.receipt(code_hash).await?)
}
