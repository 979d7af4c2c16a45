-- Each chat's webhook updates form a queue, handled one at a time in `update_id` order by
-- whichever process holds the chat's turn (several processes may share a PostgreSQL database;
-- see src/storage/inbox.rs). `chat_id` is NULL for updates with no chat (inline queries), which
-- need no order and stay leased to the process that stored them.
ALTER TABLE inbox ADD COLUMN chat_id INTEGER;

CREATE INDEX inbox_by_chat ON inbox (chat_id, update_id) WHERE handled_at IS NULL;

-- Who is working through a chat's queue, until when (renewed while it works): a process that
-- died leaves the chat to another once `lease_until` has passed.
CREATE TABLE chat_turns (
    chat_id     INTEGER PRIMARY KEY NOT NULL,
    taken_by    INTEGER NOT NULL, -- the process
    lease_until INTEGER NOT NULL  -- unix seconds
);
