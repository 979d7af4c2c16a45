-- A chat's time zone and reminder lead, and scheduled meetings (see
-- migrations/sqlite/0012_schedules.sql).
ALTER TABLE chat_settings
    ADD COLUMN timezone      TEXT,
    ADD COLUMN remind_before BIGINT NOT NULL DEFAULT 0;

CREATE TABLE schedules (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    chat_id       BIGINT NOT NULL,
    thread_id     BIGINT,
    created_by    BIGINT NOT NULL,
    creator       TEXT   NOT NULL,
    topic         TEXT,
    request       TEXT   NOT NULL,
    zone          TEXT   NOT NULL,
    repeat        TEXT,
    duration_secs BIGINT NOT NULL,
    start_at      BIGINT NOT NULL,
    conference_id TEXT,
    join_url      TEXT,
    next_at       BIGINT NOT NULL,
    step          TEXT   NOT NULL,
    taken_by      BIGINT NOT NULL DEFAULT 0,
    lease_until   BIGINT NOT NULL DEFAULT 0,
    created_at    BIGINT NOT NULL
);

CREATE INDEX schedules_due ON schedules (next_at);
CREATE INDEX schedules_by_chat ON schedules (chat_id, start_at);
