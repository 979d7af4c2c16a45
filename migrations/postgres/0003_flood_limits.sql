-- Telegram's flood limits shared by every process (see migrations/sqlite/0009_flood_limits.sql).
-- UNLOGGED: written with every message sent, worth nothing after a crash (which empties it:
-- every bucket full again), so its commits do not wait for the WAL to reach the disk.
CREATE UNLOGGED TABLE flood_limits (
    scope        BIGINT PRIMARY KEY,
    level        DOUBLE PRECISION,
    refilled_ms  BIGINT NOT NULL,
    paused_until BIGINT NOT NULL
);
