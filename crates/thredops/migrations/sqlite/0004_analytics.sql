-- Analytics reads only what sync stores (0003) and keeps no copies, so account deletion purges it
-- with the profile. Every analytics read is a range bounded by the period shown, served by keys
-- that already exist: posts_by_time (profile_id, posted_at); the primary keys of
-- account_snapshots and daily_views (profile_id, day), of post_metric_snapshots
-- (profile_id, media_id, taken_at) and of demographic_snapshots (profile_id, day, breakdown).
-- The benchmark (docs/bench-analytics.md) found no read that needs a rollup.
SELECT 1;
