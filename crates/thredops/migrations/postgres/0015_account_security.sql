-- Account recovery and protection: confirmed addresses, one-time account links (password reset,
-- address confirmation, email change) and TOTP two-step sign-in with recovery codes.

-- When the current address was confirmed; NULL until the owner follows the link we mailed.
ALTER TABLE users ADD COLUMN email_verified_at BIGINT;
-- Accounts made before confirmation existed keep working: their address counts as confirmed.
UPDATE users SET email_verified_at = created_at;

-- Links mailed to an owner. Only the SHA-256 of the token is kept, so a database reader cannot
-- use a pending link; each works once (used_at) and briefly (expires_at).
CREATE TABLE account_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('reset', 'verify', 'email_change')),
    new_email TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX account_tokens_user ON account_tokens(user_id);

-- The TOTP secret, sealed with the owner's data key (so shredding the key shreds it too).
-- confirmed_at is NULL while enrolment waits for a first code; last_step stops a code being
-- used twice.
CREATE TABLE user_mfa (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    secret_enc BYTEA NOT NULL,
    confirmed_at BIGINT,
    last_step BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);

-- Single-use recovery codes, hashed.
CREATE TABLE mfa_recovery_codes (
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);
