-- A per-profile counter of analytics data changes. Every write to what the analytics read
-- (posts and their latest metrics, account snapshots, daily views) bumps it in the same
-- transaction, so a computed overview can be reused until the counter moves. It lives in the
-- database, not in one process, so every instance sees another instance's writes
-- (analytics/cache.rs explains the cache that checks it).
ALTER TABLE threads_profiles ADD COLUMN data_version INTEGER NOT NULL DEFAULT 0;
