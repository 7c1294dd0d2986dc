-- Connected Threads profiles, the per-user key vault, and everything synced from the Threads API.
-- Meta-derived text (usernames, post text, URLs, demographics) is stored only as ciphertext under
-- the owner's data key; numbers used for aggregation stay plain.

CREATE TABLE data_keys (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    wrapped_key BLOB NOT NULL,
    master_key_id TEXT NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE oauth_states (
    state_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at INTEGER
);

CREATE TABLE threads_profiles (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    threads_user_id TEXT NOT NULL UNIQUE,
    username_enc BLOB NOT NULL,
    profile_enc BLOB,
    status TEXT NOT NULL CHECK (status IN ('active', 'needs_reconnect', 'disconnected', 'paused')),
    scopes TEXT NOT NULL,
    connected_at INTEGER NOT NULL,
    disconnected_at INTEGER,
    token_enc BLOB,
    token_issued_at INTEGER,
    token_expires_at INTEGER,
    last_refresh_at INTEGER,
    last_error TEXT,
    last_error_at INTEGER,
    last_sync_at INTEGER,
    backfill_done_at INTEGER,
    followers_count INTEGER,
    newest_post_at INTEGER,
    backfill_cursor TEXT
);
CREATE INDEX threads_profiles_user ON threads_profiles(user_id);

CREATE TABLE posts (
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    media_id TEXT NOT NULL,
    media_type TEXT NOT NULL,
    posted_at INTEGER NOT NULL,
    content_enc BLOB NOT NULL,
    text_len INTEGER NOT NULL,
    link_count INTEGER NOT NULL,
    has_question BOOLEAN NOT NULL,
    has_poll BOOLEAN NOT NULL,
    is_quote BOOLEAN NOT NULL,
    is_repost BOOLEAN NOT NULL,
    carousel_size INTEGER NOT NULL,
    views INTEGER,
    likes INTEGER,
    replies INTEGER,
    reposts INTEGER,
    quotes INTEGER,
    shares INTEGER,
    metrics_at INTEGER,
    next_refresh_at INTEGER NOT NULL,
    first_seen_at INTEGER NOT NULL,
    PRIMARY KEY (profile_id, media_id)
);
CREATE INDEX posts_by_time ON posts(profile_id, posted_at);
CREATE INDEX posts_due ON posts(profile_id, next_refresh_at);

CREATE TABLE post_metric_snapshots (
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    media_id TEXT NOT NULL,
    taken_at INTEGER NOT NULL,
    age_seconds INTEGER NOT NULL,
    views INTEGER NOT NULL,
    likes INTEGER NOT NULL,
    replies INTEGER NOT NULL,
    reposts INTEGER NOT NULL,
    quotes INTEGER NOT NULL,
    shares INTEGER NOT NULL,
    PRIMARY KEY (profile_id, media_id, taken_at)
);

CREATE TABLE account_snapshots (
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    taken_at INTEGER NOT NULL,
    followers_count INTEGER NOT NULL,
    likes INTEGER,
    replies INTEGER,
    reposts INTEGER,
    quotes INTEGER,
    clicks INTEGER,
    PRIMARY KEY (profile_id, day)
);

CREATE TABLE daily_views (
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    views INTEGER NOT NULL,
    fetched_at INTEGER NOT NULL,
    PRIMARY KEY (profile_id, day)
);

CREATE TABLE demographic_snapshots (
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    breakdown TEXT NOT NULL CHECK (breakdown IN ('age', 'gender', 'country', 'city')),
    taken_at INTEGER NOT NULL,
    payload_enc BLOB NOT NULL,
    PRIMARY KEY (profile_id, day, breakdown)
);

CREATE TABLE api_usage (
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    hour INTEGER NOT NULL,
    calls INTEGER NOT NULL,
    PRIMARY KEY (profile_id, hour)
);
