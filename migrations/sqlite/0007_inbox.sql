-- Updates received by webhook: stored before Telegram hears they arrived, and remembered for a day
-- after they are handled so that a resend is recognised. `payload` (the update's JSON) is cleared
-- once it is handled.
CREATE TABLE inbox (
    update_id   INTEGER PRIMARY KEY NOT NULL,
    payload     TEXT,
    received_at INTEGER NOT NULL, -- unix seconds
    handled_at  INTEGER           -- unix seconds; NULL until handled
);

CREATE INDEX inbox_unhandled ON inbox (update_id) WHERE handled_at IS NULL;
