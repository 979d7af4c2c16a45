-- Yandex logins (/login's device-code flow) in progress, one per private chat, so that polling
-- Yandex survives a restart of the bot, and with several processes on one database any of them
-- carries it on. `device_code` is a credential: sealed like the tokens, bound to the chat.
-- `starter` is who sent /login (their id, name and language) as the bot serialised it; `group_id`
-- the group the token is for, after a /connect link. Times are unix milliseconds (the bot's
-- tests shorten Yandex's seconds). The process polling a login holds a lease on it (`taken_by`,
-- `lease_until`); a login whose lease ran out (its process died) is taken over by another.
CREATE TABLE logins (
    chat_id       INTEGER PRIMARY KEY NOT NULL,
    starter       TEXT    NOT NULL,
    group_id      INTEGER,
    device_code   TEXT    NOT NULL,
    interval_secs INTEGER NOT NULL, -- how often Yandex lets us poll, in its seconds
    next_poll_at  INTEGER NOT NULL, -- unix ms
    expires_at    INTEGER NOT NULL, -- unix ms: when the device code expires
    taken_by      INTEGER NOT NULL DEFAULT 0, -- the process polling it (0: none yet)
    lease_until   INTEGER NOT NULL DEFAULT 0  -- unix ms; 0 when nobody holds it
);

CREATE INDEX logins_due ON logins (next_poll_at);
