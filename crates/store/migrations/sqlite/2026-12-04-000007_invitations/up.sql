-- Invitations to join an organisation: a member invites a colleague's e-mail
-- address; whoever holds the token registers with that address as a member.
-- Only the token's SHA-256 is stored, so the table never gives a way in.
CREATE TABLE invitations (
    id TEXT PRIMARY KEY NOT NULL,
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    -- Lower-cased, as users.email.
    email TEXT NOT NULL,
    token_sha256 TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    -- Set once: accepted (with the account made) or revoked, never both.
    accepted_at TIMESTAMP,
    accepted_user_id TEXT REFERENCES users (id),
    revoked_at TIMESTAMP
);
CREATE UNIQUE INDEX invitations_token ON invitations (token_sha256);
CREATE INDEX invitations_organisation ON invitations (organisation_id, created_at);
