-- Notifications: what the app tells a user about their account without being asked (a scheduled
-- post failed, a profile needs reconnecting), shown in the app and, unless the user turned that
-- kind off, emailed once.

-- One row per event. event_key names the event (e.g. the post and the version that failed), so
-- recording the same event again, from any instance, changes nothing. The text holds no Threads
-- content (that stays sealed elsewhere): only what happened and what to do.
CREATE TABLE notifications (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('post_failed', 'profile_reconnect')),
    event_key TEXT NOT NULL,
    subject_id TEXT,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    link TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    read_at INTEGER,
    -- Set when the email was sent, or decided against (the user turned that kind off).
    emailed_at INTEGER,
    email_skipped BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE UNIQUE INDEX notifications_event ON notifications (user_id, event_key);
CREATE INDEX notifications_user ON notifications (user_id, created_at);

-- Which kinds the user wants by email (no row: every kind).
CREATE TABLE notification_settings (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email_post_failed BOOLEAN NOT NULL DEFAULT TRUE,
    email_profile_reconnect BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at INTEGER NOT NULL
);
