-- Competitor benchmarks and topic listening. Both read other people's public Threads data
-- through one of the user's own profiles (its token, its call budget), so every row belongs to
-- a user and a profile and goes with either.

-- A public profile the user benchmarks against one of their own profiles.
CREATE TABLE competitors (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    -- Lower-case handle without @ (public on Threads).
    username TEXT NOT NULL,
    -- Display name, biography, picture URL, verified flag: sealed with the user's data key.
    details_enc BYTEA,
    -- The last daily snapshot run: when, how it ended, how many calls it made.
    last_run_at BIGINT,
    last_status TEXT CHECK (last_status IN ('ok', 'waiting', 'error')),
    last_error TEXT,
    last_calls BIGINT NOT NULL DEFAULT 0,
    newest_post_at BIGINT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX competitors_username ON competitors (user_id, profile_id, username);

-- One row per competitor and UTC day: followers and the profile's 7-day counts.
CREATE TABLE competitor_snapshots (
    competitor_id TEXT NOT NULL REFERENCES competitors(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    day TEXT NOT NULL,
    followers BIGINT NOT NULL,
    likes_7d BIGINT NOT NULL,
    replies_7d BIGINT NOT NULL,
    reposts_7d BIGINT NOT NULL,
    quotes_7d BIGINT NOT NULL,
    views_7d BIGINT NOT NULL,
    taken_at BIGINT NOT NULL,
    PRIMARY KEY (competitor_id, day)
);

-- A competitor's public posts: kind and time in the clear (for cadence and formats), text and
-- link sealed.
CREATE TABLE competitor_posts (
    competitor_id TEXT NOT NULL REFERENCES competitors(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    media_id TEXT NOT NULL,
    media_type TEXT NOT NULL,
    posted_at BIGINT NOT NULL,
    content_enc BYTEA NOT NULL,
    seen_at BIGINT NOT NULL,
    PRIMARY KEY (competitor_id, media_id)
);

-- A saved keyword or topic-tag search, run hourly for new posts.
CREATE TABLE listening_searches (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    query TEXT NOT NULL,
    mode TEXT NOT NULL CHECK (mode IN ('keyword', 'tag')),
    -- Newest match time seen: the next run asks only for posts after it.
    newest_match_at BIGINT,
    last_run_at BIGINT,
    last_status TEXT CHECK (last_status IN ('ok', 'waiting', 'error')),
    last_error TEXT,
    last_new BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX listening_searches_query ON listening_searches (user_id, profile_id, mode, query);

-- Posts a saved search found: author and text sealed.
CREATE TABLE listening_matches (
    search_id TEXT NOT NULL REFERENCES listening_searches(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    media_id TEXT NOT NULL,
    media_type TEXT NOT NULL,
    posted_at BIGINT NOT NULL,
    content_enc BYTEA NOT NULL,
    found_at BIGINT NOT NULL,
    PRIMARY KEY (search_id, media_id)
);
CREATE INDEX listening_matches_time ON listening_matches (search_id, posted_at);
