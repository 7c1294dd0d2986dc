-- Workspaces. Every account is a workspace: its profiles, posts, drafts, slots, audits and
-- billing are keyed by the account's id, as before, so existing accounts are one workspace each
-- with nothing moved. Other accounts join a workspace by invitation, with a role; the owner is
-- the account itself and has no member row.
CREATE TABLE workspaces (
    owner_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT,
    -- Posts wait for an owner's, admin's or client reviewer's approval before publishing.
    approvals_required BOOLEAN NOT NULL DEFAULT FALSE,
    -- Raised to make every client review link given so far stop working.
    review_links_epoch BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);

CREATE TABLE workspace_members (
    workspace_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer', 'reviewer')),
    invited_by TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX workspace_members_user ON workspace_members (user_id);

-- Only a SHA-256 hash of the link's secret is kept; the link is mailed once.
CREATE TABLE workspace_invitations (
    id TEXT PRIMARY KEY NOT NULL,
    workspace_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    email TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'viewer', 'reviewer')),
    token_hash TEXT NOT NULL UNIQUE,
    invited_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    accepted_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX workspace_invitations_workspace ON workspace_invitations (workspace_id, created_at);

-- The workspace a session acts in; NULL is the account's own. A membership that ends sends
-- the session back to its own workspace (the session check joins the member row).
ALTER TABLE sessions ADD COLUMN workspace_id TEXT;
-- The workspace an API token acts in, with its maker's role there; NULL is the maker's own.
ALTER TABLE api_tokens ADD COLUMN workspace_id TEXT;

-- Approval of a planned post, when its workspace asks for approvals: NULL (never asked),
-- 'pending', 'approved' or 'changes_requested'. The publisher holds any post of such a
-- workspace that is not 'approved'.
ALTER TABLE scheduled_posts ADD COLUMN approval TEXT;

-- Decisions on posts and the comments that came with them (sealed with the workspace's key).
CREATE TABLE post_reviews (
    id TEXT PRIMARY KEY NOT NULL,
    post_id TEXT NOT NULL REFERENCES scheduled_posts(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    reviewer TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('submitted', 'approved', 'changes_requested')),
    comment_enc BYTEA,
    created_at BIGINT NOT NULL
);
CREATE INDEX post_reviews_post ON post_reviews (post_id, created_at);
