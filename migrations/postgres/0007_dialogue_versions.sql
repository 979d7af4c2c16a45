-- Each write of a dialogue bumps its version, and names the version it read: a process whose
-- turn at the chat ran out between its read and its write cannot overwrite what the next
-- process wrote meanwhile (see storage::dialogues).
ALTER TABLE dialogues ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
