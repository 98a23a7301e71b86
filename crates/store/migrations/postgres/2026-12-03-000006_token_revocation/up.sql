-- When an account is disabled, every access token issued until then is revoked:
-- re-enabling the account does not bring them back.
ALTER TABLE users ADD COLUMN tokens_revoked_at TIMESTAMP;
