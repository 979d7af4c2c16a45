-- The same tables as migrations/sqlite makes, as they stand after its 0007: ids and unix seconds
-- as BIGINT, flags as BOOLEAN.

-- Facts about the database itself, such as a value sealed with its key, which tells at start
-- whether the key configured is the one the tokens were sealed with.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- The OAuth tokens each chat creates meetings with, sealed. A private chat's id is its user's id.
CREATE TABLE chat_tokens (
    chat_id       BIGINT PRIMARY KEY,
    token         TEXT   NOT NULL,
    refresh_token TEXT,
    expires_at    BIGINT,
    set_by        BIGINT,
    updated_at    BIGINT NOT NULL
);

-- A member's unfinished dialogue in a chat, as the bot serialised it. `message_id` is the message
-- whose buttons the dialogue owns (its panel or prompt).
CREATE TABLE dialogues (
    chat_id    BIGINT NOT NULL,
    user_id    BIGINT NOT NULL,
    state      TEXT   NOT NULL,
    message_id BIGINT,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (chat_id, user_id)
);

-- Every meeting and stream the bot created.
CREATE TABLE meetings (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id       BIGINT NOT NULL,
    user_id       BIGINT,
    created_at    BIGINT NOT NULL,
    conference_id TEXT   NOT NULL,
    join_url      TEXT   NOT NULL,
    watch_url     TEXT,
    options       TEXT   NOT NULL, -- the request body sent to Telemost, as JSON
    user_name     TEXT,
    token_owner   BIGINT,
    topic         TEXT
);

CREATE INDEX meetings_by_chat ON meetings (chat_id, created_at DESC);
CREATE INDEX meetings_by_conference ON meetings (chat_id, conference_id);

-- Single-use codes in /connect deep links.
CREATE TABLE connect_codes (
    code       TEXT   PRIMARY KEY,
    group_id   BIGINT NOT NULL,
    admin_id   BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);

-- A chat's defaults for new meetings, changed with /settings. Values are the API's spellings.
CREATE TABLE chat_settings (
    chat_id       BIGINT  PRIMARY KEY,
    waiting_room  TEXT    NOT NULL DEFAULT 'PUBLIC',
    stream_access TEXT    NOT NULL DEFAULT 'PUBLIC',
    auto_summary  BOOLEAN NOT NULL DEFAULT FALSE,
    admins_only   BOOLEAN NOT NULL DEFAULT FALSE,
    instant_meet  BOOLEAN NOT NULL DEFAULT FALSE,
    updated_at    BIGINT  NOT NULL
);

-- Cohosts a chat has used, offered as buttons next time. `id` appears in callback data.
CREATE TABLE chat_cohosts (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id   BIGINT NOT NULL,
    email     TEXT   NOT NULL,
    last_used BIGINT NOT NULL,
    UNIQUE (chat_id, email)
);

-- Updates received by webhook (see migrations/sqlite/0007_inbox.sql).
CREATE TABLE inbox (
    update_id   BIGINT PRIMARY KEY,
    payload     TEXT,
    received_at BIGINT NOT NULL,
    handled_at  BIGINT,
    taken_by    BIGINT NOT NULL,
    lease_until BIGINT NOT NULL
);

CREATE INDEX inbox_unhandled ON inbox (update_id) WHERE handled_at IS NULL;
