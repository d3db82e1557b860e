-- Issue 14 (items 7 and 8): login attempts are counted per account and per address, API tokens
-- get an id (for `user token revoke`) and an expiry. Tokens issued before this migration had no
-- expiry; they are revoked here (issue new ones with `zorgsignaal user token`).
CREATE INDEX login_attempts_user_at ON login_attempts (username, at);
CREATE INDEX login_attempts_ip_at ON login_attempts (ip, at);

DROP TABLE api_tokens;
CREATE TABLE api_tokens (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL UNIQUE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label      TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);
