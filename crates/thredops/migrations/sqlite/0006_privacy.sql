-- Privacy: deletion receipts, ownership confirmations, inactivity warnings, in-app notices and the
-- log of staff access to a user's data.

-- A receipt outlives the account it describes, so it holds no personal data: only the hash of its
-- unguessable confirmation code, where the request came from, its status and what was removed.
CREATE TABLE deletion_receipts (
    code_hash TEXT PRIMARY KEY NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('account', 'meta_callback', 'support', 'retention')),
    status TEXT NOT NULL CHECK (status IN ('awaiting_confirmation', 'completed', 'expired')),
    requested_at INTEGER NOT NULL,
    completed_at INTEGER,
    profiles_purged INTEGER NOT NULL DEFAULT 0
);

-- A deletion request through support waits here until the emailed link proves ownership.
CREATE TABLE deletion_confirmations (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL REFERENCES deletion_receipts(code_hash) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX deletion_confirmations_user ON deletion_confirmations(user_id);

-- One warning per period of inactivity: a later sign-in moves last_active_at and voids it.
CREATE TABLE inactivity_warnings (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    last_active_at INTEGER NOT NULL,
    warned_at INTEGER NOT NULL,
    purge_at INTEGER NOT NULL
);

CREATE TABLE privacy_notices (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    dismissed_at INTEGER
);
CREATE INDEX privacy_notices_user ON privacy_notices(user_id, created_at);

-- Who on staff looked at whose data, shown to that user. The staff member may leave; the entry
-- stays with their role.
CREATE TABLE staff_access_log (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    staff_user_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    staff_role TEXT NOT NULL,
    action TEXT NOT NULL,
    reason TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX staff_access_log_user ON staff_access_log(user_id, at);
