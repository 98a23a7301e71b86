-- Password resets issued by an operator for a user who forgot theirs: the operator
-- passes the token on (techex sends no e-mail) and its holder sets a new password.
-- Only the token's SHA-256 is stored.
CREATE TABLE password_resets (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    token_sha256 TEXT NOT NULL,
    created_by TEXT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    -- Set once: used, or made void by a newer reset or a password change.
    used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
CREATE UNIQUE INDEX password_resets_token ON password_resets (token_sha256);
CREATE INDEX password_resets_user ON password_resets (user_id);
