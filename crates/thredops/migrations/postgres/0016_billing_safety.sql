-- Billing safety: the Checkout sessions a user has open (a newer one expires the older, so only
-- one can ever be paid), and when a customer's extra live subscriptions were last reported.

CREATE TABLE billing_checkouts (
    session_id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE INDEX billing_checkouts_user ON billing_checkouts (user_id);

ALTER TABLE billing_subscriptions ADD COLUMN duplicate_reported_at BIGINT;
