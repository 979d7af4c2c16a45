-- The planner's calls per user and kind (see migrations/sqlite/0015_web_calls.sql).
CREATE TABLE web_calls (
    user_id      BIGINT NOT NULL,
    kind         TEXT   NOT NULL,
    window_start BIGINT NOT NULL,
    calls        INTEGER NOT NULL,
    PRIMARY KEY (user_id, kind)
);
