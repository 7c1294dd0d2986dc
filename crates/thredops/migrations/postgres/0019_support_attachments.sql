-- Images attached to support chat messages and ticket replies. The image is sealed under a key
-- of its own (`sealed`), which is wrapped by the master key (`wrapped_key`); the row goes with
-- its message, which goes with its conversation and account.
CREATE TABLE support_attachments (
    id TEXT PRIMARY KEY NOT NULL,
    message_id BIGINT NOT NULL REFERENCES support_messages(id) ON DELETE CASCADE,
    content_type TEXT NOT NULL,
    file_name TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    wrapped_key BYTEA NOT NULL,
    sealed BYTEA NOT NULL,
    uploaded_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX support_attachments_message ON support_attachments(message_id);
