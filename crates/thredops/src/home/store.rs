//! The home page's reads of planned posts: the next ones due and those needing attention.

use crate::domain::{PostId, ProfileId};
use crate::store::{Store, StoreResult, with_pool};

impl Store {
    /// Ids of the profile's next posts due at or after `now`, soonest first.
    pub async fn next_planned_post_ids(
        &self,
        profile_id: &ProfileId,
        now: i64,
        limit: i64,
    ) -> StoreResult<Vec<PostId>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_scalar(
            "SELECT id FROM scheduled_posts WHERE profile_id = $1 AND state IN ('scheduled', 'container_created', 'ready') \
             AND scheduled_at >= $2 ORDER BY scheduled_at, id LIMIT $3"
        )
        .bind(profile_id)
        .bind(now)
        .bind(limit)
        .fetch_all(p)
        .await
        })?)
    }

    /// Ids of the profile's posts that need the user: failed ones, and planned ones carrying a
    /// note (waiting on the quota, or on a profile that must be reconnected), newest change first.
    pub async fn attention_post_ids(
        &self,
        profile_id: &ProfileId,
        limit: i64,
    ) -> StoreResult<Vec<PostId>> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT id FROM scheduled_posts WHERE profile_id = $1 AND (state = 'failed' \
             OR (state IN ('scheduled', 'container_created', 'ready') AND note IS NOT NULL)) \
             ORDER BY updated_at DESC, id LIMIT $2"
        )
        .bind(profile_id)
        .bind(limit)
        .fetch_all(p)
        .await)?)
    }
}
