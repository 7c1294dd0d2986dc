-- Evergreen posts: a published post of a profile re-shared on a schedule with text variations,
-- never twice within a minimum interval, retired when a re-share's results drop.
-- The variations are content, sealed under the owner's data key (purpose `evergreen-item`);
-- the schedule, states and results stay plain so the evergreen job works without opening them
-- more than once per re-share.

CREATE TABLE evergreen_items (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    -- The original on Threads, and the ThredOps post that published it, if one did.
    source_media_id TEXT NOT NULL,
    source_post_id TEXT REFERENCES scheduled_posts(id) ON DELETE SET NULL,
    source_posted_at INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('active', 'paused', 'retired')),
    variations_enc BLOB NOT NULL,
    variation_count INTEGER NOT NULL,
    -- Every N days at a wall-clock time (HH:MM, owner's zone) or, when NULL, the next free
    -- posting slot; never twice within min_interval_days (local calendar days).
    every_days INTEGER NOT NULL,
    at_time TEXT,
    min_interval_days INTEGER NOT NULL,
    threshold_percent INTEGER NOT NULL,
    results_hours INTEGER NOT NULL,
    -- Re-shares planned so far (the next one is number reshares + 1).
    reshares INTEGER NOT NULL DEFAULT 0,
    retired_reason TEXT,
    problem TEXT,
    version INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX evergreen_items_source ON evergreen_items (profile_id, source_media_id);
CREATE INDEX evergreen_items_user ON evergreen_items (user_id, state);

-- One row per re-share: its planned post and, once its results window has passed, how it did
-- against the original. The primary key and the item's version make planning happen once.
CREATE TABLE evergreen_reshares (
    item_id TEXT NOT NULL REFERENCES evergreen_items(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    post_id TEXT REFERENCES scheduled_posts(id) ON DELETE SET NULL,
    post_version INTEGER NOT NULL DEFAULT 0,
    variation INTEGER NOT NULL,
    planned_at INTEGER NOT NULL,
    evaluated_at INTEGER,
    views INTEGER,
    engagement INTEGER,
    baseline_views INTEGER,
    baseline_engagement INTEGER,
    verdict TEXT CHECK (verdict IN ('held', 'dropped')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (item_id, seq)
);
CREATE INDEX evergreen_reshares_post ON evergreen_reshares (post_id);
