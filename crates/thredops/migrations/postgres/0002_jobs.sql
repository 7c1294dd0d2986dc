-- Durable job queue shared by every ThredOps instance on this database.
-- Every time in this table is Unix milliseconds: leases and retry backoff need sub-second steps.
CREATE TABLE jobs (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'running', 'succeeded', 'dead', 'cancelled')),
    run_at BIGINT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL CHECK (max_attempts > 0),
    lease_owner TEXT,
    lease_expires_at BIGINT,
    last_error TEXT,
    dedup_key TEXT,
    -- No foreign keys: a job may outlive nothing, and purging a user removes their jobs explicitly.
    user_id TEXT,
    subject TEXT,
    progress TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    finished_at BIGINT
);

-- A dedup key is held only while its job is live, so recurring work can enqueue its next run.
CREATE UNIQUE INDEX jobs_dedup_live ON jobs (dedup_key) WHERE state IN ('queued', 'running');
CREATE INDEX jobs_claim ON jobs (state, run_at);
CREATE INDEX jobs_lease_expiry ON jobs (lease_expires_at) WHERE state = 'running';
CREATE INDEX jobs_user ON jobs (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX jobs_subject ON jobs (subject) WHERE subject IS NOT NULL;
CREATE INDEX jobs_finished ON jobs (state, finished_at) WHERE finished_at IS NOT NULL;
