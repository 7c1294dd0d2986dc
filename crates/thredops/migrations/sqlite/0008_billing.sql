-- Billing with Stripe: who is which Stripe customer, their subscriptions, and the webhook events
-- received (each recorded once, processed by a job).

CREATE TABLE billing_customers (
    user_id TEXT PRIMARY KEY NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    customer_id TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);

CREATE TABLE billing_subscriptions (
    subscription_id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    price_id TEXT,
    status TEXT NOT NULL,
    current_period_end INTEGER,
    cancel_at_period_end INTEGER NOT NULL DEFAULT 0,
    -- When the subscription became past_due (start of the grace period); NULL otherwise.
    past_due_since INTEGER,
    -- `created` of the newest Stripe event applied: an older event never overwrites newer state.
    version INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX billing_subscriptions_user ON billing_subscriptions (user_id);

-- The payload is kept only until processed; user_id is filled once the event is matched to a
-- user, so account deletion purges what remains.
CREATE TABLE billing_events (
    id TEXT PRIMARY KEY NOT NULL,
    event_type TEXT NOT NULL,
    created INTEGER NOT NULL,
    received_at INTEGER NOT NULL,
    processed_at INTEGER,
    user_id TEXT REFERENCES users(id) ON DELETE CASCADE,
    payload TEXT
);
