-- The planner Mini App's calls per user and kind (`call`, `create`) in the current fixed window,
-- for its per-user limits; kept here so that replicas count together. Old windows are pruned.
CREATE TABLE web_calls (
    user_id      INTEGER NOT NULL,
    kind         TEXT    NOT NULL,
    window_start INTEGER NOT NULL, -- unix seconds
    calls        INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind)
);
