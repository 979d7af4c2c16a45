-- A dialogue per member of a chat, not per chat: in a group, two members can each have a /meet
-- of their own open. `message_id` is the message whose buttons the dialogue owns (its panel or
-- prompt). Existing dialogues are kept: a draft's or a cohosts prompt's owner is in its state;
-- anything else was in a private chat, whose member is the chat.
CREATE TABLE member_dialogues (
    chat_id    INTEGER NOT NULL,
    user_id    INTEGER NOT NULL,
    state      TEXT    NOT NULL,
    message_id INTEGER,
    updated_at INTEGER NOT NULL, -- unix seconds
    PRIMARY KEY (chat_id, user_id)
) WITHOUT ROWID; -- one b-tree, keyed by (chat, member): a read or write is one lookup

INSERT INTO member_dialogues (chat_id, user_id, state, message_id, updated_at)
SELECT chat_id,
       -- A state that is not JSON (never written by the bot) stays the chat's; the bot drops an
       -- unreadable state when it next loads it.
       CASE WHEN json_valid(state) THEN COALESCE(json_extract(state, '$.owner'), chat_id)
            ELSE chat_id END,
       state,
       CASE WHEN json_valid(state)
            THEN COALESCE(json_extract(state, '$.panel'), json_extract(state, '$.prompt')) END,
       updated_at
FROM dialogues;

DROP TABLE dialogues;
ALTER TABLE member_dialogues RENAME TO dialogues;
-- No other index: a dialogue is written at every step, and each index is one more write. Finding
-- a panel's owner reads one chat's dialogues by the primary key; pruning, hourly, reads them all.
