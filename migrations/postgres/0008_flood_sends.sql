-- When the bot's messages go, for its flood limit as a whole (see
-- migrations/sqlite/0013_flood_sends.sql). UNLOGGED, as flood_limits: written with every message.
CREATE UNLOGGED TABLE flood_sends (
    at_ms BIGINT NOT NULL
);
CREATE INDEX flood_sends_at ON flood_sends (at_ms);
