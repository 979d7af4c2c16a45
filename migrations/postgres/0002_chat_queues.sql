-- See migrations/sqlite/0008_chat_queues.sql.
ALTER TABLE inbox ADD COLUMN chat_id BIGINT;

CREATE INDEX inbox_by_chat ON inbox (chat_id, update_id) WHERE handled_at IS NULL;

CREATE TABLE chat_turns (
    chat_id     BIGINT PRIMARY KEY,
    taken_by    BIGINT NOT NULL,
    lease_until BIGINT NOT NULL
);
