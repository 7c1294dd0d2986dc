-- The publisher's shared view of each profile's 24-hour post quota: the last reading of
-- threads_publishing_limit, decremented as posts are reserved, so a burst of posts reads the quota
-- once per profile instead of once per post. Shared by every worker and instance; see
-- publishing/quota.rs for why it can never let ThredOps publish past Meta's count.

CREATE TABLE publishing_quota (
    profile_id TEXT PRIMARY KEY NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    -- Posts that may still be reserved on the strength of the last reading.
    remaining INTEGER NOT NULL DEFAULT 0,
    -- Meta's quota_total at the last reading.
    total INTEGER,
    -- When the last reading was asked for (Unix ms); 0 = never.
    read_at_ms INTEGER NOT NULL DEFAULT 0,
    -- Publishing calls reserved so far and how many of them have returned (both only grow);
    -- the difference is what may be in flight while a reading is taken.
    started INTEGER NOT NULL DEFAULT 0,
    finished INTEGER NOT NULL DEFAULT 0,
    last_started_ms INTEGER NOT NULL DEFAULT 0
);
