-- Follow-ups of a published post: its first reply and its auto-plug. One row per post and kind,
-- written in the same transaction that marks the post published, so a post gets each follow-up
-- once however often (or by whichever instance) its publication is recorded.

CREATE TABLE publishing_followups (
    parent_post_id TEXT NOT NULL REFERENCES scheduled_posts(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('first_reply', 'auto_plug')),
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    -- Threads media id of the published post the reply answers.
    parent_media_id TEXT NOT NULL,
    -- watching (auto-plug window open), sent (reply post created), missed (window closed unmet).
    state TEXT NOT NULL CHECK (state IN ('watching', 'sent', 'missed')),
    -- Auto-plug rule: likes or views, the threshold and when the window closes (UTC seconds).
    metric TEXT CHECK (metric IN ('likes', 'views')),
    threshold INTEGER,
    window_hours INTEGER,
    window_ends_at INTEGER,
    next_check_at INTEGER,
    -- The reply's text, sealed under the owner's data key.
    text_enc BLOB NOT NULL,
    -- The metric at the last check, and when.
    last_value INTEGER,
    last_checked_at INTEGER,
    -- The reply post once created.
    child_post_id TEXT REFERENCES scheduled_posts(id) ON DELETE SET NULL,
    decided_at INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (parent_post_id, kind)
);
CREATE INDEX publishing_followups_watch ON publishing_followups (state, next_check_at);
CREATE INDEX publishing_followups_child ON publishing_followups (child_post_id);

-- A profile's default auto-plug, applied when its posts are published (unless a post has its
-- own rule or says "no auto-plug"). The rule (metric, threshold, window, text) is sealed.
CREATE TABLE publishing_autoplug_defaults (
    profile_id TEXT PRIMARY KEY NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    rule_enc BLOB NOT NULL,
    updated_at INTEGER NOT NULL
);
