-- Private chats whose user blocked the bot: nothing is sent there until they unblock it (a row
-- is deleted then). Blocking also ends the chat's login in progress.
CREATE TABLE blocked_chats (
    chat_id    INTEGER PRIMARY KEY NOT NULL,
    blocked_at INTEGER NOT NULL -- unix seconds
);
