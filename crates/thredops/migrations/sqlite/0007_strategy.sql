-- AI Strategist and Deep Audit: stored audits, experiments and the per-user language-model opt-in.
-- Reports and experiment details can name topic tags and keywords (Meta-derived text), so they are
-- sealed under the owner's data key; scores and times stay plain for listing.

CREATE TABLE strategy_audits (
    id TEXT PRIMARY KEY NOT NULL,
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    progress INTEGER NOT NULL DEFAULT 0,
    score INTEGER,
    report_enc BLOB,
    error TEXT,
    created_at INTEGER NOT NULL,
    finished_at INTEGER
);
CREATE INDEX strategy_audits_profile ON strategy_audits(profile_id, created_at);

CREATE TABLE strategy_experiments (
    id TEXT PRIMARY KEY NOT NULL,
    profile_id TEXT NOT NULL REFERENCES threads_profiles(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'cancelled')),
    starts_at INTEGER NOT NULL,
    ends_at INTEGER NOT NULL,
    spec_enc BLOB NOT NULL,
    result_enc BLOB,
    created_at INTEGER NOT NULL
);
CREATE INDEX strategy_experiments_profile ON strategy_experiments(profile_id, created_at);

CREATE TABLE strategy_preferences (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    llm_opt_in BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at INTEGER NOT NULL
);
