-- Votes on when to meet (/findtime): the times offered and who is in for each, so that a vote
-- outlives the process and, with several processes on one database, each press is counted once
-- and each vote closes once. `options` is the JSON array of the times offered (unix seconds),
-- `creator` who started it (as the bot serialised them). `state` is `open` until it is closed:
-- `scheduled` (a meeting was made: `winner` is the option's index), `missed` (every time passed,
-- or nobody voted), `cancelled`, or `failed` (the organiser could no longer create). `version`
-- counts the changes to what the vote's message shows; `drawn` is the version it shows. The
-- process redrawing or closing it holds a lease (`taken_by`, `lease_until`), due at `next_at`:
-- at once while `drawn < version`, else at the deadline `close_at`.
CREATE TABLE votes (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id       INTEGER NOT NULL,
    thread_id     INTEGER,          -- the forum topic it was started in
    message_id    INTEGER,          -- the vote's message, once posted
    created_by    INTEGER NOT NULL,
    creator       TEXT    NOT NULL,
    topic         TEXT,
    request       TEXT    NOT NULL, -- the create-meeting request, as the bot serialised it
    zone          TEXT    NOT NULL,
    duration_secs INTEGER NOT NULL,
    options       TEXT    NOT NULL,
    close_at      INTEGER NOT NULL, -- unix seconds
    state         TEXT    NOT NULL DEFAULT 'open',
    winner        INTEGER,
    closed_by     INTEGER NOT NULL DEFAULT 0, -- who closed it (0: the deadline)
    version       INTEGER NOT NULL DEFAULT 0,
    drawn         INTEGER NOT NULL DEFAULT 0,
    next_at       INTEGER NOT NULL, -- unix seconds
    taken_by      INTEGER NOT NULL DEFAULT 0,
    lease_until   INTEGER NOT NULL DEFAULT 0, -- unix ms of the system clock
    created_at    INTEGER NOT NULL  -- unix seconds
);

CREATE INDEX votes_due ON votes (next_at);
CREATE INDEX votes_by_chat ON votes (chat_id, state);

-- Who is in for which time of a vote: one row per (vote, option, user).
CREATE TABLE vote_choices (
    vote_id    INTEGER NOT NULL REFERENCES votes (id) ON DELETE CASCADE,
    option     INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    name       TEXT    NOT NULL, -- their name when they voted, for the message
    voted_at   INTEGER NOT NULL, -- unix seconds
    PRIMARY KEY (vote_id, option, user_id)
);

-- Who a scheduled meeting's reminder names (HTML mentions, as the bot wrote them): the people
-- who voted for its time.
ALTER TABLE schedules ADD COLUMN mentions TEXT;
