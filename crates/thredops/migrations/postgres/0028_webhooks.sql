-- Outgoing webhooks: a user's endpoints, the events sent to them, and every delivery attempt.
-- The endpoint's URL and signing secret are sealed with the owner's data key (url_enc,
-- secret_enc), as is each event's payload; the plain columns are what the delivery log lists.

CREATE TABLE webhook_endpoints (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    url_enc BYTEA NOT NULL,
    -- The host alone, to tell endpoints apart in lists without opening the URL.
    host TEXT NOT NULL,
    secret_enc BYTEA NOT NULL,
    -- Comma-separated event types the endpoint is sent.
    events TEXT NOT NULL,
    enabled BOOLEAN NOT NULL,
    -- Why ThredOps turned it off (failing for days); NULL when the user did or it is on.
    disabled_reason TEXT,
    created_at BIGINT NOT NULL,
    secret_rotated_at BIGINT
);
CREATE INDEX webhook_endpoints_user ON webhook_endpoints (user_id, created_at);

-- One row per event that had a subscribed endpoint when it happened; event_key names the event
-- so each is recorded once, whichever instance or retry reports it.
CREATE TABLE webhook_events (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The profile the event is about, so its events go with the profile.
    profile_id TEXT REFERENCES threads_profiles(id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    event_key TEXT NOT NULL,
    payload_enc BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (user_id, event_key)
);
CREATE INDEX webhook_events_created ON webhook_events (created_at);

-- One event to one endpoint: its state and the outcome of its last attempt.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    endpoint_id TEXT NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE,
    event_id TEXT NOT NULL REFERENCES webhook_events(id) ON DELETE CASCADE,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts BIGINT NOT NULL DEFAULT 0,
    last_status BIGINT,
    last_error TEXT,
    next_attempt_at BIGINT,
    delivered_at BIGINT,
    created_at BIGINT NOT NULL,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_user ON webhook_deliveries (user_id, created_at);

-- Every attempt, for the delivery log.
CREATE TABLE webhook_attempts (
    id TEXT PRIMARY KEY NOT NULL,
    delivery_id TEXT NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    attempted_at BIGINT NOT NULL,
    status_code BIGINT,
    error TEXT,
    duration_ms BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts (delivery_id);
CREATE INDEX webhook_attempts_user ON webhook_attempts (user_id, attempted_at);
