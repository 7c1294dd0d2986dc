//! The database side of live chat across instances: PostgreSQL NOTIFY carries events to the
//! other instances' hubs (SQLite has one instance, so nothing to send).

use crate::store::{Pool, Store, StoreResult};

impl Store {
    /// Sends `payload` on the NOTIFY `channel`; does nothing on SQLite.
    pub(crate) async fn notify_instances(&self, channel: &str, payload: &str) -> StoreResult<()> {
        if let Pool::Postgres(p) = self.pool() {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(channel)
                .bind(payload)
                .execute(p)
                .await?;
        }
        Ok(())
    }
}
