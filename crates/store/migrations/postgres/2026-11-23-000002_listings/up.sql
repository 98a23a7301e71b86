-- Listings (offers and needs), their sectors for filtering, and their history.
-- The content is a JSON document validated by the domain; the columns beside it copy
-- the approved content's filterable fields.

CREATE TABLE listings (
    id TEXT PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('offer', 'need')),
    status TEXT NOT NULL CHECK (status IN ('draft', 'pending_review', 'published', 'rejected', 'archived', 'expired')),
    owner_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    created_by TEXT NOT NULL REFERENCES users (id),
    content TEXT NOT NULL,
    title TEXT NOT NULL,
    language TEXT NOT NULL,
    province TEXT,
    trl INTEGER,
    valid_until DATE NOT NULL,
    external_ref TEXT,
    revision_content TEXT,
    revision_status TEXT CHECK (revision_status IN ('pending_review', 'rejected')),
    revision_submitted_at TIMESTAMP,
    rejection_code TEXT,
    rejection_message TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    submitted_at TIMESTAMP,
    published_at TIMESTAMP,
    -- When the listing or its edit entered the review queue; NULL when nothing awaits review.
    queued_at TIMESTAMP
);
-- One listing per (organisation, external_ref): re-imports update instead of duplicating.
CREATE UNIQUE INDEX listings_external_ref ON listings (owner_organisation_id, external_ref);
CREATE INDEX listings_status_published ON listings (status, published_at);
CREATE INDEX listings_owner ON listings (owner_organisation_id, created_at);
CREATE INDEX listings_queue ON listings (queued_at);

CREATE TABLE listing_sectors (
    listing_id TEXT NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    PRIMARY KEY (listing_id, code)
);
CREATE INDEX listing_sectors_code ON listing_sectors (code);

CREATE TABLE listing_history (
    id TEXT PRIMARY KEY NOT NULL,
    listing_id TEXT NOT NULL REFERENCES listings (id) ON DELETE CASCADE,
    occurred_at TIMESTAMP NOT NULL,
    actor_user_id TEXT,
    action TEXT NOT NULL,
    from_status TEXT NOT NULL,
    to_status TEXT NOT NULL,
    reason_code TEXT,
    message TEXT
);
CREATE INDEX listing_history_listing ON listing_history (listing_id, occurred_at);
