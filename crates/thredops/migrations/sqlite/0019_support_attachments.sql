-- Images attached to support chat messages and ticket replies. The image is sealed under a key
-- of its own (`sealed`), which is wrapped by the master key (`wrapped_key`); the row goes with
-- its message, which goes with its conversation and account.
CREATE TABLE support_attachments (
    id TEXT PRIMARY KEY NOT NULL,
    message_id INTEGER NOT NULL REFERENCES support_messages(id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    wrapped_key BLOB NOT NULL,
    sealed BLOB NOT NULL,
    uploaded_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX support_attachments_message ON support_attachments(message_id);
