-- Deep audits counted against the plan's monthly allowance. Kept apart from the audits, which
-- go with their profile: disconnecting a profile without its history must not give its audits
-- back. A failed audit's row is removed (failed audits do not count). Goes with the account.
CREATE TABLE audit_usage (
    audit_id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    started_at INTEGER NOT NULL
);
CREATE INDEX audit_usage_user ON audit_usage(user_id, started_at);
INSERT INTO audit_usage (audit_id, user_id, started_at)
    SELECT id, user_id, created_at FROM strategy_audits WHERE status <> 'failed';
