-- Connected Threads profiles, the per-user key vault, and everything synced from the Threads API.
-- Meta-derived text (usernames, post text, URLs, demographics) is stored only as ciphertext under
-- the owner's data key; numbers used for aggregation stay plain.

CREATE TABLE data_keys (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    wrapped_key BYTEA NOT NULL,
    master_key_id TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE oauth_states (
    state_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE threads_profiles (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    threads_user_id TEXT NOT NULL UNIQUE,
    username_enc BYTEA NOT NULL,
    profile_enc BYTEA,
    status TEXT NOT NULL CHECK (status IN ('active', 'needs_reconnect', 'disconnected', 'paused')),
    scopes TEXT NOT NULL,
    connected_at BIGINT NOT NULL,
    disconnected_at BIGINT,
    token_enc BYTEA,
    token_issued_at BIGINT,
    token_expires_at BIGINT,
    last_refresh_at BIGINT,
    last_error TEXT,
    last_error_at BIGINT,
    last_sync_at BIGINT,
    backfill_done_at BIGINT,
    followers_count BIGINT,
    newest_post_at BIGINT,
    backfill_cursor TEXT
);
CREATE INDEX threads_profiles_user ON threads_profiles(user_id);

CREATE TABLE posts (
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    media_id TEXT NOT NULL,
    media_type TEXT NOT NULL,
    posted_at BIGINT NOT NULL,
    content_enc BYTEA NOT NULL,
    text_len BIGINT NOT NULL,
    link_count BIGINT NOT NULL,
    has_question BOOLEAN NOT NULL,
    has_poll BOOLEAN NOT NULL,
    is_quote BOOLEAN NOT NULL,
    is_repost BOOLEAN NOT NULL,
    carousel_size BIGINT NOT NULL,
    views BIGINT,
    likes BIGINT,
    replies BIGINT,
    reposts BIGINT,
    quotes BIGINT,
    shares BIGINT,
    metrics_at BIGINT,
    next_refresh_at BIGINT NOT NULL,
    first_seen_at BIGINT NOT NULL,
    PRIMARY KEY (profile_id, media_id)
);
CREATE INDEX posts_by_time ON posts(profile_id, posted_at);
CREATE INDEX posts_due ON posts(profile_id, next_refresh_at);

CREATE TABLE post_metric_snapshots (
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    media_id TEXT NOT NULL,
    taken_at BIGINT NOT NULL,
    age_seconds BIGINT NOT NULL,
    views BIGINT NOT NULL,
    likes BIGINT NOT NULL,
    replies BIGINT NOT NULL,
    reposts BIGINT NOT NULL,
    quotes BIGINT NOT NULL,
    shares BIGINT NOT NULL,
    PRIMARY KEY (profile_id, media_id, taken_at)
);

CREATE TABLE account_snapshots (
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    taken_at BIGINT NOT NULL,
    followers_count BIGINT NOT NULL,
    likes BIGINT,
    replies BIGINT,
    reposts BIGINT,
    quotes BIGINT,
    clicks BIGINT,
    PRIMARY KEY (profile_id, day)
);

CREATE TABLE daily_views (
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    views BIGINT NOT NULL,
    fetched_at BIGINT NOT NULL,
    PRIMARY KEY (profile_id, day)
);

CREATE TABLE demographic_snapshots (
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    breakdown TEXT NOT NULL CHECK (breakdown IN ('age', 'gender', 'country', 'city')),
    taken_at BIGINT NOT NULL,
    payload_enc BYTEA NOT NULL,
    PRIMARY KEY (profile_id, day, breakdown)
);

CREATE TABLE api_usage (
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    hour BIGINT NOT NULL,
    calls BIGINT NOT NULL,
    PRIMARY KEY (profile_id, hour)
);
