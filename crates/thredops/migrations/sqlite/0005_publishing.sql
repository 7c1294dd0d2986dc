-- Scheduling and publishing: planned posts, their ledger, posting slots and hosted media.
-- Post content (text, links, poll options) is sealed under the owner's data key; ids, states and
-- times stay plain so the publisher and the calendar can work without opening it.

CREATE TABLE scheduled_posts (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('draft', 'scheduled', 'container_created', 'ready', 'published', 'failed', 'cancelled')),
    kind TEXT NOT NULL,
    content_enc BLOB NOT NULL,
    -- The wall-clock time the user chose and its zone; scheduled_at (UTC) is derived from both.
    local_time TEXT,
    timezone TEXT,
    scheduled_at INTEGER,
    -- Ids the publisher has obtained so far (containers, media): JSON, ids only.
    progress TEXT NOT NULL,
    media_id TEXT,
    permalink TEXT,
    note TEXT,
    failure TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    acknowledged INTEGER NOT NULL DEFAULT 1,
    -- Bumped by every publisher write: a worker whose view is stale changes nothing.
    version INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    published_at INTEGER
);
CREATE INDEX scheduled_posts_user ON scheduled_posts (user_id, scheduled_at);
CREATE INDEX scheduled_posts_profile ON scheduled_posts (profile_id, state, scheduled_at);

CREATE TABLE publish_events (
    id TEXT PRIMARY KEY NOT NULL,
    post_id TEXT NOT NULL REFERENCES scheduled_posts(id) ON DELETE CASCADE,
    at_ms INTEGER NOT NULL,
    kind TEXT NOT NULL,
    message TEXT NOT NULL
);
CREATE INDEX publish_events_post ON publish_events (post_id, at_ms);

CREATE TABLE posting_slots (
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    weekday INTEGER NOT NULL CHECK (weekday BETWEEN 0 AND 6),
    minute INTEGER NOT NULL CHECK (minute BETWEEN 0 AND 1439),
    PRIMARY KEY (profile_id, weekday, minute)
);

CREATE TABLE media_uploads (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('image', 'video')),
    content_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    width INTEGER,
    height INTEGER,
    created_at INTEGER NOT NULL,
    -- Served publicly only until then; set when a container asks Threads to download it.
    expires_at INTEGER,
    deleted_at INTEGER
);
CREATE INDEX media_uploads_user ON media_uploads (user_id);
