-- Tokens are sealed (see src/storage/crypto.rs) from this version on; values written by older
-- versions in plain text are sealed at the next start. Logins through Yandex also keep a
-- refresh token and the access token's expiry.
ALTER TABLE chat_tokens ADD COLUMN refresh_token TEXT;
ALTER TABLE chat_tokens ADD COLUMN expires_at INTEGER; -- unix seconds

-- Facts about the database itself, such as a value sealed with its key, which tells at start
-- whether the key configured is the one the tokens were sealed with.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

-- Single-use codes in /connect deep links: the group admin who asked for one may use it within
-- its lifetime to give the group a token.
CREATE TABLE connect_codes (
    code       TEXT PRIMARY KEY NOT NULL,
    group_id   INTEGER NOT NULL,
    admin_id   INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
