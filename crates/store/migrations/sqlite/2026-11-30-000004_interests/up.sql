-- Expressions of interest and their threads, the notification inbox, and webhooks
-- with their delivery queue.

CREATE TABLE interests (
    id TEXT PRIMARY KEY NOT NULL,
    listing_id TEXT NOT NULL REFERENCES listings (id),
    -- The listing's organisation, copied so that "received" lists need no join.
    owner_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    requester_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    requester_listing_id TEXT REFERENCES listings (id),
    created_by TEXT NOT NULL REFERENCES users (id),
    brokered_by TEXT REFERENCES users (id),
    state TEXT NOT NULL CHECK (state IN ('sent', 'accepted', 'declined', 'negotiating', 'concluded', 'closed')),
    message TEXT NOT NULL,
    responded_by TEXT REFERENCES users (id),
    responded_at TIMESTAMP,
    accepted_at TIMESTAMP,
    decline_reason TEXT,
    close_reason TEXT,
    closing_message TEXT,
    transfer_value BIGINT,
    transfer_currency TEXT,
    contract_date DATE,
    transfer_mode TEXT,
    concluded_at TIMESTAMP,
    closed_at TIMESTAMP,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX interests_owner ON interests (owner_organisation_id, created_at);
CREATE INDEX interests_requester ON interests (requester_organisation_id, created_at);
CREATE INDEX interests_listing ON interests (listing_id);
CREATE INDEX interests_created_at ON interests (created_at);
-- One open interest per organisation and listing, even under concurrent requests.
CREATE UNIQUE INDEX interests_one_open ON interests (listing_id, requester_organisation_id)
    WHERE state IN ('sent', 'accepted', 'negotiating');

-- The thread of an interest. Operator notes share the table but only operators read them.
CREATE TABLE interest_messages (
    id TEXT PRIMARY KEY NOT NULL,
    interest_id TEXT NOT NULL REFERENCES interests (id),
    author_user_id TEXT NOT NULL REFERENCES users (id),
    author_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    operator_note BOOLEAN NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX interest_messages_interest ON interest_messages (interest_id, created_at);

CREATE TABLE notifications (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    event TEXT NOT NULL,
    title TEXT NOT NULL,
    detail TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    read_at TIMESTAMP
);
CREATE INDEX notifications_user ON notifications (user_id, created_at);

-- Events that must be told once only (a match between two listings, an expiry
-- warning for one valid-until date): the key's primary index refuses a second.
CREATE TABLE notices_sent (
    key TEXT PRIMARY KEY NOT NULL,
    created_at TIMESTAMP NOT NULL
);

-- How far a background job has read the listing outbox.
CREATE TABLE job_cursors (
    name TEXT PRIMARY KEY NOT NULL,
    seq BIGINT NOT NULL
);
-- Which listing changed last: match alerts tell the organisation of the older one.
CREATE INDEX listing_events_listing ON listing_events (listing_id, seq);
-- Match alerts start from now: listings published before the upgrade are not re-announced.
INSERT INTO job_cursors (name, seq) SELECT 'match_alerts', COALESCE(MAX(seq), 0) FROM listing_events;

CREATE TABLE webhooks (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    url TEXT NOT NULL,
    -- The HMAC key; needed in clear to sign each delivery.
    secret TEXT NOT NULL,
    -- Space-separated event names.
    events TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_organisation ON webhooks (organisation_id);

-- The persistent delivery queue and per-endpoint log.
CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_attempt_at TIMESTAMP,
    last_status INTEGER,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    delivered_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, created_at);
