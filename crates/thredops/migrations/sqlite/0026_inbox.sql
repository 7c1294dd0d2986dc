-- The engagement inbox: replies to a creator's posts and mentions of the creator, per profile.
-- Other people's words are content: sealed with the owner's data key (content_enc); only the
-- flags the filters need (kind, question, read, hidden, answered) are plain.

-- The scopes a connection asked for (NULL: the default set), so turning the inbox on can ask
-- for the inbox's scopes and the callback knows it did.
ALTER TABLE oauth_states ADD COLUMN scopes TEXT;

-- Profiles whose inbox was turned on (or asked to be), and how their last poll went.
CREATE TABLE inbox_profiles (
    profile_id TEXT PRIMARY KEY NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- requested: the user asked to turn it on and went to Threads to grant the scopes.
    state TEXT NOT NULL CHECK (state IN ('requested', 'on', 'off')),
    changed_at INTEGER NOT NULL,
    last_poll_at INTEGER,
    last_new_items INTEGER NOT NULL DEFAULT 0,
    last_calls INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    -- Publication time of the newest mention read: the next poll asks only for later ones.
    mentions_since INTEGER
);

-- Per post of the profile: the replies count (from sync) when its conversation was last read
-- and the newest reply then seen, so a poll reads only conversations that changed, and only
-- their new replies.
CREATE TABLE inbox_posts (
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    media_id TEXT NOT NULL,
    replies_seen INTEGER NOT NULL,
    newest_reply_at INTEGER,
    checked_at INTEGER NOT NULL,
    PRIMARY KEY (profile_id, media_id)
);

CREATE TABLE inbox_items (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    threads_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('reply', 'mention')),
    -- The profile's post the conversation hangs under (replies only).
    root_id TEXT,
    replied_to_id TEXT,
    -- Top-level replies can be hidden (Threads hides nested ones with them).
    top_level BOOLEAN NOT NULL,
    content_enc BLOB NOT NULL,
    has_question BOOLEAN NOT NULL,
    posted_at INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('poll', 'webhook')),
    read_at INTEGER,
    hidden BOOLEAN NOT NULL DEFAULT FALSE,
    -- When a reply by the profile to this item was seen on Threads.
    answered_at INTEGER,
    -- The planned post answering it from ThredOps.
    reply_post_id TEXT REFERENCES scheduled_posts(id) ON DELETE SET NULL,
    -- Who handles it: the account's own user today, a workspace member later.
    assignee_user_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    UNIQUE (profile_id, threads_id)
);
CREATE INDEX inbox_items_by_user ON inbox_items (user_id, posted_at);
CREATE INDEX inbox_items_reply_post ON inbox_items (reply_post_id);

-- Saved replies: the user's own snippets for the reply box, sealed.
CREATE TABLE inbox_saved_replies (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    content_enc BLOB NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX inbox_saved_replies_by_user ON inbox_saved_replies (user_id, created_at);
