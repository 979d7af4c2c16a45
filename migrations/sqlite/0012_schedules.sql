-- A chat's time zone for the times /schedule reads and shows (NULL: the bot's default zone,
-- DEFAULT_TIMEZONE), and how many minutes before a scheduled meeting its reminder is posted
-- (0: only when it starts).
ALTER TABLE chat_settings ADD COLUMN timezone TEXT;
ALTER TABLE chat_settings ADD COLUMN remind_before INTEGER NOT NULL DEFAULT 0;

-- Scheduled meetings, one row per schedule (a one-off meeting or a recurring one), so that they
-- outlive the process and with several processes on one database exactly one of them acts on
-- each. A row holds the occurrence to come: when it starts (`start_at`) and, once created, its
-- meeting (`conference_id`, `join_url`); and what the bot does next (`step`, as the bot
-- serialised it) at `next_at`. `creator` is who scheduled it (as the bot serialised them),
-- `request` the create-meeting request JSON, `repeat` the recurrence rule as the bot serialised
-- it (NULL: a one-off meeting, deleted once it started), `zone` the IANA time zone the
-- recurrence is reckoned in. The process acting on a row holds a lease on it (`taken_by`,
-- `lease_until`); a row whose lease ran out (its process died) is taken over by another.
CREATE TABLE schedules (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id       INTEGER NOT NULL,
    thread_id     INTEGER,          -- the forum topic it was scheduled in
    created_by    INTEGER NOT NULL, -- the user who scheduled it
    creator       TEXT    NOT NULL,
    topic         TEXT,
    request       TEXT    NOT NULL,
    zone          TEXT    NOT NULL,
    repeat        TEXT,
    duration_secs INTEGER NOT NULL,
    start_at      INTEGER NOT NULL, -- unix seconds: this occurrence's start
    conference_id TEXT,             -- this occurrence's meeting, once created
    join_url      TEXT,
    next_at       INTEGER NOT NULL, -- unix seconds: when the bot acts on it next
    step          TEXT    NOT NULL, -- what it does then
    taken_by      INTEGER NOT NULL DEFAULT 0, -- the process acting on it (0: none yet)
    lease_until   INTEGER NOT NULL DEFAULT 0, -- unix ms of the system clock; 0: nobody holds it
    created_at    INTEGER NOT NULL  -- unix seconds
);

CREATE INDEX schedules_due ON schedules (next_at);
CREATE INDEX schedules_by_chat ON schedules (chat_id, start_at);
