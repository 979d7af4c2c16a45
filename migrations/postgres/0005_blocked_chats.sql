-- Private chats whose user blocked the bot (see migrations/sqlite/0011_blocked_chats.sql).
CREATE TABLE blocked_chats (
    chat_id    BIGINT PRIMARY KEY,
    blocked_at BIGINT NOT NULL
);
