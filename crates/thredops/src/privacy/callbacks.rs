//! Meta's callbacks applied once: a `signed_request` seen before (a captured one replayed, or
//! Meta retrying) gets the first answer and changes nothing, so a replay can never remove a
//! profile the person connected again since.

use serde_json::json;

use super::signed_request;
use crate::app::AppState;
use crate::clock::now_unix;
use crate::error::AppResult;

/// Runs a verified callback once: a request seen before (a replay, or Meta retrying) gets the
/// first answer and changes nothing.
pub async fn apply_once<F, Fut>(
    state: &AppState,
    kind: &str,
    request_hash: &str,
    apply: F,
) -> AppResult<serde_json::Value>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = AppResult<serde_json::Value>>,
{
    if let Some(first) = state.store.applied_meta_callback(request_hash).await? {
        tracing::warn!(
            kind,
            "Meta callback received again; answered as before, nothing done"
        );
        let first = serde_json::from_str(&first).unwrap_or_else(|_| json!({"status": "ok"}));
        return Ok(first);
    }
    let answer = apply().await?;
    let now = now_unix();
    state
        .store
        .record_meta_callback(
            request_hash,
            kind,
            &answer.to_string(),
            now,
            now - 2 * signed_request::MAX_AGE_SECS,
        )
        .await?;
    Ok(answer)
}
