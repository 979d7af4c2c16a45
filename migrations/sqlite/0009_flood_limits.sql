-- Telegram's flood limits, kept where every process sending for the bot sees them: one token
-- bucket per scope, the bot as a whole (scope 0) or one chat (its id). `level` is how many
-- messages may go at once as of `refilled_ms` (below zero, how many are owed; NULL in a row a
-- pause made, a full bucket). `paused_until` holds every message of the scope after Telegram
-- answered 429 with a `retry_after`. Times are unix milliseconds.
CREATE TABLE flood_limits (
    scope        INTEGER PRIMARY KEY NOT NULL,
    level        REAL,
    refilled_ms  INTEGER NOT NULL,
    paused_until INTEGER NOT NULL
);
