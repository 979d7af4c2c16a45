-- Votes on when to meet (/findtime), who is in for each time, and whom a scheduled meeting's
-- reminder names (see migrations/sqlite/0016_votes.sql).
CREATE TABLE votes (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id       BIGINT NOT NULL,
    thread_id     BIGINT,
    message_id    BIGINT,
    created_by    BIGINT NOT NULL,
    creator       TEXT   NOT NULL,
    topic         TEXT,
    request       TEXT   NOT NULL,
    zone          TEXT   NOT NULL,
    duration_secs BIGINT NOT NULL,
    options       TEXT   NOT NULL,
    close_at      BIGINT NOT NULL,
    state         TEXT   NOT NULL DEFAULT 'open',
    winner        BIGINT,
    closed_by     BIGINT  NOT NULL DEFAULT 0,
    version       BIGINT NOT NULL DEFAULT 0,
    drawn         BIGINT NOT NULL DEFAULT 0,
    next_at       BIGINT NOT NULL,
    taken_by      BIGINT NOT NULL DEFAULT 0,
    lease_until   BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);

CREATE INDEX votes_due ON votes (next_at);
CREATE INDEX votes_by_chat ON votes (chat_id, state);

CREATE TABLE vote_choices (
    vote_id  BIGINT NOT NULL REFERENCES votes (id) ON DELETE CASCADE,
    option   BIGINT NOT NULL,
    user_id  BIGINT NOT NULL,
    name     TEXT   NOT NULL,
    voted_at BIGINT NOT NULL,
    PRIMARY KEY (vote_id, option, user_id)
);

ALTER TABLE schedules ADD COLUMN mentions TEXT;
