-- Updates received by webhook: stored (sealed, like tokens: a message may carry one) before
-- Telegram hears they arrived, and remembered for a day after they are handled so that a resend
-- is recognised. `payload` is cleared once the update is handled. The process that stored an
-- update holds a lease on it (`taken_by`, `lease_until`) and renews it while it works; an update
-- whose lease ran out (its process died) is taken over by another, or by the next start.
CREATE TABLE inbox (
    update_id   INTEGER PRIMARY KEY NOT NULL,
    payload     TEXT,
    received_at INTEGER NOT NULL, -- unix seconds
    handled_at  INTEGER,          -- unix seconds; NULL until handled
    taken_by    INTEGER NOT NULL, -- the process handling it
    lease_until INTEGER NOT NULL  -- unix seconds
);

CREATE INDEX inbox_unhandled ON inbox (update_id) WHERE handled_at IS NULL;
