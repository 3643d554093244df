-- The console's users (made by the operator with `server-shim users add`), their sessions and
-- their wrong passwords. A user with no shop is an operator and sees every shop.
CREATE TABLE console_users (
    id             TEXT PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE,
    password_hash  TEXT NOT NULL,
    shop_id        TEXT REFERENCES shops (id),
    role           TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);

-- A signed-in browser: the SHA-256 of its cookie's token (the token itself is never stored) and
-- the token its forms carry against cross-site requests.
CREATE TABLE console_sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES console_users (id),
    csrf        TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);
CREATE INDEX console_sessions_by_user ON console_sessions (user_id);

-- Wrong passwords by email, for slowing down guessing; kept a day.
CREATE TABLE console_sign_in_failures (
    email  TEXT NOT NULL,
    at     BIGINT NOT NULL
);
CREATE INDEX console_sign_in_failures_by_email ON console_sign_in_failures (email, at);
