//! Storage of each profile's weekly posting slots and the times its queue already holds.

use crate::domain::ProfileId;
use crate::store::{Store, StoreResult, with_pool};

impl Store {
    /// A profile's posting slots as (weekday, minute).
    pub async fn posting_slots(&self, profile_id: &ProfileId) -> StoreResult<Vec<(i64, i64)>> {
        Ok(with_pool!(self, |pool| {
            sqlx::query_as(
            "SELECT weekday, minute FROM posting_slots WHERE profile_id = $1 ORDER BY weekday, minute",
        )
        .bind(profile_id)
        .fetch_all(pool)
        .await
        })?)
    }

    /// Replaces a profile's posting slots.
    pub async fn set_posting_slots(
        &self,
        profile_id: &ProfileId,
        slots: &[(i64, i64)],
    ) -> StoreResult<()> {
        with_pool!(self, |pool| {
            async {
                let mut tx = pool.begin().await?;
                sqlx::query("DELETE FROM posting_slots WHERE profile_id = $1")
                    .bind(profile_id)
                    .execute(&mut *tx)
                    .await?;
                for (weekday, minute) in slots {
                    sqlx::query("INSERT INTO posting_slots (profile_id, weekday, minute) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                        .bind(profile_id)
                        .bind(weekday)
                        .bind(minute)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await
            }
            .await
        })?;
        Ok(())
    }

    /// Times (UTC seconds) already taken by the profile's scheduled posts.
    pub async fn taken_times(&self, profile_id: &ProfileId, from: i64) -> StoreResult<Vec<i64>> {
        with_pool!(self, |pool| sqlx::query_scalar(
            "SELECT scheduled_at FROM scheduled_posts WHERE profile_id = $1 AND scheduled_at >= $2 AND state NOT IN ('draft', 'cancelled', 'failed')"
        )
        .bind(profile_id)
        .bind(from)
        .fetch_all(pool)
        .await)
        .map_err(Into::into)
    }
}
