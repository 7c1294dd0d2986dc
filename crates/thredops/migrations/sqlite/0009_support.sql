-- Support desk: live chat and tickets. A conversation belongs to a signed-in account or to an
-- anonymous visitor known only by the hash of their continuity cookie; deleting either purges it.

CREATE TABLE support_visitors (
    id TEXT PRIMARY KEY NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    email TEXT,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
);

CREATE TABLE support_conversations (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    visitor_id TEXT REFERENCES support_visitors(id) ON DELETE CASCADE,
    kind TEXT NOT NULL CHECK (kind IN ('chat', 'ticket')),
    category TEXT,
    subject TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'pending', 'snoozed', 'resolved')),
    snoozed_until INTEGER,
    assignee_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    contact_email TEXT,
    customer_last_read INTEGER NOT NULL DEFAULT 0,
    agent_last_read INTEGER NOT NULL DEFAULT 0,
    emailed_up_to INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    last_message_at INTEGER,
    CHECK (user_id IS NOT NULL OR visitor_id IS NOT NULL)
);
CREATE INDEX support_conversations_user ON support_conversations(user_id);
CREATE INDEX support_conversations_visitor ON support_conversations(visitor_id);
-- One live chat per customer, even when two tabs open it at the same moment.
CREATE UNIQUE INDEX support_one_chat_per_user ON support_conversations(user_id) WHERE kind = 'chat';
CREATE UNIQUE INDEX support_one_chat_per_visitor ON support_conversations(visitor_id) WHERE kind = 'chat';
CREATE INDEX support_conversations_inbox ON support_conversations(status, last_message_at);

CREATE TABLE support_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL REFERENCES support_conversations(id) ON DELETE CASCADE,
    author TEXT NOT NULL CHECK (author IN ('customer', 'agent', 'note', 'system')),
    agent_id TEXT REFERENCES users(id) ON DELETE SET NULL,
    client_id TEXT,
    body TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (conversation_id, client_id)
);
CREATE INDEX support_messages_conversation ON support_messages(conversation_id, id);

CREATE TABLE support_agents (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    online_until INTEGER NOT NULL DEFAULT 0,
    assign_seq INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE support_canned (
    id TEXT PRIMARY KEY NOT NULL,
    shortcut TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    created_by TEXT REFERENCES users(id) ON DELETE SET NULL,
    created_at INTEGER NOT NULL
);
