-- Who created a meeting, as Telegram showed their name then (for /history).
ALTER TABLE meetings ADD COLUMN user_name TEXT;

-- A chat's defaults for new meetings, changed with /settings. Values are the API's spellings.
CREATE TABLE chat_settings (
    chat_id       INTEGER PRIMARY KEY NOT NULL,
    waiting_room  TEXT    NOT NULL DEFAULT 'PUBLIC',
    stream_access TEXT    NOT NULL DEFAULT 'PUBLIC',
    auto_summary  INTEGER NOT NULL DEFAULT 0, -- start meeting notes automatically
    admins_only   INTEGER NOT NULL DEFAULT 0, -- in a group, only admins create meetings
    instant_meet  INTEGER NOT NULL DEFAULT 0, -- plain /meet creates at once with the defaults
    updated_at    INTEGER NOT NULL
);

-- Cohosts a chat has used, offered as buttons next time. `id` appears in callback data.
CREATE TABLE chat_cohosts (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id   INTEGER NOT NULL,
    email     TEXT    NOT NULL,
    last_used INTEGER NOT NULL,
    UNIQUE (chat_id, email)
);
