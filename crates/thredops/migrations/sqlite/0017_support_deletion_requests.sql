-- Data deletion requests made through a support ticket: confirmed by a link to the account's
-- address, carried out by staff with the account-deletion purge before the deadline.

CREATE TABLE support_deletion_requests (
    conversation_id TEXT PRIMARY KEY NOT NULL REFERENCES support_conversations(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    token_hash TEXT NOT NULL UNIQUE,
    requested_at INTEGER NOT NULL,
    deadline_at INTEGER NOT NULL,
    confirmed_at INTEGER
);
CREATE INDEX support_deletion_requests_user ON support_deletion_requests (user_id);
