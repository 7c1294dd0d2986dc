//! Operational checks: whether the database is ready for traffic and how busy its pool is.

use crate::app::AppState;
use crate::store::StoreResult;

/// Whether the database answers and can read the tables every signed-in request reads.
pub async fn ping(state: &AppState) -> StoreResult<()> {
    state.store.ping().await
}

/// Pool gauges: (open connections, idle connections).
pub fn pool_stats(state: &AppState) -> (u32, usize) {
    state.store.pool_stats()
}
