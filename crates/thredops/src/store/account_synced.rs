//! Account-level data synced from the Threads API: daily account snapshots, Meta's daily profile
//! views and follower demographics. Idempotent like every sync write (see `synced.rs`).

use sqlx::Row;

use super::synced::{WRITE_CHUNK, bump_and_commit};
use super::{Store, StoreResult, with_pool};
use crate::domain::ProfileId;

impl Store {
    /// Records the day's account snapshot unless that day already has one.
    #[allow(clippy::too_many_arguments)]
    pub async fn insert_account_snapshot(
        &self,
        profile_id: &ProfileId,
        day: &str,
        taken_at: i64,
        followers: i64,
        totals: [Option<i64>; 5],
    ) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| {
            async {
                let mut tx = pool.begin().await?;
                let n = sqlx::query(
                    "INSERT INTO account_snapshots (profile_id, day, taken_at, followers_count, likes, replies, reposts, quotes, clicks) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING"
                )
                .bind(profile_id)
                .bind(day)
                .bind(taken_at)
                .bind(followers)
                .bind(totals[0])
                .bind(totals[1])
                .bind(totals[2])
                .bind(totals[3])
                .bind(totals[4])
                .execute(&mut *tx)
                .await?
                .rows_affected();
                bump_and_commit!(tx, profile_id, n > 0)?;
                Ok::<_, sqlx::Error>(n)
            }
            .await
        })?;
        Ok(done == 1)
    }

    /// Number of daily account snapshots.
    pub async fn account_snapshot_days(
        &self,
        profile_id: &ProfileId,
    ) -> StoreResult<Vec<(String, i64)>> {
        let rows = with_pool!(self, |pool| {
            async {
            let rows = sqlx::query("SELECT day, followers_count FROM account_snapshots WHERE profile_id = $1 ORDER BY day")
                .bind(profile_id)
                .fetch_all(pool)
                .await?;
            rows.iter().map(|r| Ok((r.try_get(0)?, r.try_get(1)?))).collect::<Result<Vec<_>, sqlx::Error>>()
        }
        .await
        })?;
        Ok(rows)
    }

    /// Stores Meta's daily profile views (Meta's own series: the latest value for a day wins).
    pub async fn upsert_daily_views(
        &self,
        profile_id: &ProfileId,
        day: &str,
        views: i64,
        fetched_at: i64,
    ) -> StoreResult<()> {
        self.upsert_daily_views_many(profile_id, &[(day.to_owned(), views)], fetched_at)
            .await
    }

    /// Stores several days of Meta's daily profile views in one statement per [`WRITE_CHUNK`]
    /// days. A day given twice keeps its last value.
    pub async fn upsert_daily_views_many(
        &self,
        profile_id: &ProfileId,
        days: &[(String, i64)],
        fetched_at: i64,
    ) -> StoreResult<()> {
        // One statement may not update a row twice (PostgreSQL refuses), so repeats go first.
        let days: std::collections::BTreeMap<&str, i64> =
            days.iter().map(|(d, v)| (d.as_str(), *v)).collect();
        let days: Vec<(&str, i64)> = days.into_iter().collect();
        for chunk in days.chunks(WRITE_CHUNK) {
            with_pool!(self, |pool| {
                async {
                    let mut tx = pool.begin().await?;
                    let mut upsert = sqlx::QueryBuilder::new(
                        "INSERT INTO daily_views (profile_id, day, views, fetched_at) ",
                    );
                    upsert.push_values(chunk, |mut row, (day, views)| {
                        row.push_bind(profile_id)
                            .push_bind(*day)
                            .push_bind(*views)
                            .push_bind(fetched_at);
                    });
                    upsert.push(
                        " ON CONFLICT (profile_id, day) DO UPDATE SET views = excluded.views, fetched_at = excluded.fetched_at",
                    );
                    upsert.build().execute(&mut *tx).await?;
                    bump_and_commit!(tx, profile_id, true)
                }
                .await
            })?;
        }
        Ok(())
    }

    /// Records a demographics snapshot for one breakdown unless that day already has one.
    pub async fn insert_demographics(
        &self,
        profile_id: &ProfileId,
        day: &str,
        breakdown: &str,
        taken_at: i64,
        payload_enc: &[u8],
    ) -> StoreResult<bool> {
        let done = with_pool!(self, |pool| {
            sqlx::query(
            "INSERT INTO demographic_snapshots (profile_id, day, breakdown, taken_at, payload_enc) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING"
        )
        .bind(profile_id)
        .bind(day)
        .bind(breakdown)
        .bind(taken_at)
        .bind(payload_enc)
        .execute(pool)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(done == 1)
    }
}
