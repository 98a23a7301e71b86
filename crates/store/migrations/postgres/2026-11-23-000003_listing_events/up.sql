-- The outbox: one row per listing change, written in the change's transaction. The
-- search indexers apply rows in sequence order and remember the last one applied.
-- Writers serialise their appends with a transaction-scoped advisory lock, so the
-- sequence order is the commit order and a reader never skips a late commit.
CREATE TABLE listing_events (
    seq BIGSERIAL PRIMARY KEY,
    listing_id TEXT NOT NULL,
    occurred_at TIMESTAMP NOT NULL
);
-- Listings that existed before the outbox are announced once.
INSERT INTO listing_events (listing_id, occurred_at) SELECT id, updated_at FROM listings ORDER BY created_at;
