-- The OAuth token each chat creates meetings with. A private chat's id is its user's id.
CREATE TABLE chat_tokens (
    chat_id    INTEGER PRIMARY KEY NOT NULL,
    token      TEXT    NOT NULL,
    set_by     INTEGER,
    updated_at INTEGER NOT NULL -- unix seconds
);

-- The unfinished /meet or /stream dialogue of a chat, as the bot serialised it. Kept here, not in
-- memory, so a restart continues where the chat was.
CREATE TABLE dialogues (
    chat_id    INTEGER PRIMARY KEY NOT NULL,
    state      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
);

-- Every meeting and stream the bot created.
CREATE TABLE meetings (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id       INTEGER NOT NULL,
    user_id       INTEGER,
    created_at    INTEGER NOT NULL,
    conference_id TEXT    NOT NULL,
    join_url      TEXT    NOT NULL,
    watch_url     TEXT,
    options       TEXT    NOT NULL -- the request body sent to Telemost, as JSON
);

CREATE INDEX meetings_by_chat ON meetings (chat_id, created_at DESC);
