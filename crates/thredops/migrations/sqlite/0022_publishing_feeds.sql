-- RSS and Atom feeds whose new items become drafts of one of the owner's profiles.
-- The poll is polite: at most every 30 minutes per feed, conditional on the stored ETag and
-- Last-Modified; the last poll's outcome is kept for the feeds page.

CREATE TABLE publishing_feeds (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    -- When a poll last started (claimed) and how it ended.
    last_polled_at INTEGER,
    last_status TEXT CHECK (last_status IN ('new_items', 'not_modified', 'error')),
    last_new_items INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX publishing_feeds_url ON publishing_feeds (user_id, profile_id, url);

-- One row per item ever seen in a feed (by guid, id or link): the primary key makes an item a
-- draft at most once, whoever polls.
CREATE TABLE publishing_feed_items (
    feed_id TEXT NOT NULL REFERENCES publishing_feeds(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    item_key TEXT NOT NULL,
    title TEXT NOT NULL,
    post_id TEXT REFERENCES scheduled_posts(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (feed_id, item_key)
);
CREATE INDEX publishing_feed_items_post ON publishing_feed_items (post_id);
