-- Telegram's flood limit for the bot as a whole is kept as a sliding window over when its
-- messages go: the time (unix ms) of each message sent within the last window or queued to go
-- later, one row each, forgotten once out of the window. The bot's row in flood_limits (scope 0)
-- now holds only its pause; its level is no longer read.
CREATE TABLE flood_sends (
    at_ms INTEGER NOT NULL
);
CREATE INDEX flood_sends_at ON flood_sends (at_ms);
