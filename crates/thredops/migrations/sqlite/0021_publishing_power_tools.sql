-- Publishing power tools: recurring series and their occurrences.
-- A series' composition is sealed under the owner's data key (purpose `recurring-series`); the
-- rule and times stay plain so the top-up job can materialise occurrences without opening it
-- more than once per new occurrence.

CREATE TABLE recurring_series (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('active', 'stopped')),
    kind TEXT NOT NULL,
    content_enc BLOB NOT NULL,
    -- daily; weekly on the weekdays of the bit mask (bit 0 = Monday); monthly on the nth
    -- (1-4, or -1 for the last) weekday of the month.
    frequency TEXT NOT NULL CHECK (frequency IN ('daily', 'weekly', 'monthly')),
    weekdays INTEGER NOT NULL DEFAULT 0,
    nth INTEGER,
    -- Wall-clock time (HH:MM) in the owner's time zone; first and last local dates.
    local_time TEXT NOT NULL,
    starts_on TEXT NOT NULL,
    ends_on TEXT,
    max_count INTEGER,
    version INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX recurring_series_user ON recurring_series (user_id, state);

-- One row per local date of a series that was materialised or skipped: the primary key makes
-- materialising an occurrence happen at most once, whoever runs the top-up.
CREATE TABLE recurring_occurrences (
    series_id TEXT NOT NULL REFERENCES recurring_series(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    occurs_on TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('planned', 'skipped')),
    post_id TEXT REFERENCES scheduled_posts(id) ON DELETE SET NULL,
    -- The post's version when the series wrote it: a different version means it was edited
    -- on its own (or is publishing), and series edits leave it alone.
    post_version INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (series_id, occurs_on)
);
CREATE INDEX recurring_occurrences_post ON recurring_occurrences (post_id);
