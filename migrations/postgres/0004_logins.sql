-- Yandex logins in progress (see migrations/sqlite/0010_logins.sql).
CREATE TABLE logins (
    chat_id       BIGINT PRIMARY KEY,
    starter       TEXT   NOT NULL,
    group_id      BIGINT,
    device_code   TEXT   NOT NULL,
    interval_secs BIGINT NOT NULL,
    next_poll_at  BIGINT NOT NULL,
    expires_at    BIGINT NOT NULL,
    taken_by      BIGINT NOT NULL DEFAULT 0,
    lease_until   BIGINT NOT NULL DEFAULT 0
);

CREATE INDEX logins_due ON logins (next_poll_at);
