-- See migrations/sqlite/0008_chat_queues.sql.
ALTER TABLE inbox ADD COLUMN chat_id BIGINT;

CREATE INDEX inbox_by_chat ON inbox (chat_id, update_id) WHERE handled_at IS NULL;

-- UNLOGGED: taking and giving up a turn (twice per burst of a chat's updates) need not wait for
-- the disk. A server crash empties the table: every turn is free again, as if every holder's
-- lease had run out, and a process that held one finds it gone and stops at its next update
-- (see src/storage/inbox.rs); an update it was handling then may be handled again, as after a
-- replica's death.
CREATE UNLOGGED TABLE chat_turns (
    chat_id     BIGINT PRIMARY KEY,
    taken_by    BIGINT NOT NULL,
    lease_until BIGINT NOT NULL
);
